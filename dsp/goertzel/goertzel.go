// Package goertzel measures the strength of one frequency in a block of
// samples with the Goertzel recurrence: one multiply and two adds per sample,
// much cheaper than an FFT when only a few frequencies matter (DTMF, call
// progress and fax tones).
//
// The frequency need not fall on a DFT bin: New takes any frequency and
// block length (the "generalised" Goertzel). A Filter is a small value with
// no pointers; it belongs to one goroutine at a time and never allocates.
package goertzel

import "math"

// Filter accumulates samples for one frequency.
//
// Scale: after n samples of a sine of amplitude A exactly at the filter's
// frequency, Power returns A*A/2, the mean power of that sine, so
// 10*log10(Power) compares directly with the mean square of the signal. Off
// frequency, the response follows the rectangular window of n samples:
// A*A/2 * (sin(πδn)/(n sin(πδ)))² for an offset of δ cycles per sample,
// with nulls every sampleRate/n Hz.
type Filter struct {
	coeff    float64 // 2 cos ω
	cos, sin float64 // cos ω, sin ω
	omega    float64 // radians per sample
	n        int     // block length the power is normalised to
	count    int     // samples pushed since Reset
	s1, s2   float64
	rotN     int     // count the cached rotation is for (0: none)
	rotC     float64 // cos(-ω(rotN-1))
	rotS     float64 // sin(-ω(rotN-1))
}

// New returns a filter for freq Hz at sampleRate Hz, normalised to blocks of
// n samples (n < 1 is taken as 1).
func New(freq, sampleRate float64, n int) Filter {
	w := 2 * math.Pi * freq / sampleRate
	return Filter{
		coeff: 2 * math.Cos(w),
		cos:   math.Cos(w),
		sin:   math.Sin(w),
		omega: w,
		n:     max(n, 1),
	}
}

// Reset clears the accumulated samples.
func (f *Filter) Reset() { f.s1, f.s2, f.count = 0, 0, 0 }

// Push adds one sample.
func (f *Filter) Push(x float64) {
	s := x + f.coeff*f.s1 - f.s2
	f.s2, f.s1 = f.s1, s
	f.count++
}

// PushBlock adds a block of samples.
func (f *Filter) PushBlock(x []int16) {
	c, s1, s2 := f.coeff, f.s1, f.s2
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
	}
	f.s1, f.s2 = s1, s2
	f.count += len(x)
}

// Count returns the number of samples pushed since Reset.
func (f *Filter) Count() int { return f.count }

// N returns the block length the power is normalised to.
func (f *Filter) N() int { return f.n }

// Omega returns the filter's frequency in radians per sample.
func (f *Filter) Omega() float64 { return f.omega }

// Power returns the power at the filter's frequency of the samples pushed
// since Reset, normalised to the block length n given to New (see Filter).
func (f *Filter) Power() float64 {
	p := f.s1*f.s1 + f.s2*f.s2 - f.coeff*f.s1*f.s2
	if p < 0 { // rounding near zero
		p = 0
	}
	return p * 2 / (float64(f.n) * float64(f.n))
}

// DFT returns the complex sum Σ x[m]·e^(-jωm) over the samples pushed since
// Reset, with m counted from 0 at the first of them: the DFT of the block
// evaluated at the filter's frequency, phase included. |DFT|² * 2/n² is
// Power.
func (f *Filter) DFT() (re, im float64) {
	// The recurrence leaves s1 - e^(-jω)s2 = e^(jω(count-1)) Σ x[m]e^(-jωm).
	yr := f.s1 - f.cos*f.s2
	yi := f.sin * f.s2
	if f.count == 0 {
		return 0, 0
	}
	if f.rotN != f.count { // blocks usually have the same length: compute once
		a := -f.omega * float64(f.count-1)
		f.rotN, f.rotC, f.rotS = f.count, math.Cos(a), math.Sin(a)
	}
	c, s := f.rotC, f.rotS
	return yr*c - yi*s, yr*s + yi*c
}
