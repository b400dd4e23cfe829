package engine

import (
	"math"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/dsp/ec"
	"github.com/openiad/openiad/dsp/fax"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/hal"
)

// fixedFar is a far end that plays a quiet tone and records the fixed
// delay it is asked for.
type fixedFar struct {
	toneFar
	fixed time.Duration
}

func (f *fixedFar) SetFixed(d time.Duration) { f.fixed = d }

// answerTone is the 2100 Hz answer tone at -12 dBm0 for sample i, its
// phase reversed every 450 ms when reversals.
func answerTone(i int, reversals bool) float64 {
	ph := 2 * math.Pi * 2100 * float64(i) / hal.SampleRate
	if reversals && (i/int(dsp.Samples(450*time.Millisecond)))%2 == 1 {
		ph += math.Pi
	}
	return dsp.DBm0ToPeak(-12) * math.Sin(ph)
}

// A fax machine on the line answers a far-end call with CED: the engine
// reports it within 500 ms and turns the channel to pass-through (NLP
// off, fixed playout delay); with phase reversals (/ANS, a modem) the
// echo canceller turns itself off (G.165). Speech-free tones before it
// (the far end's) report nothing.
func TestFaxToneTurnsChannelToPassThrough(t *testing.T) {
	for _, tc := range []struct {
		reversals bool
		want      []fax.Kind
	}{
		{false, []fax.Kind{fax.CED}},
		{true, []fax.Kind{fax.CED, fax.ANSReversal}},
	} {
		e := New(bench{4}, Options{Channels: 4})
		up := NewUplink(g711.ALaw, 64)
		far := &fixedFar{toneFar: toneFar{freq: 1004, dBm0: -30}}
		must(t, e.Open(0, 1))
		must(t, e.Attach(0, up, far))
		const start = 100 // ticks of a quiet line before the tone
		var got []fax.Kind
		first := -1
		frame := make([]byte, hal.FrameLen)
		for tick := range 250 {
			var line hal.Frame
			if tick >= start {
				for i := range line {
					line[i] = dsp.SatF16(answerTone((tick-start)*hal.FrameLen+i, tc.reversals))
				}
			}
			e.rx[1] = line
			e.tick()
			for up.Pop(frame) {
			}
			for _, ev := range e.Events(nil) {
				if ev.Kind != Fax || ev.Ch != 0 {
					t.Fatalf("event %+v, want a Fax event on channel 0", ev)
				}
				if first < 0 {
					first = tick
				}
				got = append(got, ev.Fax)
			}
		}
		if first < 0 {
			t.Fatalf("reversals %v: no Fax event", tc.reversals)
		}
		if d := time.Duration(first-start) * 10 * time.Millisecond; d > 500*time.Millisecond {
			t.Errorf("reversals %v: fax reported %v into the answer tone, want ≤ 500 ms", tc.reversals, d)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("reversals %v: events %v, want %v", tc.reversals, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("reversals %v: events %v, want %v", tc.reversals, got, tc.want)
			}
		}
		c := &e.chans[0]
		if !c.pass || far.fixed != PassThroughDelay {
			t.Errorf("reversals %v: pass-through %v, playout fixed at %v; want on, %v", tc.reversals, c.pass, far.fixed, PassThroughDelay)
		}
		if st := c.ec.Stats(); st.NLP || (st.State == ec.Disabled) != tc.reversals {
			t.Errorf("reversals %v: echo canceller %+v: want NLP off, disabled only with reversals", tc.reversals, st)
		}
		// In pass-through a DTMF-like signal is data: no digit, nothing
		// muted.
		must(t, e.DetectDTMF(0, true))
		var g dtmf.Generator
		must(t, g.Start("5", 100*time.Millisecond, 50*time.Millisecond, -7))
		for range 20 {
			var line hal.Frame
			g.Generate(line[:])
			e.rx[1] = line
			e.tick()
			for up.Pop(frame) {
			}
			for _, ev := range e.Events(nil) {
				if ev.Kind == DigitDown {
					t.Errorf("reversals %v: digit %c reported in pass-through", tc.reversals, ev.Digit)
				}
			}
		}
		// A new far end starts in voice mode again.
		must(t, e.Attach(0, up, far))
		e.rx[1] = hal.Frame{}
		e.tick()
		if c.pass {
			t.Errorf("reversals %v: still in pass-through after a new far end was attached", tc.reversals)
		}
	}
}
