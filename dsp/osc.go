package dsp

import "math"

// Osc is a sine oscillator built on a 32-bit phase accumulator and a sine
// table with linear interpolation. Its phase never drifts (the accumulator
// wraps exactly), its frequency resolution is 8000/2^32 Hz, and a sample
// costs one add, two table reads and one multiply-add. The spurious
// components of the interpolation are below -100 dB.
//
// The zero value is a silent oscillator at 0 Hz. An Osc belongs to one
// goroutine at a time.
type Osc struct {
	phase uint32
	inc   uint32
}

const (
	oscTableBits = 10
	oscTableLen  = 1 << oscTableBits
	oscFracBits  = 32 - oscTableBits
)

// oscTable holds one period of a sine plus a guard point for the
// interpolation.
var oscTable = func() (t [oscTableLen + 1]float64) {
	for i := range t {
		t[i] = math.Sin(2 * math.Pi * float64(i) / oscTableLen)
	}
	return t
}()

// phaseInc converts a frequency in Hz into an accumulator increment.
func phaseInc(freq float64) uint32 {
	f := math.Mod(freq/SampleRate, 1)
	if f < 0 {
		f++
	}
	return uint32(uint64(math.Round(f*(1<<32))) & 0xffffffff)
}

// SetFreq changes the frequency, keeping the phase (no click).
func (o *Osc) SetFreq(freq float64) { o.inc = phaseInc(freq) }

// Freq returns the frequency the oscillator really runs at, in Hz.
func (o *Osc) Freq() float64 { return float64(o.inc) * SampleRate / (1 << 32) }

// SetPhase sets the phase in radians (0 starts the sine at a zero crossing,
// rising).
func (o *Osc) SetPhase(rad float64) {
	f := math.Mod(rad/(2*math.Pi), 1)
	if f < 0 {
		f++
	}
	o.phase = uint32(uint64(math.Round(f*(1<<32))) & 0xffffffff)
}

// Phase returns the current phase in radians, in [0, 2π).
func (o *Osc) Phase() float64 { return float64(o.phase) * 2 * math.Pi / (1 << 32) }

// Next returns sin(phase) and advances the phase by one sample.
func (o *Osc) Next() float64 {
	p := o.phase
	o.phase += o.inc
	i := p >> oscFracBits
	frac := float64(p&(1<<oscFracBits-1)) * (1.0 / (1 << oscFracBits))
	a := oscTable[i]
	return a + (oscTable[i+1]-a)*frac
}
