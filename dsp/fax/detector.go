package fax

import (
	"math"

	"github.com/openiad/openiad/dsp"
)

// V.21 channel 2 and the flag hunt.
const (
	v21Centre   = 1750.0 // Hz, between mark 1650 and space 1850
	v21Cut      = 300.0  // Hz, low-pass on the complex baseband
	v21Baud     = 300.0
	v21SPB      = dsp.SampleRate / v21Baud
	v21Flags    = 6    // flags in a row that make a preamble
	v21Share    = 0.5  // share of the power the band must hold
	v21Off      = 800  // samples (100 ms) without the V.21 signal that end it
	hdlcFlag    = 0x7E // HDLC flag
	clockGain   = 0.5  // share of a transition's timing error the bit clock takes up
	maxEvents   = 8
	powerSmooth = 1.0 / 80 // one-pole smoothing of the band and total power (10 ms)
)

// biquad is one second-order section, direct form I.
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func (f *biquad) run(x float64) float64 {
	y := f.b0*x + f.b1*f.x1 + f.b2*f.x2 - f.a1*f.y1 - f.a2*f.y2
	f.x2, f.x1 = f.x1, x
	f.y2, f.y1 = f.y1, y
	return y
}

// lowpass4 returns the two sections of a 4th-order Butterworth low-pass at
// fc Hz (bilinear transform with pre-warping).
func lowpass4(fc float64) [2]biquad {
	k := math.Tan(math.Pi * fc / dsp.SampleRate)
	var fs [2]biquad
	for i := range fs {
		q := 1 / (2 * math.Sin(math.Pi*float64(2*i+1)/8))
		norm := 1 / (1 + k/q + k*k)
		f := &fs[i]
		f.b0 = k * k * norm
		f.b1, f.b2 = 2*f.b0, f.b0
		f.a1 = 2 * (k*k - 1) * norm
		f.a2 = (1 - k/q + k*k) * norm
	}
	return fs
}

var v21Proto = lowpass4(v21Cut)

// Detector recognises fax and modem signals on one channel. Make one with
// NewDetector.
type Detector struct {
	n     int64 // samples seen
	floor float64

	// tones, in blocks
	cng, ans tracker
	energy   float64
	blkN     int

	// V.21 channel 2
	lo, loC    dsp.Osc
	lpI, lpQ   [2]biquad
	pi, pq     float64
	c1, c2, c3 float64 // last phase-step signs (cross products)
	band       float64 // smoothed band power (real-signal mean square)
	total      float64 // smoothed power of the whole signal
	bandMin    float64
	quiet      int     // samples without the V.21 signal
	prevD      float64 // previous soft decision
	next       float64 // sample time of the next bit centre
	synced     bool
	reg        uint8 // last eight bits
	bits       int64 // bits since the clock started
	lastFlag   int64 // bit index of the last flag
	flags      int   // flags in a row, eight bits apart
	v21At      int64
	v21On      bool // reported

	evs [maxEvents]Event
	nev int
}

// NewDetector returns a detector for one channel.
func NewDetector() *Detector {
	d := &Detector{}
	d.cng.init(cngFreq, cngTol, cngShare)
	d.ans.init(ansFreq, ansTol, ansShare)
	r := dsp.DBm0ToRMS(minLevel)
	d.floor = r * r
	d.bandMin = r * r
	d.Reset()
	return d
}

// Reset forgets everything heard; sample indices start again from 0.
func (d *Detector) Reset() {
	cng, ans, floor, bandMin := d.cng, d.ans, d.floor, d.bandMin
	*d = Detector{cng: cng, ans: ans, floor: floor, bandMin: bandMin}
	d.cng.reset()
	d.ans.reset()
	d.lpI, d.lpQ = v21Proto, v21Proto
	d.lo.SetFreq(v21Centre)
	d.loC.SetFreq(v21Centre)
	d.loC.SetPhase(math.Pi / 2)
}

func (d *Detector) emit(k Kind, at int64, p float64) {
	if d.nev < maxEvents {
		d.evs[d.nev] = Event{Kind: k, At: at, Level: level(p)}
		d.nev++
	}
}

// Process takes the next samples of the channel (any length, normally one
// 80-sample frame) and returns the signals recognised in them, valid until
// the next call. It never allocates.
func (d *Detector) Process(frame []int16) []Event {
	d.nev = 0
	for _, v := range frame {
		x := float64(v)
		d.cng.g.Push(x)
		d.ans.g.Push(x)
		d.energy += x * x
		d.v21(x)
		d.n++
		if d.blkN++; d.blkN == block {
			d.tones()
		}
	}
	return d.evs[:d.nev]
}

// tones evaluates a finished block for CNG and the answer tone.
func (d *Detector) tones() {
	at := d.n - block
	total := d.energy / block
	d.energy, d.blkN = 0, 0

	if good, _ := d.cng.blockDone(at, total, d.floor); good && !d.cng.on && d.cng.good >= cngBlocks {
		d.cng.on = true
		d.emit(CNG, d.cng.start, d.cng.power)
	}

	t := &d.ans
	good, rev := t.blockDone(at, total, d.floor)
	if !good {
		return
	}
	if !t.on && t.good >= ansBlocks {
		t.on = true
		k := CED
		if t.modulation() >= amDepth {
			k = ANSam
		}
		d.emit(k, t.start, t.power)
	}
	if rev && t.on && !t.reverse {
		t.reverse = true
		k := ANSReversal
		if t.modulation() >= amDepth {
			k = ANSamReversal
		}
		d.emit(k, at, t.power)
	}
}

// v21 runs one sample through the V.21 channel 2 demodulator and the flag
// hunt.
func (d *Detector) v21(x float64) {
	i := x * d.loC.Next()
	q := -x * d.lo.Next()
	for k := range d.lpI {
		i = d.lpI[k].run(i)
		q = d.lpQ[k].run(q)
	}
	d.band += (2*(i*i+q*q) - d.band) * powerSmooth
	d.total += (x*x - d.total) * powerSmooth
	cross := q*d.pi - i*d.pq // its sign: + space (above 1750 Hz), - mark
	d.pi, d.pq = i, q
	s := cross + d.c1 + d.c2 + d.c3
	d.c3, d.c2, d.c1 = d.c2, d.c1, cross

	if d.band < d.bandMin || d.band < v21Share*d.total {
		if d.quiet++; d.quiet >= v21Off {
			d.synced, d.v21On, d.flags = false, false, 0
		}
		d.prevD = s
		return
	}
	if d.quiet > 0 && !d.synced {
		d.v21At = d.n // the signal (re)appears
	}
	d.quiet = 0
	now := float64(d.n)
	if (s < 0) != (d.prevD < 0) {
		// A transition: the next bit centre lies half a bit after it.
		tc := now - 1 + d.prevD/(d.prevD-s)
		if !d.synced {
			d.synced, d.next, d.bits, d.flags = true, tc+v21SPB/2, 0, 0
		} else {
			e := math.Remainder(tc+v21SPB/2-d.next, v21SPB)
			d.next += clockGain * e
		}
	}
	d.prevD = s
	if !d.synced || now < d.next {
		return
	}
	d.next += v21SPB
	d.reg >>= 1
	if s < 0 { // mark: 1
		d.reg |= 0x80
	}
	d.bits++
	if d.reg != hdlcFlag {
		return
	}
	if d.flags > 0 && d.bits-d.lastFlag == 8 {
		d.flags++
	} else {
		d.flags = 1
	}
	d.lastFlag = d.bits
	if d.flags >= v21Flags && !d.v21On {
		d.v21On = true
		d.emit(V21Preamble, d.v21At, d.band)
	}
}
