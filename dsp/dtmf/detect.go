package dtmf

import (
	"math"
	"math/cmplx"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/goertzel"
)

// Event is a key going down or coming up.
type Event struct {
	Digit byte  // '0'-'9', '*', '#', 'A'-'D'
	Down  bool  // true: key-down; false: key-up
	At    int64 // sample index (counted from NewDetector or Reset) where the tone began (key-down) or ended (key-up), to within about 5 ms
	Dur   int64 // key-up only: how long the tone lasted, in samples
}

// The DTMF frequencies: rows (low group) then columns (high group).
var freqs = [8]float64{697, 770, 852, 941, 1209, 1336, 1477, 1633}

var keys = [4][4]byte{
	{'1', '2', '3', 'A'},
	{'4', '5', '6', 'B'},
	{'7', '8', '9', 'C'},
	{'*', '0', '#', 'D'},
}

// Detection parameters; the package comment explains how they work
// together.
const (
	sub     = 20 // samples per sub-block: the detector's time step (2.5 ms)
	winSubs = 6  // screening window: 120 samples (bins 66.7 Hz wide)
	histLen = 8  // sub-blocks kept (>= winSubs)
	winN    = winSubs * sub

	// Screening of each step ("hit") on the window powers.
	rawMinDBm0  = -32.0 // each tone, before correcting for frequency offset
	peakRatioDB = 6.0   // strongest of a group over the next in the group
	energyRatio = 0.6   // share of the window's power in the two tones
	rawTwistDB  = 4.0   // margin beyond the final twist limits

	// Decision on a run of hits.
	minRun      = 11    // hits in a row before a key-down (see the package comment)
	missMax     = 12    // steps without the digit that end a key press (30 ms)
	freqTol     = 0.02  // |Δf|/f accepted (Q.24: accept 1.5 %, reject 3.5 %; kept tight against harmonic talk-off)
	minDBm0     = -29.0 // each tone (Q.24: accept -25 dBm0)
	purity      = 0.85  // share of the segment's power in the two measured tones
	twistLowDB  = 8.5   // low group louder than high by at most this (Q.24: accept 8 dB)
	twistHighDB = 4.5   // high group louder than low by at most this (Q.24: accept 4 dB)

	// Validation measures the segLen raw samples that end segBack samples
	// before the current step: inside the tone once a run is minRun long.
	rawLen  = 256 // raw history kept (a power of two)
	segLen  = 160
	segBack = 40
	lag     = 40           // the two halves for the frequency estimate are this far apart (unambiguous to ±100 Hz)
	halfLen = segLen - lag // 120

	// Where tones begin and end relative to the first and last hit.
	onsetBack = 83 // samples from the end of the first hit's step back to the tone's start
	endBack   = 39 // samples from the end of the last hit's step back to the tone's end
)

var (
	peakRatio = math.Pow(10, peakRatioDB/10)
	p0        = func() float64 { a := dsp.DBm0ToPeak(0); return a * a / 2 }() // power of a 0 dBm0 sine
	rawMin    = p0 * math.Pow(10, rawMinDBm0/10)
	winSeg    = blackmanHarris(segLen)
	winHalf   = blackmanHarris(halfLen)
	// rotation of the absolute phase reference over one sub-block
	subRot = func() (r [8]complex128) {
		for i, f := range freqs {
			r[i] = cmplx.Rect(1, -2*math.Pi*f*sub/dsp.SampleRate)
		}
		return r
	}()
)

// Detector finds DTMF digits in a stream of 8 kHz linear samples. Its zero
// value is ready to use (NewDetector is a convenience). A Detector belongs
// to one goroutine; it never allocates after creation.
type Detector struct {
	init  bool
	filt  [8]goertzel.Filter
	ref   [8]complex128 // e^(-jωn₀) at the current sub-block's first sample n₀
	fill  int           // samples in the current sub-block
	energ float64       // their energy
	n     int64         // samples seen
	steps int64         // sub-blocks completed

	hist  [histLen][8]complex128 // sub-block DFTs referred to absolute time
	histE [histLen]float64       // sub-block energies
	raw   [rawLen]int16          // the last samples, at index n % rawLen
	seg   [segLen]float64        // scratch: the segment being validated

	// the run of consecutive hits of one candidate digit
	run struct {
		digit  byte
		r, c   int
		length int
		first  int64 // step of the first hit
	}
	down    bool  // a key is down
	key     byte  // which
	keyAt   int64 // where its tone began
	lastHit int64 // end of the last step that saw it
	miss    int   // steps since

	events [4]Event
	nev    int

	est [4]float64 // last validation: Δf low, Δf high (Hz), level low, high (dBm0)
}

// NewDetector returns a ready detector.
func NewDetector() *Detector {
	d := new(Detector)
	d.Reset()
	return d
}

// Reset forgets all state and restarts sample counting at 0.
func (d *Detector) Reset() {
	*d = Detector{}
	d.setup()
}

func (d *Detector) setup() {
	for i, f := range freqs {
		d.filt[i] = goertzel.New(f, dsp.SampleRate, sub)
		d.ref[i] = 1
	}
	d.init = true
}

// Process runs the detector over the next samples (any number; normally a
// 10 ms frame) and returns the key events they completed, in order. The
// slice is valid until the next call. Process never allocates.
func (d *Detector) Process(frame []int16) []Event {
	if !d.init {
		d.setup()
	}
	d.nev = 0
	for len(frame) > 0 {
		k := min(sub-d.fill, len(frame))
		chunk := frame[:k]
		frame = frame[k:]
		for i := range d.filt {
			d.filt[i].PushBlock(chunk)
		}
		var e float64
		for j, v := range chunk {
			f := float64(v)
			e += f * f
			d.raw[(d.n+int64(j))%rawLen] = v
		}
		d.energ += e
		d.fill += k
		d.n += int64(k)
		if d.fill == sub {
			d.step()
		}
	}
	return d.events[:d.nev]
}

// slot returns the history index of step s.
func slot(s int64) int { return int(s % histLen) }

// window sums the winSubs sub-blocks ending with step s for frequency i:
// the DFT of the last 120 samples at that frequency.
func (d *Detector) window(s int64, i int) complex128 {
	var w complex128
	for t := int64(0); t < winSubs; t++ {
		w += d.hist[slot(s-t)][i]
	}
	return w
}

// power converts a window DFT into the power of a sine (A²/2).
func power(w complex128) float64 {
	return (real(w)*real(w) + imag(w)*imag(w)) * 2 / (winN * winN)
}

// step closes a sub-block, screens the window ending with it, and moves
// the key state on.
func (d *Detector) step() {
	d.steps++
	sl := slot(d.steps)
	for i := range d.filt {
		re, im := d.filt[i].DFT()
		d.hist[sl][i] = complex(re, im) * d.ref[i]
		d.filt[i].Reset()
		r := d.ref[i] * subRot[i]
		d.ref[i] = r / complex(cmplx.Abs(r), 0)
	}
	d.histE[sl] = d.energ
	d.energ, d.fill = 0, 0
	end := d.n // sample index just past this step

	var cand byte
	var r, c int
	if d.steps >= winSubs {
		cand, r, c = d.classify()
	}

	if cand != 0 && cand == d.run.digit {
		d.run.length++
	} else {
		d.run.digit, d.run.r, d.run.c, d.run.length, d.run.first = cand, r, c, 1, d.steps
	}

	if d.down {
		if cand == d.key {
			d.miss = 0
			d.lastHit = end
		} else if d.miss++; d.miss >= missMax {
			at := max(d.lastHit-endBack, d.keyAt+1)
			d.emit(Event{Digit: d.key, Down: false, At: at, Dur: at - d.keyAt})
			d.down = false
		}
	}
	if !d.down && cand != 0 && d.run.length >= minRun && d.valid() {
		d.down, d.key, d.miss, d.lastHit = true, cand, 0, end
		d.keyAt = max(d.run.first*sub-onsetBack, 0)
		d.emit(Event{Digit: cand, Down: true, At: d.keyAt})
	}
}

// classify screens the window ending now and returns the candidate digit
// (0 for none) with its row (0-3) and column (4-7).
func (d *Detector) classify() (byte, int, int) {
	var p [8]float64
	for i := range p {
		p[i] = power(d.window(d.steps, i))
	}
	var e float64
	for t := int64(0); t < winSubs; t++ {
		e += d.histE[slot(d.steps-t)]
	}
	r, r2 := best(p[0:4])
	c, c2 := best(p[4:8])
	pl, ph := p[r], p[4+c]
	switch {
	case pl < rawMin || ph < rawMin:
		return 0, 0, 0
	case pl < peakRatio*r2 || ph < peakRatio*c2:
		return 0, 0, 0
	case pl+ph < energyRatio*e/winN:
		return 0, 0, 0
	}
	tw := 10 * math.Log10(pl/ph)
	if tw > twistLowDB+rawTwistDB || tw < -twistHighDB-rawTwistDB {
		return 0, 0, 0
	}
	return keys[r][c], r, 4 + c
}

// best returns the index of the largest of the powers and the value of the
// second largest.
func best(p []float64) (int, float64) {
	i := 0
	for j := 1; j < len(p); j++ {
		if p[j] > p[i] {
			i = j
		}
	}
	var second float64
	for j := range p {
		if j != i && p[j] > second {
			second = p[j]
		}
	}
	return i, second
}

// valid decides on the current run by measuring its two tones on the raw
// samples with a Blackman-Harris window (sidelobes below -92 dB, so neither
// tone disturbs the measurement of the other): each frequency from the
// phase advance between two overlapping parts of the segment, then each
// level at the measured frequency. Frequencies must be within tolerance,
// levels and twist within limits, and the two tones must carry nearly all
// the power.
func (d *Detector) valid() bool {
	ru := &d.run
	end := d.n - segBack
	if end < segLen {
		return false
	}
	for i := range d.seg {
		d.seg[i] = float64(d.raw[(end-segLen+int64(i))%rawLen])
	}
	fl, fh := freqs[ru.r], freqs[ru.c]
	dfl, dfh := d.offset(fl), d.offset(fh)
	d.est = [4]float64{dfl, dfh, math.NaN(), math.NaN()}
	if math.Abs(dfl) > freqTol*fl || math.Abs(dfh) > freqTol*fh {
		return false
	}
	al := cmplx.Abs(wdft(d.seg[:], winSeg, fl+dfl))
	ah := cmplx.Abs(wdft(d.seg[:], winSeg, fh+dfh))
	ll, lh := levelDBm0(al), levelDBm0(ah)
	d.est = [4]float64{dfl, dfh, ll, lh}
	if ll < minDBm0 || lh < minDBm0 {
		return false
	}
	// Nothing much else may sound: speech and music that happen to have
	// two components near DTMF frequencies also have harmonics and others.
	var ms, ws float64
	for i, v := range d.seg {
		ms += winSeg[i] * v * v
		ws += winSeg[i]
	}
	if (al*al+ah*ah)/2 < purity*ms/ws {
		return false
	}
	tw := ll - lh
	return tw <= twistLowDB && tw >= -twistHighDB
}

// offset measures how far the tone near f in d.seg is from f, in Hz.
func (d *Detector) offset(f float64) float64 {
	a := wdft(d.seg[:halfLen], winHalf, f)
	b := wdft(d.seg[lag:], winHalf, f)
	// b starts lag samples later; each DFT's phase is referred to its own
	// first sample, so b is ahead by 2π(f+δ)lag/fs: take off the known part.
	z := b * cmplx.Conj(a) * cmplx.Rect(1, -2*math.Pi*f*lag/dsp.SampleRate)
	return cmplx.Phase(z) * dsp.SampleRate / (2 * math.Pi * lag)
}

// wdft returns the windowed DFT of x at f, scaled so that a sine of
// amplitude A at f has magnitude A.
func wdft(x, w []float64, f float64) complex128 {
	rot := cmplx.Rect(1, -2*math.Pi*f/dsp.SampleRate)
	ph := complex(1, 0)
	var sum complex128
	var ws float64
	for i, v := range x {
		sum += complex(v*w[i], 0) * ph
		ph *= rot
		ws += w[i]
	}
	return sum * complex(2/ws, 0)
}

// levelDBm0 converts a sine's amplitude into dBm0.
func levelDBm0(a float64) float64 {
	return 20*math.Log10(a/32767) + dsp.FullScaleDBm0
}

// blackmanHarris returns the 4-term Blackman-Harris window of n points.
func blackmanHarris(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		a := 2 * math.Pi * float64(i) / float64(n-1)
		w[i] = 0.35875 - 0.48829*math.Cos(a) + 0.14128*math.Cos(2*a) - 0.01168*math.Cos(3*a)
	}
	return w
}

func (d *Detector) emit(e Event) {
	if d.nev < len(d.events) {
		d.events[d.nev] = e
		d.nev++
	}
}
