package line

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/hal"
)

// fakeFXS is a port whose hook the test moves.
type fakeFXS struct {
	mu      sync.Mutex
	feed    hal.Feed
	hook    hal.Hook
	rings   int
	events  chan hal.LineEvent
	timeslt int
}

func newFake(slot int) *fakeFXS {
	return &fakeFXS{events: make(chan hal.LineEvent, 16), timeslt: slot}
}

func (f *fakeFXS) SetFeed(x hal.Feed) error { f.mu.Lock(); f.feed = x; f.mu.Unlock(); return nil }
func (f *fakeFXS) Feed() hal.Feed           { f.mu.Lock(); defer f.mu.Unlock(); return f.feed }
func (f *fakeFXS) Ring(c hal.Cadence) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.feed = hal.FeedRinging
	f.rings++
	return c.Validate()
}
func (f *fakeFXS) StopRing() error              { return f.SetFeed(hal.FeedForward) }
func (f *fakeFXS) Hook() hal.Hook               { f.mu.Lock(); defer f.mu.Unlock(); return f.hook }
func (f *fakeFXS) Events() <-chan hal.LineEvent { return f.events }
func (f *fakeFXS) Timeslot() int                { return f.timeslt }
func (f *fakeFXS) String() string               { return fmt.Sprintf("fake%d", f.timeslt) }

func (f *fakeFXS) set(h hal.Hook) {
	f.mu.Lock()
	f.hook = h
	ringing := f.feed == hal.FeedRinging
	if ringing && h == hal.OffHook {
		f.feed = hal.FeedForward
	}
	f.mu.Unlock()
	if ringing && h == hal.OffHook {
		f.events <- hal.LineEvent{Kind: hal.EvRingTrip, Hook: h, At: time.Now()}
	}
	f.events <- hal.LineEvent{Kind: hal.EvHook, Hook: h, At: time.Now()}
}

// fakeMedia records what the lines ask of the engine.
type fakeMedia struct {
	mu    sync.Mutex
	tones map[int]*tone.Spec
	peer  map[int]int
}

func (m *fakeMedia) PlayTone(ch int, s *tone.Spec) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tones[ch] = s
	return nil
}
func (m *fakeMedia) Connect(a, b int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.peer[a], m.peer[b] = b, a
	return nil
}
func (m *fakeMedia) Disconnect(ch int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.peer[ch]; ok {
		delete(m.peer, p)
	}
	delete(m.peer, ch)
	return nil
}
func (m *fakeMedia) DetectDTMF(int, bool) error { return nil }
func (m *fakeMedia) tone(ch int) *tone.Spec {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tones[ch]
}

type rig struct {
	sw      *Switch
	lines   []*Line
	fxs     []*fakeFXS
	media   *fakeMedia
	plan    *tone.Plan
	mu      sync.Mutex
	changes []Change
}

func newRig(t *testing.T, n int) *rig {
	plan, err := tone.Lookup("CN")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{media: &fakeMedia{tones: map[int]*tone.Spec{}, peer: map[int]int{}}, plan: plan}
	r.sw = NewSwitch(Settings{
		Plan:           plan,
		Ring:           hal.Cadence{Freq: 25e6, Voltage: 70e6, Pattern: plan.Ring.Pattern}, // 25 Hz, 70 V in periph units
		FirstDigit:     10 * time.Second,
		InterDigit:     5 * time.Second,
		OffHookWarning: 30 * time.Second,
		HowlerTimeout:  60 * time.Second,
		FlashMin:       100 * time.Millisecond,
		FlashMax:       800 * time.Millisecond,
	}, nil, func(c Change) { r.mu.Lock(); r.changes = append(r.changes, c); r.mu.Unlock() })
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for i := range n {
		f := newFake(i)
		l := r.sw.Add(i+1, i, f, r.media, fmt.Sprintf("20%d", i+1))
		r.fxs, r.lines = append(r.fxs, f), append(r.lines, l)
		wg.Add(1)
		go func() { defer wg.Done(); l.Run(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return r
}

func (r *rig) wait(d time.Duration) {
	if d > 0 {
		<-time.After(d)
	}
	synctest.Wait()
}

func (r *rig) dial(port int, digits string) {
	for _, d := range []byte(digits) {
		r.lines[port-1].Digit(d)
	}
	synctest.Wait()
}

func (r *rig) expect(t *testing.T, port int, want State) {
	t.Helper()
	if got := r.lines[port-1].State(); got != want {
		t.Fatalf("port %d is %s, want %s", port, got, want)
	}
}

// connect makes a call from port 1 to port 2 and answers it.
func (r *rig) connect(t *testing.T) {
	t.Helper()
	r.fxs[0].set(hal.OffHook)
	r.wait(0)
	r.expect(t, 1, DialTone)
	r.dial(1, "202")
	r.expect(t, 2, Alerting)
	r.expect(t, 1, Ringback)
	r.fxs[1].set(hal.OffHook)
	r.wait(0)
	r.expect(t, 1, Connected)
	r.expect(t, 2, Connected)
}

func TestFlashIsToldApartFromBounceAndHangUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 2)
		r.connect(t)
		cases := []struct {
			onHook time.Duration
			flash  bool
		}{
			{50 * time.Millisecond, false}, // shorter than FlashMin: a bounce
			{300 * time.Millisecond, true}, // a flash
			{790 * time.Millisecond, true}, // still a flash
			{100 * time.Millisecond, true}, // FlashMin itself counts
		}
		for _, c := range cases {
			r.mu.Lock()
			r.changes = nil
			r.mu.Unlock()
			r.fxs[0].set(hal.OnHook)
			r.wait(c.onHook)
			r.fxs[0].set(hal.OffHook)
			r.wait(0)
			r.expect(t, 1, Connected)
			r.expect(t, 2, Connected)
			flashed := false
			r.mu.Lock()
			for _, ch := range r.changes {
				flashed = flashed || ch.Why == "flash"
			}
			r.mu.Unlock()
			if flashed != c.flash {
				t.Errorf("on-hook for %v: flash=%v, want %v", c.onHook, flashed, c.flash)
			}
		}
		// A hang-up is recognised exactly when the flash window closes.
		r.fxs[0].set(hal.OnHook)
		r.wait(799 * time.Millisecond)
		r.expect(t, 1, Connected)
		r.wait(time.Millisecond)
		r.expect(t, 1, Idle)
		r.expect(t, 2, Signalling)
		if r.media.tone(1) != &r.plan.Busy {
			t.Fatal("the far end does not hear busy tone after the hang-up")
		}
	})
}

func TestOffHookTimeouts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 1)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		if r.media.tone(0) != &r.plan.Dial {
			t.Fatal("no dial tone")
		}
		steps := []struct {
			after time.Duration
			state State
			tone  *tone.Spec
		}{
			{10 * time.Second, Signalling, &r.plan.Busy},
			{30 * time.Second, Howler, &r.plan.Howler},
			{60 * time.Second, Lockout, nil},
		}
		for _, s := range steps {
			r.wait(s.after - time.Millisecond)
			if r.lines[0].State() == s.state {
				t.Fatalf("%s came before %v", s.state, s.after)
			}
			r.wait(time.Millisecond)
			r.expect(t, 1, s.state)
			if r.media.tone(0) != s.tone {
				t.Fatalf("in %s the tone is %v", s.state, r.media.tone(0))
			}
		}
		r.fxs[0].set(hal.OnHook)
		r.wait(time.Second)
		r.expect(t, 1, Idle)
	})
}

func TestBusyUnknownAndIncomplete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 3)
		// Port 2 is off-hook: a call to it is busy.
		r.fxs[1].set(hal.OffHook)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.dial(1, "202")
		r.expect(t, 1, Signalling)
		if r.media.tone(0) != &r.plan.Busy {
			t.Fatal("calling an off-hook port does not give busy tone")
		}
		// Port 3 dials a number nobody has.
		r.fxs[2].set(hal.OffHook)
		r.wait(0)
		r.dial(3, "9")
		r.expect(t, 3, Signalling)
		if r.media.tone(2) != &r.plan.Unobtainable {
			t.Fatal("an unknown number does not give number-unobtainable tone")
		}
		// Port 2 dials half a number and waits out the inter-digit timer.
		r.dial(2, "20")
		r.expect(t, 2, Digits)
		r.wait(5 * time.Second)
		r.expect(t, 2, Signalling)
		if r.media.tone(1) != &r.plan.Unobtainable {
			t.Fatal("an incomplete number does not give number-unobtainable tone")
		}
		// Calling yourself is busy.
		r.fxs[1].set(hal.OnHook)
		r.wait(time.Second)
		r.fxs[1].set(hal.OffHook)
		r.wait(0)
		r.dial(2, "202")
		if r.media.tone(1) != &r.plan.Busy {
			t.Fatal("calling yourself does not give busy tone")
		}
	})
}

func TestCallerGivesUpWhileRinging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 2)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.dial(1, "202")
		r.expect(t, 2, Alerting)
		r.fxs[0].set(hal.OnHook)
		r.wait(time.Second)
		r.expect(t, 1, Idle)
		r.expect(t, 2, Idle)
		if r.fxs[1].Feed() != hal.FeedForward {
			t.Fatalf("port 2 still %s after the caller gave up", r.fxs[1].Feed())
		}
	})
}

func TestNoAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 2)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.dial(1, "202")
		r.wait(90 * time.Second)
		r.expect(t, 2, Idle)
		r.expect(t, 1, Signalling)
		if r.media.tone(0) != &r.plan.Congestion {
			t.Fatal("an unanswered call does not end in congestion tone")
		}
	})
}

func TestTestCallRingsThenDials(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 2)
		var steps []string
		var mu sync.Mutex
		done := make(chan error, 1)
		go func() {
			done <- r.sw.TestCall(t.Context(), 1, "202", func(s string) { mu.Lock(); steps = append(steps, s); mu.Unlock() })
		}()
		r.wait(0)
		r.expect(t, 1, Alerting)
		if r.fxs[0].Feed() != hal.FeedRinging {
			t.Fatal("the test call does not ring the phone")
		}
		r.fxs[0].set(hal.OffHook) // answered: 202 is dialled for it
		r.wait(0)
		r.expect(t, 1, Ringback)
		r.expect(t, 2, Alerting)
		r.fxs[1].set(hal.OffHook)
		r.wait(0)
		r.expect(t, 1, Connected)
		r.fxs[0].set(hal.OnHook)
		r.wait(time.Second)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(steps) < 4 || !strings.HasPrefix(steps[0], "alerting") || !strings.HasPrefix(steps[len(steps)-1], "idle") {
			t.Fatalf("progress %q", steps)
		}
		// A busy port refuses; a bad number is refused before anything rings.
		if err := r.sw.TestCall(t.Context(), 2, "201", func(string) {}); !errors.Is(err, ErrBusy) {
			t.Fatalf("test call on a busy port: %v", err)
		}
		if err := r.sw.TestCall(t.Context(), 1, "20x", func(string) {}); err == nil {
			t.Fatal("a test call to 20x was placed")
		}
	})
}

func TestTestCallCancelledStopsRinging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, 1)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := r.sw.TestCall(ctx, 1, "999", func(string) {}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
		r.wait(0)
		r.expect(t, 1, Idle)
		if r.fxs[0].Feed() == hal.FeedRinging {
			t.Fatal("still ringing after the test call was given up")
		}
	})
}
