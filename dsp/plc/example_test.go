package plc_test

import (
	"fmt"
	"math"

	"github.com/openiad/openiad/dsp/plc"
)

// A receiver hands every frame that arrived to Good and asks Conceal for
// every frame that did not.
func ExampleConcealer() {
	var c plc.Concealer
	frame := make([]int16, 80)
	n := 0
	next := func() []int16 { // a 160 Hz tone: a 50-sample period
		for i := range frame {
			frame[i] = int16(8000 * math.Sin(2*math.Pi*160*float64(n)/8000))
			n++
		}
		return frame
	}
	for range 10 {
		c.Good(next()) // frames that arrived (played after the call)
	}
	c.Conceal(frame) // one lost
	fmt.Println("pitch period:", c.Pitch(), "samples; concealed:", c.Erased())
	n += 80
	c.Good(next()) // the next one arrived: blended in, then played
	fmt.Println("concealed after recovery:", c.Erased())
	// Output:
	// pitch period: 50 samples; concealed: 80
	// concealed after recovery: 0
}
