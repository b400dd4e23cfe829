package engine

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/hal"
)

// bench is a highway whose frames the test sets and reads directly; tick
// is called by hand.
type bench struct{ slots int }

func (b bench) Slots() int                        { return b.slots }
func (b bench) Exchange(rx, tx []hal.Frame) error { return hal.ErrClosed }
func (b bench) Overruns() uint64                  { return 0 }

func newBench(t *testing.T, slots int) *Engine {
	t.Helper()
	return New(bench{slots}, Options{Channels: 16})
}

func sine(f *hal.Frame, freq, dBm0 float64, n0 int) {
	a := dsp.DBm0ToPeak(dBm0)
	for i := range f {
		f[i] = int16(a * math.Sin(2*math.Pi*freq*float64(n0+i)/hal.SampleRate))
	}
}

func TestZeroAllocsPerTickWithEightChannels(t *testing.T) {
	e := newBench(t, 32)
	plan, err := tone.Lookup("CN")
	if err != nil {
		t.Fatal(err)
	}
	for ch := range 8 {
		must(t, e.Open(ch, ch*2))
		must(t, e.DetectDTMF(ch, true))
	}
	must(t, e.Connect(0, 1))
	must(t, e.Connect(2, 3))
	must(t, e.PlayTone(4, &plan.Dial))
	must(t, e.PlayTone(5, &plan.Busy))
	must(t, e.PlayTone(6, &plan.Ringback))
	must(t, e.PlayTone(0, &plan.CallWaiting)) // mixed over a conversation
	// A far-end call: echo canceller, fax detector and uplink run.
	must(t, e.Attach(5, NewUplink(g711.ALaw, 8), &toneFar{freq: 425, dBm0: -13}))
	var g dtmf.Generator
	must(t, g.Start("1234567890", 50*time.Millisecond, 50*time.Millisecond, -7))
	n := 0
	allocs := testing.AllocsPerRun(500, func() {
		for ch := range 8 {
			sine(&e.rx[ch*2], 1004, -10, n)
		}
		g.Generate(e.rx[14][:]) // channel 7 hears digits and raises events
		e.tick()
		e.Events(nil)
		n += hal.FrameLen
	})
	if allocs != 0 {
		t.Fatalf("engine tick allocates %v times per frame with 8 channels, want 0", allocs)
	}
	if e.Stats().LostEvents != 0 {
		t.Fatalf("lost events: %d", e.Stats().LostEvents)
	}
}

func TestCrossConnectCarriesAudioBothWays(t *testing.T) {
	e := newBench(t, 8)
	must(t, e.Open(0, 2))
	must(t, e.Open(1, 5))
	must(t, e.Connect(0, 1))
	sine(&e.rx[2], 1004, -10, 0)
	sine(&e.rx[5], 1500, -20, 0)
	e.tick()
	if e.tx[5] != e.rx[2] {
		t.Fatal("slot 5 does not carry what slot 2 received")
	}
	if e.tx[2] != e.rx[5] {
		t.Fatal("slot 2 does not carry what slot 5 received")
	}
	must(t, e.Disconnect(1))
	e.tick()
	if e.tx[5] != (hal.Frame{}) || e.tx[2] != (hal.Frame{}) {
		t.Fatal("audio still passes after Disconnect")
	}
}

func TestToneOnIdleChannelAndSilenceAfterClose(t *testing.T) {
	e := newBench(t, 8)
	plan, _ := tone.Lookup("CN")
	must(t, e.Open(3, 7))
	must(t, e.PlayTone(3, &plan.Dial))
	var heard []int16
	for range 100 {
		e.tick()
		heard = append(heard, e.tx[7][:]...)
	}
	want := dsp.DBm0ToRMS(plan.Dial.Segments[0].Tones[0].Level)
	if got := dsp.RMS(heard); got < want*0.95 || got > want*1.05 {
		t.Fatalf("dial tone RMS %.0f, want %.0f", got, want)
	}
	must(t, e.Close(3))
	e.tick()
	if e.tx[7] != (hal.Frame{}) {
		t.Fatal("closed channel's slot not silent")
	}
}

func TestDigitsBecomeEvents(t *testing.T) {
	e := newBench(t, 8)
	must(t, e.Open(1, 1))
	must(t, e.DetectDTMF(1, true))
	var g dtmf.Generator
	must(t, g.Start("2*9#", 80*time.Millisecond, 80*time.Millisecond, -10))
	var got []byte
	var evs []Event
	for range 100 {
		g.Generate(e.rx[1][:])
		e.tick()
		evs = e.Events(evs[:0])
		for _, ev := range evs {
			if ev.Ch != 1 {
				t.Fatalf("event on channel %d", ev.Ch)
			}
			if ev.Kind == DigitDown {
				got = append(got, ev.Digit)
			} else if ev.Dur < 60*time.Millisecond || ev.Dur > 100*time.Millisecond {
				t.Errorf("digit %c held %v, sent 80ms", ev.Digit, ev.Dur)
			}
		}
	}
	if string(got) != "2*9#" {
		t.Fatalf("digits %q, want %q", got, "2*9#")
	}
	// Off: nothing more.
	must(t, e.DetectDTMF(1, false))
	must(t, g.Start("5", 80*time.Millisecond, 0, -10))
	for range 20 {
		g.Generate(e.rx[1][:])
		e.tick()
	}
	if evs = e.Events(evs[:0]); len(evs) != 0 {
		t.Fatalf("events with the detector off: %v", evs)
	}
}

func TestBadArgumentsAreRefused(t *testing.T) {
	e := newBench(t, 8)
	if err := e.Open(0, 8); err == nil {
		t.Error("Open on slot 8 of an 8-slot highway succeeded")
	}
	if err := e.Open(16, 0); err == nil {
		t.Error("Open of channel 16 of 16 succeeded")
	}
	if err := e.Connect(0, -1); err == nil {
		t.Error("Connect to channel -1 succeeded")
	}
	small := New(bench{4}, Options{Channels: 1, Queue: 2})
	var err error
	for range 3 {
		err = small.Open(0, 0)
	}
	if err == nil {
		t.Error("a full command queue accepted more")
	}
}

// clockHighway ticks every 10 ms of (virtual) time.
type clockHighway struct {
	t    *time.Ticker
	done chan struct{}
	once sync.Once
	mu   sync.Mutex
	tx   []hal.Frame
}

func (h *clockHighway) Slots() int { return 4 }
func (h *clockHighway) Exchange(rx, tx []hal.Frame) error {
	select {
	case <-h.t.C:
	case <-h.done:
		return hal.ErrClosed
	}
	h.mu.Lock()
	copy(h.tx, tx)
	h.mu.Unlock()
	return nil
}
func (h *clockHighway) Overruns() uint64 { return 0 }
func (h *clockHighway) Close()           { h.once.Do(func() { close(h.done) }) }

func TestRunFollowsTheClockAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &clockHighway{t: time.NewTicker(hal.FrameDuration), done: make(chan struct{}), tx: make([]hal.Frame, 4)}
		defer h.t.Stop()
		e := New(h, Options{})
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- e.Run(ctx) }()
		<-time.After(time.Second) // virtual time: the bubble advances it when all goroutines wait
		synctest.Wait()
		if n := e.Stats().Ticks; n < 99 || n > 101 {
			t.Errorf("%d ticks in one second, want 100", n)
		}
		if !e.Stats().Running {
			t.Error("not running")
		}
		cancel()
		h.Close()
		if err := <-errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

func TestRingConcurrentProducers(t *testing.T) {
	r := newRing[int](64)
	const producers, each = 4, 5000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				for !r.push(p*each + i) {
					// full: the consumer will make room
				}
			}
		}()
	}
	seen := make([]bool, producers*each)
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	for got := 0; got < producers*each; {
		v, ok := r.pop()
		if !ok {
			continue
		}
		if seen[v] {
			t.Fatalf("value %d popped twice", v)
		}
		seen[v] = true
		p, i := v/each, v%each
		if i <= last[p] {
			t.Fatalf("producer %d: %d after %d, order lost", p, i, last[p])
		}
		last[p] = i
		got++
	}
	wg.Wait()
	if _, ok := r.pop(); ok {
		t.Fatal("ring not empty at the end")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The last digit of a number is often still sounding when the far end
// answers and digit detection is switched on for the call: it must not be
// taken for a digit dialled in the call.
func TestKeyAlreadyDownWhenDetectionStarts(t *testing.T) {
	e := newBench(t, 8)
	must(t, e.Open(0, 0))
	var g dtmf.Generator
	must(t, g.Start("2", 200*time.Millisecond, 0, -10))
	var evs []Event
	for tick := range 40 {
		if tick == 8 { // 80 ms into the key
			must(t, e.DetectDTMF(0, true))
		}
		g.Generate(e.rx[0][:])
		e.tick()
		evs = e.Events(evs)
	}
	if len(evs) != 0 {
		t.Fatalf("events %+v from a key held since before detection started", evs)
	}
	// The next key is reported.
	must(t, g.Start("5", 80*time.Millisecond, 0, -10))
	for range 20 {
		g.Generate(e.rx[0][:])
		e.tick()
		evs = e.Events(evs)
	}
	if len(evs) == 0 || evs[0].Digit != '5' || evs[0].Kind != DigitDown {
		t.Fatalf("events %+v, want 5 down", evs)
	}
}
