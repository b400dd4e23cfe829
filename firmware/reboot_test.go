package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// term is the terminal of `make run`: what the program printed so far, and
// a pipe to type into.
type term struct {
	t    *testing.T
	mu   sync.Mutex
	out  bytes.Buffer
	keys *io.PipeWriter
}

func (tm *term) Write(b []byte) (int, error) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.Write(b)
}

func (tm *term) text() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// wait returns the first submatch of re once the output holds it.
func (tm *term) wait(ctx context.Context, re *regexp.Regexp) string {
	tm.t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if m := re.FindStringSubmatch(tm.text()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-ctx.Done():
			tm.t.Fatalf("never printed %v; output:\n%s", re, tm.text())
		case <-tick.C:
		}
	}
}

func (tm *term) typ(s string) {
	if _, err := io.WriteString(tm.keys, s); err != nil {
		tm.t.Fatal(err)
	}
}

// boot runs the program on a sim board with state under dir, and logs in
// at its console with the first-boot password it prints.
func boot(t *testing.T, ctx context.Context, dir string) (*term, <-chan error) {
	in, keys := io.Pipe()
	tm := &term{t: t, keys: keys}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-sip", "127.0.0.1:0", "-web", "127.0.0.1:0", "-web-http", "", "-state", dir, "-log-level", "warn"}, in, tm)
		in.Close()
	}()
	pw := tm.wait(ctx, regexp.MustCompile(`password of this box is\s+([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})`))
	tm.wait(ctx, regexp.MustCompile(`(login: )`))
	tm.typ("admin\r")
	tm.wait(ctx, regexp.MustCompile(`(password: )`))
	tm.typ(pw + "\r")
	tm.wait(ctx, regexp.MustCompile(`(OpenIAD> )`))
	return tm, done
}

func TestRebootFromTheConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tm, done := boot(t, ctx, t.TempDir())
	tm.typ("reboot\r")
	select {
	case err := <-done:
		if !errors.Is(err, errReboot) {
			t.Fatalf("run returned %v, want the reboot request", err)
		}
	case <-ctx.Done():
		t.Fatalf("the box did not shut down for the reboot; output:\n%s", tm.text())
	}
	if !strings.Contains(tm.text(), "rebooting") {
		t.Error("the console did not say it reboots")
	}
}

func TestFactoryResetFromTheConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	tm, done := boot(t, ctx, dir)
	tm.typ("config set device.name \"Corner Shop\"\r")
	tm.wait(ctx, regexp.MustCompile(`(OpenIAD\*> )`))
	tm.typ("config save\r")
	tm.wait(ctx, regexp.MustCompile(`(Corner Shop> )`))
	tm.typ("factory-reset\r")
	tm.wait(ctx, regexp.MustCompile(`(Type yes to erase everything: )`))
	tm.typ("yes\r")
	if err := <-done; !errors.Is(err, errReboot) {
		t.Fatalf("run returned %v, want the reboot that follows a factory reset", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "users", "users.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the accounts survived the factory reset (%v): the next boot would not make a new password", err)
	}
	s, err := config.Open(config.OSFS{}, filepath.Join(dir, "config"), config.Default(4), nil)
	if err != nil {
		t.Fatal(err)
	}
	if name := s.Get().Device.Name; name != config.Default(4).Device.Name {
		t.Errorf("device name %q after factory reset", name)
	}
}
