package phone

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/signal"
)

// SilenceDBm0 is the level below which Recognise calls a recording silent.
const SilenceDBm0 = -50.0

// Heard is what a recording holds, as a person at the bench would name it.
type Heard struct {
	Dur     time.Duration
	Silence bool
	Tones   []Tone          // the strongest component, and a second one within 10 dB (dual tones)
	Cadence []signal.Period // on/off segments of those tones; one "on" segment when continuous
}

// Tone is one component of what was heard.
type Tone struct {
	Freq, DBm0 float64
}

// Continuous reports whether the tones never stopped.
func (h Heard) Continuous() bool { return len(h.Cadence) == 1 && h.Cadence[0].On }

func (h Heard) String() string {
	if h.Dur == 0 {
		return "heard nothing"
	}
	if h.Silence {
		return fmt.Sprintf("silence (%s)", h.Dur)
	}
	var b strings.Builder
	b.WriteString("heard")
	for i, t := range h.Tones {
		if i > 0 {
			b.WriteString(" +")
		}
		fmt.Fprintf(&b, " %.0f Hz at %.1f dBm0", t.Freq, t.DBm0)
	}
	if h.Continuous() {
		b.WriteString(", continuous")
		return b.String()
	}
	b.WriteString(", cadence")
	for _, c := range h.Cadence {
		state := "off"
		if c.On {
			state = "on"
		}
		fmt.Fprintf(&b, " %s %v", state, c.Dur)
	}
	return b.String()
}

// Recognise names what a recording (8 kHz samples) holds: silence, or its
// dominant tone (with a second component when one is within 10 dB, as in
// dual-frequency tones) and the on/off cadence of those tones.
func Recognise(x []int16) Heard {
	h := Heard{Dur: time.Duration(len(x)) * time.Second / hal.SampleRate}
	if len(x) == 0 {
		return h
	}
	freq, lvl := signal.Dominant(x)
	if lvl < SilenceDBm0 {
		h.Silence = true
		return h
	}
	h.Tones = append(h.Tones, Tone{freq, lvl})
	freqs := []float64{freq}
	if f2, l2 := signal.MaxOther(x, freqs, 25); l2 > lvl-10 && l2 > SilenceDBm0 {
		h.Tones = append(h.Tones, Tone{f2, l2})
		freqs = append(freqs, f2)
	}
	h.Cadence = signal.Cadence(x, freqs, lvl-10)
	if !h.Continuous() {
		// A cadenced tone's level is its level while it sounds, not the
		// average over its silences.
		for i := range h.Tones {
			h.Tones[i].DBm0 = soundingLevel(x, h.Cadence, h.Tones[i].Freq)
		}
	}
	return h
}

// soundingLevel is the level at freq averaged (in power) over the "on"
// periods of x, each measured alone (less 10 ms at its edges) so that the
// phase jumps between bursts do not matter.
func soundingLevel(x []int16, cadence []signal.Period, freq float64) float64 {
	edge := hal.SampleRate / 100
	at, n, sum := 0, 0, 0.0
	for _, p := range cadence {
		k := int(p.Dur * hal.SampleRate / time.Second)
		if p.On && k > 4*edge && at+k <= len(x) {
			sum += math.Pow(10, signal.LevelAt(x[at+edge:at+k-edge], freq)/10)
			n++
		}
		at += k
	}
	if n == 0 {
		return signal.LevelAt(x, freq)
	}
	return 10 * math.Log10(sum/float64(n))
}
