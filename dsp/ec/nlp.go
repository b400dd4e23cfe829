package ec

import "math"

// The non-linear processor. After convergence the linear filter leaves a
// residual echo some 30-50 dB below the echo; the NLP replaces it with
// comfort noise while the far end talks and the near end does not.
//
// It predicts the residual echo of a frame as ρ·Py, where Py is the power
// of the foreground's echo estimate and ρ the leak (residual over estimate)
// learnt on single-talk frames. A frame whose error power is well above the
// prediction plus the background carries near-end speech: the NLP lets it
// through untouched (with a short hangover for word endings). Before the
// filter has converged the prediction falls back to the far-end level less
// 6 dB, the Geigel assumption of an ERL of at least 6 dB.
//
// The comfort noise copies the near-end background: its level is a
// minimum-statistics estimate of the error power on frames that carry no
// echo, its spectrum a 6th-order LPC fit of the same frames.
const (
	nearMargin   = 8              // error this many times the prediction (+9 dB) means near speech
	noiseMargin  = 4              // or this many times the background
	nearHang     = 4              // frames the near-end decision is held
	leakInit     = 1              // ρ before anything was learnt
	leakMin      = 1e-7           // -70 dB
	leakUp       = 0.05           // ρ follows increases slowly...
	leakDown     = 0.3            // ...and decreases fast
	leakCreep    = 1.007          // +3 dB/s where near-end speech is uncertain
	psWeight     = 0.3            // smoothing of the error power for the minimum statistics
	minRun       = 16             // frames per minimum
	minRuns      = 6              // minima kept (about a second of frames)
	minBias      = 1.25           // the minimum of a smoothed power underestimates the mean
	cnOrder      = 6              // LPC order of the comfort noise
	acfWeight    = 0.1            // smoothing of the noise autocorrelation
	lpcEvery     = 8              // noise frames between LPC updates
	fadeFrameInv = 1.0 / blockLen // crossfade into comfort noise over one frame
	fadeIn       = 8              // samples to fade back to the signal
	noiseInitDB  = -75            // background before one was measured
	floorPow     = 1.0            // power floor (int16 units²)
	geigelLoss   = 0.25           // -6 dB: echo at most this fraction of the far end
	nearPowMin   = float32(26.0)  // -70 dBm0: quieter "speech" is background
	cnExcScale   = 1.7320508      // sum of 4 uniforms in ±0.5 has variance 1/3
	rngMul       = 1664525        // LCG
	rngAdd       = 1013904223
	invTwo32     = 1.0 / 4294967296.0
)

type nlp struct {
	leak  float32 // ρ
	noise float32 // background power per sample
	hang  int     // frames of near-end hangover left
	gain  float32 // 1: pass the error, 0: comfort noise

	acf     [cnOrder + 1]float32 // normalised autocorrelation of the background
	lpc     [cnOrder + 1]float32 // a[0] = 1
	lpcErr  float32              // normalised prediction error power
	nframes int
	hist    [cnOrder]float32 // synthesis filter memory

	// Minimum statistics of the smoothed error power over the frames that
	// may teach the background: the minimum of each run of minRun frames,
	// for the last minRuns runs.
	ps     float32
	subMin float32
	subN   int
	mins   [minRuns]float32
	minIdx int
	rng    uint32
	cn     [blockLen]float32
}

func (n *nlp) reset() {
	*n = nlp{
		leak:   leakInit,
		noise:  dbm0Pow(noiseInitDB),
		gain:   1,
		lpcErr: 1,
		rng:    0x2545f491,
	}
	n.acf[0] = 1
	n.lpc[0] = 1
	n.subMin = math.MaxFloat32
	for i := range n.mins {
		n.mins[i] = math.MaxFloat32
	}
}

// learnNoise updates the background estimate from a frame that carries no
// echo worth mentioning.
func (n *nlp) learnNoise(e []float32, pe float32) {
	// The background is the bias-corrected minimum of the smoothed power
	// over about a second of such frames: it follows a louder background
	// within that second and a quieter one at once.
	if n.ps == 0 {
		n.ps = pe
	}
	n.ps += psWeight * (pe - n.ps)
	n.subMin = min(n.subMin, n.ps)
	if n.subN++; n.subN == minRun {
		n.mins[n.minIdx] = n.subMin
		n.minIdx = (n.minIdx + 1) % minRuns
		n.subMin, n.subN = math.MaxFloat32, 0
		m := float32(math.MaxFloat32)
		for _, v := range n.mins {
			m = min(m, v)
		}
		n.noise = m * minBias
	}
	if n.ps < n.noise {
		n.noise = n.ps
	}
	n.noise = max(n.noise, floorPow)
	if pe > 3*n.noise || pe <= floorPow {
		return // speech, or digital silence: no spectrum to learn
	}
	var r [cnOrder + 1]float32
	for lag := range r {
		var s float32
		for i := lag; i < blockLen; i++ {
			s += e[i] * e[i-lag]
		}
		r[lag] = s
	}
	inv := 1 / r[0]
	for lag := range r {
		n.acf[lag] += acfWeight * (r[lag]*inv - n.acf[lag])
	}
	if n.nframes++; n.nframes%lpcEvery == 0 {
		n.levinson()
	}
}

// levinson fits the LPC of the comfort noise to the smoothed
// autocorrelation (with a little white noise and bandwidth expansion so
// that the synthesis filter is always well-behaved).
func (n *nlp) levinson() {
	var r [cnOrder + 1]float64
	for i := range r {
		r[i] = float64(n.acf[i]) * math.Pow(0.98, float64(i))
	}
	r[0] *= 1.001
	var a, tmp [cnOrder + 1]float64
	a[0] = 1
	errp := r[0]
	for i := 1; i <= cnOrder; i++ {
		acc := r[i]
		for j := 1; j < i; j++ {
			acc += a[j] * r[i-j]
		}
		k := -acc / errp
		if k >= 1 || k <= -1 {
			return
		}
		tmp = a
		for j := 1; j < i; j++ {
			a[j] = tmp[j] + k*tmp[i-j]
		}
		a[i] = k
		errp *= 1 - k*k
	}
	for i := range a {
		n.lpc[i] = float32(a[i])
	}
	n.lpcErr = float32(errp / r[0])
}

// comfort fills n.cn with one frame of comfort noise at the background
// level and spectrum.
func (n *nlp) comfort() {
	g := float32(math.Sqrt(float64(n.noise*n.lpcErr))) * cnExcScale
	for i := range n.cn {
		// Sum of four uniforms: near enough to Gaussian for noise.
		var u float32
		for range 4 {
			n.rng = n.rng*rngMul + rngAdd
			u += float32(n.rng)*invTwo32 - 0.5
		}
		v := g * u
		for j := 0; j < cnOrder; j++ {
			v -= n.lpc[j+1] * n.hist[j]
		}
		copy(n.hist[1:], n.hist[:cnOrder-1])
		n.hist[0] = v
		n.cn[i] = v
	}
}

// detect reports whether a frame of error power pe, where the residual
// echo was predicted at predicted, carries near-end speech, and keeps the
// hangover.
// spec is the spectral detector's verdict (filter.nearShare), which
// counts as near-end speech too.
func (n *nlp) detect(pe, predicted float32, spec bool) bool {
	near := spec || pe > nearMargin*predicted+noiseMargin*n.noise && pe > nearPowMin
	if near {
		n.hang = nearHang
	} else if n.hang > 0 {
		n.hang--
	}
	return near
}

// render writes the frame e to out: e itself, or comfort noise when
// suppress (with a crossfade over the frame when the decision changes,
// and no suppression during the near-end hangover). It reports whether it
// suppressed.
func (n *nlp) render(e []float32, out []int16, suppress bool) bool {
	want := float32(1)
	if suppress && n.hang == 0 {
		want = 0
	}
	if want == 1 && n.gain == 1 {
		for i, v := range e[:blockLen] {
			out[i] = sat16(v)
		}
		return false
	}
	n.comfort()
	// Into comfort noise with a crossfade over the frame; back to the
	// signal within a few samples, so that no word onset is lost.
	g, step := n.gain, (want-n.gain)*fadeFrameInv
	if want > n.gain {
		step = (want - n.gain) / fadeIn
	}
	for i, v := range e[:blockLen] {
		g = min(max(g+step, 0), 1)
		out[i] = sat16(g*v + (1-g)*n.cn[i])
	}
	n.gain = want
	return want == 0
}

// creepLeak lets ρ rise slowly towards the ratio of a frame that may
// hold near-end speech.
func (n *nlp) creepLeak(pe, py float32) {
	r := (pe - n.noise) / py
	if r > n.leak {
		n.leak = min(n.leak*leakCreep, r)
	}
}

// learnLeak updates ρ from a single-talk frame.
func (n *nlp) learnLeak(pe, py float32) {
	r := max((pe-n.noise)/py, leakMin)
	if r < n.leak {
		n.leak += leakDown * (r - n.leak)
	} else {
		n.leak += leakUp * (r - n.leak)
	}
}
