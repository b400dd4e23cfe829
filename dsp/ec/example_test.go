package ec_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/openiad/openiad/dsp/ec"
)

// A channel's canceller sees, every 10 ms, what went to the line (far)
// and what came back (near), and writes what goes to the network.
func Example() {
	c := ec.New(64 * time.Millisecond)
	r := rand.New(rand.NewPCG(1, 2))
	var history [400]int16 // the far end of the last 50 ms
	near, far, out := make([]int16, ec.FrameLen), make([]int16, ec.FrameLen), make([]int16, ec.FrameLen)
	for range 200 { // 2 s
		copy(history[:], history[ec.FrameLen:])
		for i := range far {
			far[i] = int16(r.NormFloat64() * 3000)
			history[len(history)-ec.FrameLen+i] = far[i]
			// The hybrid returns the far end 30 ms later, 8 dB down.
			near[i] = int16(0.4 * float64(history[len(history)-ec.FrameLen+i-240]))
		}
		c.Process(near, far, out)
	}
	st := c.Stats()
	fmt.Printf("%v, ERL %.0f dB, ERLE above 40 dB: %v\n", st.State, st.ERL, st.ERLE > 40)
	// Output: converged, ERL 8 dB, ERLE above 40 dB: true
}
