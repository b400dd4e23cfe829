package ec

import (
	"math"

	"github.com/openiad/openiad/dsp/fft"
)

// Geometry of the partitioned-block frequency-domain filter. A block is one
// frame (L = 80 samples), a partition covers P = 2L taps, and every FFT has
// M = 256 points: the overlap-save output of the last L points of an M-point
// circular convolution is exact for P + L - 1 ≤ M taps, and the gradient
// for lags 0..P-1 is exact for lags ≤ M - L. Partition k uses the spectrum
// of the far-end window 2k blocks old, so one transform per block serves
// them all (the frequency-domain delay line).
const (
	blockLen = 80
	partLen  = 2 * blockLen
	fftLen   = 256
	bins     = fftLen/2 + 1
	edgeLen  = 32 // taps at each end of a partition watched for a straddling path
)

// Tuning. The values were chosen on the G.168 bench (testrig/g168), where
// each one has a story: see the comments at the places they are used.
const (
	// mu is the normalised step size of the background filter.
	mu = 0.8
	// propAlpha sets how proportionate the update is (IPNLMS α, -1..1):
	// partitions holding more of the echo path get more of the step.
	propAlpha = 0.95
	// powBeta and powAttack smooth the far-end power spectrum that
	// normalises the step over time: slow to fall, quick to rise, and
	// never below the block's own (frequency-smoothed) power, so that an
	// onset never meets a stale, small normaliser.
	powBeta   = 0.9
	powAttack = 0.5
	// freqSmooth: weight of the newest bin in the frequency smoothing.
	freqSmooth = 0.5
	// regPow regularises the normaliser: the power per sample of a far-end
	// signal of about -60 dBm0; relReg, relative to the mean normaliser.
	regPow = 260
	relReg = 0.01
	// corrLeak is the memory of the gradient correlations, per block.
	corrLeak = 0.9
	// corrStart, corrExcess: coherence (see updateGains) that marks an
	// echo before the first adaptation, and afterwards, when it must
	// stand out from the coherence that periodic far-end signals (vowels)
	// lend every partition.
	corrStart  = 2
	corrExcess = 2.5
	// detectBlocks: how long the first adaptation waits for the
	// correlations to find the echo.
	detectBlocks = 40
	// neighbour caps the share a partition lends a neighbour into which
	// its path runs on; edgeGain turns the energy fraction in the edge
	// taps above edgeFloor into that share; for the first edgeBlocks
	// blocks (weights still mostly noise) the floor is edgeFloorEarly.
	neighbour      = 0.5
	edgeGain       = 4
	edgeFloor      = 0.005
	edgeFloorEarly = 0.25
	edgeBlocks     = 30
	// idleShare: partitions with less of the path's energy than this, no
	// correlation and no path running in from a neighbour are idle.
	idleShare = 0.1
	// idleLeak: what an idle partition keeps of its weights per block.
	idleLeak = 0.7
	// vssGain, vssMin: the step follows the gradients' coherence.
	vssGain = 1
	vssMin  = 0.1
	// dtSlow scales the step in double talk.
	dtSlow = 0.125
	// consPerBlock: partitions constrained per block (in turn).
	consPerBlock = 1
	// youngBlocks: blocks of far-end signal during which the foreground
	// takes the background's coefficients on plain evidence.
	youngBlocks = 150
	// sparseMin: the idle logic needs at least this many partitions.
	sparseMin = 3
	// specMargin: an error bin this many times above the far end's power
	// there (and the background) holds near-end signal (nearShare).
	specMargin = 4
	// widthFloor: near-end bins within this of the strongest count
	// towards its width (-20 dB).
	widthFloor = 0.01
)

// filter is the two-path adaptive filter: the background filter adapts on
// every block, the foreground filter makes the output and only ever takes
// the background's coefficients when they are measurably better, so
// nothing (double talk above all) can make the output diverge.
//
// The background adapts with a normalised step per frequency bin (the
// far-end power spectrum, smoothed) and a proportionate gain per partition
// (IPNLMS-like: a line echo path is sparse, a bulk delay and then a few ms
// of dispersion, so most partitions hold nothing). Partitions that hold
// nothing are idle: they do not adapt at all, because a block gradient
// deposits noise in every partition it touches and a partition with a small
// gain takes seconds to shed it. Which partitions hold the echo comes from
// the weights themselves and, before they have grown (at the start, after
// a path change), from a leaky correlation of the error with each
// partition's far-end signal.
type filter struct {
	plan  *fft.Plan
	k     int // partitions
	slots int // spectra kept in the delay line: 2k-1
	head  int // slot of the newest spectrum

	xwin [fftLen]float32 // the last M far-end samples
	x    []float32       // slots × fftLen packed spectra
	s    []float32       // slots × bins smoothed power at each spectrum's time
	psd  [bins]float32   // the smoothed far-end power spectrum now
	wf   []float32       // foreground weights, k × fftLen, scaled by 1/M
	wb   []float32       // background weights, k × fftLen, scaled by 1/M
	r    []float32       // leaky gradient correlation per partition, k × fftLen

	gain []float32 // proportionate gain per partition (0 when idle)
	idle []bool
	zero []bool    // weights all zero (idle partitions, leaked away)
	edge []float32 // per partition: energy fraction in the first, last edgeLen taps (pairs)
	wn   []float32 // scratch: weight energy, then share
	rn   []float32 // scratch: coherent correlation energy
	q    []float32 // leaky energy of the gradients, per partition

	acc [fftLen]float32
	tmp [fftLen]float32
	e   [fftLen]float32
	den [bins]float32

	cons    int     // next background partition to constrain
	age     int     // blocks of far-end signal seen before the start
	started bool    // the background adapts
	found   bool    // the correlations show an echo somewhere
	coh     float32 // the largest coherence of an adapting partition

	// Smoothed block energies of the two errors and of their difference,
	// for the copy decisions.
	sff, see, sdd float32
	lff, lee      float32 // long averages of the two errors
	floor         float32 // minimum of the background's block error energy
	copies        int     // background → foreground copies so far
	gainF         float32 // power gain of the foreground's echo path, Σ w²
	resets        int     // foreground → background copies so far
}

func newFilter(plan *fft.Plan, k int) *filter {
	f := &filter{plan: plan, k: k, slots: 2*k - 1}
	f.x = make([]float32, f.slots*fftLen)
	f.s = make([]float32, f.slots*bins)
	f.wf = make([]float32, k*fftLen)
	f.wb = make([]float32, k*fftLen)
	f.r = make([]float32, k*fftLen)
	f.gain = make([]float32, k)
	f.idle = make([]bool, k)
	f.zero = make([]bool, k)
	f.edge = make([]float32, 2*k)
	f.wn = make([]float32, k)
	f.rn = make([]float32, k)
	f.q = make([]float32, k)
	f.reset()
	return f
}

func (f *filter) reset() {
	clear(f.xwin[:])
	clear(f.x)
	clear(f.s)
	clear(f.psd[:])
	clear(f.wf)
	clear(f.wb)
	clear(f.r)
	clear(f.q)
	clear(f.idle)
	clear(f.edge)
	for i := range f.gain {
		f.gain[i] = 1
		f.zero[i] = true
	}
	f.head, f.cons, f.age = 0, 0, 0
	f.started, f.found = false, false
	f.coh = 0
	f.sff, f.see, f.sdd = 0, 0, 0
	f.lff, f.lee, f.floor = 0, 0, 0
	f.copies = 0
	f.gainF = 0
}

// sparse reports whether the filter has enough partitions for some to be
// idle.
func (f *filter) sparse() bool { return f.k >= sparseMin }

// slot returns the delay-line index of the spectrum age blocks old.
func (f *filter) slot(age int) int {
	i := f.head - age
	if i < 0 {
		i += f.slots
	}
	return i
}

// pushFar shifts one block of far-end samples into the window and adds its
// spectrum and the smoothed power spectrum to the delay line.
func (f *filter) pushFar(far []float32) {
	copy(f.xwin[:fftLen-blockLen], f.xwin[blockLen:])
	copy(f.xwin[fftLen-blockLen:], far[:blockLen])
	f.head++
	if f.head == f.slots {
		f.head = 0
	}
	x := f.x[f.head*fftLen : (f.head+1)*fftLen]
	f.plan.Forward(x, f.xwin[:])
	cur := f.s[f.head*bins : (f.head+1)*bins]
	fft.Power(cur, x)
	// Smooth over frequency (a one-pole filter run up and down the bins,
	// a few bins wide), then over time (quick rise, slow fall). A
	// normaliser as spiky as the harmonics of a vowel would turn the
	// gradient into noise spread over every tap.
	var a float32
	for i := range bins {
		a += freqSmooth * (cur[i] - a)
		cur[i] = a
	}
	a = cur[bins-1]
	psd := f.psd[:]
	for i := bins - 1; i >= 0; i-- {
		a += freqSmooth * (cur[i] - a)
		v := a
		if v > psd[i] {
			psd[i] += powAttack * (v - psd[i])
		} else {
			psd[i] += (1 - powBeta) * (v - psd[i])
		}
		cur[i] = max(psd[i], v)
	}
}

// output computes the last L samples of the echo estimate of weights w
// into y.
func (f *filter) output(w []float32, y []float32) {
	clear(f.acc[:])
	for k := range f.k {
		if f.zero[k] && &w[0] == &f.wb[0] {
			continue
		}
		fft.MulAcc(f.acc[:], w[k*fftLen:(k+1)*fftLen], f.x[f.slot(2*k)*fftLen:][:fftLen])
	}
	f.plan.Inverse(f.tmp[:], f.acc[:])
	copy(y[:blockLen], f.tmp[fftLen-blockLen:])
}

// errSpectrum transforms the background's error e (L samples) into f.e,
// where adapt and nearShare find it: the block at the end of an otherwise
// empty window.
func (f *filter) errSpectrum(e []float32) {
	clear(f.tmp[:fftLen-blockLen])
	copy(f.tmp[fftLen-blockLen:], e[:blockLen])
	f.plan.Forward(f.e[:], f.tmp[:])
}

// nearShare looks for near-end signal where no echo can be: in the bins
// of the error spectrum (errSpectrum) whose power exceeds specMargin times
// what the far end of the whole tail could put there through an echo path
// of at most unit gain, plus the background noise (power per sample). An
// echo, residual or not, lives where the far end has energy; a near-end
// talker or tone in the gaps of the far end's spectrum (a tone each way,
// the harmonics of two voices) shows there however steady it is, which
// the level tests (Geigel, the leak of the NLP) cannot see. It returns
// the share of the error's energy in such bins and how many bins there
// are (within widthFloor of the strongest: few for tones), and clears those bins of f.e: the filter must not learn from them
// (the far end's spectral leakage there would let it "cancel" the
// near-end tone with weights far above any echo path's gain).
func (f *filter) nearShare(noise float32) (share float32, width int) {
	// The far-end power over the tail: the newest smoothed spectrum of
	// the delay line, whose slow fall (powBeta per block, -6 dB over
	// 140 ms) holds the far end's peaks about as long as they can echo.
	sx := f.s[f.head*bins:][:bins]
	// Both per sample: |E|² of an L-sample block over L, the far-end
	// power of an M-sample window over M.
	const ge, gx = 1.0 / blockLen, float32(specMargin) / fftLen
	nb := specMargin * noise
	pn := f.acc[:bins] // scratch after output: the power of each near-end bin
	e := f.e[:fftLen]
	var tot, un, top float32
	// DC and Nyquist (packed in e[0], e[1]) carry no speech: counted,
	// never flagged.
	tot = (e[0]*e[0] + e[1]*e[1]) * ge
	pn[0], pn[bins-1] = 0, 0
	for i := 1; i < bins-1; i++ {
		r, im := e[2*i], e[2*i+1]
		p := (r*r + im*im) * ge
		tot += p
		if p > gx*sx[i]+nb {
			un += p
			pn[i] = p
			if p > top {
				top = p
			}
			e[2*i], e[2*i+1] = 0, 0
		} else {
			pn[i] = 0
		}
	}
	if un == 0 {
		return 0, 0
	}
	// The width of the near-end signal: its bins within widthFloor of its
	// strongest (a tone's main lobe and first side lobes; most bins of
	// noise).
	t := widthFloor * top
	for _, p := range pn {
		if p > t {
			width++
		}
	}
	return un / tot, width
}

// cleanError writes to e the background's error without the bins
// nearShare cleared: the error the echo alone would have left.
func (f *filter) cleanError(e []float32) {
	f.plan.Inverse(f.tmp[:], f.e[:])
	for i := range blockLen {
		e[i] = f.tmp[fftLen-blockLen+i] * (1.0 / fftLen)
	}
}

// adapt runs one step of the background filter on its error (its spectrum
// made by errSpectrum), a smaller one in double talk (dt).
func (f *filter) adapt(dt bool) {
	if f.age < youngBlocks {
		f.age++
	}
	if !f.started {
		f.started = f.found || !f.sparse() || f.age >= detectBlocks
	}
	// f.e holds the error spectrum (errSpectrum).
	// Normaliser per bin: the gain-weighted far-end power over the tail,
	// D(f) = (P/M)·Σ g_k·S_k(f) + δ ≈ xᵀGx as in IPNLMS. Before the start
	// the gains are all 1 (the correlations need a normaliser too).
	den := f.den[:]
	clear(den)
	for k := range f.k {
		g := f.gain[k]
		if !f.started {
			g = 1
		}
		if g == 0 {
			continue
		}
		g *= partLen / float32(fftLen)
		s := f.s[f.slot(2*k)*bins:][:bins]
		for i, v := range s {
			den[i] += g * v
		}
	}
	// Fold μ, 1/D and the 1/M weight scaling into the error spectrum.
	// The regularisation follows the far-end level: bins the far end
	// hardly excites (the band edges of speech) would otherwise take
	// steps made of noise, and the gradient constraint would smear that
	// noise over the whole band.
	var mean float32
	for _, v := range den {
		mean += v
	}
	reg := max(float32(f.k*partLen)*regPow, relReg*mean/bins)
	// Variable step: as much as the gradients still point one way. A
	// converged filter sees gradients that are noise (coherence near 1)
	// and takes small steps, which lowers its misadjustment; a new path,
	// or the start, gives coherent gradients and the full step.
	vss := min(1, max(vssMin, vssGain*(f.coh-1)))
	if !f.started || f.age < youngBlocks {
		vss = 1
	}
	scale := float32(mu/fftLen) * vss
	if dt {
		scale *= dtSlow
	}
	f.e[0] *= scale / (den[0] + reg)
	f.e[1] *= scale / (den[bins-1] + reg)
	for i := 1; i < bins-1; i++ {
		q := scale / (den[i] + reg)
		f.e[2*i] *= q
		f.e[2*i+1] *= q
	}
	// G_k = conj(X_k)·E': R_k = λ·R_k + G_k, W_k += g_k·G_k for the
	// partitions that adapt; idle ones leak what they hold.
	for k := range f.k {
		o := k * fftLen
		w := f.wb[o : o+fftLen]
		x := f.x[f.slot(2*k)*fftLen:][:fftLen]
		switch {
		case !f.started || f.idle[k]:
			f.q[k] = corrLeak*corrLeak*f.q[k] + corrStep(f.r[o:o+fftLen], x, f.e[:])
			if !f.zero[k] {
				var s float32
				for i := range w {
					w[i] *= idleLeak
					s += w[i] * w[i]
				}
				if s < 1e-24 {
					clear(w)
					f.zero[k] = true
				}
			}
		default:
			f.q[k] = corrLeak*corrLeak*f.q[k] + gradStep(w, f.r[o:o+fftLen], x, f.e[:], f.gain[k])
			f.zero[k] = false
		}
	}
	if f.started {
		f.constrain()
	}
	f.updateGains()
}

// constrain applies the gradient constraint to the next adapting
// partition in turn: back to the time domain, drop the taps beyond P
// (circular wrap-around), forward again. On the way it notes how much of
// the partition's energy sits at either end.
func (f *filter) constrain() {
	n := 0
	for range f.k {
		c := f.cons
		if f.cons++; f.cons == f.k {
			f.cons = 0
		}
		if f.zero[c] || f.idle[c] {
			continue
		}
		if n++; n > consPerBlock {
			f.cons = c
			return
		}
		w := f.wb[c*fftLen : (c+1)*fftLen]
		f.plan.Inverse(f.tmp[:], w)
		var tot, head, tail float32
		for i := range partLen {
			v := f.tmp[i]
			e := v * v
			tot += e
			if i < edgeLen {
				head += e
			} else if i >= partLen-edgeLen {
				tail += e
			}
			f.tmp[i] = v * (1.0 / fftLen)
		}
		if tot > 0 {
			f.edge[2*c], f.edge[2*c+1] = head/tot, tail/tot
		}
		clear(f.tmp[partLen:])
		f.plan.Forward(w, f.tmp[:])
	}
}

// updateGains decides which partitions adapt and with what gain. A
// partition's share of the echo path is the larger of its share of the
// weights' energy and its share of the coherent correlation energy (which
// finds an echo before the weights have grown); a path that runs over a
// partition's edge lends the neighbour a share; then
// g_k = (1-α)/2 + (1+α)/2 · K·share_k over the partitions that are not
// idle.
func (f *filter) updateGains() {
	var tw, tr float32
	var coh float32
	for k := range f.k {
		o := k * fftLen
		f.wn[k] = 0
		if !f.zero[k] {
			f.wn[k] = energy(f.wb[o : o+fftLen])
		}
		tw += f.wn[k]
		// Coherence: ‖R‖² over the leaky sum of the ‖G‖² it is made of is
		// about 1 for gradients that are noise and up to (1+λ)/(1-λ) for
		// gradients that keep pointing the same way: an echo the weights
		// do not model yet. What is coherent counts as its energy.
		c := energy(f.r[o : o+fftLen])
		if !f.idle[k] && f.q[k] > 0 {
			coh = max(coh, c/f.q[k])
		}
		f.rn[k] = 0
		thr := float32(corrStart)
		if f.started {
			thr = corrExcess
		}
		if f.sparse() && c > thr*f.q[k] && f.q[k] > 0 {
			f.rn[k] = c - f.q[k]
		}
		tr += f.rn[k]
	}
	f.found = tr > 0
	f.coh = coh
	for k := range f.k {
		var sh float32
		if tw > 0 {
			sh = f.wn[k] / tw
		}
		if tr > 0 {
			sh = max(sh, f.rn[k]/tr)
		}
		f.wn[k] = sh
	}
	var ts float32
	for k := range f.k {
		sh := f.wn[k]
		if k > 0 {
			sh = max(sh, f.wn[k-1]*f.lend(f.edge[2*(k-1)+1]))
		}
		if k+1 < f.k {
			sh = max(sh, f.wn[k+1]*f.lend(f.edge[2*(k+1)]))
		}
		f.idle[k] = f.started && f.sparse() && sh < idleShare && f.rn[k] == 0
		if f.idle[k] {
			sh = 0
		}
		f.gain[k] = sh
		ts += sh
	}
	if ts == 0 {
		for k := range f.gain {
			f.gain[k], f.idle[k] = 1, false
		}
		return
	}
	a, b := float32((1-propAlpha)/2), (1+propAlpha)/2*float32(f.k)/ts
	for k := range f.gain {
		if !f.idle[k] {
			f.gain[k] = a + b*f.gain[k]
		}
	}
}

// lend returns the fraction of its share a partition lends a neighbour
// when frac of its energy sits in the edge taps next to it. In the first
// blocks of adaptation the weights are mostly noise, which spreads evenly
// (edgeLen/partLen of the energy at each end): then only a clear excess
// counts.
func (f *filter) lend(frac float32) float32 {
	floor := float32(edgeFloor)
	if f.age < edgeBlocks {
		floor = edgeFloorEarly
	}
	return min(neighbour, edgeGain*max(0, frac-floor))
}

// pathGain returns Σ w² over all taps of weights w (packed spectra scaled
// by 1/M): by Parseval, M·Σ|W'|² over all M bins, of which the packed form
// holds DC and Nyquist once and the others for both halves.
func pathGain(w []float32) float32 {
	var s float32
	for o := 0; o < len(w); o += fftLen {
		p := w[o : o+fftLen]
		s += p[0]*p[0] + p[1]*p[1] + 2*energy(p[2:])
	}
	return s * fftLen
}

func energy(v []float32) float32 {
	var s float32
	for _, x := range v {
		s += x * x
	}
	return s
}

// gradStep computes the gradient t = conj(x)·e of one partition (packed
// spectra of length fftLen), adds g·t to the weights w and leaks t into
// the correlation accumulator r.
func gradStep(w, r, x, e []float32, g float32) (energy float32) {
	w, r, x, e = w[:fftLen], r[:fftLen], x[:fftLen], e[:fftLen]
	t0, t1 := x[0]*e[0], x[1]*e[1]
	q := t0*t0 + t1*t1
	w[0] += g * t0
	w[1] += g * t1
	r[0] = corrLeak*r[0] + t0
	r[1] = corrLeak*r[1] + t1
	for i := 2; i < fftLen; i += 2 {
		xr, xi := x[i], x[i+1]
		er, ei := e[i], e[i+1]
		tr := xr*er + xi*ei
		ti := xr*ei - xi*er
		w[i] += g * tr
		w[i+1] += g * ti
		r[i] = corrLeak*r[i] + tr
		r[i+1] = corrLeak*r[i+1] + ti
		q += tr*tr + ti*ti
	}
	return q
}

// corrStep is gradStep for a partition that does not adapt.
func corrStep(r, x, e []float32) (energy float32) {
	r, x, e = r[:fftLen], x[:fftLen], e[:fftLen]
	t0, t1 := x[0]*e[0], x[1]*e[1]
	r[0] = corrLeak*r[0] + t0
	r[1] = corrLeak*r[1] + t1
	q := t0*t0 + t1*t1
	for i := 2; i < fftLen; i += 2 {
		xr, xi := x[i], x[i+1]
		er, ei := e[i], e[i+1]
		tr := xr*er + xi*ei
		ti := xr*ei - xi*er
		r[i] = corrLeak*r[i] + tr
		r[i+1] = corrLeak*r[i+1] + ti
		q += tr*tr + ti*ti
	}
	return q
}

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// Copy decisions. The errors are a priori (made before this block's
// update), so the background cannot look better by having fitted the block
// it is judged on. With Δ = eF - eB = yB - yF, Sff - See = Σ Δ² + 2·Σ eB·Δ:
// when the background is truly better, eB is uncorrelated with Δ and the
// difference of the errors is about the energy of the difference of the
// estimates. Near-end speech s adds the same to both errors but also adds
// 2·Σ s·Δ to the difference, which is zero on average and large by chance
// when s is strong and narrow-band (a vowel: few degrees of freedom in a
// block), about 2·sqrt(Σs²·ΣΔ²/n) for n effective samples: the gain must
// exceed that too before the foreground takes anything (with Σs² taken as
// what the background's error holds above its floor: the background noise
// is broadband and averages out). In the first second and a half of
// far-end signal (the foreground is young: it cancels little, so a poor
// copy costs little) the plain tests suffice: convergence is not held
// back. A background gone astray (double talk) is reset from the
// foreground; one that is merely a little worse for a while is left alone,
// it is converging.
const (
	smooth      = 0.5    // weight of the newest block in the smoothed energies
	copyRatio   = 0.7    // background error at most this fraction of the foreground's
	copyLong    = 0.8    // ...and on the long averages at most this fraction
	copyNoise   = 1.5    // margin for the chance correlation of near-end speech with Δ (see above)
	floorMargin = 4      // error energy up to this many times the floor counts as background noise
	floorRise   = 1.0058 // per block: +2.5 dB/s
	copyDiff    = 0.5    // and the gain at least this fraction of Σ Δ²
	backShort   = 8      // background error this much above the foreground's (short average)...
	backLong    = 2      // ...or this much (long average): reset it
	smoothLong  = 0.1    // weight of the newest block in the long averages
	tinyPow     = 1e-2   // energies below this count as silence
)

// judge compares the two filters on this block's errors and copies one
// into the other when the evidence says so. It reports whether the
// foreground changed.
func (f *filter) judge(ef, eb []float32, dt bool) bool {
	young := f.age < youngBlocks
	var sff, see, sdd float32
	for i := range blockLen {
		a, b := ef[i], eb[i]
		sff += a * a
		see += b * b
		d := a - b
		sdd += d * d
	}
	f.sff += smooth * (sff - f.sff)
	f.see += smooth * (see - f.see)
	f.sdd += smooth * (sdd - f.sdd)
	f.lff += smoothLong * (sff - f.lff)
	// The floor of the background's error: the background noise plus
	// what the filter cannot model, tracked as a slowly rising minimum.
	if see < f.floor || f.floor == 0 {
		f.floor = see
	} else {
		f.floor *= floorRise
	}
	f.lee += smoothLong * (see - f.lee)
	switch {
	case !dt && f.see < copyRatio*f.sff && f.sdd > tinyPow && f.sff-f.see > copyDiff*f.sdd &&
		(young || f.lee < copyLong*f.lff &&
			f.sff-f.see > copyDiff*f.sdd+copyNoise*sqrt32(max(0, f.see-floorMargin*f.floor)*f.sdd)):
		copy(f.wf, f.wb)
		f.copies++
		f.gainF = pathGain(f.wf)
		f.sff, f.lff = f.see, f.lee
		f.sdd = 0
		return true
	case f.see-f.sff > copyDiff*f.sdd &&
		(f.see > backShort*f.sff+tinyPow || f.lee > backLong*f.lff+tinyPow):
		// The background went astray (double talk, most likely): start
		// it again from the foreground. A background a little worse than
		// the foreground for a while is normal while it converges.
		copy(f.wb, f.wf)
		f.resets++
		for k := range f.k {
			f.zero[k] = false
		}
		f.updateGains()
		f.see, f.lee = f.sff, f.lff
		f.sdd = 0
	}
	return false
}
