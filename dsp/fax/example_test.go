package fax_test

import (
	"fmt"
	"math"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/fax"
)

// A fax machine answers with the 2100 Hz tone, reversing its phase every
// 450 ms: the channel goes to pass-through at once and, at the reversal,
// turns its echo canceller off.
func Example() {
	d := fax.NewDetector()
	a := dsp.DBm0ToPeak(-12)
	var frame [80]int16
	for n := 0; n < 8000; n += 80 {
		for i := range frame {
			t := n + i
			phase := 0.0
			if (t/3600)%2 == 1 {
				phase = math.Pi
			}
			frame[i] = dsp.SatF16(a * math.Sin(2*math.Pi*2100*float64(t)/8000+phase))
		}
		for _, e := range d.Process(frame[:]) {
			fmt.Printf("%v at %.2f s, %.0f dBm0, disables echo canceller: %v\n", e.Kind, float64(e.At)/8000, e.Level, e.Kind.DisablesEC())
		}
	}
	// Output:
	// CED at 0.00 s, -12 dBm0, disables echo canceller: false
	// /ANS at 0.45 s, -12 dBm0, disables echo canceller: true
}
