// Package ec is the line echo canceller of the media path (ITU-T G.168):
// it removes from the line input (near end, Sin) the echo that the 2-wire
// hybrid returns of the line output (far end, Rin).
//
// Design, per channel:
//
//   - A partitioned-block frequency-domain adaptive filter: blocks of one
//     frame (80 samples, no added delay), partitions of 160 taps, 256-point
//     FFTs (dsp/fft), a normalised step per frequency bin (the far-end
//     spectrum, smoothed) and proportionate gains per partition. Tails of
//     32, 64 and 128 ms take 2, 4 and 7 partitions (40, 80 and 140 ms).
//   - Sparse adaptation: the echo path of a hybrid is a bulk delay and a
//     few milliseconds of dispersion, so most partitions hold nothing.
//     Those are idle (they do not adapt, and what they learnt leaks
//     away); which ones hold the echo comes from the weights and, before
//     they have grown (at the start, after a path change), from the
//     coherence of each partition's gradient over the last blocks. The
//     step also follows that coherence: full while the gradients point
//     one way, small once they are noise (less misadjustment).
//   - Two filters: a background filter that adapts on every frame, and a
//     foreground filter that makes the output and only takes the
//     background's coefficients when they cancel measurably better on a
//     priori errors, by more than near-end speech could fake. Double talk
//     may upset the background (it is slowed when the near end is louder
//     than any echo could be, and reset from the foreground when it went
//     astray); it never reaches the foreground, so the canceller cannot
//     diverge.
//   - Near-end speech is told three ways: louder than any echo could be
//     (Geigel), louder than the residual the NLP predicts, and, by
//     frequency, energy in the bins of the error where the far end of the
//     whole tail has none (an echo, residual or not, lives where the far
//     end has energy). The third sees steady double talk that levels
//     cannot, a tone each way above all: those bins are kept out of the
//     adaptation (the far end's spectral leakage there would let the
//     filter "cancel" the near-end tone) and out of the copy decisions,
//     and the NLP lets the frame through.
//   - A non-linear processor that replaces the residual echo by comfort
//     noise matched in level and spectrum to the near-end background
//     (minimum statistics, 6th-order LPC), while the far end talks and the
//     near end does not.
//   - The G.164/G.165 tone disabler: 2100 Hz with phase reversals disables
//     the canceller (out = in), a plain 2100 Hz tone (fax) holds the NLP
//     off; both end after 250 ms of quiet in both directions.
//   - Statistics: ERL, ERLE and state.
//
// All of it is pure computation on caller-owned buffers: no goroutines,
// no I/O, no allocation after New. A Canceller belongs to one goroutine at
// a time (the media engine's); Stats may be read by that goroutine between
// frames. testrig/g168 is its test bench.
package ec

import (
	"fmt"
	"math"
	"time"

	"github.com/openiad/openiad/dsp/fft"
)

// FrameLen is the frame length Process works on: 10 ms at 8 kHz.
const FrameLen = blockLen

// Tail limits: New rounds the tail up to whole partitions of 20 ms.
const (
	MinTail = 20 * time.Millisecond
	MaxTail = 260 * time.Millisecond
)

// State is what the canceller is doing.
type State uint8

const (
	Idle       State = iota // no far-end signal within the tail: nothing to cancel
	Converging              // far end active, ERLE below 20 dB so far
	Converged               // far end active, cancelling
	DoubleTalk              // both ends talking: the near end passes, the foreground filter is frozen
	Disabled                // bypassed: by SetBypass or by a 2100 Hz tone with phase reversals
)

func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Converging:
		return "converging"
	case Converged:
		return "converged"
	case DoubleTalk:
		return "double-talk"
	case Disabled:
		return "disabled"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Stats is a snapshot of one canceller.
type Stats struct {
	State State
	// ERL is the echo return loss in dB: the loss of the echo path the
	// canceller has learnt, for white noise (-10·log10 Σh²). 0 until the
	// canceller has converged enough to know it.
	ERL float64
	// ERLE is the echo return loss enhancement of the linear filter: the
	// near-end input level minus the canceller's output level before the
	// NLP, in dB, averaged (in dB, over about half a second) on
	// single-talk frames. 0 until measured.
	ERLE float64
	// NLP reports whether the non-linear processor replaced the last frame
	// by comfort noise.
	NLP bool
	// Tone reports whether a 2100 Hz answer tone holds the NLP off (or, with
	// phase reversals, the whole canceller: then State is Disabled).
	Tone bool
	// Updates counts the times the foreground filter took new coefficients.
	Updates int
}

// Canceller is the echo canceller of one channel.
type Canceller struct {
	tail  time.Duration
	f     *filter
	nlp   nlp
	tone  disabler
	tailF int // frames of far-end history that can still echo

	nlpOn, bypass, toneOn bool

	near, far, yf, yb, ef, eb [blockLen]float32
	cf, cb                    [blockLen]float32 // the errors without the near-end bins (nearShare)
	farPow                    []float32         // ring of the last tailF far frame powers
	farIdx                    int
	loopHang                  int // frames left of a far-end loop-back (see loopGain)

	// ERLE of single-talk frames, dB, smoothed.
	stERLE float64
	stats  Stats
}

// New returns a canceller for echo paths up to tail long (32, 64 or
// 128 ms in practice). The tail is rounded up to a multiple of 20 ms and
// clamped to [MinTail, MaxTail]. The NLP and the tone disabler are on.
func New(tail time.Duration) *Canceller {
	tail = max(min(tail, MaxTail), MinTail)
	k := int((tail + 20*time.Millisecond - 1) / (20 * time.Millisecond))
	c := &Canceller{
		tail:   time.Duration(k) * 20 * time.Millisecond,
		f:      newFilter(plan, k),
		nlpOn:  true,
		toneOn: true,
	}
	c.tailF = 2*k + 2
	c.farPow = make([]float32, c.tailF)
	c.Reset()
	return c
}

// plan is shared by every canceller: plans are read-only.
var plan = fft.MustPlan(fftLen)

// Tail returns the echo path length the canceller covers.
func (c *Canceller) Tail() time.Duration { return c.tail }

// Reset forgets the echo path and every estimate, as for a new call. The
// settings (NLP, bypass, tone disabler) stay.
func (c *Canceller) Reset() {
	c.f.reset()
	c.nlp.reset()
	c.tone = disabler{}
	clear(c.farPow)
	c.farIdx = 0
	c.loopHang = 0
	c.stERLE = 0
	c.stats = Stats{}
}

// SetNLP turns the non-linear processor on or off (on after New). The
// media engine turns it off for fax and modem calls.
func (c *Canceller) SetNLP(on bool) { c.nlpOn = on }

// SetBypass disables the canceller (out = near) or enables it again. The
// filter keeps what it learnt.
func (c *Canceller) SetBypass(on bool) { c.bypass = on }

// SetToneDisabler turns the G.164/G.165 tone disabler on or off (on after
// New). Turning it off also ends a disabling in progress.
func (c *Canceller) SetToneDisabler(on bool) {
	c.toneOn = on
	if !on {
		c.tone = disabler{}
	}
}

// Stats returns the statistics as of the last frame.
func (c *Canceller) Stats() Stats { return c.stats }

// Process removes the echo of far from near and writes the result to out.
// far is what was sent to the line (Rin), near what came back (Sin). The
// three slices must have the same length, a multiple of FrameLen; out may
// be near itself. Process panics otherwise.
func (c *Canceller) Process(near, far, out []int16) {
	if len(near) != len(far) || len(out) != len(near) || len(near)%FrameLen != 0 {
		panic(fmt.Sprintf("ec: Process lengths %d/%d/%d, want equal multiples of %d", len(near), len(far), len(out), FrameLen))
	}
	for i := 0; i < len(near); i += FrameLen {
		c.frame(near[i:i+FrameLen], far[i:i+FrameLen], out[i:i+FrameLen])
	}
}

func (c *Canceller) frame(nearIn, farIn, out []int16) {
	var pNear, pFar float32
	for i := range blockLen {
		n, f := float32(nearIn[i]), float32(farIn[i])
		c.near[i], c.far[i] = n, f
		pNear += n * n
		pFar += f * f
	}
	pNear *= 1.0 / blockLen
	pFar *= 1.0 / blockLen

	// Far-end activity over the tail.
	c.farPow[c.farIdx] = pFar
	if c.farIdx++; c.farIdx == len(c.farPow) {
		c.farIdx = 0
	}
	var farMax float32
	for _, p := range c.farPow {
		farMax = max(farMax, p)
	}
	farActive := farMax > farActivePow

	if c.toneOn {
		c.tone.push(c.near[:], c.far[:], pNear, pFar)
	}
	f := c.f
	f.pushFar(c.far[:])
	c.stats.Tone = c.tone.nlpOff || c.tone.bypass
	if c.bypass || c.tone.bypass {
		copy(out, nearIn)
		c.stats.State = Disabled
		c.stats.NLP = false
		return
	}

	f.output(f.wf, c.yf[:])
	f.output(f.wb, c.yb[:])
	var pErr, pEst float32
	for i := range blockLen {
		c.ef[i] = c.near[i] - c.yf[i]
		c.eb[i] = c.near[i] - c.yb[i]
		pErr += c.ef[i] * c.ef[i]
		pEst += c.yf[i] * c.yf[i]
	}
	pErr *= 1.0 / blockLen
	pEst *= 1.0 / blockLen

	// Two views of near-end speech. The NLP asks whether the foreground's
	// error holds more than the residual echo it predicts (so that speech
	// quieter than the echo still passes). The adaptation asks whether the
	// near-end input is louder than any echo could be (Geigel's test):
	// before the foreground cancels much, against the far-end level less
	// 6 dB (an echo path loses at least that); then against the far-end
	// level through the echo path the foreground has learnt, or its
	// estimate for this frame if larger. How well the filter cancels does
	// not enter, so a stretch of poorer cancellation is not double talk.
	predicted := geigelLoss * farMax
	echo := predicted
	if f.copies > 0 || f.age >= youngBlocks {
		// Once the filter has an estimate, or has found no echo to
		// estimate for a while (a line with no echo to speak of).
		predicted = c.nlp.leak * pEst
	}
	// A third view, by frequency: near-end signal where the far end has
	// no energy (see nearShare) is near-end signal however steady and
	// however quiet against the far end (a tone each way).
	spec, tonal := false, false
	if farMax > adaptPow {
		f.errSpectrum(c.eb[:])
		if farActive {
			share, width := f.nearShare(c.nlp.noise)
			var pB float32
			for _, v := range c.eb {
				pB += v * v
			}
			pB *= share / blockLen
			spec = share > specShare && pB > nearPowMin && pB > noiseMargin*c.nlp.noise
			tonal = spec && width < tonalBins
		}
	}
	// What the filters are judged on: their errors, or in spectral double
	// talk their errors without the near-end bins (the difference of the
	// two, yb - yf, holds no near-end signal), so that the foreground can
	// still take a better echo path while a tone each way plays.
	jf, jb := c.ef[:], c.eb[:]
	if spec {
		f.cleanError(c.cb[:])
		for i := range blockLen {
			c.cf[i] = c.cb[i] + c.ef[i] - c.eb[i]
		}
		jf, jb = c.cf[:], c.cb[:]
	}
	// A fourth, by level alone: no hybrid returns the far end less than
	// 3 dB down (G.168 counts on 6 dB), so near-end input within 3 dB of
	// the far end's loudest frame in the tail, or louder, holds near-end
	// signal whatever the filter has learnt. That is the case a
	// far end that loops the call back (an echo-test number) makes: it
	// returns the phone's own steady tone, which the filter could
	// otherwise learn to "cancel" as if it were its echo.
	// (Near-end signal the spectral view sees is handled there: its bins
	// stay out of the adaptation while the echo's bins still adapt.)
	// Once seen, a loop-back holds for a while (loopHang), through frames
	// where the returned signal differs enough for the spectral view to
	// fire: a lost packet, concealment, a jitter-buffer step.
	loop := farActive && pNear > loopGain*farMax
	if loop && !spec {
		c.loopHang = loopHang
	} else if c.loopHang > 0 {
		c.loopHang--
	}
	loop = loop && c.loopHang > 0
	nearTalk := c.nlp.detect(pErr, predicted, spec || loop)
	if c.stats.ERLE >= trustERLE {
		echo = max(pEst, farMax*f.gainF)
	}
	loud := pNear > dtRatio*(echo+c.nlp.noise) || loop
	// Double talk stops the adaptation only while nothing in the
	// gradients looks like a new echo path (which also raises the near-end
	// level, and must be learnt, not waited out) — unless the near end is
	// louder than any echo path could make it.
	dt := loud && farActive && (!f.found || loop)

	// Adapt the background only when there is far-end signal in the tail
	// to learn from; slowly in double talk.
	if farMax > adaptPow {
		f.adapt(dt)
	}
	f.judge(jf, jb, dt)

	// The leak ρ learns on single-talk frames. Where the near-end
	// detection (which uses ρ) and Geigel's test disagree, ρ may only
	// creep up: that breaks the lock of a ρ too small for a stretch of
	// poorer cancellation, and barely moves during soft double talk.
	if !loud && !spec && farActive && f.copies > 0 && pEst > 10*c.nlp.noise {
		if nearTalk {
			c.nlp.creepLeak(pErr, pEst)
		} else {
			c.nlp.learnLeak(pErr, pEst)
		}
	}
	// The background is learnt wherever the residual echo is negligible
	// (the minimum statistics see through near-end speech). Under a far
	// end that never pauses, the prediction cannot tell residual echo from
	// background; an error 35 dB under the echo and under -60 dBm0 is then
	// taken for background too, so that the comfort noise still finds its
	// level, and cannot be loud.
	// A steady near-end tone is not background: a frame whose near-end
	// signal sits in a few bins (see nearShare) teaches nothing.
	if !tonal && (!farActive || predicted < 0.1*pErr || (pEst > quietERLE*pErr && pErr < quietPow)) {
		c.nlp.learnNoise(c.ef[:], pErr)
	}
	supp := c.nlp.render(c.ef[:], out, farActive && c.nlpOn && !c.tone.nlpOff)

	// Statistics.
	c.stats.NLP = supp
	c.stats.Updates = f.copies
	switch {
	case !farActive:
		c.stats.State = Idle
	case nearTalk || loud:
		c.stats.State = DoubleTalk
	default:
		// Averaged in dB: one frame of near-end speech taken for single
		// talk must not ruin the figures for seconds.
		if pNear > 0 && pErr > 0 {
			c.stERLE += statWeight * (clampDB(db(pNear, pErr)) - c.stERLE)
			c.stats.ERLE = c.stERLE
		}
		// The ERL is that of the echo path the foreground has learnt (its
		// loss for white noise), once it cancels enough to be believed.
		if c.stats.ERLE >= trustERLE && f.gainF > 0 {
			c.stats.ERL = -10 * math.Log10(float64(f.gainF))
		}
		if c.stats.ERLE >= 20 {
			c.stats.State = Converged
		} else {
			c.stats.State = Converging
		}
	}
}

const (
	farActivePow = 2600 // -50 dBm0 (RMS 51)
	adaptPow     = 260  // -60 dBm0
	statWeight   = 0.02 // per frame: about 0.5 s
	dtRatio      = 4    // near-end input this many times the echo bound (+6 dB) is double talk
	loopGain     = 0.5  // -3 dB: near-end input this close to the far end is never echo alone
	loopHang     = 50   // frames (500 ms) a far-end loop-back is held after it was last seen
	trustERLE    = 10   // dB of ERLE from which the echo estimate replaces the Geigel bound
	quietERLE    = 3162 // 35 dB, and
	quietPow     = 260  // -60 dBm0: an error this far under the echo and this quiet can teach the background
	specShare    = 0.5  // this share of the error where no echo can be is near-end signal (nearShare)
	tonalBins    = 24   // near-end signal in fewer bins than this is a tone (or a few), not background
)

// clampDB bounds a frame's figure before it is averaged.
func clampDB(v float64) float64 { return max(-10, min(v, 80)) }

func db(num, den float32) float64 {
	if num <= 0 || den <= 0 {
		return 0
	}
	return 10 * math.Log10(float64(num)/float64(den))
}

// sat16 rounds to the nearest integer and saturates to int16.
func sat16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	}
	return int16(v - 0.5)
}
