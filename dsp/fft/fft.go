// Package fft computes discrete Fourier transforms of real float32 signals
// whose length is a power of two, with plans whose tables are built once so
// that a transform never allocates. The echo canceller (dsp/ec) runs several
// of them per channel and frame.
//
// # Packed spectrum
//
// The spectrum of n real samples has n/2+1 complex bins, of which the first
// (DC) and the last (Nyquist) are real. Forward stores them in n float32s:
//
//	dst[0]      = Re X[0]       (DC)
//	dst[1]      = Re X[n/2]     (Nyquist)
//	dst[2k]     = Re X[k]       1 ≤ k < n/2
//	dst[2k+1]   = Im X[k]
//
// with X[k] = Σ x[j]·e^(-2πi·jk/n) (no scaling). Inverse takes the same layout
// and returns n·x (no 1/n either), so Inverse(Forward(x)) = n·x. The
// functions MulAcc, MulConj and Power work on packed spectra.
//
// # Method
//
// A real transform of n points is one complex transform of n/2 points (the
// even samples as the real part, the odd ones as the imaginary part),
// followed by a split step that separates the two half-length spectra. The
// complex transform is an in-place iterative decimation in time: a first
// pass of 4-point DFTs (no multiplications), radix-4 stages, and one
// radix-2 stage when the number of stages is odd. The inverse runs the same complex transform on swapped
// real and imaginary parts, which conjugates the direction.
//
// A Plan is read-only after NewPlan: one plan may serve any number of
// goroutines at once, since the caller owns every buffer.
package fft

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

var errSize = errors.New("fft: size must be a power of two from 4 to 1<<24")

// Plan holds the tables for transforms of one size.
type Plan struct {
	n    int       // real length
	h    int       // complex length n/2
	swap []int32   // bit-reversal permutation of h as pairs (i, j), i < j
	tw   []float32 // twiddles of the stages after the first pass, interleaved (cos, -sin)
	spl  []float32 // split twiddles e^(-2πik/n), k = 0..h/2, interleaved (cos, -sin)
}

// NewPlan returns a plan for transforms of n real samples. n must be a power
// of two from 4 to 1<<24.
func NewPlan(n int) (*Plan, error) {
	if n < 4 || n > 1<<24 || n&(n-1) != 0 {
		return nil, fmt.Errorf("%w (got %d)", errSize, n)
	}
	h := n / 2
	p := &Plan{n: n, h: h}
	// Bit reversal of h entries.
	if h > 1 {
		lg := bits.TrailingZeros(uint(h))
		for i := range h {
			j := int(bits.Reverse32(uint32(i)) >> (32 - lg))
			if i < j {
				p.swap = append(p.swap, int32(i), int32(j))
			}
		}
	}
	// Twiddles of the stages after the first pass (which makes DFTs of 4
	// points): radix-4 stages of size s = 4q need W_s^j, W_s^2j, W_s^3j for
	// j < q; a last radix-2 stage of size s needs W_s^j for j < s/2.
	s := 16
	for ; s <= h; s *= 4 {
		for j := range s / 4 {
			for m := 1; m <= 3; m++ {
				a := -2 * math.Pi * float64(m*j) / float64(s)
				p.tw = append(p.tw, float32(math.Cos(a)), float32(math.Sin(a)))
			}
		}
	}
	if s/2 == h && h >= 8 {
		for j := range h / 2 {
			a := -2 * math.Pi * float64(j) / float64(h)
			p.tw = append(p.tw, float32(math.Cos(a)), float32(math.Sin(a)))
		}
	}
	for k := 0; k <= h/2; k++ {
		a := -2 * math.Pi * float64(k) / float64(n)
		p.spl = append(p.spl, float32(math.Cos(a)), float32(math.Sin(a)))
	}
	return p, nil
}

// MustPlan is NewPlan for sizes known to be valid; it panics on a bad size.
func MustPlan(n int) *Plan {
	p, err := NewPlan(n)
	if err != nil {
		panic(err)
	}
	return p
}

// Len returns the number of real samples the plan transforms.
func (p *Plan) Len() int { return p.n }

// Forward stores the packed spectrum of src (n samples) in dst (n float32s).
// dst and src may be the same slice. It panics if either is shorter than n.
func (p *Plan) Forward(dst, src []float32) {
	n, h := p.n, p.h
	dst, src = dst[:n], src[:n]
	if &dst[0] != &src[0] {
		copy(dst, src)
	}
	p.complexFFT(dst)
	// Split: Z = FFT(z), z[m] = x[2m] + i·x[2m+1]. With A = Z[k] and
	// B = conj(Z[h-k]): E = (A+B)/2 and O = (A-B)/(2i) are the spectra of
	// the even and odd samples, and X[k] = E + W^k·O, X[h-k] = conj(E - W^k·O).
	r0, i0 := dst[0], dst[1]
	dst[0] = r0 + i0
	dst[1] = r0 - i0
	spl := p.spl
	for k := 1; k <= h/2; k++ {
		j := h - k
		ar, ai := dst[2*k], dst[2*k+1]
		br, bi := dst[2*j], -dst[2*j+1]
		er, ei := 0.5*(ar+br), 0.5*(ai+bi)
		// O = -i·(A-B)/2
		or, oi := 0.5*(ai-bi), -0.5*(ar-br)
		wr, wi := spl[2*k], spl[2*k+1]
		tr := wr*or - wi*oi
		ti := wr*oi + wi*or
		dst[2*k], dst[2*k+1] = er+tr, ei+ti
		if j != k {
			dst[2*j], dst[2*j+1] = er-tr, -(ei - ti)
		}
	}
}

// Inverse stores n·x in dst, where x is the signal whose packed spectrum is
// src. dst and src may be the same slice. It panics if either is shorter
// than n.
func (p *Plan) Inverse(dst, src []float32) {
	n, h := p.n, p.h
	dst, src = dst[:n], src[:n]
	// Join: Z[k] = (A+B) + i·W^-k·(A-B) with A = X[k], B = conj(X[h-k]);
	// then z = IFFT(Z) gives n·x as z[m] = x[2m] + i·x[2m+1]. The inverse
	// complex transform is the forward one on swapped (im, re) pairs, so
	// Z is written swapped.
	x0, xh := src[0], src[1]
	spl := p.spl
	// Pairs k, h-k are read before either is written, so in place is fine.
	for k := 1; k <= h/2; k++ {
		j := h - k
		ar, ai := src[2*k], src[2*k+1]
		br, bi := src[2*j], -src[2*j+1]
		sr, si := ar+br, ai+bi
		dr, di := ar-br, ai-bi
		// W^-k = conj(W^k)
		wr, wi := spl[2*k], -spl[2*k+1]
		cr := wr*dr - wi*di
		ci := wr*di + wi*dr
		// Z[k] = S + i·C = (sr - ci) + i(si + cr)
		// Z[h-k] = conj(S) + i·conj(C) = (sr + ci) + i(cr - si)
		zkr, zki := sr-ci, si+cr
		zjr, zji := sr+ci, cr-si
		dst[2*k], dst[2*k+1] = zki, zkr
		if j != k {
			dst[2*j], dst[2*j+1] = zji, zjr
		}
	}
	// Z[0] = (X0 + Xh) + i·(X0 - Xh), swapped.
	dst[0], dst[1] = x0-xh, x0+xh
	p.complexFFT(dst)
	for m := 0; m < n; m += 2 {
		dst[m], dst[m+1] = dst[m+1], dst[m]
	}
}

// complexFFT transforms the h interleaved complex values of a in place
// (forward direction, no scaling).
func (p *Plan) complexFFT(a []float32) {
	h := p.h
	sw := p.swap
	for i := 0; i+1 < len(sw); i += 2 {
		x, y := 2*int(sw[i]), 2*int(sw[i+1])
		a[x], a[y] = a[y], a[x]
		a[x+1], a[y+1] = a[y+1], a[x+1]
	}
	if h == 2 {
		r0, i0, r1, i1 := a[0], a[1], a[2], a[3]
		a[0], a[1], a[2], a[3] = r0+r1, i0+i1, r0-r1, i0-i1
		return
	}
	// Radix-4 first pass: stages of size 2 and 4 (twiddles 1 and -i).
	for g := 0; g < 2*h; g += 8 {
		q := a[g : g+8 : g+8]
		ar, ai := q[0]+q[2], q[1]+q[3]
		br, bi := q[0]-q[2], q[1]-q[3]
		cr, ci := q[4]+q[6], q[5]+q[7]
		dr, di := q[4]-q[6], q[5]-q[7]
		// size-4 stage: (a ± c), (b ∓ i·d)
		q[0], q[1] = ar+cr, ai+ci
		q[4], q[5] = ar-cr, ai-ci
		q[2], q[3] = br+di, bi-dr
		q[6], q[7] = br-di, bi+dr
	}
	// Radix-4 stages of size s = 4q. In the bit-reversed layout the four
	// quarters of a block hold the DFTs of the samples ≡ 0, 2, 1, 3 (mod 4).
	tw := p.tw
	s := 16
	for ; s <= h; s *= 4 {
		q := s / 4
		w := tw[: 6*q : 6*q]
		tw = tw[6*q:]
		for g := 0; g < 2*h; g += 2 * s {
			b := a[g : g+2*s : g+2*s]
			q0 := b[0 : 2*q : 2*q]
			q1 := b[2*q : 4*q : 4*q]
			q2 := b[4*q : 6*q : 6*q]
			q3 := b[6*q : 8*q : 8*q]
			for j := 0; j < q; j++ {
				tw := w[6*j : 6*j+6 : 6*j+6]
				// t0 = Q0, t1 = W^j·Q2 (r=1), t2 = W^2j·Q1 (r=2), t3 = W^3j·Q3 (r=3)
				r0, i0 := q0[2*j], q0[2*j+1]
				xr, xi := q2[2*j], q2[2*j+1]
				r1, i1 := tw[0]*xr-tw[1]*xi, tw[0]*xi+tw[1]*xr
				xr, xi = q1[2*j], q1[2*j+1]
				r2, i2 := tw[2]*xr-tw[3]*xi, tw[2]*xi+tw[3]*xr
				xr, xi = q3[2*j], q3[2*j+1]
				r3, i3 := tw[4]*xr-tw[5]*xi, tw[4]*xi+tw[5]*xr
				// X[k] = t0+t1+t2+t3, X[k+q] = t0-i·t1-t2+i·t3,
				// X[k+2q] = t0-t1+t2-t3, X[k+3q] = t0+i·t1-t2-i·t3.
				ar, ai := r0+r2, i0+i2 // t0 + t2
				br, bi := r0-r2, i0-i2 // t0 - t2
				cr, ci := r1+r3, i1+i3 // t1 + t3
				dr, di := r1-r3, i1-i3 // t1 - t3
				q0[2*j], q0[2*j+1] = ar+cr, ai+ci
				q2[2*j], q2[2*j+1] = ar-cr, ai-ci
				// -i·(t1 - t3) = (di, -dr)
				q1[2*j], q1[2*j+1] = br+di, bi-dr
				q3[2*j], q3[2*j+1] = br-di, bi+dr
			}
		}
	}
	// A last radix-2 stage when log2(h) is odd.
	if s/2 == h && h >= 8 {
		half := h / 2
		lo := a[: 2*half : 2*half]
		hi := a[2*half : 4*half : 4*half]
		w := tw[: 2*half : 2*half]
		for j := 0; j < half; j++ {
			wr, wi := w[2*j], w[2*j+1]
			xr, xi := hi[2*j], hi[2*j+1]
			tr := wr*xr - wi*xi
			ti := wr*xi + wi*xr
			ur, ui := lo[2*j], lo[2*j+1]
			lo[2*j], lo[2*j+1] = ur+tr, ui+ti
			hi[2*j], hi[2*j+1] = ur-tr, ui-ti
		}
	}
}

// MulAcc adds the bin-by-bin product a·b of two packed spectra to dst. All
// three have the same even length.
func MulAcc(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	dst[0] += a[0] * b[0]
	dst[1] += a[1] * b[1]
	for k := 2; k+1 < n; k += 2 {
		ar, ai := a[k], a[k+1]
		br, bi := b[k], b[k+1]
		dst[k] += ar*br - ai*bi
		dst[k+1] += ar*bi + ai*br
	}
}

// MulConj stores conj(a)·b bin by bin in dst (packed spectra of the same
// even length): the spectrum of the circular cross-correlation of the two
// signals. dst may alias a or b.
func MulConj(dst, a, b []float32) {
	n := len(dst)
	a, b = a[:n], b[:n]
	dst[0] = a[0] * b[0]
	dst[1] = a[1] * b[1]
	for k := 2; k+1 < n; k += 2 {
		ar, ai := a[k], a[k+1]
		br, bi := b[k], b[k+1]
		dst[k] = ar*br + ai*bi
		dst[k+1] = ar*bi - ai*br
	}
}

// Power stores |X[k]|² of the packed spectrum x in dst[k] for k = 0..n/2
// (dst has n/2+1 entries: DC first, Nyquist last).
func Power(dst, x []float32) {
	n := len(x)
	dst = dst[:n/2+1]
	dst[0] = x[0] * x[0]
	dst[n/2] = x[1] * x[1]
	for k := 1; k < n/2; k++ {
		r, i := x[2*k], x[2*k+1]
		dst[k] = r*r + i*i
	}
}
