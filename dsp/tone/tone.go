// Package tone generates call-progress tones (dial, ringback, busy,
// congestion, number unobtainable, howler, call waiting, stutter dial) from
// per-country tone plans, and describes each country's ring cadence.
//
// A Spec is a list of segments, each a sum of up to four sine components
// (or silence) lasting a whole number of samples; it may repeat, be
// amplitude-modulated, or rise in level like a howler. Plans hold the
// values of the national standards (see plans.go); Lookup returns a fresh
// copy that the caller may change.
//
// A Generator plays one Spec at a time into 10 ms frames. It belongs to one
// goroutine (the media engine); Start, Stop, Active, Generate and Mix never
// allocate.
package tone

import (
	"math"
	"time"

	"github.com/openiad/openiad/dsp"
)

// MaxComponents is the largest number of sine components a segment may
// have; a Generator ignores the ones beyond it.
const MaxComponents = 4

// Component is one sine of a tone.
type Component struct {
	Freq  float64 // Hz
	Level float64 // dBm0
}

// Segment is one step of a tone's cadence: the sum of Tones for Dur, or
// silence when Tones is empty. Dur 0 lasts until the generator is stopped.
// Durations are counted in samples, rounded to the nearest sample
// (0.35 s is exactly 2800 samples).
type Segment struct {
	Dur   time.Duration
	Tones []Component
}

// Spec describes a whole tone.
type Spec struct {
	Name     string
	Segments []Segment
	// Repeat plays the segments again after the last one, starting from
	// segment RepeatFrom; without it the generator stops after the last.
	Repeat bool
	// RepeatFrom is the index of the segment a repeating Spec starts over
	// from (0: from the top). It lets a tone have a lead-in that is not
	// repeated, such as a special information tone before reorder, or the
	// shorter first cycle of the German call-waiting tone. Out-of-range
	// values count as 0.
	RepeatFrom int
	// Modulate, when not 0, amplitude-modulates the tone at this rate (Hz)
	// with 100 % depth, keeping the peak: s(t) = c(t)·(1+cos 2πfₘt)/2. The
	// carrier line is then 6 dB and each side band 12 dB below the
	// component's Level.
	Modulate float64
	// RampDB, when above 0, raises the level by this many dB per second
	// from the start of the tone (a howler), until the loudest component
	// reaches 0 dBm0 or the sum of the components would reach full scale.
	RampDB float64
}

// Ring is a ringing-signal cadence: the ring frequency and the on/off
// durations, alternating and starting with "on", repeated until stopped.
type Ring struct {
	Freq    float64 // Hz
	Pattern []time.Duration
}

// Period returns the length of one ring cycle.
func (r Ring) Period() time.Duration {
	var t time.Duration
	for _, d := range r.Pattern {
		t += d
	}
	return t
}

// Plan is a country's set of tones and its ring cadence.
type Plan struct {
	Country string // ISO 3166 alpha-2, upper case
	Name    string // English name of the country

	Dial         Spec // proceed to dial
	Ringback     Spec // the called party is being rung
	Busy         Spec // the called party is busy
	Congestion   Spec // the network is congested (reorder, path engaged)
	Unobtainable Spec // the number does not exist
	Howler       Spec // receiver left off hook: hang up
	CallWaiting  Spec // a second call is waiting (played over the call)
	StutterDial  Spec // special dial tone: a service is active, message waiting
	Ring         Ring // the ringing signal sent to the bell
}

// Samples converts a duration into a number of 8 kHz samples, rounded to
// the nearest sample; it is dsp.Samples.
func Samples(d time.Duration) int64 { return dsp.Samples(d) }

// Generator plays a Spec. Its zero value is stopped and usable.
type Generator struct {
	spec   *Spec
	active bool
	seg    int
	left   int64 // samples left in the segment; -1: until stopped
	n      int   // components sounding in the segment
	osc    [MaxComponents]dsp.Osc
	freq   [MaxComponents]float64
	amp    [MaxComponents]float64
	mod    dsp.Osc
	gain   float64 // ramp gain
	step   float64 // ramp gain factor per sample (1: no ramp)
	maxG   float64 // ramp gain ceiling
}

// Start begins playing s from its first segment, replacing whatever was
// playing. s must stay unchanged while the generator uses it. A nil s or one
// without segments stops the generator.
func (g *Generator) Start(s *Spec) {
	g.spec = s
	if s == nil || len(s.Segments) == 0 {
		g.Stop()
		return
	}
	g.active = true
	g.gain, g.step, g.maxG = 1, 1, 1
	if s.RampDB > 0 {
		g.step = math.Pow(10, s.RampDB/20/dsp.SampleRate)
		g.maxG = math.Inf(1)
		zero := dsp.DBm0ToPeak(0)
		for i := range s.Segments {
			var sum, peak float64
			for k, c := range s.Segments[i].Tones {
				if k == MaxComponents {
					break
				}
				a := dsp.DBm0ToPeak(c.Level)
				sum += a
				peak = max(peak, a)
			}
			if sum > 0 {
				g.maxG = min(g.maxG, zero/peak, 32767/sum)
			}
		}
		if math.IsInf(g.maxG, 1) {
			g.maxG = 1
		}
		g.gain = min(1, g.maxG)
	}
	if s.Modulate != 0 {
		g.mod.SetFreq(s.Modulate)
		g.mod.SetPhase(math.Pi / 2) // cos: start at the peak of the envelope
	}
	g.n = 0
	g.enter(0)
}

// Stop silences the generator.
func (g *Generator) Stop() {
	g.active = false
	g.spec = nil
	g.n = 0
}

// Active reports whether a tone is playing: false after Stop, and after the
// last segment of a Spec that does not repeat.
func (g *Generator) Active() bool { return g.active }

// enter switches to segment i. A component keeps its phase when the same
// frequency sounded in the same place in the previous segment; otherwise it
// starts at phase 0 (a rising zero crossing, no click).
func (g *Generator) enter(i int) {
	g.seg = i
	sg := &g.spec.Segments[i]
	if sg.Dur <= 0 {
		g.left = -1
	} else {
		g.left = max(Samples(sg.Dur), 1)
	}
	prev := g.n
	g.n = min(len(sg.Tones), MaxComponents)
	for k := 0; k < g.n; k++ {
		c := sg.Tones[k]
		if k >= prev || g.freq[k] != c.Freq {
			g.osc[k].SetPhase(0)
		}
		g.freq[k] = c.Freq
		g.osc[k].SetFreq(c.Freq)
		g.amp[k] = dsp.DBm0ToPeak(c.Level)
	}
}

// next moves past the segment that just ended.
func (g *Generator) next() {
	i := g.seg + 1
	if i == len(g.spec.Segments) {
		if !g.spec.Repeat {
			g.Stop()
			return
		}
		i = g.spec.RepeatFrom
		if i < 0 || i >= len(g.spec.Segments) {
			i = 0
		}
	}
	g.enter(i)
}

// Generate overwrites dst with the next len(dst) samples of the tone
// (silence when stopped).
func (g *Generator) Generate(dst []int16) { g.render(dst, false) }

// Mix adds the next len(dst) samples of the tone into dst, saturating.
func (g *Generator) Mix(dst []int16) { g.render(dst, true) }

func (g *Generator) render(dst []int16, mix bool) {
	for len(dst) > 0 {
		if !g.active {
			if !mix {
				clear(dst)
			}
			return
		}
		n := len(dst)
		if g.left >= 0 && g.left < int64(n) {
			n = int(g.left)
		}
		g.fill(dst[:n], mix)
		dst = dst[n:]
		if g.left >= 0 {
			g.left -= int64(n)
			if g.left == 0 {
				g.next()
			}
		}
	}
}

// fill renders n samples of the current segment.
func (g *Generator) fill(dst []int16, mix bool) {
	if g.n == 0 {
		if !mix {
			clear(dst)
		}
		if g.step != 1 {
			g.gain = min(g.maxG, g.gain*math.Pow(g.step, float64(len(dst))))
		}
		return
	}
	modulate := g.spec.Modulate != 0
	ramp := g.step != 1
	for i := range dst {
		var v float64
		for k := 0; k < g.n; k++ {
			v += g.amp[k] * g.osc[k].Next()
		}
		if modulate {
			v *= 0.5 + 0.5*g.mod.Next()
		}
		if ramp {
			v *= g.gain
			g.gain = min(g.maxG, g.gain*g.step)
		}
		if mix {
			v += float64(dst[i])
		}
		dst[i] = dsp.SatF16(v)
	}
}
