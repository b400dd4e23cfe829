package dtmf

import (
	"math"
	"math/rand/v2"

	"github.com/openiad/openiad/dsp"
)

// burst is one DTMF tone in a synthetic test signal.
type burst struct {
	digit           byte
	dur             int     // samples of tone
	gap             int     // samples of silence after it
	low, high       float64 // levels, dBm0
	lowOff, highOff float64 // relative frequency offsets (0.015 = +1.5 %)
}

// synth renders lead samples of silence, then the bursts (each tone with a
// random phase), adding white noise at noise dBm0 (none below -100).
func synth(rng *rand.Rand, lead int, bs []burst, noise float64) []int16 {
	n := lead
	for _, b := range bs {
		n += b.dur + b.gap
	}
	x := make([]float64, n)
	pos := lead
	for _, b := range bs {
		r, c, _ := index(b.digit)
		fl := freqs[r] * (1 + b.lowOff)
		fh := freqs[c] * (1 + b.highOff)
		al, ah := dsp.DBm0ToPeak(b.low), dsp.DBm0ToPeak(b.high)
		pl, ph := rng.Float64()*2*math.Pi, rng.Float64()*2*math.Pi
		for i := 0; i < b.dur; i++ {
			t := float64(i) / dsp.SampleRate
			x[pos+i] = al*math.Sin(2*math.Pi*fl*t+pl) + ah*math.Sin(2*math.Pi*fh*t+ph)
		}
		pos += b.dur + b.gap
	}
	if noise > -100 {
		sd := dsp.DBm0ToRMS(noise)
		for i := range x {
			x[i] += rng.NormFloat64() * sd
		}
	}
	out := make([]int16, n)
	for i, v := range x {
		out[i] = dsp.SatF16(v)
	}
	return out
}

// detect runs a fresh detector over x in 10 ms frames.
func detect(x []int16) []Event {
	d := NewDetector()
	var evs []Event
	for i := 0; i < len(x); i += 80 {
		evs = append(evs, d.Process(x[i:min(i+80, len(x))])...)
	}
	// Flush: a second of silence ends any key press.
	var z [80]int16
	for range 100 {
		evs = append(evs, d.Process(z[:])...)
	}
	return evs
}

// downs returns the digits of the key-down events.
func downs(evs []Event) string {
	var s []byte
	for _, e := range evs {
		if e.Down {
			s = append(s, e.Digit)
		}
	}
	return string(s)
}
