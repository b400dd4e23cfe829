package fft_test

import (
	"fmt"
	"math"

	"github.com/openiad/openiad/dsp/fft"
)

func ExamplePlan() {
	p := fft.MustPlan(16)
	x := make([]float32, 16)
	for i := range x {
		x[i] = float32(math.Cos(2 * math.Pi * 3 * float64(i) / 16)) // bin 3
	}
	X := make([]float32, 16)
	p.Forward(X, x)
	pw := make([]float32, 9)
	fft.Power(pw, X)
	for k, v := range pw {
		if v > 1 {
			fmt.Printf("bin %d: |X|² = %.0f\n", k, v)
		}
	}
	p.Inverse(x, X) // 16·x
	fmt.Printf("x[0] after the round trip: %.0f\n", x[0]/16)
	// Output:
	// bin 3: |X|² = 64
	// x[0] after the round trip: 1
}
