package ec

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/testrig/g168"
)

// answerTone returns d of a V.25 answer tone at freq Hz and level dBm0,
// its phase reversed every 450 ms when reversals is set.
func answerTone(d time.Duration, freq, level float64, reversals bool) []int16 {
	n := g168.Samples(d)
	x := make([]int16, n)
	a := dsp.DBm0ToPeak(level)
	flip := 0.0
	for i := range x {
		if reversals && i > 0 && i%3600 == 0 {
			flip += math.Pi
		}
		x[i] = dsp.SatF16(a * math.Sin(2*math.Pi*freq*float64(i)/8000+flip))
	}
	return x
}

func noiseAt(n int, level float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]int16, n)
	s := dsp.DBm0ToRMS(level)
	for i := range x {
		x[i] = dsp.SatF16(r.NormFloat64() * s)
	}
	return x
}

func concat(parts ...[]int16) []int16 {
	var out []int16
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestToneDisabler(t *testing.T) {
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	quiet := func(d time.Duration) []int16 { return make([]int16, g168.Samples(d)) }
	tests := []struct {
		name         string
		near, far    []int16
		on           bool          // the disabler is on
		disabledAt   time.Duration // must be disabled by then (0: never disabled)
		toneAt       time.Duration // NLP held off by then (0: never)
		releasedAt   time.Duration // enabled again by then (0: not checked)
		holdUntil    time.Duration // still disabled until then (0: not checked)
		wantPassthru bool
	}{
		{name: "ANS/ with reversals on the line", near: concat(answerTone(sec(2), 2100, -12, true), quiet(sec(1))),
			on: true, disabledAt: sec(1.5), releasedAt: sec(2.5), wantPassthru: true},
		{name: "ANS/ from the network", far: concat(answerTone(sec(2), 2100, -12, true), quiet(sec(1))),
			on: true, disabledAt: sec(1.5), releasedAt: sec(2.5)},
		{name: "ANS/ 20 Hz high, then modem data holds", near: concat(answerTone(sec(2), 2120, -15, true), noiseAt(g168.Samples(sec(2)), -15, 1), quiet(sec(1))),
			far: concat(quiet(sec(2)), noiseAt(g168.Samples(sec(2)), -15, 2), quiet(sec(1))), on: true, disabledAt: sec(1.5), holdUntil: sec(4), releasedAt: sec(4.5)},
		{name: "ANS without reversals (fax CED)", near: concat(answerTone(sec(2), 2100, -12, false), quiet(sec(1))),
			on: true, toneAt: sec(0.6)},
		{name: "2100 Hz too weak", near: answerTone(sec(2), 2100, -36, true), on: true},
		{name: "1800 Hz with reversals", near: answerTone(sec(2), 1800, -12, true), on: true},
		{name: "2160 Hz with reversals", near: answerTone(sec(2), 2160, -12, true), on: true},
		{name: "speech both ways", near: func() []int16 {
			x := g168.DoubleTalkCSS(g168.Samples(sec(4)), -12, 3)
			y := make([]int16, len(x))
			for i, v := range x {
				y[i] = dsp.SatF16(v)
			}
			return y
		}(), far: func() []int16 {
			x := g168.CSS(g168.Samples(sec(4)), -12, 4)
			y := make([]int16, len(x))
			for i, v := range x {
				y[i] = dsp.SatF16(v)
			}
			return y
		}(), on: true},
		{name: "disabler off", near: answerTone(sec(2), 2100, -12, true), on: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := max(len(tc.near), len(tc.far))
			near, far := make([]int16, n), make([]int16, n)
			copy(near, tc.near)
			copy(far, tc.far)
			c := New(64 * time.Millisecond)
			c.SetToneDisabler(tc.on)
			out := make([]int16, FrameLen)
			var disabled, tone, released, passthru bool
			var firstDisabled time.Duration = -1
			passthru = true
			for i := 0; i < n; i += FrameLen {
				c.Process(near[i:i+FrameLen], far[i:i+FrameLen], out)
				at := time.Duration(i+FrameLen) * time.Second / 8000
				st := c.Stats()
				if st.State == Disabled {
					if !disabled {
						firstDisabled = at
					}
					disabled = true
					for j := range out {
						if out[j] != near[i+j] {
							passthru = false
						}
					}
				}
				if tc.holdUntil > 0 && disabled && at <= tc.holdUntil && st.State != Disabled {
					t.Fatalf("enabled again at %v while the line still carries data", at)
				}
				if st.Tone && !st.NLP {
					tone = true
				}
				if st.Tone && st.NLP {
					t.Fatalf("NLP active at %v while the tone disabler holds it off", at)
				}
				if tc.releasedAt > 0 && at == tc.releasedAt {
					released = st.State != Disabled && !st.Tone
				}
			}
			switch {
			case tc.disabledAt == 0 && disabled:
				t.Errorf("disabled at %v, want never", firstDisabled)
			case tc.disabledAt > 0 && (firstDisabled < 0 || firstDisabled > tc.disabledAt):
				t.Errorf("disabled at %v, want by %v", firstDisabled, tc.disabledAt)
			}
			if tc.toneAt > 0 && !tone {
				t.Errorf("the tone never held the NLP off")
			}
			if tc.toneAt == 0 && tc.disabledAt == 0 && tone {
				t.Errorf("the NLP was held off by a tone that is not an answer tone")
			}
			if tc.releasedAt > 0 && !released {
				t.Errorf("still disabled at %v, after 250 ms of quiet", tc.releasedAt)
			}
			if tc.wantPassthru && !passthru {
				t.Errorf("disabled, but the output is not the near-end input")
			}
		})
	}
}
