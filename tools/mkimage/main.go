// Command mkimage builds a signed firmware image for a board: the static
// ARM firmware as /init in a gzip'd newc cpio initramfs with the board's
// kernel modules (and their dependencies, in load order), the board's
// kernel, and a manifest signed with minisign (firmware/update/image).
//
//	mkimage -board qemu-virt -version 1.2.3 -init out/qemu-virt/init \
//	    -kernel out/kernel/armmp -key out/keys/openiad.key -out out/qemu-virt
//
// writes out/qemu-virt/openiad-qemu-virt-1.2.3.img, and beside it the
// unpacked parts for booting without a bootloader (vmlinuz,
// initramfs.cpio.gz). -kernel names a folder with vmlinuz and modules/
// (a kernel's lib/modules/<release>), as tools/mkimage/kernel.sh leaves it.
// The image without its kernel must fit the budget (-budget, 16 MiB).
// `make image BOARD=qemu-virt` runs it.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	qemuvirt "github.com/openiad/openiad/boards/qemu-virt"
	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/firmware/version"
)

// boardModules are the kernel modules each board's image carries.
var boardModules = map[string][]string{
	qemuvirt.Name: qemuvirt.Platform.Modules,
}

var errUsage = errors.New("mkimage: usage")

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	board := fs.String("board", qemuvirt.Name, "board the image is for")
	ver := fs.String("version", "", "image version, MAJOR.MINOR.PATCH")
	initPath := fs.String("init", "", "the static firmware binary for the board (becomes /init)")
	kernel := fs.String("kernel", "", "folder with the board's kernel: vmlinuz and modules/")
	key := fs.String("key", "out/keys/openiad.key", "minisign secret key that signs the manifest")
	passEnv := fs.String("password-env", "", "environment variable holding the key's password, when it is encrypted")
	outDir := fs.String("out", "", "output folder (default out/<board>)")
	budget := fs.Int64("budget", 16<<20, "most bytes the image may have without its kernel")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mods, ok := boardModules[*board]
	if !ok {
		return fmt.Errorf("%w: unknown board %q", errUsage, *board)
	}
	if _, err := version.Parse(*ver); err != nil {
		return fmt.Errorf("mkimage: -version: %w", err)
	}
	if *initPath == "" || *kernel == "" {
		return fmt.Errorf("%w: -init and -kernel are required", errUsage)
	}
	if *outDir == "" {
		*outDir = filepath.Join("out", *board)
	}
	built := time.Now()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("mkimage: SOURCE_DATE_EPOCH: %w", err)
		}
		built = time.Unix(n, 0)
	}
	password := ""
	if *passEnv != "" {
		password = os.Getenv(*passEnv)
	}
	sk, err := image.LoadPrivateKey(*key, password)
	if err != nil {
		return fmt.Errorf("mkimage: %w (make one with `go run ./tools/iadsign keygen`)", err)
	}

	initramfs, nmods, err := buildInitramfs(*initPath, filepath.Join(*kernel, "modules"), mods, built.Unix())
	if err != nil {
		return err
	}
	vmlinuz := filepath.Join(*kernel, "vmlinuz")
	kst, err := os.Stat(vmlinuz)
	if err != nil {
		return fmt.Errorf("mkimage: kernel: %w", err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	name := fmt.Sprintf("openiad-%s-%s.img", *board, *ver)
	imgPath := filepath.Join(*outDir, name)
	tmp := imgPath + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	m, err := image.Write(f, image.Header{Board: *board, Version: *ver, Built: built},
		image.KeySigner(sk, fmt.Sprintf("openiad %s %s", *board, *ver)),
		image.FileSource("kernel", vmlinuz), image.BytesSource("initramfs", initramfs))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("mkimage: %w", err)
	}
	if err := os.Rename(tmp, imgPath); err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	ist, err := os.Stat(imgPath)
	if err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	// The parts, unpacked, for a boot without a bootloader (make qemu).
	if err := copyFile(vmlinuz, filepath.Join(*outDir, "vmlinuz")); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*outDir, "initramfs.cpio.gz"), initramfs, 0o644); err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	without := ist.Size() - kst.Size()
	fmt.Fprintf(out, "%s: board %s, version %s, %d modules\n", imgPath, m.Board, m.Version, nmods)
	fmt.Fprintf(out, "  image %s, kernel %s, initramfs %s; without the kernel %s (budget %s)\n",
		mib(ist.Size()), mib(kst.Size()), mib(int64(len(initramfs))), mib(without), mib(*budget))
	if without > *budget {
		return fmt.Errorf("mkimage: the image without its kernel is %s, over the budget of %s", mib(without), mib(*budget))
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// buildInitramfs makes the gzip'd cpio: /init, the modules and their load
// order, and the empty folders PID 1 mounts on.
func buildInitramfs(initPath, modRoot string, want []string, mtime int64) ([]byte, int, error) {
	fw, err := os.ReadFile(initPath)
	if err != nil {
		return nil, 0, fmt.Errorf("mkimage: firmware: %w", err)
	}
	mods, err := resolveModules(modRoot, want)
	if err != nil {
		return nil, 0, err
	}
	modEntries, order, err := readModules(mods)
	if err != nil {
		return nil, 0, err
	}
	entries := []cpioEntry{
		{Name: "init", Mode: modeFile | 0o755, Data: fw},
		{Name: "dev/console", Mode: modeChr | 0o600, Major: 5, Minor: 1},
		{Name: "lib/modules/order", Mode: modeFile | 0o644, Data: []byte(order)},
		{Name: "etc/hosts", Mode: modeFile | 0o644, Data: []byte("127.0.0.1\tlocalhost\n::1\tlocalhost\n")},
	}
	for _, d := range []string{"proc", "sys", "dev", "tmp", "run", "data", "bin", "etc"} {
		entries = append(entries, cpioEntry{Name: d, Mode: modeDir | 0o755})
	}
	entries = append(entries, modEntries...)
	var cpio bytes.Buffer
	if err := writeCpio(&cpio, withParents(entries), mtime); err != nil {
		return nil, 0, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, 0, err
	}
	zw.ModTime = time.Unix(mtime, 0)
	if _, err := zw.Write(cpio.Bytes()); err != nil {
		return nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	return gz.Bytes(), len(mods), nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return fmt.Errorf("mkimage: %w", err)
	}
	return nil
}
