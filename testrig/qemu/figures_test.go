package qemu_test

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/qemu"
)

var figures = flag.Bool("figures", false, "boot the image with every port in a call and print its size and memory (make bench)")

// TestImageFigures prints the figures `make bench` reports: the image's
// size without its kernel (budget 16 MiB) and the firmware's resident
// memory on the booted guest with all four ports in calls (1 → 202,
// 3 → 204, both answered). Run with -figures.
func TestImageFigures(t *testing.T) {
	if !*figures {
		return // a bench figure, not a check: make bench runs it with -figures
	}
	dir := image(t)
	imgPath := filepath.Join(dir, "openiad-qemu-virt-"+baseVersion+".img")
	img, err := os.Stat(imgPath)
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := os.Stat(filepath.Join(dir, "vmlinuz"))
	if err != nil {
		t.Fatal(err)
	}
	log := &testLog{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	vm, err := qemu.Start(ctx, qemu.Options{
		Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initramfs.cpio.gz"),
		Data:     filepath.Join(t.TempDir(), "data.img"),
		Forwards: []qemu.Forward{{Name: "lines", Proto: "tcp", GuestPort: 7070}},
		Append:   "openiad.memlog=1s", Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	defer func() {
		if t.Failed() {
			t.Logf("console:\n%s", log.String())
		}
	}()
	at := ready(ctx, t, vm.Console, 0)
	idle := memory(ctx, t, vm.Console, at)

	phones := make([]*phone.Phone, 4)
	for i := range phones {
		c, err := net.Dial("tcp", vm.Addr("lines"))
		if err != nil {
			t.Fatal(err)
		}
		if phones[i], err = phone.Attach(c, i+1); err != nil {
			t.Fatal(err)
		}
		defer phones[i].Close()
	}
	for _, pair := range [][2]int{{0, 1}, {2, 3}} {
		a, b := phones[pair[0]], phones[pair[1]]
		if err := a.OffHook(); err != nil {
			t.Fatal(err)
		}
		a.Record(500 * time.Millisecond)
		if err := a.Dial(strconv.Itoa(201 + pair[1])); err != nil {
			t.Fatal(err)
		}
		if err := b.WaitRing(ctx); err != nil {
			t.Fatalf("port %d never rang: %v", pair[1]+1, err)
		}
		if err := b.OffHook(); err != nil {
			t.Fatal(err)
		}
		a.Play(1004, -10)
	}
	m, at, err := vm.Console.Expect(ctx, vm.Console.Mark(), regexp.MustCompile(`port=4 from=\w+ to=connected`))
	if err != nil {
		t.Fatalf("the calls did not connect: %v (%v)", err, m)
	}
	phones[1].Record(3 * time.Second) // the calls run a while
	busy := memory(ctx, t, vm.Console, at)
	busy = memory(ctx, t, vm.Console, busy.next)

	fmt.Printf("qemu-virt image %s: %.2f MiB, without the kernel %.2f MiB (budget 16 MiB)\n",
		filepath.Base(imgPath), mib(img.Size()), mib(img.Size()-kernel.Size()))
	fmt.Printf("firmware on the booted guest (-m 256): idle RSS %.1f MiB; all 4 ports in calls: RSS %.1f MiB (peak %.1f MiB), Go heap %.1f MiB, %d goroutines; guest MemAvailable %.0f of %.0f MiB\n",
		idle.rss/1024, busy.rss/1024, busy.hwm/1024, busy.heap/1024, int(busy.goroutines), busy.avail/1024, busy.total/1024)
	if img.Size()-kernel.Size() > 16<<20 {
		t.Errorf("the image without its kernel is over 16 MiB")
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

type memFigures struct {
	rss, hwm, heap, goroutines, avail, total float64
	next                                     int
}

var reMemory = regexp.MustCompile(`init: memory" rss_kib=(\d+) hwm_kib=(\d+) heap_kib=(\d+) go_sys_kib=\d+ goroutines=(\d+) mem_total_kib=(\d+) mem_available_kib=(\d+)`)

// memory reads the next memory line the firmware logs after from.
func memory(ctx context.Context, t *testing.T, c *qemu.Console, from int) memFigures {
	t.Helper()
	m, at, err := c.Expect(ctx, from, reMemory)
	if err != nil {
		t.Fatal(err)
	}
	f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v }
	return memFigures{rss: f(1), hwm: f(2), heap: f(3), goroutines: f(4), total: f(5), avail: f(6), next: at}
}
