package g168

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/openiad/openiad/dsp"
)

// Source is the far-end test signal.
type Source uint8

const (
	White     Source = iota // Gaussian white noise
	Composite               // the composite source signal of Annex C
)

func (s Source) String() string {
	if s == Composite {
		return "CSS"
	}
	return "white"
}

// NoNoise as Scenario.Noise leaves the near end without background noise.
var NoNoise = math.Inf(-1)

// Scenario describes one echo test: what the far end sends, which echo
// path returns it, and what else the near end adds.
type Scenario struct {
	Path   string        // Annex D model, "D.2" .. "D.9"
	ERL    float64       // echo return loss, dB (6-12 in G.168)
	Delay  time.Duration // bulk delay before the model
	Source Source
	Level  float64 // far-end level, dBm0 (-30 .. -10); for the CSS, of its active parts
	Noise  float64 // near-end background, dBm0 (white); NoNoise for none

	Duration time.Duration
	FarStart time.Duration // the far end is silent before this (the near-end background is not)

	// Double talk from TalkStart to TalkEnd (none when equal): the
	// double-talk CSS (C.3) at TalkLevel dBm0 at the near end.
	TalkStart, TalkEnd time.Duration
	TalkLevel          float64

	// Echo-path change at ChangeAt (none when 0): from then on the echo
	// comes through Path2 with ERL2 and Delay2.
	ChangeAt time.Duration
	Path2    string
	ERL2     float64
	Delay2   time.Duration

	Seed uint64
}

// Vectors are the signals of a built scenario.
type Vectors struct {
	Scenario
	Far    []int16   // Rin: what the canceller sends to the line
	Near   []int16   // Sin: echo + background + near-end talker
	Echo   []float64 // the echo in Near
	Speech []float64 // the near-end talker in Near (zeros without double talk)

	bpOnce sync.Once
	bpEcho []float64 // Echo through the level band-pass filter
}

// Samples converts a duration of the bench to samples.
func Samples(d time.Duration) int { return int(dsp.Samples(d)) }

// Build generates the signals of the scenario.
func (s Scenario) Build() (*Vectors, error) {
	n := Samples(s.Duration)
	n -= n % 80
	if n <= 0 {
		return nil, fmt.Errorf("g168: scenario too short (%v)", s.Duration)
	}
	h1, err := Path(s.Path, s.ERL)
	if err != nil {
		return nil, err
	}
	var farF []float64
	switch s.Source {
	case White:
		farF = WhiteNoise(n, s.Level, s.Seed+1)
	case Composite:
		farF = CSS(n, s.Level, s.Seed+1)
	default:
		return nil, fmt.Errorf("g168: unknown source %d", s.Source)
	}
	v := &Vectors{Scenario: s, Far: make([]int16, n), Near: make([]int16, n)}
	quiet := min(Samples(s.FarStart), n)
	for i, x := range farF[quiet:] {
		v.Far[quiet+i] = dsp.SatF16(x)
	}
	v.Echo = convolve(v.Far, h1, Samples(s.Delay), 0, n)
	if s.ChangeAt > 0 {
		h2, err := Path(s.Path2, s.ERL2)
		if err != nil {
			return nil, err
		}
		c := min(Samples(s.ChangeAt), n)
		e2 := convolve(v.Far, h2, Samples(s.Delay2), c, n)
		copy(v.Echo[c:], e2[c:])
	}
	v.Speech = make([]float64, n)
	if a, b := Samples(s.TalkStart), min(Samples(s.TalkEnd), n); b > a {
		talk := DoubleTalkCSS(b-a, s.TalkLevel, s.Seed+2)
		copy(v.Speech[a:b], talk)
	}
	var noise []float64
	if !math.IsInf(s.Noise, -1) {
		noise = WhiteNoise(n, s.Noise, s.Seed+3)
	}
	for i := range v.Near {
		x := v.Echo[i] + v.Speech[i]
		if noise != nil {
			x += noise[i]
		}
		v.Near[i] = dsp.SatF16(x)
	}
	return v, nil
}

// convolve returns the echo of far through h after delay samples, computed
// for samples from..to-1 (zeros before from).
func convolve(far []int16, h []float64, delay, from, to int) []float64 {
	out := make([]float64, len(far))
	for i := from; i < to; i++ {
		var s float64
		for j, c := range h {
			if k := i - delay - j; k >= 0 {
				s += c * float64(far[k])
			}
		}
		out[i] = s
	}
	return out
}
