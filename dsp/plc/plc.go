// Package plc conceals lost audio in a stream of 8 kHz 16-bit PCM, in the
// manner of ITU-T G.711 Appendix I: when a frame is missing it repeats the
// last pitch period of the signal (found by autocorrelation, 5 to 15 ms),
// smoothing the loop point with a quarter-period overlap-add; after 10 ms of
// loss it widens the repeated segment to two and then three periods so the
// result buzzes less, and from 10 ms on it fades out by 20 % per 10 ms, so
// 60 ms into a loss it is silent. The first good audio after a loss is
// blended with the continuing synthetic signal over 4 ms, plus 4 ms for each
// further 10 ms lost (10 ms at most).
//
// Unlike Appendix I, the Concealer adds no delay: Appendix I holds back
// 3.75 ms of output so it can also smooth the junction between the last
// real sample and the first synthetic one. Here that junction is left as
// the pitch estimate makes it, which costs a little quality at the start of
// a loss and saves the delay on every call.
//
// A Concealer belongs to one goroutine (the jitter buffer's reader). Good
// and Conceal take any length and never allocate.
package plc

import (
	"math"

	"github.com/openiad/openiad/dsp"
)

const (
	minPitch  = 40  // 200 Hz
	maxPitch  = 120 // 66.7 Hz
	corrLen   = 160 // 20 ms correlation window
	maxQuart  = maxPitch / 4
	histLen   = 3*maxPitch + maxQuart // three periods and an overlap: 48.75 ms
	fullLevel = 80                    // samples concealed at full level (10 ms)
	fadeStep  = 0.2 / 80              // gain lost per sample after that (20 % per 10 ms)
	silentAt  = fullLevel + 400       // 60 ms: fully faded
	widenAt1  = 80                    // two periods from 10 ms on
	widenAt2  = 160                   // three periods from 20 ms on
)

// Concealer keeps the recent signal and synthesises replacements for lost
// samples. The zero value is ready; before any good audio it conceals with
// silence.
type Concealer struct {
	hist  [histLen]float32 // the last good samples, oldest first
	nhist int              // how many of them are real (up to histLen)

	erased  int // samples concealed since the last good one
	syn     int // samples synthesised since the loss began (runs on through the blend)
	pitch   int
	periods int
	loop    [3*maxPitch + maxQuart]float32
	loopLen int
	pos     int // read position in loop
	xfade   int // samples left of the cross-fade after widening the loop
	xoff    int // offset in loop of the old continuation during the cross-fade
	ola     int // samples left of the blend into good audio
	olaLen  int
}

// Reset forgets the signal.
func (c *Concealer) Reset() { *c = Concealer{} }

// Erased returns how many samples have been concealed since the last good
// one (0 when the last call was Good).
func (c *Concealer) Erased() int { return c.erased }

// Faded reports whether the concealment has faded to silence.
func (c *Concealer) Faded() bool { return c.erased > 0 && c.syn >= silentAt }

// Pitch returns the period, in samples, used by the current or last loss
// (0 before any).
func (c *Concealer) Pitch() int { return c.pitch }

// Good takes samples that arrived. If they follow concealed ones, their
// beginning is blended in place with the continuing synthetic signal, so
// the caller must play x after the call. The samples then become the
// history for the next loss.
func (c *Concealer) Good(x []int16) {
	if c.erased > 0 {
		// 4 ms, plus 4 ms for each further 10 ms lost, at most 10 ms.
		c.olaLen = min(32+32*((c.erased-1)/80), 80)
		c.ola = c.olaLen
		c.erased = 0
	}
	if c.ola > 0 {
		for i := range x {
			if c.ola == 0 {
				break
			}
			w := float32(c.olaLen-c.ola+1) / float32(c.olaLen+1)
			s := c.next()
			x[i] = dsp.SatF16(float64((1-w)*s + w*float32(x[i])))
			c.ola--
		}
	}
	c.push(x)
}

// push appends x to the history.
func (c *Concealer) push(x []int16) {
	if len(x) >= histLen {
		x = x[len(x)-histLen:]
		for i, v := range x {
			c.hist[i] = float32(v)
		}
	} else {
		copy(c.hist[:], c.hist[len(x):])
		h := c.hist[histLen-len(x):]
		for i, v := range x {
			h[i] = float32(v)
		}
	}
	c.nhist = min(histLen, c.nhist+len(x))
}

// Conceal writes len(dst) synthetic samples continuing the signal.
func (c *Concealer) Conceal(dst []int16) {
	if c.erased == 0 {
		c.start()
	}
	for i := range dst {
		if c.syn == widenAt1 || c.syn == widenAt2 {
			c.widen()
		}
		dst[i] = dsp.SatF16(float64(c.next()))
	}
	c.erased += len(dst)
}

// start prepares the synthetic signal at the beginning of a loss.
func (c *Concealer) start() {
	c.ola = 0
	c.xfade = 0
	c.syn = 0
	if c.nhist < histLen {
		c.pitch = 0 // too little history: conceal with silence
		c.loopLen = 0
		return
	}
	c.pitch = c.findPitch()
	c.periods = 1
	c.build()
	c.pos = 0
}

// build fills the loop with the last c.periods pitch periods of the
// history, its end blended over a quarter period into the samples that
// precede its start, so the loop wraps without a step.
func (c *Concealer) build() {
	p := c.pitch
	n := c.periods * p
	q := p / 4
	copy(c.loop[:n], c.hist[histLen-n:])
	for i := range q {
		w := float32(i+1) / float32(q+1)
		c.loop[n-q+i] = (1-w)*c.hist[histLen-q+i] + w*c.hist[histLen-n-q+i]
	}
	c.loopLen = n
}

// widen lengthens the loop by one period, keeping the phase, and starts a
// cross-fade from the old continuation.
func (c *Concealer) widen() {
	if c.loopLen == 0 || c.periods >= 3 {
		return
	}
	old := c.pos
	phase := old % c.pitch
	c.periods++
	c.build()
	// The old loop was the newest periods-1 periods; in the new loop they
	// start one period in. Play on from the oldest period at the same phase
	// while fading out of where the old loop would have gone.
	c.xoff = old + c.pitch - phase
	c.pos = phase
	c.xfade = c.pitch / 4
}

// next returns the next synthetic sample, attenuated for the time lost.
func (c *Concealer) next() float32 {
	if c.loopLen == 0 {
		c.syn++
		return 0
	}
	s := c.loop[c.pos]
	if c.xfade > 0 {
		q := c.pitch / 4
		w := float32(q-c.xfade+1) / float32(q+1)
		old := c.loop[(c.pos+c.xoff)%c.loopLen]
		s = (1-w)*old + w*s
		c.xfade--
	}
	c.pos++
	if c.pos == c.loopLen {
		c.pos = 0
	}
	g := float32(1)
	if c.syn >= fullLevel {
		g = max(0, 1-float32(c.syn-fullLevel+1)*fadeStep)
	}
	c.syn++
	return s * g
}

// findPitch returns the lag in minPitch..maxPitch that best predicts the
// last corrLen samples of the history from earlier ones (normalised
// cross-correlation). A coarse search on every other lag is refined around
// the best.
func (c *Concealer) findPitch() int {
	x := c.hist[:]
	end := histLen
	start := end - corrLen
	score := func(lag int) float64 {
		var xy, yy float64
		for i := start; i < end; i++ {
			a, b := float64(x[i]), float64(x[i-lag])
			xy += a * b
			yy += b * b
		}
		if yy <= 0 {
			return math.Inf(-1)
		}
		if xy < 0 {
			return -xy * xy / yy
		}
		return xy * xy / yy
	}
	best, bestScore := minPitch, math.Inf(-1)
	for lag := minPitch; lag <= maxPitch; lag += 2 {
		if s := score(lag); s > bestScore {
			best, bestScore = lag, s
		}
	}
	best, bestScore = refine(best, bestScore, score)
	// A multiple of the period predicts as well as the period itself;
	// prefer the shortest lag that does nearly as well.
	for d := 3; d >= 2; d-- {
		sub := (best + d/2) / d
		if sub < minPitch {
			continue
		}
		l, s := refine(sub, score(sub), score)
		if s >= 0.85*bestScore {
			return l
		}
	}
	return best
}

// refine tries the lags next to lag and returns the best of the three.
func refine(lag int, sc float64, score func(int) float64) (int, float64) {
	best, bestScore := lag, sc
	for _, l := range [2]int{lag - 1, lag + 1} {
		if l < minPitch || l > maxPitch {
			continue
		}
		if s := score(l); s > bestScore {
			best, bestScore = l, s
		}
	}
	return best, bestScore
}
