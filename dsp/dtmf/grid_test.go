package dtmf

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The Q.24 grid: every combination of frequency offsets on each tone,
// twist, level, timing and noise, with accept/reject decided by the
// standard's limits alone. A combination is accepted only when every
// parameter is within the accept limits, and rejected as soon as one is
// beyond the reject limits; the middle ground Q.24 leaves to the
// implementer (offsets between 1.5 and 3.5 %, levels between -25 and
// -35 dBm0, durations between 23 and 40 ms) is not in the grid. Every
// point runs on another digit, with random tone phases (a tone after a
// gap starts with a new phase).
func TestQ24Grid(t *testing.T) {
	type param struct {
		v  float64
		ok bool
	}
	offsets := []param{{-0.015, true}, {0, true}, {0.015, true}, {-0.035, false}, {0.035, false}}
	// Twist: low-group level minus high-group level, dB.
	twists := []param{{-4, true}, {0, true}, {8, true}, {-6, false}, {10, false}}
	// The level of the weaker tone, dBm0 (the other is louder by the twist).
	levels := []param{{-25, true}, {-10, true}, {-36, false}}
	// Timing: how the key press is shaped, and how many presses it is.
	type shape struct {
		name   string
		bursts func(b burst) []burst
		n      int // key presses when every other parameter is accepted
	}
	ms := func(v int) int { return v * 8 }
	shapes := []shape{
		{"40 ms", func(b burst) []burst { b.dur = ms(40); return []burst{b} }, 1},
		{"23 ms", func(b burst) []burst { b.dur = ms(23); return []burst{b} }, 0},
		// An interruption under 10 ms is not a pause: one press, not two.
		{"45 ms, 8 ms gap, 45 ms", func(b burst) []burst {
			b.dur, b.gap = ms(45), ms(8)
			c := b
			c.gap = 0
			return []burst{b, c}
		}, 1},
		{"40 ms, 40 ms pause, 40 ms", func(b burst) []burst {
			b.dur, b.gap = ms(40), ms(40)
			c := b
			c.gap = 0
			return []burst{b, c}
		}, 2},
	}
	noises := []float64{-200, -45} // none; white noise 20 dB under the weakest accepted tone
	rng := rand.New(rand.NewPCG(24, 1))
	var cases, accepted, failed int
	for _, lo := range offsets {
		for _, hi := range offsets {
			for _, tw := range twists {
				for _, lv := range levels {
					for _, sh := range shapes {
						for _, noise := range noises {
							k := allKeys[cases%len(allKeys)]
							cases++
							b := burst{digit: k, lowOff: lo.v, highOff: hi.v, low: lv.v, high: lv.v}
							if tw.v > 0 {
								b.low += tw.v
							} else {
								b.high -= tw.v
							}
							want := 0
							if lo.ok && hi.ok && tw.ok && lv.ok {
								want = sh.n
								accepted++
							}
							got := downs(detect(synth(rng, 97+cases%40, sh.bursts(b), noise)))
							if got != strings.Repeat(string(k), want) {
								failed++
								if failed <= 20 {
									t.Errorf("%c offsets %+.1f%%/%+.1f%% twist %+v dB weaker tone %v dBm0, %s, noise %v dBm0: key-downs %q, want %d",
										k, lo.v*100, hi.v*100, tw.v, lv.v, sh.name, noise, got, want)
								}
							}
						}
					}
				}
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d grid points wrong", failed, cases)
	}
	t.Logf("%d grid points, %d to accept, %d to reject", cases, accepted, cases-accepted)
	if cases != len(offsets)*len(offsets)*len(twists)*len(levels)*len(shapes)*len(noises) {
		t.Fatalf("grid has %d points", cases)
	}
}
