package phone

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/signal"
)

// tones makes d of the sum of freqs at dBm0 each, switched on and off by
// pattern (nil: continuous).
func tones(d time.Duration, freqs []float64, dBm0 float64, pattern []time.Duration) []int16 {
	n := int(d / (time.Second / 8000))
	x := make([]int16, n)
	tmp := make([]int16, n)
	for _, f := range freqs {
		var ph float64
		signal.Sine(tmp, f, dBm0, &ph)
		for i := range x {
			x[i] += tmp[i]
		}
	}
	var cycle time.Duration
	for _, p := range pattern {
		cycle += p
	}
	for i := range x {
		if cycle == 0 {
			break
		}
		pos := (time.Duration(i) * time.Second / 8000) % cycle
		on := true
		for _, p := range pattern {
			if pos < p {
				break
			}
			pos -= p
			on = !on
		}
		if !on {
			x[i] = 0
		}
	}
	return x
}

func TestRecognise(t *testing.T) {
	cases := []struct {
		name string
		x    []int16
		want string
	}{
		{"nothing", nil, "heard nothing"},
		{"silence", make([]int16, 8000), "silence (1s)"},
		{"CN dial", tones(time.Second, []float64{450}, -10, nil), "heard 450 Hz at -10.0 dBm0, continuous"},
		{"US dial", tones(time.Second, []float64{350, 440}, -13, nil), "Hz at -13.0 dBm0 +"},
		{"CN busy", tones(1400*time.Millisecond, []float64{450}, -10, []time.Duration{350 * time.Millisecond, 350 * time.Millisecond}), "heard 450 Hz at -10.0 dBm0, cadence on 350ms off 350ms on 350ms off 350ms"},
		{"CN ringback", tones(6*time.Second, []float64{450}, -10, []time.Duration{time.Second, 4 * time.Second}), "heard 450 Hz at -10.0 dBm0, cadence on 1s off 4s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := Recognise(c.x)
			if got := h.String(); !strings.Contains(got, c.want) {
				t.Errorf("got %q, want %q in it", got, c.want)
			}
			if c.name == "US dial" {
				if len(h.Tones) != 2 || math.Abs(h.Tones[0].Freq+h.Tones[1].Freq-790) > 4 {
					t.Errorf("tones %+v, want 350 and 440 Hz", h.Tones)
				}
			}
		})
	}
}
