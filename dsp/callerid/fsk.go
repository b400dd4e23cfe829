package callerid

import (
	"math"

	"github.com/openiad/openiad/dsp"
)

// Modem is the FSK modulation of the data.
type Modem uint8

const (
	// Bell202 sends mark (1) at 1200 Hz and space (0) at 2200 Hz (GR-30,
	// China YD/T 1401).
	Bell202 Modem = iota
	// V23 sends mark at 1300 Hz and space at 2100 Hz (ITU-T V.23 forward
	// channel, ETSI EN 300 659-1).
	V23
)

func (m Modem) String() string {
	switch m {
	case Bell202:
		return "Bell 202"
	case V23:
		return "V.23"
	}
	return "modem?"
}

// Mark returns the frequency of a 1 bit, in Hz.
func (m Modem) Mark() float64 {
	if m == V23 {
		return 1300
	}
	return 1200
}

// Space returns the frequency of a 0 bit, in Hz.
func (m Modem) Space() float64 {
	if m == V23 {
		return 2100
	}
	return 2200
}

// Baud is the nominal bit rate of both modems.
const Baud = 1200

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

func (f *biquad) reset() { f.x1, f.x2, f.y1, f.y2 = 0, 0, 0, 0 }

// butter returns the sections of an order-2n Butterworth filter, low-pass
// or high-pass at fc Hz, by the bilinear transform with pre-warping.
func butter(n int, fc float64, high bool) []biquad {
	k := math.Tan(math.Pi * fc / dsp.SampleRate)
	fs := make([]biquad, n)
	for i := range fs {
		// Pole pairs of the analogue prototype: Q = 1 / (2 sin θ).
		theta := math.Pi * float64(2*i+1) / float64(4*n)
		q := 1 / (2 * math.Sin(theta))
		norm := 1 / (1 + k/q + k*k)
		f := &fs[i]
		if high {
			f.b0, f.b1, f.b2 = norm, -2*norm, norm
		} else {
			f.b0 = k * k * norm
			f.b1, f.b2 = 2*f.b0, f.b0
		}
		f.a1 = 2 * (k*k - 1) * norm
		f.a2 = (1 - k/q + k*k) * norm
	}
	return fs
}

// modulator is a phase-continuous FSK modulator. Bit edges fall between
// samples where the bit clock puts them: the sample that straddles an edge
// advances its phase partly at the old and partly at the new frequency.
type modulator struct {
	osc         dsp.Osc
	amp         float64
	spb         float64 // samples per bit
	left        float64 // samples of the current bit still to send
	mark, space float64
	bit         byte
}

func (m *modulator) start(modem Modem, levelDBm0, baud float64) {
	m.mark, m.space = modem.Mark(), modem.Space()
	m.amp = dsp.DBm0ToPeak(levelDBm0)
	m.spb = dsp.SampleRate / baud
	m.left = 0
	m.bit = 1
	m.osc.SetPhase(0)
	m.osc.SetFreq(m.mark)
}

func (m *modulator) freq(bit byte) float64 {
	if bit == 0 {
		return m.space
	}
	return m.mark
}

// render writes samples into dst, asking next for each new bit; next
// returns false when there are no more bits. render returns how many
// samples it wrote and whether the bits ran out.
func (m *modulator) render(dst []int16, next func() (byte, bool)) (int, bool) {
	for i := range dst {
		if m.left >= 1 {
			dst[i] = dsp.SatF16(m.amp * m.osc.Next())
			m.left--
			continue
		}
		// A bit edge falls before the next sample: the fraction m.left of
		// this sample's step belongs to the old bit, the rest to the new.
		b, ok := next()
		if !ok {
			return i, true
		}
		old := m.freq(m.bit)
		m.bit = b
		f := m.left*old + (1-m.left)*m.freq(b)
		m.osc.SetFreq(f)
		dst[i] = dsp.SatF16(m.amp * m.osc.Next())
		m.osc.SetFreq(m.freq(b))
		m.left += m.spb - 1
	}
	return len(dst), false
}

// Demodulator constants.
const (
	centre     = 1700 // Hz, midway between mark and space of both modems
	lowCut     = 650  // Hz, low-pass on the complex baseband: ±400-500 Hz of deviation, 1200 baud (narrower than the ±1100 Hz of the signal; measured best in white noise)
	highCut    = 450  // Hz, high-pass before mixing: hum and DC
	carrierOn  = -46  // dBm0 of in-band signal that counts as a carrier
	carrierOff = -50  // dBm0 below which the carrier is lost
)

// demodulator turns line samples into a soft bit decision: the frequency
// offset from 1700 Hz measured by an FM discriminator on the complex
// baseband, negative for mark, positive for space; and an in-band power
// estimate for carrier detection.
type demodulator struct {
	hp       [1]biquad
	lpI, lpQ [2]biquad
	lo       dsp.Osc // 1700 Hz local oscillator (sine)
	loC      dsp.Osc // its cosine
	pi, pq   float64 // previous baseband sample
	power    float64 // smoothed in-band power (mean square of the real signal)
	total    float64 // smoothed power of the whole (high-passed) signal
	carrier  bool
	onPow    float64
	offPow   float64
}

var (
	hpProto = butter(1, highCut, true)
	lpProto = butter(2, lowCut, false)
)

func (d *demodulator) init() {
	copy(d.hp[:], hpProto)
	copy(d.lpI[:], lpProto)
	copy(d.lpQ[:], lpProto)
	d.lo.SetFreq(centre)
	d.loC.SetFreq(centre)
	d.loC.SetPhase(math.Pi / 2)
	on, off := dsp.DBm0ToRMS(carrierOn), dsp.DBm0ToRMS(carrierOff)
	d.onPow, d.offPow = on*on, off*off
	d.reset()
}

func (d *demodulator) reset() {
	for i := range d.hp {
		d.hp[i].reset()
	}
	for i := range d.lpI {
		d.lpI[i].reset()
		d.lpQ[i].reset()
	}
	d.pi, d.pq, d.power, d.total, d.carrier = 0, 0, 0, 0, false
}

// step demodulates one sample. It returns the product of the baseband
// sample with the conjugate of the one before, whose angle is the phase
// step in radians per sample (about ±0.39 for Bell 202, ±0.31 for V.23;
// mark negative) and whose magnitude is the signal power.
func (d *demodulator) step(x float64) (cross, dot float64) {
	for i := range d.hp {
		x = d.hp[i].run(x)
	}
	d.total += (x*x - d.total) * (1.0 / 40)
	i := x * d.loC.Next()
	q := -x * d.lo.Next()
	for k := range d.lpI {
		i = d.lpI[k].run(i)
		q = d.lpQ[k].run(q)
	}
	// The baseband holds half the amplitude of the real signal: its power
	// times two is the real signal's mean square.
	p := 2 * (i*i + q*q)
	d.power += (p - d.power) * (1.0 / 40) // 5 ms
	if d.carrier {
		d.carrier = d.power > d.offPow
	} else {
		d.carrier = d.power > d.onPow
	}
	cross = q*d.pi - i*d.pq
	dot = i*d.pi + q*d.pq
	d.pi, d.pq = i, q
	return cross, dot
}
