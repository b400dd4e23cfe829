package jbtrace

import (
	"math"
	"math/cmplx"
	"math/rand/v2"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/plc"
)

const frameLen = 80

// LossPattern marks lost packets of span samples (true = lost) over n
// samples, each lost independently with probability p.
func LossPattern(n, span int, p float64, seed uint64) []bool {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f7373))
	lost := make([]bool, n/span)
	for i := range lost {
		lost[i] = rng.Float64() < p
	}
	return lost
}

// Concealment is a way to fill lost packets.
type Concealment string

const (
	ZeroFill   Concealment = "zero-fill"  // silence in place of a lost packet
	Repetition Concealment = "repetition" // the last good packet again
	PitchPLC   Concealment = "plc"        // dsp/plc (G.711 Appendix I style)
)

// Conceal returns x with the lost packets (of span samples) filled by the
// method.
func Conceal(x []int16, span int, lost []bool, m Concealment) []int16 {
	y := make([]int16, len(x))
	copy(y, x)
	var c plc.Concealer
	var last []int16
	for i, l := range lost {
		seg := y[i*span : (i+1)*span]
		switch m {
		case ZeroFill:
			if l {
				clear(seg)
			}
		case Repetition:
			if l {
				if last != nil {
					copy(seg, last)
				} else {
					clear(seg)
				}
			} else {
				last = seg
			}
		case PitchPLC:
			for f := 0; f < span; f += frameLen {
				fr := seg[f:min(f+frameLen, span)]
				if l {
					c.Conceal(fr)
				} else {
					c.Good(fr)
				}
			}
		}
	}
	return y
}

// Frames returns the 10 ms frames to judge: those in lost packets and the
// frame after each loss (where the recovery happens), where the clean
// signal is active (above -45 dBm0).
func Frames(x []int16, span int, lost []bool) []int {
	per := span / frameLen
	mark := make([]bool, len(x)/frameLen+1)
	for i, l := range lost {
		if !l {
			continue
		}
		for f := i * per; f <= (i+1)*per && f < len(mark); f++ {
			mark[f] = true
		}
	}
	var fs []int
	for f, m := range mark {
		if m && (f+1)*frameLen <= len(x) && dsp.RMSToDBm0(dsp.RMS(x[f*frameLen:(f+1)*frameLen])) > -45 {
			fs = append(fs, f)
		}
	}
	return fs
}

const fftN = 256

// spectrum returns the power spectrum (bins 0..127) of the 256 samples
// centred on frame f, Hann-windowed.
func spectrum(x []int16, f int, out []float64) {
	var buf [fftN]complex128
	start := f*frameLen + frameLen/2 - fftN/2
	for i := range buf {
		j := start + i
		v := 0.0
		if j >= 0 && j < len(x) {
			v = float64(x[j])
		}
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/fftN)
		buf[i] = complex(v*w, 0)
	}
	fft(buf[:])
	for k := range out {
		a := cmplx.Abs(buf[k])
		out[k] = a * a
	}
}

// fft is an in-place radix-2 FFT.
func fft(a []complex128) {
	n := len(a)
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
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*wk
				a[start+k], a[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}

// LSD is the mean log-spectral distance, in dB, between ref and got over
// the given 10 ms frames (100-3800 Hz; powers floored 50 dB below the
// frame's peak bin of ref so silence counts as a large distance, not an
// infinite one).
func LSD(ref, got []int16, frames []int) float64 {
	if len(frames) == 0 {
		return 0
	}
	var pr, pg [fftN / 2]float64
	lo, hi := 100*fftN/8000, 3800*fftN/8000
	var sum float64
	for _, f := range frames {
		spectrum(ref, f, pr[:])
		spectrum(got, f, pg[:])
		peak := 0.0
		for k := lo; k <= hi; k++ {
			peak = math.Max(peak, pr[k])
		}
		floor := peak*1e-5 + 1e-3
		var d float64
		for k := lo; k <= hi; k++ {
			x := 10*math.Log10(pr[k]+floor) - 10*math.Log10(pg[k]+floor)
			d += x * x
		}
		sum += math.Sqrt(d / float64(hi-lo+1))
	}
	return sum / float64(len(frames))
}

// SegSNR is the mean segmental SNR, in dB, of got against ref over the
// given frames, each frame's value clamped to [-10, 35] dB.
func SegSNR(ref, got []int16, frames []int) float64 {
	if len(frames) == 0 {
		return 0
	}
	var sum float64
	for _, f := range frames {
		var s, e float64
		for i := f * frameLen; i < (f+1)*frameLen; i++ {
			r := float64(ref[i])
			d := float64(got[i]) - r
			s += r * r
			e += d * d
		}
		v := 10 * math.Log10((s+1)/(e+1))
		sum += math.Max(-10, math.Min(35, v))
	}
	return sum / float64(len(frames))
}
