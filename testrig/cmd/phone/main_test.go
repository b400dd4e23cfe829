package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/phone"
)

// syncBuf is a goroutine-safe output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// echo runs an engine that sends each slot back on itself: the phone
// hears its own microphone.
func echo(hw hal.Highway) {
	rx, tx := make([]hal.Frame, hw.Slots()), make([]hal.Frame, hw.Slots())
	for hw.Exchange(rx, tx) == nil {
		copy(tx, rx)
	}
}

// TestSession drives the command loop as a person would.
func TestSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := sim.New(sim.Options{FXS: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		go echo(b.Highway())
		if err := b.FXS()[0].SetFeed(hal.FeedReverse); err != nil {
			t.Fatal(err)
		}
		c, err := b.Attach(1)
		if err != nil {
			t.Fatal(err)
		}
		p, err := phone.Attach(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		script := strings.Join([]string{
			"help",
			"off",
			"tone 1004 -10",
			"listen 0.1", // the echo's latency
			"listen 0.5",
			"quiet",
			"listen 0.1",
			"listen 0.2",
			"status",
			"flash 200",
			"dial 12",
			"rings",
			"tone",
			"tone abc",
			"bogus",
			"quit",
			"status", // never reached
		}, "\n")
		var out syncBuf
		if err := session(context.Background(), p, strings.NewReader(script), &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{
			"phone on port 1",
			"dial DIGITS",            // help
			"off-hook",               // off
			"playing 1004 Hz at -10", // tone
			"heard 1004 Hz at -10.0 dBm0, continuous",
			"silence",
			"port 1: off-hook, feed active, polarity reversed, ringing false",
			"flash 200ms",
			"dialled 12",
			"no rings yet",
			"usage: tone FREQ",
			`"abc" is not a number`,
			`unknown command "bogus"`,
			"feed active, reversed polarity", // event
		} {
			if !strings.Contains(got, want) {
				t.Errorf("output lacks %q:\n%s", want, got)
			}
		}
		if strings.Count(got, "port 1: ") != 1 {
			t.Errorf("commands after quit ran:\n%s", got)
		}
	})
}

// TestRun: the command dials the board's socket (real time, a few ticks).
func TestRun(t *testing.T) {
	b, err := sim.New(sim.Options{FXS: 1, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out syncBuf
	err = run(context.Background(), []string{"-addr", b.Addr().String(), "-port", "1"}, strings.NewReader("status\nquit\n"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "port 1: on-hook") {
		t.Errorf("output:\n%s", out.String())
	}
	err = run(context.Background(), []string{"-addr", b.Addr().String(), "-port", "7"}, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "no such port") {
		t.Errorf("port 7 on a 1-port board: %v", err)
	}
}
