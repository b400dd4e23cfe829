package qemu_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/qemu"
)

// root is the repository, two folders up from this package.
func root(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var (
	buildOnce sync.Once
	built     string // folder with the image of version baseVersion
	buildErr  error
	keyPath   string
)

const baseVersion = "1.0.0"

// image builds the qemu-virt image once for the package's tests.
func image(t *testing.T) string {
	t.Helper()
	peers.Need(t, "qemu-system-arm", "dpkg-deb", "apt-get")
	kctx, kcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	_, err := qemu.Kernel(kctx, root(t))
	kcancel()
	peers.Require(t, err)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "openiad-qemu-")
		if err != nil {
			buildErr = err
			return
		}
		keyPath = filepath.Join(dir, "keys", "test.key")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, buildErr = qemu.Build(ctx, root(t), dir, "qemu-virt", baseVersion, keyPath, "")
		built = dir
	})
	if buildErr != nil {
		t.Fatalf("building the image: %v", buildErr)
	}
	return built
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		os.RemoveAll(built)
	}
	os.Exit(code)
}

// boot starts the image with a fresh data disk and the default forwards.
func boot(t *testing.T, dir string, log io.Writer) *qemu.VM {
	t.Helper()
	return bootWith(t, dir, filepath.Join(t.TempDir(), "data.img"), qemu.DefaultForwards(), log)
}

// bootWith starts the image with the data disk and forwards given.
func bootWith(t *testing.T, dir, data string, fwd []qemu.Forward, log io.Writer) *qemu.VM {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	vm, err := qemu.Start(ctx, qemu.Options{
		Kernel:   filepath.Join(dir, "vmlinuz"),
		Initrd:   filepath.Join(dir, "initramfs.cpio.gz"),
		Data:     data,
		Forwards: fwd,
		Log:      log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vm.Close() })
	return vm
}

// testLog collects the console for the failure message.
type testLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var (
	rePassword = regexp.MustCompile(`administrator password of this box is\s+([a-z0-9-]+)\r?\n`) // the newline: not a password cut in two by the serial line
	reLogin    = regexp.MustCompile(`login: `)
	rePrompt   = regexp.MustCompile(`> `)
)

// login logs in on the serial console with the first-boot password the
// console showed, and returns the offset after the prompt and the password.
func login(ctx context.Context, t *testing.T, c *qemu.Console) (int, string) {
	t.Helper()
	m, at, err := c.Expect(ctx, 0, rePassword)
	if err != nil {
		t.Fatal(err)
	}
	pw := m[1]
	return loginWith(ctx, t, c, at, pw), pw
}

// loginWith logs in as admin with password pw at the next login prompt.
func loginWith(ctx context.Context, t *testing.T, c *qemu.Console, at int, pw string) int {
	t.Helper()
	var err error
	if _, at, err = c.Expect(ctx, at, reLogin); err != nil {
		t.Fatal(err)
	}
	c.Type("admin\r")
	if _, at, err = c.Expect(ctx, at, regexp.MustCompile(`password: `)); err != nil {
		t.Fatal(err)
	}
	c.Type(pw + "\r")
	if _, at, err = c.Expect(ctx, at, regexp.MustCompile(`Welcome, admin`)); err != nil {
		t.Fatal(err)
	}
	if _, at, err = c.Expect(ctx, at, rePrompt); err != nil {
		t.Fatal(err)
	}
	return at
}

// TestBoot boots the image: the web page answers through the port forward
// and a login on the serial console shows status.
func TestBoot(t *testing.T) {
	dir := image(t)
	log := &testLog{}
	vm := boot(t, dir, log)
	defer func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("console:\n%s", log.String())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// The web page, through hostfwd to the guest's :443.
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the box's per-device certificate
	}}
	url := "https://" + vm.Addr("web") + "/"
	var page string
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for page == "" {
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		res, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusSeeOther || res.StatusCode == http.StatusFound {
				page = fmt.Sprintf("%s %s", res.Status, b)
				break
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the web page did not answer at %s: %v", url, err)
		case <-vm.Done():
			t.Fatalf("QEMU exited before the web page answered")
		case <-tick.C:
		}
	}
	webUp := time.Since(vm.Started)
	if !strings.Contains(page, "OpenIAD") {
		t.Errorf("the web page does not name OpenIAD: %.300s", page)
	}

	ready(ctx, t, vm.Console, 0)
	at, _ := login(ctx, t, vm.Console)
	vm.Console.Type("status\r")
	m, _, err := vm.Console.Expect(ctx, at, regexp.MustCompile(`(?s)firmware (\S+)\s+board (\S+).*?> `))
	if err != nil {
		t.Fatal(err)
	}
	if m[1] != baseVersion || m[2] != "qemu-virt" {
		t.Errorf("status says firmware %s on board %s, want %s on qemu-virt:\n%s", m[1], m[2], baseVersion, m[0])
	}
	t.Logf("boot: web page answered %v after QEMU started", webUp.Round(10*time.Millisecond))
}

// The reboot through the console shuts the guest down cleanly (QEMU runs
// with -no-reboot, so it exits); the next boot from the same /data disk
// keeps the accounts: no new first-boot password, and the old one logs in.
func TestRebootKeepsData(t *testing.T) {
	dir := image(t)
	log := &testLog{}
	defer func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("console:\n%s", log.String())
		}
	}()
	data := filepath.Join(t.TempDir(), "data.img")
	vm := bootWith(t, dir, data, nil, log)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, _, err := vm.Console.Expect(ctx, 0, regexp.MustCompile(`data="ext4 on /dev/vda"`)); err != nil {
		t.Fatalf("/data is not the ext4 disk: %v", err)
	}
	// Log in once the firmware is fully up (see ready).
	ready(ctx, t, vm.Console, 0)
	at, pw := login(ctx, t, vm.Console)
	vm.Console.Type("reboot\r")
	if _, _, err := vm.Console.Expect(ctx, at, regexp.MustCompile(`rebooting`)); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("the guest did not reboot: %v", err)
	}
	vm.Close()

	vm = bootWith(t, dir, data, nil, log)
	at = loginWith(ctx, t, vm.Console, ready(ctx, t, vm.Console, 0), pw)
	if out := vm.Console.Output(); rePassword.MatchString(out) {
		t.Error("the second boot made a new first-boot password: /data did not keep the accounts")
	}
	vm.Console.Type("status\r")
	if _, _, err := vm.Console.Expect(ctx, at, regexp.MustCompile(`board qemu-virt`)); err != nil {
		t.Fatal(err)
	}
}

// ready waits until the firmware has started everything (the web page is
// the last to come up and says so on the console). A login typed while
// start-up messages are still arriving has been seen to fail (the password
// typed while "web page: ..." was printed over the prompt): the test logs
// in after them, as a technician at the console would.
func ready(ctx context.Context, t *testing.T, c *qemu.Console, from int) int {
	t.Helper()
	_, at, err := c.Expect(ctx, from, regexp.MustCompile(`web page: https://`))
	if err != nil {
		t.Fatal(err)
	}
	return at
}
