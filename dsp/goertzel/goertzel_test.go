package goertzel

import (
	"fmt"
	"math"
	"testing"
)

func sine(n int, freq, amp, phase float64) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/8000+phase)))
	}
	return x
}

func TestPowerScale(t *testing.T) {
	tests := []struct {
		freq float64
		n    int
		amp  float64
	}{
		{1000, 80, 10000},   // integer number of cycles
		{697, 205, 5000},    // not a bin
		{1633, 102, 20000},  // not a bin
		{450, 8000, 7000},   // long block
		{3900, 120, 100},    // near Nyquist, quiet
		{25.5, 8000, 30000}, // low
	}
	for _, tc := range tests {
		f := New(tc.freq, 8000, tc.n)
		f.PushBlock(sine(tc.n, tc.freq, tc.amp, 0.3))
		want := tc.amp * tc.amp / 2
		// Off-bin frequencies leak a little of the negative-frequency image;
		// quantisation adds a little noise. 0.3 dB covers both.
		if got := f.Power(); math.Abs(10*math.Log10(got/want)) > 0.3 {
			t.Errorf("%v Hz n=%d: Power %.1f, want %.1f (%.2f dB off)", tc.freq, tc.n, got, want, 10*math.Log10(got/want))
		}
		if f.Count() != tc.n || f.N() != tc.n {
			t.Errorf("Count %d N %d, want %d", f.Count(), f.N(), tc.n)
		}
	}
}

// A sine one bin away (sampleRate/n Hz) falls in the window's null.
func TestNull(t *testing.T) {
	f := New(1000, 8000, 100)
	f.PushBlock(sine(100, 1080, 10000, 0))
	if p := f.Power(); p > 10000*10000/2*1e-4 {
		t.Errorf("power one bin away = %.1f, want < -40 dB", p)
	}
}

// The response to an offset follows the Dirichlet kernel of the block.
func TestOffsetResponse(t *testing.T) {
	const n, amp = 120, 10000
	for _, off := range []float64{5, 15, 25, 40} {
		f := New(1000, 8000, n)
		f.PushBlock(sine(n, 1000+off, amp, 0))
		d := off / 8000
		want := amp * amp / 2 * math.Pow(math.Sin(math.Pi*d*n)/(n*math.Sin(math.Pi*d)), 2)
		if got := f.Power(); math.Abs(10*math.Log10(got/want)) > 0.3 {
			t.Errorf("offset %v Hz: %.1f, want %.1f", off, got, want)
		}
	}
}

func TestDFTMatchesDirect(t *testing.T) {
	x := sine(77, 941, 8000, 1.1)
	for i := range x {
		x[i] += int16(i*37%200 - 100)
	}
	for _, freq := range []float64{941, 1209, 300.5} {
		f := New(freq, 8000, len(x))
		for _, v := range x {
			f.Push(float64(v))
		}
		re, im := f.DFT()
		var dr, di float64
		w := 2 * math.Pi * freq / 8000
		for m, v := range x {
			dr += float64(v) * math.Cos(w*float64(m))
			di -= float64(v) * math.Sin(w*float64(m))
		}
		if math.Hypot(re-dr, im-di) > 1e-6*math.Hypot(dr, di) {
			t.Errorf("%v Hz: DFT (%g,%g), direct (%g,%g)", freq, re, im, dr, di)
		}
		if p := f.Power(); math.Abs(p-(re*re+im*im)*2/float64(len(x)*len(x))) > 1e-6*p {
			t.Errorf("%v Hz: Power %g inconsistent with DFT", freq, p)
		}
	}
}

func TestReset(t *testing.T) {
	f := New(1000, 8000, 80)
	f.PushBlock(sine(80, 1000, 10000, 0))
	f.Reset()
	if f.Power() != 0 || f.Count() != 0 {
		t.Fatalf("after Reset: power %v count %d", f.Power(), f.Count())
	}
	if re, im := f.DFT(); re != 0 || im != 0 {
		t.Fatalf("after Reset: DFT %v %v", re, im)
	}
	f.PushBlock(sine(80, 1000, 10000, 0))
	if p := f.Power(); math.Abs(p-5e7) > 5e5 {
		t.Errorf("after Reset and a block: %v", p)
	}
}

func TestZeroAllocs(t *testing.T) {
	x := sine(80, 697, 5000, 0)
	f := New(697, 8000, 80)
	if a := testing.AllocsPerRun(100, func() {
		f.Reset()
		f.PushBlock(x)
		_ = f.Power()
		_, _ = f.DFT()
	}); a != 0 {
		t.Errorf("%v allocations, want 0", a)
	}
}

func ExampleFilter() {
	// 10 ms of a 1 kHz sine of amplitude 1000.
	x := make([]int16, 80)
	for i := range x {
		x[i] = int16(math.Round(1000 * math.Sin(2*math.Pi*1000*float64(i)/8000)))
	}
	f := New(1000, 8000, len(x))
	f.PushBlock(x)
	fmt.Printf("%.0f\n", math.Sqrt(2*f.Power()))
	// Output: 1000
}

func BenchmarkPushBlock(b *testing.B) {
	x := sine(80, 697, 5000, 0)
	f := New(697, 8000, 80)
	for b.Loop() {
		f.PushBlock(x)
	}
}
