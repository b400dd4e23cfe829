package watchdog

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakeDog is a hardware watchdog that resets "the box" when not petted
// within its timeout.
type fakeDog struct {
	timeout time.Duration
	last    atomic.Int64 // unix nanos of the last pet
	pets    atomic.Int64
}

func (d *fakeDog) Pet() error {
	d.pets.Add(1)
	d.last.Store(time.Now().UnixNano())
	return nil
}
func (d *fakeDog) Timeout() time.Duration { return d.timeout }

// fired reports whether the watchdog would have reset the box by now.
func (d *fakeDog) fired() bool {
	return time.Since(time.Unix(0, d.last.Load())) > d.timeout
}

// engine ticks every 10 ms until stop is closed, like the media loop.
func engine(ticks *atomic.Uint64, stop <-chan struct{}) {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ticks.Add(1)
		}
	}
}

func TestHealthyPartsKeepTheBoxUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dog := &fakeDog{timeout: 15 * time.Second}
		s := New(dog, nil)
		var ticks atomic.Uint64
		stop := make(chan struct{})
		go engine(&ticks, stop)
		s.Counter("media engine", 2*time.Second, ticks.Load)
		calls := s.Beat("call control", 5*time.Second)
		go func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					calls.Tick()
				}
			}
		}()
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		elapse(10 * time.Minute)
		synctest.Wait()
		if dog.fired() {
			t.Fatal("the watchdog reset a box whose parts are all alive")
		}
		// Petted every third of the timeout: 10 min / 5 s, plus the first.
		if got := dog.pets.Load(); got < 120 {
			t.Errorf("%d pets in 10 minutes with a 15 s watchdog, want about 121", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
		close(stop)
	})
}

func TestStalledEngineStopsThePetting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dog := &fakeDog{timeout: 15 * time.Second}
		s := New(dog, nil)
		var ticks atomic.Uint64
		stop := make(chan struct{})
		go engine(&ticks, stop)
		s.Counter("media engine", 2*time.Second, ticks.Load)
		done := make(chan error, 1)
		go func() { done <- s.Run(t.Context()) }()
		elapse(time.Minute)
		synctest.Wait()
		if dog.fired() || s.Stalled() != "" {
			t.Fatalf("reset before the stall (stalled %q)", s.Stalled())
		}
		close(stop) // the media loop hangs
		err := <-done
		if !IsStalled(err) || s.Stalled() != "media engine" {
			t.Fatalf("Run = %v, Stalled = %q; want the media engine named", err, s.Stalled())
		}
		pets := dog.pets.Load()
		elapse(dog.timeout + time.Second)
		if dog.pets.Load() != pets {
			t.Error("petted after the stall")
		}
		if !dog.fired() {
			t.Error("the watchdog did not reset the box after the engine stalled")
		}
	})
}

func TestSilentBeatStopsThePetting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dog := &fakeDog{timeout: 9 * time.Second}
		s := New(dog, nil)
		b := s.Beat("call control", 4*time.Second)
		b.Tick()
		start := time.Now()
		err := s.Run(t.Context())
		if !IsStalled(err) || s.Stalled() != "call control" {
			t.Fatalf("Run = %v, Stalled = %q", err, s.Stalled())
		}
		// Detected at the first check at or after the stall limit: checks
		// come every 3 s (a third of 9 s).
		if d := time.Since(start); d < 4*time.Second || d > 6*time.Second {
			t.Errorf("stall noticed after %v, want between 4 s and 6 s", d)
		}
	})
}

// elapse lets virtual time pass inside the synctest bubble.
func elapse(d time.Duration) { <-time.After(d) }
