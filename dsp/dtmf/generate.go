package dtmf

import (
	"errors"
	"fmt"
	"time"

	"github.com/openiad/openiad/dsp"
)

var (
	errDigit  = errors.New("not a DTMF digit")
	errTiming = errors.New("bad timing")
	errLevel  = errors.New("level out of range")
)

// MaxLevel is the highest level per tone Generator.Start accepts: the two
// tones then peak just under full scale.
const MaxLevel = -3.0

// index returns the row and column of a key, or ok false.
func index(k byte) (r, c int, ok bool) {
	if k >= 'a' && k <= 'd' {
		k -= 'a' - 'A'
	}
	for r := range keys {
		for c := range keys[r] {
			if keys[r][c] == k {
				return r, 4 + c, true
			}
		}
	}
	return 0, 0, false
}

// Generator plays a string of DTMF digits: each digit's two tones for the
// on time, then silence for the off time (after the last digit too). Its
// zero value is idle. Start may allocate nothing; Generate never does.
type Generator struct {
	digits string
	i      int   // digit playing
	left   int64 // samples left in the current half
	on     bool
	onN    int64
	offN   int64
	amp    float64
	lo, hi dsp.Osc
	active bool
}

// Start begins sending digits (0-9, *, #, A-D, a-d), each for on followed
// by off, both tones at levelDBm0. It replaces what was playing. An error
// names the first bad digit; the generator is then idle.
func (g *Generator) Start(digits string, on, off time.Duration, levelDBm0 float64) error {
	g.active = false
	for i := 0; i < len(digits); i++ {
		if _, _, ok := index(digits[i]); !ok {
			return fmt.Errorf("dtmf: %q at position %d of %q: %w", digits[i], i, digits, errDigit)
		}
	}
	if on <= 0 || off < 0 {
		return fmt.Errorf("dtmf: on %v, off %v: %w", on, off, errTiming)
	}
	if levelDBm0 > MaxLevel {
		return fmt.Errorf("dtmf: %v dBm0 per tone is above %v dBm0: %w", levelDBm0, MaxLevel, errLevel)
	}
	g.digits = digits
	g.onN = max(dsp.Samples(on), 1)
	g.offN = dsp.Samples(off)
	g.amp = dsp.DBm0ToPeak(levelDBm0)
	g.i = -1
	g.active = len(digits) > 0
	g.nextDigit()
	return nil
}

// nextDigit starts the on half of the next digit, or ends.
func (g *Generator) nextDigit() {
	g.i++
	if g.i >= len(g.digits) {
		g.active = false
		return
	}
	r, c, _ := index(g.digits[g.i])
	g.lo.SetFreq(freqs[r])
	g.hi.SetFreq(freqs[c])
	g.lo.SetPhase(0)
	g.hi.SetPhase(0)
	g.on, g.left = true, g.onN
}

// Active reports whether digits are still being sent (the pause after the
// last digit included).
func (g *Generator) Active() bool { return g.active }

// Generate overwrites dst with the next samples (silence when done).
func (g *Generator) Generate(dst []int16) {
	for len(dst) > 0 {
		if !g.active {
			clear(dst)
			return
		}
		n := int(min(int64(len(dst)), g.left))
		if g.on {
			for i := range dst[:n] {
				dst[i] = dsp.SatF16(g.amp * (g.lo.Next() + g.hi.Next()))
			}
		} else {
			clear(dst[:n])
		}
		dst = dst[n:]
		g.left -= int64(n)
		if g.left == 0 {
			if g.on && g.offN > 0 {
				g.on, g.left = false, g.offN
			} else {
				g.nextDigit()
			}
		}
	}
}
