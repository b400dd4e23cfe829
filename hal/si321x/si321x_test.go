package si321x

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
	"github.com/openiad/openiad/hal/si321x/si321xsim"
)

// rig is a driver on a modelled chip, inside a synctest bubble.
type rig struct {
	t    *testing.T
	chip *si321xsim.Chip
	dev  *Dev
	t0   time.Time
}

func newRig(t *testing.T, o *Opts, chipOpts ...si321xsim.Option) *rig {
	t.Helper()
	chip := si321xsim.NewChip(t.Name(), chipOpts...)
	d, err := New(chip, chip.IRQ(), chip.Reset(), o)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, chip: chip, dev: d, t0: time.Now()}
	t.Cleanup(func() {
		if err := d.Halt(); err != nil && !errors.Is(err, hal.ErrClosed) {
			t.Error(err)
		}
		for _, err := range chip.Errors() {
			t.Error(err)
		}
	})
	return r
}

// tick runs a board clock that calls Tick every 10 ms, as boards/sim does,
// until the test ends.
func (r *rig) tick() {
	done := make(chan struct{})
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case now := <-tk.C:
				r.chip.Tick(now)
				_ = r.chip.Line()
				_ = r.chip.Talk()
			case <-done:
				return
			}
		}
	}()
	r.t.Cleanup(func() { close(done) })
}

// at sleeps until d after r.t0.
func (r *rig) at(d time.Duration) { elapse(time.Until(r.t0.Add(d))) }

// next returns the next event within timeout.
func (r *rig) next(timeout time.Duration) (hal.LineEvent, bool) {
	select {
	case ev, ok := <-r.dev.Events():
		return ev, ok
	case <-time.After(timeout):
		return hal.LineEvent{}, false
	}
}

// drain returns the events already queued.
func (r *rig) drain() []hal.LineEvent {
	var evs []hal.LineEvent
	for {
		select {
		case ev, ok := <-r.dev.Events():
			if !ok {
				return evs
			}
			evs = append(evs, ev)
		default:
			return evs
		}
	}
}

// want waits for an event of kind k at t0+at (within tol) and returns it.
func (r *rig) want(k hal.LineEventKind, at, tol time.Duration) hal.LineEvent {
	r.t.Helper()
	ev, ok := r.next(at + tol - time.Since(r.t0) + time.Nanosecond)
	if !ok {
		r.t.Fatalf("no %s event by %s", k, at+tol)
	}
	got := ev.At.Sub(r.t0)
	if ev.Kind != k || got < at-tol || got > at+tol {
		r.t.Fatalf("event %s at %s, want %s at %s±%s", ev.Kind, got, k, at, tol)
	}
	return ev
}

// quiet checks that no event comes for d.
func (r *rig) quiet(d time.Duration) {
	r.t.Helper()
	if ev, ok := r.next(d); ok {
		r.t.Fatalf("unexpected event %s (hook %s) at %s", ev.Kind, ev.Hook, ev.At.Sub(r.t0))
	}
}

func TestIdentify(t *testing.T) {
	for _, tc := range []struct {
		part si321xsim.Part
		want Part
	}{
		{si321xsim.Si3210, Si3210},
		{si321xsim.Si3210M, Si3210M},
		{si321xsim.Si3215, Si3215},
		{si321xsim.Si3215M, Si3215M},
	} {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, &Opts{Name: "fxs1", Timeslot: 4}, si321xsim.WithPart(tc.part, 7))
			if r.dev.Part() != tc.want || r.dev.Revision() != 7 {
				t.Errorf("identified %s rev %d, want %s rev 7", r.dev.Part(), r.dev.Revision(), tc.want)
			}
			if want := "fxs1(" + tc.want.String() + " rev 7, slot 4)"; r.dev.String() != want {
				t.Errorf("String() = %q, want %q", r.dev, want)
			}
			dcn := byte(0xff)
			if tc.want == Si3210M || tc.want == Si3215M {
				dcn = 0x60
			}
			if got := r.chip.Reg(reg.DCN); got != dcn {
				t.Errorf("dc-dc period register %#02x, want %#02x for %s", got, dcn, tc.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    *Opts
		chip    []si321xsim.Option
		is      error
		msg     string
		maxTime time.Duration
	}{
		{"no chip", nil, []si321xsim.Option{si321xsim.WithAbsent()}, hal.ErrNoDevice, "register 11 reads 0xff", time.Second},
		{"Si3211", nil, []si321xsim.Option{si321xsim.WithPart(si321xsim.Si3211, 1)}, hal.ErrUnsupported, "Si3211", time.Second},
		{"Si3216", nil, []si321xsim.Option{si321xsim.WithPart(si321xsim.Si3216, 1)}, hal.ErrUnsupported, "Si3216", time.Second},
		{"calibration never ends", &Opts{CalTimeout: 500 * time.Millisecond}, []si321xsim.Option{si321xsim.WithStuckCalibration()},
			errCalibration, "line calibration still running after 500ms (register 96 reads 0x5f)", 700 * time.Millisecond},
		{"dead converter", &Opts{PowerUpTimeout: 300 * time.Millisecond}, []si321xsim.Option{si321xsim.WithDeadConverter()},
			errPowerUp, "battery at 0.0 V after 300ms", 400 * time.Millisecond},
		{"timeslot", &Opts{Timeslot: 127}, nil, hal.ErrRange, "timeslot 127", 0},
		{"negative timeslot", &Opts{Timeslot: -1}, nil, hal.ErrRange, "timeslot -1", 0},
		{"loop current", &Opts{LoopCurrent: 50 * physic.MilliAmpere}, nil, hal.ErrRange, "loop current", 0},
		{"battery", &Opts{BatteryHigh: 100 * physic.Volt}, nil, hal.ErrRange, "high battery", 0},
		{"debounce", &Opts{Debounce: 2 * time.Second}, nil, hal.ErrRange, "debounce", 0},
		{"ring", &Opts{Ring: hal.Cadence{Freq: 5 * physic.Hertz, Voltage: 60 * physic.Volt, Pattern: []time.Duration{time.Second}}}, nil, hal.ErrRange, "ring frequency", 0},
		{"dc-dc", &Opts{DCDCPeriod: time.Millisecond}, nil, hal.ErrRange, "dc-dc period", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				chip := si321xsim.NewChip("t", tc.chip...)
				start := time.Now()
				d, err := New(chip, chip.IRQ(), chip.Reset(), tc.opts)
				if err == nil {
					d.Halt()
					t.Fatal("New succeeded")
				}
				if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) || !strings.HasPrefix(err.Error(), "si321x: ") {
					t.Errorf("New = %q, want %v containing %q", err, tc.is, tc.msg)
				}
				if took := time.Since(start); took > tc.maxTime {
					t.Errorf("New took %s to fail, want at most %s", took, tc.maxTime)
				}
			})
		})
	}
}

func TestHook(t *testing.T) {
	const deb = 30 * time.Millisecond // default; the chip filters 10 ms of it
	type step struct {
		at  time.Duration
		off bool
	}
	for _, tc := range []struct {
		name  string
		steps []step
		want  []hal.Hook // events, each due debounce + 10 ms after its step
		at    []time.Duration
	}{
		{"off hook", []step{{0, true}}, []hal.Hook{hal.OffHook}, []time.Duration{0}},
		{"off and on", []step{{0, true}, {500 * time.Millisecond, false}},
			[]hal.Hook{hal.OffHook, hal.OnHook}, []time.Duration{0, 500 * time.Millisecond}},
		{"5 ms bounce", []step{{0, true}, {5 * time.Millisecond, false}}, nil, nil},
		{"20 ms bounce passes the chip, not the driver", []step{{0, true}, {20 * time.Millisecond, false}}, nil, nil},
		{"chattering contact", []step{{0, true}, {8 * time.Millisecond, false}, {12 * time.Millisecond, true},
			{30 * time.Millisecond, false}, {45 * time.Millisecond, true}}, []hal.Hook{hal.OffHook}, []time.Duration{45 * time.Millisecond}},
		{"flash 200 ms", []step{{0, true}, {300 * time.Millisecond, false}, {500 * time.Millisecond, true}},
			[]hal.Hook{hal.OffHook, hal.OnHook, hal.OffHook}, []time.Duration{0, 300 * time.Millisecond, 500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, nil)
				r.t0 = time.Now()
				go func() {
					for _, s := range tc.steps {
						r.at(s.at)
						r.chip.SetOffHook(s.off)
					}
				}()
				for i, h := range tc.want {
					ev := r.want(hal.EvHook, tc.at[i]+deb+10*time.Millisecond, 2*time.Millisecond)
					if ev.Hook != h {
						t.Fatalf("event %d: hook %s, want %s", i, ev.Hook, h)
					}
				}
				r.quiet(2 * time.Second)
				if n := len(tc.want); n > 0 && r.dev.Hook() != tc.want[n-1] {
					t.Errorf("Hook() = %s, want %s", r.dev.Hook(), tc.want[n-1])
				}
			})
		})
	}
}

var (
	china = hal.Cadence{Freq: 25 * physic.Hertz, Voltage: 65 * physic.Volt,
		Pattern: []time.Duration{time.Second, 4 * time.Second}}
	uk = hal.Cadence{Freq: 25 * physic.Hertz, Voltage: 70 * physic.Volt,
		Pattern: []time.Duration{400 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 2 * time.Second}}
)

const tol = 10 * time.Millisecond

func TestRingChina(t *testing.T) {
	for _, ticking := range []bool{false, true} {
		name := "lazy clock"
		if ticking {
			name = "board clock"
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, nil)
				if ticking {
					r.tick()
				}
				r.t0 = time.Now()
				if err := r.dev.Ring(china); err != nil {
					t.Fatal(err)
				}
				// The chip's timers run the cadence: 8000 and 32000 ticks of 125 µs.
				rat := int(r.chip.Reg(reg.RATHi))<<8 | int(r.chip.Reg(reg.RATLo))
				rit := int(r.chip.Reg(reg.RITHi))<<8 | int(r.chip.Reg(reg.RITLo))
				if rat != 8000 || rit != 32000 || r.chip.Reg(reg.RingOsc) != reg.RTAE|reg.RTIE {
					t.Errorf("ringing timers %d/%d, control %#02x: want 8000/32000 in hardware", rat, rit, r.chip.Reg(reg.RingOsc))
				}
				r.want(hal.EvRingOn, 0, tol)
				r.at(500 * time.Millisecond)
				ls := r.chip.Line()
				if !ls.Ringing || ls.Feed != hal.FeedRinging || r.dev.Feed() != hal.FeedRinging {
					t.Errorf("line %+v, driver feed %s at 0.5 s: want ringing", ls, r.dev.Feed())
				}
				if f := float64(ls.RingFreq) / float64(physic.Hertz); f < 24.9 || f > 25.1 {
					t.Errorf("ring frequency %.2f Hz, want 25", f)
				}
				if v := float64(ls.RingVoltage) / float64(physic.Volt); v < 64.5 || v > 65.5 {
					t.Errorf("ring voltage %.2f V, want 65", v)
				}
				r.want(hal.EvRingOff, time.Second, tol)
				r.at(3 * time.Second)
				if r.chip.Line().Ringing || !r.chip.Talk() {
					t.Error("ring voltage in the silence, or no on-hook transmission")
				}
				r.want(hal.EvRingOn, 5*time.Second, tol)
				r.want(hal.EvRingOff, 6*time.Second, tol)
				r.want(hal.EvRingOn, 10*time.Second, tol)
				r.at(10500 * time.Millisecond)
				if err := r.dev.StopRing(); err != nil {
					t.Fatal(err)
				}
				r.want(hal.EvRingOff, 10500*time.Millisecond, tol)
				if ls := r.chip.Line(); ls.Ringing || ls.Feed != hal.FeedForward || r.dev.Feed() != hal.FeedForward {
					t.Errorf("after StopRing line %+v, driver feed %s: want forward", ls, r.dev.Feed())
				}
				r.quiet(10 * time.Second)
			})
		})
	}
}

func TestRingUK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.tick()
		r.t0 = time.Now()
		if err := r.dev.Ring(uk); err != nil {
			t.Fatal(err)
		}
		if r.chip.Reg(reg.RingOsc)&(reg.RTAE|reg.RTIE) != 0 {
			t.Error("four-period cadence on the chip's two timers")
		}
		ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
		for _, e := range []struct {
			k  hal.LineEventKind
			at time.Duration
		}{
			{hal.EvRingOn, 0}, {hal.EvRingOff, ms(400)}, {hal.EvRingOn, ms(600)}, {hal.EvRingOff, ms(1000)},
			{hal.EvRingOn, ms(3000)}, {hal.EvRingOff, ms(3400)}, {hal.EvRingOn, ms(3600)}, {hal.EvRingOff, ms(4000)},
			{hal.EvRingOn, ms(6000)},
		} {
			r.want(e.k, e.at, tol)
		}
		for _, s := range []struct {
			at      time.Duration
			ringing bool
		}{{ms(6100), true}, {ms(6500), false}, {ms(6700), true}, {ms(8000), false}} {
			r.at(s.at)
			if got := r.chip.Line().Ringing; got != s.ringing {
				t.Errorf("at %s ringing %t, want %t", s.at, got, s.ringing)
			}
			if got := r.dev.Feed(); got != hal.FeedRinging {
				t.Errorf("at %s driver feed %s, want ringing", s.at, got)
			}
		}
		if err := r.dev.SetFeed(hal.FeedReverse); err != nil {
			t.Fatal(err)
		}
		if ls := r.chip.Line(); ls.Ringing || ls.Feed != hal.FeedReverse || !ls.Reversed {
			t.Errorf("line %+v after SetFeed(reverse)", ls)
		}
		// The burst at 6.6 s ended at 7 s; SetFeed in the silence sends nothing.
		evs := r.drain()
		if len(evs) != 3 || evs[2].Kind != hal.EvRingOff {
			t.Errorf("%d events from 6 s to 8 s, want off, on, off", len(evs))
		}
		for _, ev := range evs {
			if ev.At.Sub(r.t0) > ms(7000)+tol {
				t.Errorf("event %s at %s after the feed change", ev.Kind, ev.At.Sub(r.t0))
			}
		}
		r.quiet(10 * time.Second)
	})
}

func TestRingTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    hal.Cadence
		lift time.Duration
		// events before the trip
		before []hal.LineEventKind
	}{
		{"hardware cadence, in a burst", china, 500 * time.Millisecond, []hal.LineEventKind{hal.EvRingOn}},
		{"hardware cadence, in the silence", china, 2500 * time.Millisecond, []hal.LineEventKind{hal.EvRingOn, hal.EvRingOff}},
		{"software cadence, in a burst", uk, 700 * time.Millisecond, []hal.LineEventKind{hal.EvRingOn, hal.EvRingOff, hal.EvRingOn}},
		{"software cadence, in the silence", uk, 1500 * time.Millisecond, []hal.LineEventKind{hal.EvRingOn, hal.EvRingOff, hal.EvRingOn, hal.EvRingOff}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, nil)
				r.t0 = time.Now()
				if err := r.dev.Ring(tc.c); err != nil {
					t.Fatal(err)
				}
				r.at(tc.lift)
				r.chip.SetOffHook(true)
				evs := r.drain()
				if len(evs) != len(tc.before) {
					t.Fatalf("%d events before the trip, want %v", len(evs), tc.before)
				}
				for i, k := range tc.before {
					if evs[i].Kind != k {
						t.Fatalf("event %d before the trip is %s, want %s", i, evs[i].Kind, k)
					}
				}
				ev, ok := r.next(time.Second)
				if !ok || ev.Kind != hal.EvRingTrip || ev.Hook != hal.OffHook {
					t.Fatalf("event %+v %t after lifting, want ring trip off hook", ev, ok)
				}
				if d := ev.At.Sub(r.t0) - tc.lift; d > 60*time.Millisecond {
					t.Errorf("ring trip %s after lifting, want within 60 ms", d)
				}
				if r.dev.Feed() != hal.FeedForward || r.dev.Hook() != hal.OffHook {
					t.Errorf("after the trip: feed %s hook %s, want forward off-hook", r.dev.Feed(), r.dev.Hook())
				}
				if ls := r.chip.Line(); ls.Ringing || ls.Feed != hal.FeedForward {
					t.Errorf("after the trip the line is %+v, want forward feed, no ring", ls)
				}
				if !r.chip.Talk() {
					t.Error("no audio after answering")
				}
				r.quiet(10 * time.Second) // no more ringing, no second hook event
				r.chip.SetOffHook(false)
				if ev := r.want(hal.EvHook, time.Since(r.t0)+40*time.Millisecond, 5*time.Millisecond); ev.Hook != hal.OnHook {
					t.Errorf("hook %s, want on-hook", ev.Hook)
				}
				if err := r.dev.StopRing(); err != nil {
					t.Errorf("StopRing after a trip: %v", err)
				}
			})
		})
	}
}

func TestRingRestartAndRefuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.t0 = time.Now()
		if err := r.dev.Ring(uk); err != nil {
			t.Fatal(err)
		}
		r.want(hal.EvRingOn, 0, tol)
		r.at(100 * time.Millisecond)
		if err := r.dev.Ring(china); err != nil { // switch cadence mid-burst
			t.Fatal(err)
		}
		r.want(hal.EvRingOff, 100*time.Millisecond, tol)
		r.want(hal.EvRingOn, 100*time.Millisecond, tol)
		r.want(hal.EvRingOff, 1100*time.Millisecond, tol)
		if err := r.dev.StopRing(); err != nil {
			t.Fatal(err)
		}
		r.chip.SetOffHook(true)
		r.want(hal.EvHook, time.Since(r.t0)+40*time.Millisecond, 5*time.Millisecond)
		if err := r.dev.Ring(china); !errors.Is(err, errOffHook) {
			t.Errorf("Ring off hook = %v, want %v", err, errOffHook)
		}
		if err := r.dev.Ring(hal.Cadence{Freq: 25 * physic.Hertz, Voltage: 65 * physic.Volt}); !errors.Is(err, hal.ErrRange) {
			t.Errorf("Ring with no pattern = %v, want ErrRange", err)
		}
	})
}

func TestRingVoltageRaisesBattery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, &Opts{BatteryHigh: 60 * physic.Volt})
		if got := r.chip.Reg(reg.VBATH); got != 48 { // the default ring, 65 V + 6 V, in 1.5 V steps rounded up
			t.Errorf("VBATH %d after init, want 48", got)
		}
		c := china
		c.Voltage = 85 * physic.Volt
		if err := r.dev.Ring(c); err != nil {
			t.Fatal(err)
		}
		if got := r.chip.Reg(reg.VBATH); got != 61 {
			t.Errorf("VBATH %d for 85 V ringing, want 61", got)
		}
		if v := float64(r.chip.Line().RingVoltage) / float64(physic.Volt); v < 84.5 || v > 85.5 {
			t.Errorf("ring voltage %.1f V, want 85", v)
		}
	})
}

func TestFeeds(t *testing.T) {
	for _, f := range []hal.Feed{hal.FeedOpen, hal.FeedForward, hal.FeedReverse, hal.FeedOnHookTx, hal.FeedOnHookTxRev} {
		t.Run(f.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, nil)
				if err := r.dev.SetFeed(f); err != nil {
					t.Fatal(err)
				}
				ls := r.chip.Line()
				if ls.Feed != f || ls.Reversed != f.Reversed() || r.dev.Feed() != f {
					t.Errorf("line %+v, driver %s: want %s reversed %t", ls, r.dev.Feed(), f, f.Reversed())
				}
				if talk := r.chip.Talk(); talk != (f != hal.FeedOpen) {
					t.Errorf("Talk() = %t with feed %s", talk, f)
				}
				r.quiet(time.Second)
			})
		})
	}
	t.Run("ringing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, &Opts{Ring: uk})
			r.t0 = time.Now()
			if err := r.dev.SetFeed(hal.FeedRinging); err != nil {
				t.Fatal(err)
			}
			r.want(hal.EvRingOn, 0, tol)
			r.want(hal.EvRingOff, 400*time.Millisecond, tol)
			if err := r.dev.SetFeed(hal.FeedForward); err != nil {
				t.Fatal(err)
			}
			r.quiet(5 * time.Second)
		})
	})
	t.Run("invalid", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, nil)
			if err := r.dev.SetFeed(hal.Feed(42)); !errors.Is(err, hal.ErrRange) {
				t.Errorf("SetFeed(42) = %v, want ErrRange", err)
			}
		})
	})
}

func TestTimeslot(t *testing.T) {
	for _, slot := range []int{0, 1, 5, 62, 126} {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, &Opts{Timeslot: slot})
			want := si321xsim.PCMStatus{Enabled: true, TxStart: 8 * slot, RxStart: 8 * slot, TxSlot: slot, RxSlot: slot, Linear: true}
			if got := r.chip.PCM(); got != want {
				t.Errorf("slot %d: PCM %+v, want %+v", slot, got, want)
			}
			if r.dev.Timeslot() != slot {
				t.Errorf("Timeslot() = %d, want %d", r.dev.Timeslot(), slot)
			}
		})
	}
}

func TestLoopback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		for _, on := range []bool{false, true, false} {
			if on || r.chip.PCM().Loopback {
				if err := r.dev.Loopback(on); err != nil {
					t.Fatal(err)
				}
			}
			if got := r.chip.PCM().Loopback; got != on {
				t.Errorf("loopback %t, want %t", got, on)
			}
		}
	})
}

func TestGroundKeyAndPowerAlarm(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.t0 = time.Now()
		r.chip.SetGroundKey(true)
		r.want(hal.EvGroundKey, 0, time.Millisecond)
		r.chip.SetGroundKey(false)
		r.quiet(time.Second)
		if err := r.dev.Ring(uk); err != nil {
			t.Fatal(err)
		}
		r.t0 = time.Now()
		r.want(hal.EvRingOn, 0, tol)
		r.at(200 * time.Millisecond)
		r.chip.PowerAlarm(5)
		r.want(hal.EvPowerAlarm, 200*time.Millisecond, time.Millisecond)
		if r.dev.Feed() != hal.FeedOpen || r.chip.Line().Feed != hal.FeedOpen {
			t.Errorf("feed %s / line %s after a power alarm, want open", r.dev.Feed(), r.chip.Line().Feed)
		}
		r.quiet(10 * time.Second) // the cadence stopped
		if err := r.dev.SetFeed(hal.FeedForward); err != nil {
			t.Fatal(err)
		}
		if r.chip.Line().Feed != hal.FeedForward {
			t.Error("the line did not come back")
		}
	})
}

func TestHalt(t *testing.T) {
	for _, ringing := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, nil)
			if ringing {
				if err := r.dev.Ring(uk); err != nil {
					t.Fatal(err)
				}
				elapse(500 * time.Millisecond)
			}
			start := time.Now()
			if err := r.dev.Halt(); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took != 0 {
				t.Errorf("Halt took %s, want no wait for the INT timeout", took)
			}
			n := 0
			for range r.dev.Events() {
				n++
			}
			if ringing && n != 2 {
				t.Errorf("%d events before the close, want ring on and off", n)
			}
			if ls := r.chip.Line(); ls.Feed != hal.FeedOpen || ls.Ringing {
				t.Errorf("line %+v after Halt, want open", ls)
			}
			for name, err := range map[string]error{
				"Halt":     r.dev.Halt(),
				"SetFeed":  r.dev.SetFeed(hal.FeedForward),
				"Ring":     r.dev.Ring(china),
				"StopRing": r.dev.StopRing(),
				"Loopback": r.dev.Loopback(true),
			} {
				if !errors.Is(err, hal.ErrClosed) {
					t.Errorf("%s after Halt = %v, want ErrClosed", name, err)
				}
			}
			r.chip.SetOffHook(true) // nobody listens any more
			elapse(time.Second)
		})
	}
}

// A reader that does not keep up loses the oldest events.
func TestSlowReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		for i := range 40 {
			r.chip.SetOffHook(i%2 == 0)
			elapse(100 * time.Millisecond)
		}
		evs := r.drain()
		if len(evs) != cap(r.dev.events) {
			t.Fatalf("%d events kept, want %d", len(evs), cap(r.dev.events))
		}
		// Change 8 (off hook) is the oldest kept, change 39 (on hook) the newest.
		if evs[0].Hook != hal.OffHook || evs[len(evs)-1].Hook != hal.OnHook || evs[0].At.Sub(r.t0) < 800*time.Millisecond {
			t.Errorf("kept %s at %s .. %s: want changes 8 to 39", evs[0].Hook, evs[0].At.Sub(r.t0), evs[len(evs)-1].Hook)
		}
	})
}

func TestRingProgram(t *testing.T) {
	for _, tc := range []struct {
		hz, v      float64
		rco, rngx  uint16
		nrtp       uint16
		rtdi, bath uint8
	}{
		// 20 Hz: cos(2π·20/1000)·2^15 = 32509.6; ¼·√(0.00789/1.99211)·70/96·32767 = 375.8
		{20, 70, 32510, 376, 0x0320, 0x0b, 51},
		{25, 65, 32365, 437, 0x0320, 0x0b, 48},
		{16.667, 60, 32588, 268, 0x0200, 0x0f, 44},
		{50, 80, 31164, 1081, 0x06a8, 0x05, 58},
	} {
		c := hal.Cadence{Freq: physic.Frequency(tc.hz * float64(physic.Hertz)), Voltage: physic.ElectricPotential(tc.v * float64(physic.Volt))}
		got := ringProgram(c)
		want := ringRegs{rco: tc.rco, rngx: tc.rngx, nrtp: tc.nrtp, rtdi: tc.rtdi, vbath: tc.bath}
		if got != want {
			t.Errorf("%.3f Hz %.0f V: %+v, want %+v", tc.hz, tc.v, got, want)
		}
	}
}

// elapse lets d of virtual time pass. It is only called inside
// testing/synctest bubbles, where the clock jumps as soon as every
// goroutine waits: no real time is spent.
func elapse(d time.Duration) { <-time.After(d) }
