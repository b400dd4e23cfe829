// Package qemu boots the firmware image of board qemu-virt in
// qemu-system-arm (-M virt) for the tests and for `make qemu`: user
// networking with port forwards from 127.0.0.1 to the guest's web page,
// SIP and sim lines, a persistent /data disk (ext4, made with mke2fs when
// missing), and the serial console (the guest's ttyAMA0) on a pty that a
// test reads and types into (Console), or on the terminal.
//
// It also builds images for tests (Build): the ARM firmware, the kernel
// fetched by tools/mkimage/kernel.sh, and tools/mkimage.
//
// A VM is used by one test goroutine; Console's methods may be called from
// any goroutine.
package qemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

var (
	errQEMU = errors.New("qemu")
)

// Forward is one port forward from the host to the guest.
type Forward struct {
	Name      string // "web", "sip", "lines": how tests find it
	Proto     string // "tcp" or "udp"
	HostPort  int    // on 127.0.0.1; 0 picks a free port
	GuestPort int
}

// Options say what to boot.
type Options struct {
	Kernel string // vmlinuz
	Initrd string // initramfs.cpio.gz
	Data   string // the /data disk image; made (ext4, DataSize) when missing
	// DataSize is the size of a new data disk (default 64 MiB).
	DataSize int64
	// DataSeed, when set, is a folder whose contents a new data disk starts
	// with (mke2fs -d), e.g. openiad/trusted.pub.
	DataSeed string
	Memory   int // MiB, default 256
	Forwards []Forward
	// Terminal puts the console on this process's terminal (make qemu)
	// instead of a pty.
	Terminal bool
	Append   string // extra kernel command line
	// SlotDisk is the A/B slot disk (firmware/update's OpenDisk layout),
	// the guest's /dev/vdb; "" for none. With it Start is the board's
	// bootloader (see Boot): it chooses the slot, and boots the slot's
	// kernel and initramfs, or Kernel and Initrd (the factory firmware)
	// for a slot that holds no installed image.
	SlotDisk string
	// FactoryVersion is the version of Kernel/Initrd (for a blank SlotDisk).
	FactoryVersion string
	// Board is the board name on the slot disk (default "qemu-virt").
	Board string
	// Reboot lets a guest reboot restart the machine (make qemu); by
	// default QEMU exits instead (-no-reboot), so a test sees the reboot
	// and boots again.
	Reboot bool
	// Log receives QEMU's own messages and, with a pty, the console output.
	Log io.Writer
}

// VM is a running guest.
type VM struct {
	cmd      *exec.Cmd
	fwd      map[string]Forward
	Console  *Console // nil with Options.Terminal
	done     chan struct{}
	waitErr  error
	qemuOut  *syncBuffer
	Started  time.Time
	dataPath string
}

// DefaultForwards are the guest ports a test usually wants.
func DefaultForwards() []Forward {
	return []Forward{
		{Name: "web", Proto: "tcp", GuestPort: 443},
		{Name: "http", Proto: "tcp", GuestPort: 80},
		{Name: "lines", Proto: "tcp", GuestPort: 7070},
		{Name: "sip", Proto: "udp", GuestPort: 5060},
	}
}

// Start boots the guest. ctx bounds the start only; Close stops it.
func Start(ctx context.Context, o Options) (*VM, error) {
	if _, err := exec.LookPath("qemu-system-arm"); err != nil {
		return nil, fmt.Errorf("%w: qemu-system-arm not installed (apt-get install qemu-system-arm): %w", errQEMU, err)
	}
	if o.Memory == 0 {
		o.Memory = 256
	}
	if o.DataSize == 0 {
		o.DataSize = 64 << 20
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Data != "" {
		if err := MakeDataDisk(ctx, o.Data, o.DataSize, o.DataSeed); err != nil {
			return nil, err
		}
	}
	var slotArgs []string
	if o.SlotDisk != "" {
		b, err := Boot(o.SlotDisk, o.Board, o.FactoryVersion, filepath.Dir(o.SlotDisk))
		if err != nil {
			return nil, err
		}
		if b.Kernel != "" {
			o.Kernel, o.Initrd = b.Kernel, b.Initrd
		}
		o.Append = strings.TrimSpace(o.Append + " openiad.slot=" + b.Slot.String())
		slotArgs = []string{"-drive", "file=" + o.SlotDisk + ",format=raw,if=none,id=d1", "-device", "virtio-blk-device,drive=d1"}
	}
	vm := &VM{fwd: map[string]Forward{}, done: make(chan struct{}), qemuOut: &syncBuffer{}, dataPath: o.Data}
	var hostfwd []string
	for _, f := range o.Forwards {
		if f.HostPort == 0 {
			p, err := freePort(f.Proto)
			if err != nil {
				return nil, err
			}
			f.HostPort = p
		}
		vm.fwd[f.Name] = f
		hostfwd = append(hostfwd, fmt.Sprintf("hostfwd=%s:127.0.0.1:%d-:%d", f.Proto, f.HostPort, f.GuestPort))
	}
	netdev := "user,id=n0"
	if len(hostfwd) > 0 {
		netdev += "," + strings.Join(hostfwd, ",")
	}
	args := []string{"-M", "virt", "-m", strconv.Itoa(o.Memory), "-nographic",
		"-kernel", o.Kernel, "-initrd", o.Initrd,
		"-append", strings.TrimSpace("console=ttyAMA0 panic=-1 quiet " + o.Append),
		"-netdev", netdev, "-device", "virtio-net-device,netdev=n0",
		"-monitor", "none",
	}
	if !o.Reboot {
		args = append(args, "-no-reboot")
	}
	// The kernel numbers virtio-mmio disks from the last one QEMU was
	// given: the slot disk goes first so /data stays /dev/vda and the
	// slots are /dev/vdb.
	args = append(args, slotArgs...)
	if o.Data != "" {
		args = append(args, "-drive", "file="+o.Data+",format=raw,if=none,id=d0", "-device", "virtio-blk-device,drive=d0")
	}
	if o.Terminal {
		args = append(args, "-serial", "mon:stdio")
	} else {
		args = append(args, "-serial", "pty")
	}
	cmd := exec.Command("qemu-system-arm", args...)
	if o.Terminal {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("%w: %w", errQEMU, err)
		}
		vm.cmd, vm.Started = cmd, time.Now()
		go vm.wait()
		return vm, nil
	}
	setpgid(cmd)
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(pw, vm.qemuOut, o.Log)
	cmd.Stderr = io.MultiWriter(vm.qemuOut, o.Log)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", errQEMU, err)
	}
	vm.cmd, vm.Started = cmd, time.Now()
	go vm.wait()
	go func() { <-vm.done; pw.Close() }()
	// QEMU says where the pty is: "char device redirected to /dev/pts/3 (label serial0)".
	ptyc := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`redirected to (/dev/pts/\d+)`)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				ptyc <- m[1]
				sent = true
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case p := <-ptyc:
		c, err := openConsole(p, o.Log)
		if err != nil {
			vm.Close()
			return nil, err
		}
		vm.Console = c
	case <-vm.done:
		return nil, fmt.Errorf("%w: exited at start: %v: %s", errQEMU, vm.waitErr, vm.qemuOut.String())
	case <-ctx.Done():
		vm.Close()
		return nil, fmt.Errorf("%w: no console pty: %w", errQEMU, ctx.Err())
	}
	return vm, nil
}

func (vm *VM) wait() {
	vm.waitErr = vm.cmd.Wait()
	close(vm.done)
}

// Done is closed when QEMU has exited (the guest powered off or rebooted:
// QEMU runs with -no-reboot).
func (vm *VM) Done() <-chan struct{} { return vm.done }

// Addr is where the host reaches the forward called name.
func (vm *VM) Addr(name string) string {
	f, ok := vm.fwd[name]
	if !ok {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(f.HostPort))
}

// Forwards returns the forwards in effect (host ports filled in), to boot
// the guest again on the same ports.
func (vm *VM) Forwards() []Forward {
	var out []Forward
	for _, f := range vm.fwd {
		out = append(out, f)
	}
	return out
}

// Wait waits for QEMU to exit, at most until ctx ends.
func (vm *VM) Wait(ctx context.Context) error {
	select {
	case <-vm.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: still running: %w", errQEMU, ctx.Err())
	}
}

// Close stops QEMU (if still running) and the console.
func (vm *VM) Close() error {
	select {
	case <-vm.done:
	default:
		killGroup(vm.cmd)
		<-vm.done
	}
	if vm.Console != nil {
		vm.Console.close()
	}
	return nil
}

// MakeDataDisk makes an ext4 disk image at path unless one exists: empty,
// or holding the contents of the folder seed.
func MakeDataDisk(ctx context.Context, path string, size int64, seed string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	mkfs, err := exec.LookPath("mke2fs")
	if err != nil {
		if mkfs, err = exec.LookPath("/usr/sbin/mke2fs"); err != nil {
			return fmt.Errorf("%w: mke2fs (e2fsprogs) not installed: %w", errQEMU, err)
		}
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("%w: data disk: %w", errQEMU, err)
	}
	err = f.Truncate(size)
	f.Close()
	if err != nil {
		return fmt.Errorf("%w: data disk: %w", errQEMU, err)
	}
	args := []string{"-q", "-F", "-t", "ext4", "-L", "data"}
	if seed != "" {
		args = append(args, "-d", seed)
	}
	out, err := exec.CommandContext(ctx, mkfs, append(args, tmp)...).CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: mke2fs: %w: %s", errQEMU, err, out)
	}
	return os.Rename(tmp, path)
}

func freePort(proto string) (int, error) {
	if proto == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("%w: %w", errQEMU, err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errQEMU, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Console is the guest's serial console on a pty.
type Console struct {
	f    *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{} // closed and replaced when output arrives
	done chan struct{}
}

func openConsole(path string, log io.Writer) (*Console, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: console %s: %w", errQEMU, path, err)
	}
	if err := makeRaw(int(f.Fd())); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: console %s: %w", errQEMU, path, err)
	}
	c := &Console{f: f, more: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			if n > 0 {
				log.Write(b[:n])
				c.mu.Lock()
				c.buf.Write(b[:n])
				close(c.more)
				c.more = make(chan struct{})
				c.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

func (c *Console) close() {
	c.f.Close()
}

// Output returns everything the console printed so far.
func (c *Console) Output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// Mark returns the current length of the output, for Expect's from.
func (c *Console) Mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Len()
}

// Expect waits until the output after offset from matches re, and returns
// the match's submatches and the offset just after the match.
func (c *Console) Expect(ctx context.Context, from int, re *regexp.Regexp) ([]string, int, error) {
	for {
		c.mu.Lock()
		out := c.buf.Bytes()
		if from > len(out) {
			from = len(out)
		}
		loc := re.FindSubmatchIndex(out[from:])
		more := c.more
		var m []string
		if loc != nil {
			for i := 0; i < len(loc); i += 2 {
				if loc[i] >= 0 {
					m = append(m, string(out[from+loc[i]:from+loc[i+1]]))
				} else {
					m = append(m, "")
				}
			}
		}
		tail := string(out[max(from, len(out)-400):])
		c.mu.Unlock()
		if loc != nil {
			return m, from + loc[1], nil
		}
		select {
		case <-more:
		case <-c.done:
			return nil, from, fmt.Errorf("%w: console closed while waiting for %q; last output:\n%s", errQEMU, re, tail)
		case <-ctx.Done():
			return nil, from, fmt.Errorf("%w: waiting for %q: %w; last output:\n%s", errQEMU, re, ctx.Err(), tail)
		}
	}
}

// Type sends s to the console as typed keys (a line ends with "\r").
func (c *Console) Type(s string) error {
	_, err := io.WriteString(c.f, s)
	if err != nil {
		return fmt.Errorf("%w: console: %w", errQEMU, err)
	}
	return nil
}

// Build builds a signed image into dir with tools/mkimage: the ARM
// firmware (ldflags adds -X settings, e.g. to make its health check fail),
// the kernel from tools/mkimage/kernel.sh (cached in <root>/out/kernel),
// the key (made with tools/iadsign when missing). root is the repository.
// It returns the image's path; dir also gets vmlinuz and initramfs.cpio.gz.
func Build(ctx context.Context, root, dir, board, version, key, ldflags string) (string, error) {
	kernel, err := Kernel(ctx, root)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(key); err != nil {
		if out, err := runIn(ctx, root, nil, "go", "run", "./tools/iadsign", "keygen", "-dir", filepath.Dir(key),
			"-name", strings.TrimSuffix(filepath.Base(key), ".key")); err != nil {
			return "", fmt.Errorf("%w: keygen: %w: %s", errQEMU, err, out)
		}
	}
	initPath := filepath.Join(dir, "init")
	ld := fmt.Sprintf("-s -w -X main.version=%s -X github.com/openiad/openiad/firmware/version.Version=%s %s", version, version, ldflags)
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm", "GOARM=7"}
	if out, err := runIn(ctx, root, env, "go", "build", "-trimpath", "-ldflags", ld, "-o", initPath, "./firmware"); err != nil {
		return "", fmt.Errorf("%w: firmware: %w: %s", errQEMU, err, out)
	}
	if out, err := runIn(ctx, root, nil, "go", "run", "./tools/mkimage", "-board", board, "-version", version,
		"-init", initPath, "-kernel", kernel, "-key", key, "-out", dir); err != nil {
		return "", fmt.Errorf("%w: mkimage: %w: %s", errQEMU, err, out)
	}
	return filepath.Join(dir, fmt.Sprintf("openiad-%s-%s.img", board, version)), nil
}

// Kernel fetches the qemu-virt kernel (Debian's armhf armmp package) into
// <root>/out/kernel/armmp unless it is there, and returns that folder. It
// needs apt (root or sudo) the first time.
func Kernel(ctx context.Context, root string) (string, error) {
	kernel := filepath.Join(root, "out", "kernel", "armmp")
	if out, err := runIn(ctx, root, nil, filepath.Join(root, "tools", "mkimage", "kernel.sh"), kernel); err != nil {
		return "", fmt.Errorf("%w: the qemu-virt kernel: %w: %s (tools/mkimage/kernel.sh fetches it with apt-get download)", errQEMU, err, out)
	}
	return kernel, nil
}

func runIn(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreeUDPRange finds n consecutive UDP ports free on 127.0.0.1 (for RTP
// forwards that keep their numbers), starting at an even port.
func FreeUDPRange(n int) (int, error) {
	for try := 0; try < 50; try++ {
		p, err := freePort("udp")
		if err != nil {
			return 0, err
		}
		base := p &^ 1
		if base+n > 65535 {
			continue
		}
		ok := true
		var held []net.PacketConn
		for i := 0; i < n && ok; i++ {
			c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("%w: no %d consecutive free UDP ports", errQEMU, n)
}
