// Command qemu boots a qemu-virt firmware image (as `make image` leaves it)
// in qemu-system-arm with the console on this terminal (Ctrl-A X quits):
//
//	go run ./testrig/qemu/cmd/qemu -dir out/qemu-virt
//
// Port forwards from 127.0.0.1: the web page on -web (8443 → 443), plain
// HTTP on -http (8080 → 80), the sim lines on -lines (7070 → 7070, attach
// with go run ./testrig/cmd/phone -addr 127.0.0.1:7070 -port 1) and SIP on
// udp -sip (5062 → 5060). /data is <dir>/data.img, made when missing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/openiad/openiad/testrig/qemu"
)

func main() {
	dir := flag.String("dir", "out/qemu-virt", "folder with vmlinuz and initramfs.cpio.gz")
	data := flag.String("data", "", "the /data disk image (default <dir>/data.img)")
	web := flag.Int("web", 8443, "host port of the web page (HTTPS)")
	http := flag.Int("http", 8080, "host port of the plain-HTTP redirect")
	lines := flag.Int("lines", 7070, "host port of the sim lines")
	sip := flag.Int("sip", 5062, "host UDP port of the box's SIP")
	mem := flag.Int("m", 256, "guest memory, MiB")
	flag.Parse()
	if *data == "" {
		*data = filepath.Join(*dir, "data.img")
	}
	vm, err := qemu.Start(context.Background(), qemu.Options{
		Kernel: filepath.Join(*dir, "vmlinuz"), Initrd: filepath.Join(*dir, "initramfs.cpio.gz"),
		Data: *data, Memory: *mem, Terminal: true, Reboot: true,
		Forwards: []qemu.Forward{
			{Name: "web", Proto: "tcp", HostPort: *web, GuestPort: 443},
			{Name: "http", Proto: "tcp", HostPort: *http, GuestPort: 80},
			{Name: "lines", Proto: "tcp", HostPort: *lines, GuestPort: 7070},
			{Name: "sip", Proto: "udp", HostPort: *sip, GuestPort: 5060},
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "qemu: web page https://127.0.0.1:%d/, phones at 127.0.0.1:%d, SIP udp 127.0.0.1:%d; Ctrl-A X quits\n", *web, *lines, *sip)
	vm.Wait(context.Background())
}
