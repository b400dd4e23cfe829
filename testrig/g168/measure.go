package g168

import (
	"math"
	"time"
)

// Residual returns the echo left in out, the canceller's output for v:
// out - Near + Echo. For a canceller whose output is the near-end input
// minus its echo estimate (any linear canceller, NLP off) this is exactly
// the echo minus the estimate, free of the background noise and of the
// near-end talker, so the ERLE it gives is the canceller's own, not the
// bench's signal-to-noise ratio. (speexdsp also removes DC from its input;
// the band-pass filter of the measurement removes what little that adds.)
func (v *Vectors) Residual(out []int16) []float64 {
	r := make([]float64, len(out))
	for i := range r {
		r[i] = float64(out[i]) - float64(v.Near[i]) + v.Echo[i]
	}
	return r
}

// Curve is the ERLE over time in windows of Win samples, measured through
// the G.168 level band-pass filter; NaN marks windows whose echo is too
// weak to measure (more than 10 dB under the mean echo power, such as the
// pauses of the CSS).
type Curve struct {
	Win  int
	ERLE []float64
	// echo and residual powers per window, band-passed
	echo, resid []float64
}

// Curve measures the ERLE of the output out over time.
func (v *Vectors) Curve(out []int16, win time.Duration) Curve {
	w := Samples(win)
	v.bpOnce.Do(func() { v.bpEcho = Bandpass(v.Echo) })
	e := v.bpEcho
	r := Bandpass(v.Residual(out))
	nw := len(e) / w
	c := Curve{Win: w, ERLE: make([]float64, nw), echo: make([]float64, nw), resid: make([]float64, nw)}
	var mean float64
	for i := range nw {
		var pe, pr float64
		for _, x := range e[i*w : (i+1)*w] {
			pe += x * x
		}
		for _, x := range r[i*w : (i+1)*w] {
			pr += x * x
		}
		c.echo[i], c.resid[i] = pe/float64(w), pr/float64(w)
		mean += c.echo[i]
	}
	mean /= float64(nw)
	for i := range nw {
		if c.echo[i] < 0.1*mean || c.echo[i] == 0 {
			c.ERLE[i] = math.NaN()
			continue
		}
		c.ERLE[i] = 10 * math.Log10(c.echo[i]/max(c.resid[i], 1e-9))
	}
	return c
}

// TimeTo returns the end of the first window from which the ERLE stays at
// or above target in every measurable window for hold, searching from
// from; -1 if it never does.
func (c Curve) TimeTo(target float64, from, hold time.Duration) time.Duration {
	w := time.Duration(c.Win) * time.Second / fs
	start := int(from / w)
	need := int((hold + w - 1) / w)
	for i := start; i < len(c.ERLE); i++ {
		if math.IsNaN(c.ERLE[i]) || c.ERLE[i] < target {
			continue
		}
		ok := true
		for j := i; j < min(i+need, len(c.ERLE)); j++ {
			if !math.IsNaN(c.ERLE[j]) && c.ERLE[j] < target {
				ok = false
				break
			}
		}
		if ok {
			return time.Duration(i+1)*w - from
		}
	}
	return -1
}

// Mean returns the ERLE over [from, to): total echo power over total
// residual power in the measurable windows.
func (c Curve) Mean(from, to time.Duration) float64 {
	w := time.Duration(c.Win) * time.Second / fs
	var pe, pr float64
	for i := int(from / w); i < min(int(to/w), len(c.ERLE)); i++ {
		if math.IsNaN(c.ERLE[i]) {
			continue
		}
		pe += c.echo[i]
		pr += c.resid[i]
	}
	if pe == 0 {
		return math.NaN()
	}
	return 10 * math.Log10(pe/max(pr, 1e-9))
}

// Min returns the lowest windowed ERLE in [from, to) (NaN if none is
// measurable).
func (c Curve) Min(from, to time.Duration) float64 {
	w := time.Duration(c.Win) * time.Second / fs
	m := math.NaN()
	for i := int(from / w); i < min(int(to/w), len(c.ERLE)); i++ {
		if v := c.ERLE[i]; !math.IsNaN(v) && (math.IsNaN(m) || v < m) {
			m = v
		}
	}
	return m
}

// OutputLevel returns the band-passed level in dBm0 of out over
// [from, to): with the NLP on, what the far-end talker hears of its echo
// (residual echo plus comfort noise).
func OutputLevel(out []int16, from, to time.Duration) float64 {
	x := make([]float64, len(out))
	for i, v := range out {
		x[i] = float64(v)
	}
	b := Bandpass(x)
	a, z := Samples(from), min(Samples(to), len(b))
	return Level(b[a:z])
}
