// Package fax recognises fax and modem signals on a voice channel, so that
// the channel can switch to pass-through (echo canceller per the
// G.164/G.165 rule, no non-linear processor, no comfort noise, no VAD, a
// fixed jitter buffer) and call control can re-INVITE to plain G.711:
//
//   - CNG, the calling tone of a fax (ITU-T T.30): 1100 Hz ±38 Hz, 0.5 s
//     on, 3 s off. Reported once per burst, 350 ms into it.
//   - The answer tone at 2100 Hz ±15 Hz (ITU-T V.25, T.30 CED, G.164
//     ANS), reported 300 ms into it as CED, or as ANSam when it is
//     amplitude-modulated at 15 Hz (ITU-T V.8); then, at its first phase
//     reversal (180°, every 450 ms: /ANS of V.25 and G.165, /ANSam of V.8),
//     once more as ANSReversal or ANSamReversal. A plain 2100 Hz tone
//     disables echo suppressors only (G.164); with phase reversals it
//     disables echo cancellers too (G.165): see Kind.DisablesEC.
//   - The V.21 preamble: HDLC flags (0x7E) at 300 bit/s on V.21 channel 2
//     (mark 1650 Hz, space 1850 Hz), which starts every T.30 message.
//     Reported after six flags in a row (160 ms).
//
// # How it works
//
// The tones are measured in blocks of 80 samples (10 ms) by Goertzel
// filters at 1100 and 2100 Hz, both a whole number of cycles per block, so
// that a steady tone keeps its phase from block to block: the phase step
// between blocks gives the frequency offset (unambiguous to ±50 Hz), a
// step of about 180° more than expected is a phase reversal, and the
// magnitudes of 20 blocks give the 15 Hz amplitude modulation. A block
// counts for a tone when the tone holds at least 60 % (CNG) or 70 %
// (2100 Hz) of the block's power, is above -45 dBm0, and its frequency
// lies within tolerance and steady. V.21 is demodulated sample by sample:
// the signal is mixed down from 1750 Hz, low-passed (300 Hz), and the
// sign of the phase step is the bit; a bit clock that every transition
// pulls halfway into place samples it, and the last eight bits are
// compared with the flag, while the band holds at least half the power.
//
// A Detector belongs to one goroutine (the media engine's); after
// NewDetector it never allocates, and Process takes frames of any length
// (normally 80 samples).
package fax

import (
	"math"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/goertzel"
)

// Kind says what a detector Event reports.
type Kind uint8

const (
	CNG           Kind = iota + 1 // fax calling tone, 1100 Hz
	CED                           // answer tone, 2100 Hz, unmodulated, no reversal (yet)
	ANSam                         // answer tone amplitude-modulated at 15 Hz (V.8), no reversal (yet)
	ANSReversal                   // the 2100 Hz tone reversed its phase (/ANS)
	ANSamReversal                 // the modulated answer tone reversed its phase (/ANSam)
	V21Preamble                   // HDLC flags on V.21 channel 2 (a T.30 message begins)
)

func (k Kind) String() string {
	switch k {
	case CNG:
		return "CNG"
	case CED:
		return "CED"
	case ANSam:
		return "ANSam"
	case ANSReversal:
		return "/ANS"
	case ANSamReversal:
		return "/ANSam"
	case V21Preamble:
		return "V.21 preamble"
	}
	return "kind?"
}

// DisablesEC reports whether the signal must turn echo cancellers off
// (G.165: an answer tone with phase reversals). Every kind turns the
// channel to pass-through otherwise.
func (k Kind) DisablesEC() bool { return k == ANSReversal || k == ANSamReversal }

// Event is a signal the detector recognised.
type Event struct {
	Kind  Kind
	At    int64   // sample index (from NewDetector or Reset) where the signal (or the reversal) began, to within 10 ms
	Level float64 // dBm0 of the tone or V.21 signal
}

// Tuning.
const (
	block     = 80 // samples per tone block (10 ms); 1100 and 2100 Hz are 11 and 21 cycles
	minLevel  = -45.0
	cngFreq   = 1100
	cngTol    = 45 // Hz (T.30: ±38)
	cngBlocks = 35 // 350 ms
	cngShare  = 0.6
	ansFreq   = 2100
	ansTol    = 25 // Hz (V.25: ±15)
	ansBlocks = 30 // 300 ms
	ansShare  = 0.7
	steadyTol = 12.0 // Hz: a block's frequency may differ this much from the tone's mean
	maxMissed = 2    // blocks a tone may miss (a reversal spoils one or two) before it ends
	amBlocks  = 20   // blocks over which the 15 Hz modulation is measured (three periods)
	amDepth   = 0.1  // modulation depth that makes ANSam (V.8: 0.2)
	revTol    = 0.7  // radians: a reversal is a phase step within this of 180°
)

// tracker follows one tone from block to block.
type tracker struct {
	g       goertzel.Filter
	freq    float64 // nominal Hz
	tol     float64 // Hz
	share   float64
	good    int     // blocks with the tone
	missed  int     // blocks in a row without it (while it lasts)
	on      bool    // the tone is established (reported)
	phase   float64 // phase of the last good block
	step    float64 // mean phase step per block (radians), the frequency offset
	steps   int     // steps averaged
	start   int64   // sample index of the first good block
	lastAt  int64   // sample index of the last good block's start
	power   float64 // tone power of the last good block
	mags    [amBlocks]float64
	nmags   int
	reverse bool // a reversal was seen
}

func (t *tracker) init(freq, tol, share float64) {
	t.g = goertzel.New(freq, dsp.SampleRate, block)
	t.freq, t.tol, t.share = freq, tol, share
}

func (t *tracker) reset() {
	g, f, tol, sh := t.g, t.freq, t.tol, t.share
	*t = tracker{g: g, freq: f, tol: tol, share: sh}
	t.g.Reset()
}

// wrap brings an angle into (-π, π].
func wrap(a float64) float64 {
	for a > math.Pi {
		a -= 2 * math.Pi
	}
	for a <= -math.Pi {
		a += 2 * math.Pi
	}
	return a
}

// radPerHz is the phase step between blocks per Hz of offset.
const radPerHz = 2 * math.Pi * block / dsp.SampleRate

// blockDone evaluates a finished block that began at sample at, whose
// mean square is total. It returns whether the block carried the tone and
// whether it held a phase reversal.
func (t *tracker) blockDone(at int64, total, floor float64) (good, reversal bool) {
	re, im := t.g.DFT()
	p := t.g.Power()
	t.g.Reset()
	// Off its nominal frequency a tone loses power in the block's
	// rectangular window: make that good with the tone's measured offset
	// (or, before there is one, the largest allowed).
	off := t.tol * radPerHz
	if t.steps > 0 {
		off = t.step
	}
	p /= windowGain(off)
	if p < floor || p < t.share*total {
		return t.miss(), false
	}
	ph := math.Atan2(im, re)
	if t.good == 0 {
		t.good, t.phase, t.step, t.steps, t.start, t.lastAt, t.power = 1, ph, 0, 0, at, at, p
		t.mags[0], t.nmags = math.Sqrt(p), 1
		return true, false
	}
	k := float64((at - t.lastAt) / block) // blocks since the last good one
	d := wrap(ph - t.phase - k*t.step)
	switch {
	case math.Abs(d) >= math.Pi-revTol && t.steps >= 3:
		// 180° more than the tone's own advance: a phase reversal.
		reversal = true
	case t.steps == 0 && k == 1:
		// The first step sets the frequency.
		if math.Abs(d) > t.tol*radPerHz {
			return t.restart(at, ph, p), false
		}
		t.step, t.steps = d, 1
	case math.Abs(d) <= steadyTol*radPerHz*k:
		if k == 1 {
			t.steps++
			t.step += d / float64(t.steps)
		}
	default:
		return t.restart(at, ph, p), false
	}
	if math.Abs(t.step) > t.tol*radPerHz {
		return t.restart(at, ph, p), false
	}
	t.good++
	t.missed = 0
	t.phase, t.lastAt, t.power = ph, at, p
	if reversal {
		// The block after a reversal is whole again; the magnitudes of
		// spoilt blocks stay out of the modulation estimate.
		return true, true
	}
	t.mags[t.nmags%amBlocks] = math.Sqrt(p)
	t.nmags++
	return true, false
}

// miss notes a block without the tone; it reports false.
func (t *tracker) miss() bool {
	if t.good == 0 {
		return false
	}
	t.missed++
	if !t.on || t.missed > maxMissed {
		t.reset()
	}
	return false
}

// restart begins a new tone at this block (the last one did not match).
func (t *tracker) restart(at int64, ph, p float64) bool {
	if t.on {
		return t.miss() // a disturbance within an established tone
	}
	t.reset()
	t.good, t.phase, t.start, t.lastAt, t.power = 1, ph, at, at, p
	t.mags[0], t.nmags = math.Sqrt(p), 1
	return true
}

// windowGain is the power response of a block to a tone whose phase
// advances by step radians per block more than the filter's frequency.
func windowGain(step float64) float64 {
	d := step / (2 * block) // radians per sample / 2
	if math.Abs(d) < 1e-9 {
		return 1
	}
	g := math.Sin(d*block) / (block * math.Sin(d))
	return g * g
}

// modulation returns the depth of 15 Hz amplitude modulation over the last
// amBlocks magnitudes (0 when there are not enough).
func (t *tracker) modulation() float64 {
	if t.nmags < amBlocks {
		return 0
	}
	var re, im, sum float64
	for i := range amBlocks {
		m := t.mags[(t.nmags+i)%amBlocks]
		a := 2 * math.Pi * 15 * float64(i) * block / dsp.SampleRate
		re += m * math.Cos(a)
		im += m * math.Sin(a)
		sum += m
	}
	if sum == 0 {
		return 0
	}
	return 2 * math.Hypot(re, im) / sum
}

// level converts a power (mean square) into dBm0.
func level(p float64) float64 {
	r := dsp.DBm0ToRMS(0)
	return 10 * math.Log10(p/(r*r))
}
