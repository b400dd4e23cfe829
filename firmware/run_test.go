package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/signal"
)

// The program as `make run` starts it: the sim board serving its lines on
// a TCP socket, two phones plugged in over TCP, a call in real time.
func TestRunServesPhonesOverTCP(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-sip", "127.0.0.1:0", "-web", "127.0.0.1:0", "-web-http", "", "-state", t.TempDir(), "-log-level", "warn"}, strings.NewReader(""), pw)
		pw.Close()
	}()
	out := bufio.NewScanner(pr)
	attach := regexp.MustCompile(`-addr (127\.0\.0\.1:\d+) -port 1`)
	var addr string
	var banner []string
	for addr == "" && out.Scan() {
		banner = append(banner, out.Text())
		if m := attach.FindStringSubmatch(out.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		cancel()
		t.Fatalf("run never said where to attach phones (run: %v); it printed:\n%s", <-done, strings.Join(banner, "\n"))
	}
	go io.Copy(io.Discard, pr)
	for _, want := range []string{"board sim is up with 4 FXS ports", "FXS 1: extension 201", "FXS 2: extension 202"} {
		if !strings.Contains(strings.Join(banner, "\n"), want) {
			t.Errorf("banner lacks %q", want)
		}
	}

	dial := func(port int) *phone.Phone {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		p, err := phone.Attach(c, port)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	p1, p2 := dial(1), dial(2)
	if err := p1.OffHook(); err != nil {
		t.Fatal(err)
	}
	p1.Record(200 * time.Millisecond)
	// This test is about the socket path in real time. On a loaded machine
	// real time loses frames, which lowers levels; exact levels and
	// cadences are checked in virtual time by testrig/scenario.
	if f, l := signal.Dominant(p1.Record(500 * time.Millisecond)); f < 445 || f > 455 || l < -20 || l > -9 {
		t.Fatalf("off-hook on FXS 1: heard %.0f Hz at %.1f dBm0, want the 450 Hz dial tone at -10", f, l)
	}
	if err := p1.Dial("202"); err != nil {
		t.Fatal(err)
	}
	if err := p2.WaitRing(ctx); err != nil {
		t.Fatalf("FXS 2 never rang: %v", err)
	}
	if err := p2.OffHook(); err != nil {
		t.Fatal(err)
	}
	p1.Play(1004, -10)
	p2.Record(300 * time.Millisecond)
	if f, got := signal.Dominant(p2.Record(500 * time.Millisecond)); f < 999 || f > 1009 || got < -20 || got > -9 {
		t.Fatalf("phone 2 hears %.0f Hz at %.1f dBm0; phone 1 sends 1004 Hz at -10", f, got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
