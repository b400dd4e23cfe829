// Package g168 is the test bench of the line echo canceller, after ITU-T
// G.168: the hybrid echo-path models of Annex D (D.2-D.9) scaled to an echo
// return loss and placed behind a bulk delay, the composite source signal
// of Annex C, white noise, far-end levels, near-end background noise,
// double talk and echo-path changes; and the measurements: ERLE over time
// through the level-measurement band-pass filter of G.168, time to a given
// ERLE, steady-state ERLE, ERLE after double talk, residual level.
//
// RunTable runs one scenario per echo path and source signal through any
// number of cancellers (ours and the C references of testrig/cref) and
// formats the comparison table of issue 4.
//
// The standard's data come from ../shared/standards/g168 and are carried
// here (g168-annex-data.json, embedded). The Annex C voiced segments are
// sampled at 44.1 kHz (C.1 is one pitch period of 134 samples that the
// standard repeats 16 times to fill 48.62 ms; C.3 one of 229 repeated 14
// times for 72.69 ms); the bench resamples them to 8 kHz.
//
// This is test equipment: it allocates freely. Functions are safe for
// concurrent use; a Vectors value is read-only once built.
package g168

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

//go:embed g168-annex-data.json
var annexJSON []byte

type annex struct {
	Source     string             `json:"source"`
	SampleRate int                `json:"sample_rate_hz"`
	EchoPaths  map[string][]int32 `json:"echo_paths"`
	CSS        map[string][]int32 `json:"css"`
	Bandpass   []float64          `json:"level_measurement_bandpass"`
	Test6Tones [][]float64        `json:"test6_tones_hz"`
}

var (
	annexOnce sync.Once
	annexData annex
	annexErr  error

	errPath = errors.New("g168: no such echo path")
)

func data() (*annex, error) {
	annexOnce.Do(func() {
		if err := json.Unmarshal(annexJSON, &annexData); err != nil {
			annexErr = fmt.Errorf("g168: annex data: %w", err)
		}
	})
	return &annexData, annexErr
}

func mustData() *annex {
	a, err := data()
	if err != nil {
		panic(err)
	}
	return a
}

// Paths returns the names of the Annex D echo-path models, "D.2" .. "D.9".
func Paths() []string {
	a := mustData()
	names := make([]string, 0, len(a.EchoPaths))
	for k := range a.EchoPaths {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Path returns the impulse response (8 kHz) of the echo-path model name,
// scaled so that its echo return loss for white noise, -10·log10(Σh²), is
// erl dB.
func Path(name string, erl float64) ([]float64, error) {
	a := mustData()
	raw, ok := a.EchoPaths[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q (have %v)", errPath, name, Paths())
	}
	var e float64
	for _, v := range raw {
		e += float64(v) * float64(v)
	}
	g := math.Pow(10, -erl/20) / math.Sqrt(e)
	h := make([]float64, len(raw))
	for i, v := range raw {
		h[i] = float64(v) * g
	}
	return h, nil
}

// Test6Tones returns the tone pairs (Hz, 0 for none) of G.168 test 6, the
// non-divergence test on narrow-band signals.
func Test6Tones() [][2]float64 {
	a := mustData()
	out := make([][2]float64, len(a.Test6Tones))
	for i, t := range a.Test6Tones {
		copy(out[i][:], t)
	}
	return out
}
