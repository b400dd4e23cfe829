package phone_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/boards/sim/wire"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/signal"
	"periph.io/x/conn/v3/physic"
)

func board(t *testing.T, fxs int) *sim.Board {
	t.Helper()
	b, err := sim.New(sim.Options{FXS: fxs})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return b
}

func plug(t *testing.T, b *sim.Board, port int) *phone.Phone {
	t.Helper()
	c, err := b.Attach(port)
	if err != nil {
		t.Fatal(err)
	}
	p, err := phone.Attach(c, port)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// offHook lifts the handset on a fed line and waits until the driver saw
// it.
func offHook(t *testing.T, b *sim.Board, p *phone.Phone) {
	t.Helper()
	fxs := b.FXS()[p.Port()-1]
	if err := fxs.SetFeed(hal.FeedForward); err != nil {
		t.Fatal(err)
	}
	if err := p.OffHook(); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(time.Second)
	for {
		select {
		case ev := <-fxs.Events():
			if ev.Kind == hal.EvHook && ev.Hook == hal.OffHook {
				return
			}
		case <-timeout:
			t.Fatal("no off-hook event")
		}
	}
}

// listen runs an engine that passes every frame of slot to fn until the
// board closes.
func listen(b *sim.Board, slot int, fn func(f *hal.Frame)) <-chan error {
	done := make(chan error, 1)
	hw := b.Highway()
	go func() {
		rx, tx := make([]hal.Frame, hw.Slots()), make([]hal.Frame, hw.Slots())
		for {
			if err := hw.Exchange(rx, tx); err != nil {
				done <- err
				return
			}
			fn(&rx[slot])
		}
	}()
	return done
}

// TestDial: the digits arrive on the port's timeslot as DTMF that the
// firmware's detector reads, and Dial takes exactly the line time of the
// digits.
func TestDial(t *testing.T) {
	cases := []string{"2", "202", "0123456789", "*#ABCD"}
	for _, digits := range cases {
		t.Run(digits, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := board(t, 2)
				defer b.Close()
				p := plug(t, b, 2)
				defer p.Close()
				offHook(t, b, p)
				det := dtmf.NewDetector()
				var mu sync.Mutex
				var got strings.Builder
				done := listen(b, b.FXS()[1].Timeslot(), func(f *hal.Frame) {
					mu.Lock()
					defer mu.Unlock()
					for _, ev := range det.Process(f[:]) {
						if ev.Down {
							got.WriteByte(ev.Digit)
						}
					}
				})
				t0 := time.Now()
				if err := p.Dial(digits); err != nil {
					t.Fatal(err)
				}
				want := time.Duration(len(digits)) * (phone.DTMFOn + phone.DTMFOff)
				if d := time.Since(t0); d < want-10*time.Millisecond || d > want+10*time.Millisecond {
					t.Errorf("Dial took %s, want %s ±10ms (paced by the line)", d, want)
				}
				p.Record(50 * time.Millisecond)
				mu.Lock()
				if got.String() != digits {
					t.Errorf("detector heard %q, want %q", got.String(), digits)
				}
				mu.Unlock()
				b.Close()
				<-done
			})
		})
	}
}

func TestDialErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := board(t, 1)
		defer b.Close()
		p := plug(t, b, 1)
		defer p.Close()
		if err := p.Dial("12x"); err == nil || !strings.Contains(err.Error(), "x") {
			t.Errorf("Dial(12x): %v, want an error naming x", err)
		}
		errs := make(chan error, 1)
		go func() { errs <- p.Dial("123") }()
		synctest.Wait()
		if err := p.Dial("4"); err == nil {
			t.Error("second Dial while dialling succeeded")
		}
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	})
}

// TestPlayAndRecord: Play reaches the highway at its level; Record takes
// the line time it covers and hears what the engine sends.
func TestPlayAndRecord(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := board(t, 1)
		defer b.Close()
		p := plug(t, b, 1)
		defer p.Close()
		offHook(t, b, p)
		var mu sync.Mutex
		var heard []int16
		hw := b.Highway()
		go func() {
			rx, tx := make([]hal.Frame, hw.Slots()), make([]hal.Frame, hw.Slots())
			var ph float64
			for {
				signal.Sine(tx[0][:], 425, -12, &ph)
				if hw.Exchange(rx, tx) != nil {
					return
				}
				mu.Lock()
				heard = append(heard, rx[0][:]...)
				mu.Unlock()
			}
		}()
		p.Play(1004, -16)
		p.Record(100 * time.Millisecond)
		t0 := time.Now()
		x := p.Record(time.Second)
		if len(x) != 8000 || time.Since(t0) != time.Second {
			t.Fatalf("Record(1s) gave %d samples in %s", len(x), time.Since(t0))
		}
		if lvl := signal.LevelAt(x, 425); lvl < -12.5 || lvl > -11.5 {
			t.Errorf("earpiece 425 Hz at %.2f dBm0, want -12", lvl)
		}
		mu.Lock()
		last := heard[len(heard)-4000:]
		mu.Unlock()
		if lvl := signal.LevelAt(last, 1004); lvl < -16.5 || lvl > -15.5 {
			t.Errorf("microphone 1004 Hz at %.2f dBm0, want -16", lvl)
		}
		p.StopPlay()
		p.Record(50 * time.Millisecond)
		mu.Lock()
		last = heard[len(heard)-160:]
		mu.Unlock()
		if lvl := signal.LevelAt(last, 1004); lvl > -60 {
			t.Errorf("after StopPlay the microphone still sends %.1f dBm0", lvl)
		}
	})
}

// TestLineState: ring edges, feed and polarity reach the phone, its
// events and its ring log.
func TestLineState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := board(t, 1)
		defer b.Close()
		p := plug(t, b, 1)
		defer p.Close()
		fxs := b.FXS()[0]
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		if err := p.WaitRing(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitRing on a quiet line: %v", err)
		}
		cancel()

		if err := fxs.SetFeed(hal.FeedReverse); err != nil {
			t.Fatal(err)
		}
		p.Record(30 * time.Millisecond)
		if l := p.Line(); l.Feed != wire.FeedActive || !l.Reversed || !p.Reversed() {
			t.Errorf("line %+v after reverse feed", l)
		}
		if err := fxs.SetFeed(hal.FeedOnHookTx); err != nil {
			t.Fatal(err)
		}
		p.Record(30 * time.Millisecond)
		if p.Feed() != wire.FeedOnHookTx || p.Reversed() {
			t.Errorf("feed %s reversed %v after on-hook transmission", p.Feed(), p.Reversed())
		}

		cad := hal.Cadence{Freq: 25 * physic.Hertz, Voltage: 60 * physic.Volt, Pattern: []time.Duration{400 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 2 * time.Second}}
		if err := fxs.Ring(cad); err != nil {
			t.Fatal(err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := p.WaitRing(ctx); err != nil {
			t.Fatal(err)
		}
		if !p.Ringing() {
			t.Error("not ringing after WaitRing")
		}
		p.Record(6 * time.Second)
		log := p.RingLog()
		if len(log) < 8 {
			t.Fatalf("ring log %v", log)
		}
		// The driver runs this cadence with its own timers: its edges fall
		// on tick instants and the board sees them at that tick or the
		// next, so ±10 ms.
		for i, want := range []time.Duration{400, 200, 400, 2000, 400, 200, 400} {
			want *= time.Millisecond
			if got := log[i+1].At.Sub(log[i].At); got < want-10*time.Millisecond || got > want+10*time.Millisecond {
				t.Errorf("UK cadence period %d: %s, want %s ±10ms", i, got, want)
			}
		}
		if got := log[4].At.Sub(log[0].At); got < 2990*time.Millisecond || got > 3010*time.Millisecond {
			t.Errorf("UK cadence cycle %s, want 3s", got)
		}
		var kinds []phone.EventKind
	drain:
		for {
			select {
			case e := <-p.Events():
				kinds = append(kinds, e.Kind)
			default:
				break drain
			}
		}
		var rings, feeds int
		for _, k := range kinds {
			switch k {
			case phone.EvRing:
				rings++
			case phone.EvFeed:
				feeds++
			}
		}
		if rings < 5 || feeds < 3 {
			t.Errorf("events %v: %d ring, %d feed", kinds, rings, feeds)
		}
	})
}

// TestClosed: the board going away ends Record with what it got, fails
// the actions, and says so on Events and Done.
func TestClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := board(t, 1)
		p := plug(t, b, 1)
		got := make(chan []int16)
		go func() { got <- p.Record(10 * time.Second) }()
		time.AfterFunc(500*time.Millisecond, func() { b.Close() })
		x := <-got
		if len(x) < 3000 || len(x) > 4000 {
			t.Errorf("partial record of %d samples, want about 500 ms", len(x))
		}
		<-p.Done()
		if err := p.OffHook(); err == nil {
			t.Error("OffHook on a closed line succeeded")
		}
		if err := p.Dial("1"); err == nil {
			t.Error("Dial on a closed line succeeded")
		}
		var last phone.Event
		for e := range len(p.Events()) {
			_ = e
			last = <-p.Events()
		}
		if last.Kind != phone.EvClosed {
			t.Errorf("last event %v, want closed", last)
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
}

func TestAttachRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := board(t, 1)
		defer b.Close()
		first := plug(t, b, 1)
		defer first.Close()
		c, err := b.Attach(1)
		if err != nil {
			t.Fatal(err)
		}
		_, err = phone.Attach(c, 1)
		if err == nil || !strings.Contains(err.Error(), "busy") {
			t.Fatalf("attach to a busy port: %v", err)
		}
	})
}
