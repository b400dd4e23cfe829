package cng

import (
	"math"

	"github.com/openiad/openiad/dsp"
)

// Analyzer estimates comfort-noise parameters from frames of background
// noise: a smoothed autocorrelation of the signal, turned into reflection
// coefficients by the Levinson-Durbin recursion. Feed it only frames that
// hold no speech (the VAD says which). The zero value is ready and uses
// DefaultOrder.
type Analyzer struct {
	// Order is the model order (0 means DefaultOrder; clamped to MaxOrder).
	Order int

	r      [MaxOrder + 1]float64 // smoothed autocorrelation per sample
	prev   [MaxOrder]float64     // the last samples of the previous frame, newest last
	frames int
}

// analyzerSmooth is the weight of the old estimate per frame: a time
// constant of about 10 frames (100 ms).
const analyzerSmooth = 0.9

// lagWindow widens the model's formant bandwidths (a Gaussian lag window of
// 60 Hz) and adds a -40 dB white floor so the recursion stays well
// conditioned on tonal or band-limited noise.
var lagWindow = func() (w [MaxOrder + 1]float64) {
	for k := range w {
		x := 2 * math.Pi * 60 * float64(k) / dsp.SampleRate
		w[k] = math.Exp(-0.5 * x * x)
	}
	w[0] = 1.0001
	return w
}()

func (a *Analyzer) order() int {
	if a.Order <= 0 {
		return DefaultOrder
	}
	return min(a.Order, MaxOrder)
}

// Reset forgets everything seen so far.
func (a *Analyzer) Reset() {
	o := a.Order
	*a = Analyzer{Order: o}
}

// Frames reports how many frames the estimate is built on.
func (a *Analyzer) Frames() int { return a.frames }

// Update adds one frame of noise to the estimate.
func (a *Analyzer) Update(frame []int16) {
	if len(frame) == 0 {
		return
	}
	m := a.order()
	var r [MaxOrder + 1]float64
	at := func(n int) float64 { // sample n of the frame; negative n reach into prev
		if n >= 0 {
			return float64(frame[n])
		}
		return a.prev[MaxOrder+n]
	}
	for k := 0; k <= m; k++ {
		var s float64
		for n := range frame {
			s += float64(frame[n]) * at(n-k)
		}
		r[k] = s / float64(len(frame))
	}
	for i := range MaxOrder {
		a.prev[i] = at(len(frame) - MaxOrder + i)
	}
	if a.frames == 0 {
		a.r = r
	} else {
		for k := 0; k <= m; k++ {
			a.r[k] = analyzerSmooth*a.r[k] + (1-analyzerSmooth)*r[k]
		}
	}
	a.frames++
}

// Params returns the current estimate (silence, white, if nothing was seen).
func (a *Analyzer) Params() Params {
	var p Params
	if a.frames == 0 || a.r[0] <= 0 {
		p.Level = MinLevel
		return p
	}
	p.Level = LevelFromRMS(math.Sqrt(a.r[0]))
	m := a.order()
	var r [MaxOrder + 1]float64
	for k := 0; k <= m; k++ {
		r[k] = a.r[k] * lagWindow[k]
	}
	p.Order = m
	levinson(r[:m+1], p.K[:m])
	for i := range m { // keep every coefficient representable and the model stable
		p.K[i] = dequantK(quantK(p.K[i]))
	}
	return p
}

// levinson solves the normal equations for the reflection coefficients k
// (len(r)-1 of them) of the autocorrelation r.
func levinson(r []float64, k []float64) {
	var a, tmp [MaxOrder + 1]float64
	e := r[0]
	for m := 1; m < len(r); m++ {
		if e <= 0 {
			k[m-1] = 0
			continue
		}
		acc := r[m]
		for i := 1; i < m; i++ {
			acc += a[i] * r[m-i]
		}
		km := -acc / e
		km = max(-0.999, min(0.999, km))
		tmp = a
		for i := 1; i < m; i++ {
			a[i] = tmp[i] + km*tmp[m-i]
		}
		a[m] = km
		k[m-1] = km
		e *= 1 - km*km
	}
}

// Generator synthesises comfort noise: white noise shaped by the all-pole
// filter of the latest parameters (a lattice, which stays stable for any
// coefficients below one in magnitude) and scaled to their level. A new SID
// glides in over a few frames instead of switching abruptly. The zero value
// produces silence until Set is called.
type Generator struct {
	set      bool
	tgt, cur Params                // target and current (gliding) parameters
	curRMS   float64               // current RMS, linear
	bd       [MaxOrder + 1]float64 // lattice state: backward errors of the previous sample
	seed     uint32
}

// glide is the fraction of the remaining distance to the target covered per
// frame.
const glide = 0.4

// maxK keeps a decoded model strictly stable.
const maxK = 0.995

// Reset returns the generator to silence.
func (g *Generator) Reset() { *g = Generator{} }

// Active reports whether parameters were set.
func (g *Generator) Active() bool { return g.set }

// Params returns the target parameters (the last set).
func (g *Generator) Params() Params { return g.tgt }

// Set takes new parameters (for example a SID frame just received). The
// first call takes effect at once; later ones glide in.
func (g *Generator) Set(p *Params) {
	g.tgt = *p
	g.tgt.Order = max(0, min(g.tgt.Order, MaxOrder))
	for i := range g.tgt.K {
		if i >= g.tgt.Order || math.IsNaN(g.tgt.K[i]) {
			g.tgt.K[i] = 0
		}
		g.tgt.K[i] = max(-maxK, min(maxK, g.tgt.K[i]))
	}
	if !g.set {
		g.cur = g.tgt
		g.curRMS = g.tgt.RMS()
		if g.seed == 0 {
			g.seed = 0x9e3779b9
		}
		g.set = true
	}
}

// rand returns a uniform value in [-1, 1).
func (g *Generator) rand() float64 {
	x := g.seed
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	g.seed = x
	return float64(int32(x)) / (1 << 31)
}

// Generate writes len(dst) samples of comfort noise (silence before Set).
func (g *Generator) Generate(dst []int16) {
	if !g.set {
		clear(dst)
		return
	}
	// Glide the model and the level towards the target, once per call.
	order := max(g.cur.Order, g.tgt.Order)
	for i := range order {
		g.cur.K[i] += glide * (g.tgt.K[i] - g.cur.K[i])
	}
	g.cur.Order = order
	tr := g.tgt.RMS()
	g.curRMS += glide * (tr - g.curRMS)
	// Excitation power that gives the wanted output power through 1/A(z).
	pe := 1.0
	for i := range order {
		pe *= 1 - g.cur.K[i]*g.cur.K[i]
	}
	gain := g.curRMS * math.Sqrt(3*pe) // uniform [-1,1) has variance 1/3
	k := g.cur.K[:order]
	bd := g.bd[:order+1]
	for n := range dst {
		f := gain * g.rand()
		for m := order; m >= 1; m-- {
			f -= k[m-1] * bd[m-1]
			bd[m] = bd[m-1] + k[m-1]*f
		}
		bd[0] = f
		dst[n] = dsp.SatF16(f)
	}
}
