package fft

import (
	"encoding/binary"
	"errors"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// dft is the textbook transform in float64, the oracle.
func dft(x []float32) []complex128 {
	n := len(x)
	out := make([]complex128, n/2+1)
	for k := range out {
		var s complex128
		for j, v := range x {
			a := -2 * math.Pi * float64(j*k%n) / float64(n)
			s += complex(float64(v), 0) * cmplx.Exp(complex(0, a))
		}
		out[k] = s
	}
	return out
}

// unpack returns bin k of a packed spectrum.
func unpack(x []float32, k int) complex128 {
	n := len(x)
	switch k {
	case 0:
		return complex(float64(x[0]), 0)
	case n / 2:
		return complex(float64(x[1]), 0)
	}
	return complex(float64(x[2*k]), float64(x[2*k+1]))
}

func randSignal(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 1000)
	}
	return x
}

func TestForwardMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 16, 32, 64, 128, 256, 512, 1024} {
		p := MustPlan(n)
		x := randSignal(r, n)
		want := dft(x)
		got := make([]float32, n)
		p.Forward(got, x)
		var errPow, sigPow float64
		for k := range want {
			d := unpack(got, k) - want[k]
			errPow += real(d)*real(d) + imag(d)*imag(d)
			sigPow += real(want[k])*real(want[k]) + imag(want[k])*imag(want[k])
		}
		if snr := 10 * math.Log10(sigPow/errPow); snr < 120 {
			t.Errorf("n=%d: forward transform SNR %.1f dB against the DFT, want ≥ 120", n, snr)
		}
	}
}

func TestRoundTripInPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{4, 8, 16, 64, 256, 2048} {
		p := MustPlan(n)
		x := randSignal(r, n)
		y := append([]float32(nil), x...)
		p.Forward(y, y)
		p.Inverse(y, y)
		var errPow, sigPow float64
		for i := range x {
			d := float64(y[i])/float64(n) - float64(x[i])
			errPow += d * d
			sigPow += float64(x[i]) * float64(x[i])
		}
		if snr := 10 * math.Log10(sigPow/errPow); snr < 120 {
			t.Errorf("n=%d: round trip SNR %.1f dB, want ≥ 120", n, snr)
		}
	}
}

func TestInverseOfSingleBins(t *testing.T) {
	// A packed spectrum with one bin set must come back as the matching
	// cosine or sine (times n), which pins down the layout and the sign.
	const n = 32
	p := MustPlan(n)
	cases := []struct {
		name string
		idx  int // index into the packed spectrum
		want func(j int) float64
	}{
		{"DC", 0, func(int) float64 { return 1 }},
		{"Nyquist", 1, func(j int) float64 { return math.Cos(math.Pi * float64(j)) }},
		{"Re X[3]", 6, func(j int) float64 { return 2 * math.Cos(2*math.Pi*3*float64(j)/n) }},
		{"Im X[5]", 11, func(j int) float64 { return -2 * math.Sin(2*math.Pi*5*float64(j)/n) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := make([]float32, n)
			s[c.idx] = 1
			x := make([]float32, n)
			p.Inverse(x, s)
			for j := range x {
				if d := float64(x[j]) - c.want(j); math.Abs(d) > 1e-5 {
					t.Fatalf("sample %d = %g, want %g", j, x[j], c.want(j))
				}
			}
		})
	}
}

func TestNewPlanRejectsBadSizes(t *testing.T) {
	for _, n := range []int{-4, 0, 1, 2, 3, 6, 100, 1<<24 + 1, 1 << 25} {
		if _, err := NewPlan(n); !errors.Is(err, errSize) {
			t.Errorf("NewPlan(%d) = %v, want errSize", n, err)
		}
	}
	if p := MustPlan(256); p.Len() != 256 {
		t.Errorf("Len = %d, want 256", p.Len())
	}
}

func TestSpectrumArithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n = 64
	p := MustPlan(n)
	a, b := randSignal(r, n), randSignal(r, n)
	A, B := make([]float32, n), make([]float32, n)
	p.Forward(A, a)
	p.Forward(B, b)

	acc := make([]float32, n)
	acc[0], acc[5] = 1, 2
	before := append([]float32(nil), acc...)
	MulAcc(acc, A, B)
	conj := make([]float32, n)
	MulConj(conj, A, B)
	pow := make([]float32, n/2+1)
	Power(pow, A)
	for k := 0; k <= n/2; k++ {
		av, bv := unpack(A, k), unpack(B, k)
		check := func(what string, got, want complex128) {
			if cmplx.Abs(got-want) > 1e-3*(1+cmplx.Abs(want)) {
				t.Errorf("%s bin %d = %v, want %v", what, k, got, want)
			}
		}
		check("MulAcc", unpack(acc, k)-unpack(before, k), av*bv)
		check("MulConj", unpack(conj, k), cmplx.Conj(av)*bv)
		check("Power", complex(float64(pow[k]), 0), complex(real(av)*real(av)+imag(av)*imag(av), 0))
	}

	// The circular cross-correlation: IFFT(conj(A)·B)[τ] = n·Σ a[j]·b[j+τ].
	corr := make([]float32, n)
	p.Inverse(corr, conj)
	for _, tau := range []int{0, 1, 17, n - 1} {
		var want float64
		for j := range n {
			want += float64(a[j]) * float64(b[(j+tau)%n])
		}
		if got := float64(corr[tau]) / n; math.Abs(got-want) > 1e-3*math.Abs(want)+1 {
			t.Errorf("correlation at lag %d = %g, want %g", tau, got, want)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	p := MustPlan(256)
	x := make([]float32, 256)
	y := make([]float32, 256)
	pw := make([]float32, 129)
	allocs := testing.AllocsPerRun(100, func() {
		p.Forward(y, x)
		p.Inverse(x, y)
		MulAcc(x, y, y)
		MulConj(x, y, y)
		Power(pw, y)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per transform, want 0", allocs)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64}, uint8(3))
	f.Add(make([]byte, 64), uint8(6))
	f.Fuzz(func(t *testing.T, data []byte, lg uint8) {
		n := 4 << (lg % 9)
		p := MustPlan(n)
		x := make([]float32, n)
		var peak float64
		for i := range x {
			if 4*i+4 <= len(data) {
				v := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
				if math.IsNaN(float64(v)) || math.Abs(float64(v)) > 1e6 {
					v = 0
				}
				x[i] = v
				peak = max(peak, math.Abs(float64(v)))
			}
		}
		y := make([]float32, n)
		p.Forward(y, x)
		p.Inverse(y, y)
		for i := range x {
			// Relative to the peak, with a floor at float32's smallest
			// normal number: subnormal inputs lose bits on the way.
			if d := float64(y[i])/float64(n) - float64(x[i]); math.Abs(d) > 1e-4*peak*float64(n)+1.2e-38 {
				t.Fatalf("n=%d sample %d: %g after the round trip, want %g", n, i, float64(y[i])/float64(n), x[i])
			}
		}
	})
}

func BenchmarkForward256(b *testing.B) {
	p := MustPlan(256)
	x := randSignal(rand.New(rand.NewPCG(7, 8)), 256)
	y := make([]float32, 256)
	for b.Loop() {
		p.Forward(y, x)
	}
}

func BenchmarkInverse256(b *testing.B) {
	p := MustPlan(256)
	x := randSignal(rand.New(rand.NewPCG(7, 8)), 256)
	y := make([]float32, 256)
	for b.Loop() {
		p.Inverse(y, x)
	}
}
