package g168

import (
	"math"
	"math/cmplx"
	"math/rand/v2"

	"github.com/openiad/openiad/dsp"
)

const fs = dsp.SampleRate

// rmsOf returns the RMS of a signal at dBm0 (the level of a sine with the
// same RMS, as in package dsp).
func rmsOf(dBm0 float64) float64 { return dsp.DBm0ToRMS(dBm0) }

// levelOf returns the level in dBm0 of mean power p per sample.
func levelOf(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	return dsp.RMSToDBm0(math.Sqrt(p))
}

// WhiteNoise returns n samples of Gaussian white noise at dBm0.
func WhiteNoise(n int, dBm0 float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	s := rmsOf(dBm0)
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64() * s
	}
	return x
}

// cssShapeDB is the spectrum of the pseudo-noise part of the composite
// source signal (G.168 Annex C, Figure C.2), in dB, as straight segments
// between these breakpoints (Hz, dB); -60 dB outside 50-3680 Hz.
var cssShapeDB = [][2]float64{
	{50, -25.8}, {100, -12.8}, {200, 17.4}, {215, 17.8}, {500, 12.2},
	{1000, 7.2}, {2850, 0}, {3600, -2}, {3660, -20}, {3680, -30},
}

func cssShape(f float64) float64 {
	b := cssShapeDB
	if f < b[0][0] || f > b[len(b)-1][0] {
		return -60
	}
	for i := 1; i < len(b); i++ {
		if f <= b[i][0] {
			u := (f - b[i-1][0]) / (b[i][0] - b[i-1][0])
			return b[i-1][1] + u*(b[i][1]-b[i-1][1])
		}
	}
	return -60
}

// shapedNoise returns n samples of noise with the Figure C.2 spectrum and
// random phases, at unit RMS.
func shapedNoise(n int, r *rand.Rand) []float64 {
	size := 1
	for size < n {
		size <<= 1
	}
	spec := make([]complex128, size)
	for k := 1; k < size/2; k++ {
		f := float64(k) * fs / float64(size)
		a := math.Pow(10, cssShape(f)/20)
		spec[k] = cmplx.Rect(a, 2*math.Pi*r.Float64())
		spec[size-k] = cmplx.Conj(spec[k])
	}
	x := idft(spec)
	return normalise(x[:n])
}

// idft is a plain inverse transform (radix-2), real part returned.
func idft(spec []complex128) []float64 {
	n := len(spec)
	a := append([]complex128(nil), spec...)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for s := 2; s <= n; s <<= 1 {
		w := cmplx.Exp(complex(0, 2*math.Pi/float64(s)))
		for g := 0; g < n; g += s {
			t := complex(1, 0)
			for j := range s / 2 {
				u, v := a[g+j], a[g+j+s/2]*t
				a[g+j], a[g+j+s/2] = u+v, u-v
				t *= w
			}
		}
	}
	x := make([]float64, n)
	for i, v := range a {
		x[i] = real(v) / float64(n)
	}
	return x
}

func normalise(x []float64) []float64 {
	var p float64
	for _, v := range x {
		p += v * v
	}
	g := 1 / math.Sqrt(p/float64(len(x)))
	for i := range x {
		x[i] *= g
	}
	return x
}

// resample44k converts a signal sampled at 44.1 kHz to 8 kHz with a
// windowed-sinc low-pass at 3.8 kHz, returning n output samples.
func resample44k(x []float64, n int) []float64 {
	const in, fc, half = 44100.0, 3800.0, 96 // half-width in input samples
	out := make([]float64, n)
	for i := range out {
		t := float64(i) * in / fs // position in input samples
		lo := int(math.Ceil(t - half))
		hi := int(math.Floor(t + half))
		var s float64
		for m := max(lo, 0); m <= hi && m < len(x); m++ {
			u := t - float64(m)
			arg := 2 * fc * u / in
			sinc := 1.0
			if arg != 0 {
				sinc = math.Sin(math.Pi*arg) / (math.Pi * arg)
			}
			w := 0.42 + 0.5*math.Cos(math.Pi*u/half) + 0.08*math.Cos(2*math.Pi*u/half) // Blackman
			s += x[m] * sinc * w * 2 * fc / in
		}
		out[i] = s
	}
	return out
}

// voiced returns the voiced segment of table tab (C.1 or C.3) at 8 kHz:
// the period repeated reps times, resampled, unit RMS.
func voiced(tab string, reps, n int) []float64 {
	src := mustData().CSS[tab]
	x := make([]float64, 0, len(src)*reps)
	for range reps {
		for _, v := range src {
			x = append(x, float64(v))
		}
	}
	return normalise(resample44k(x, n))
}

// cssPeriod builds one period of a composite source signal: voiced, noise,
// pause, then the same inverted. Both active parts have the RMS of dBm0.
func cssPeriod(tab string, reps, nv, nn, np int, dBm0 float64, r *rand.Rand) []float64 {
	g := rmsOf(dBm0)
	v := voiced(tab, reps, nv)
	pn := shapedNoise(nn, r)
	half := make([]float64, 0, nv+nn+np)
	for _, s := range v {
		half = append(half, g*s)
	}
	for _, s := range pn {
		half = append(half, g*s)
	}
	half = append(half, make([]float64, np)...)
	out := append([]float64(nil), half...)
	for _, s := range half {
		out = append(out, -s)
	}
	return out
}

// CSS returns n samples of the composite source signal of G.168 Annex C
// (C.1 voiced 48.62 ms, pseudo-noise 200 ms, pause 101.38 ms, then the
// same inverted; a period of 700 ms), its active parts at dBm0.
func CSS(n int, dBm0 float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0xc55))
	p := cssPeriod("C.1", 16, 389, 1600, 811, dBm0, r)
	return repeat(p, n)
}

// DoubleTalkCSS returns n samples of the double-talk composite source
// signal (C.3 voiced 72.69 ms, pseudo-noise 200 ms, pause 127.31 ms, then
// inverted; a period of 800 ms), its active parts at dBm0.
func DoubleTalkCSS(n int, dBm0 float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0xd7))
	p := cssPeriod("C.3", 14, 582, 1600, 1018, dBm0, r)
	return repeat(p, n)
}

func repeat(p []float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = p[i%len(p)]
	}
	return out
}

// Bandpass filters x with the level-measurement band-pass filter of G.168
// (about 300-3400 Hz), aligned so that output i corresponds to input i.
func Bandpass(x []float64) []float64 {
	b := mustData().Bandpass
	d := len(b) / 2
	out := make([]float64, len(x))
	for i := range out {
		var s float64
		for j, c := range b {
			if k := i + d - j; k >= 0 && k < len(x) {
				s += c * x[k]
			}
		}
		out[i] = s
	}
	return out
}

// Level returns the level in dBm0 of x[from:to] (mean power), without
// filtering.
func Level(x []float64) float64 {
	var p float64
	for _, v := range x {
		p += v * v
	}
	return levelOf(p / float64(len(x)))
}
