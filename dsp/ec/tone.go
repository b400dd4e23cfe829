package ec

import (
	"math"
)

// The G.164/G.165 tone disabler. Modems and fax machines answer with
// 2100 Hz (ITU-T V.25 ANS); with 180° phase reversals every 450 ms (ANS/
// ANSam) it asks the network to disable echo cancellers, because the
// modems cancel their own echo (the G.165 tone disabler). A plain 2100 Hz
// tone, as sent by fax machines (CED), leaves the canceller on; here it
// holds the NLP off so that the fax signal is not clipped. Once disabled,
// the canceller stays so while either direction carries signal and comes
// back after 250 ms below the release level (the G.164/G.165 release:
// 250 ± 150 ms after the signal falls below the holding sensitivity).
//
// Detection works on whole frames: 80 samples hold exactly 21 periods of
// 2100 Hz, so the frame's DFT at 2100 Hz has the same phase from frame to
// frame for an exact tone, drifts by 2π·δf·10 ms for a tone δf Hz off, and
// jumps by π at a phase reversal.
const (
	toneFreq       = 2100.0
	toneMaxOffset  = 25.0 // Hz; V.25 allows ±15
	toneShare      = 0.6  // tone power over frame power
	toneHoldFrames = 40   // 400 ms of tone before it counts
	toneMaxGap     = 2    // frames a reversal may spoil
	releaseFrames  = 25   // 250 ms quiet
	revRefractory  = 20   // frames after a reversal before another counts
)

var (
	toneCos, toneSin [blockLen]float32
	// tonePowMin is the weakest tone that counts, -31 dBm0, and
	// releasePow the release level, -36 dBm0 (a few dB under the holding
	// sensitivity), as mean power per sample (0 dBm0 is RMS 16141).
	tonePowMin = dbm0Pow(-31)
	releasePow = dbm0Pow(-36)
)

func init() {
	for n := range blockLen {
		a := 2 * math.Pi * toneFreq * float64(n) / 8000
		toneCos[n] = float32(math.Cos(a))
		toneSin[n] = float32(math.Sin(a))
	}
}

// dbm0Pow returns the mean power per sample of a signal at dBm0.
func dbm0Pow(dbm0 float64) float32 {
	r := 16141 * math.Pow(10, dbm0/20)
	return float32(r * r)
}

// toneDetector watches one direction for the 2100 Hz answer tone.
type toneDetector struct {
	run       int     // frames of tone so far (gaps of a reversal bridged)
	gap       int     // frames without tone inside the current run
	lastRe    float32 // DFT of the last tone frame
	lastIm    float32
	drift     float32 // phase advance per frame, radians
	driftOK   bool
	refract   int // frames until a reversal may count again
	reversals int // reversals seen in the current run
}

// push analyses one frame (80 samples at mean power pow).
func (d *toneDetector) push(x []float32, pow float32) {
	var re, im float32
	for n, v := range x[:blockLen] {
		re += v * toneCos[n]
		im -= v * toneSin[n]
	}
	// A sine of amplitude A gives |Z| = A·N/2, power A²/2 = 2|Z|²/N².
	tp := 2 * (re*re + im*im) / (blockLen * blockLen)
	if d.refract > 0 {
		d.refract--
	}
	isTone := pow >= tonePowMin && tp >= toneShare*pow
	if !isTone {
		if d.run > 0 && d.gap < toneMaxGap {
			d.gap++
			return
		}
		*d = toneDetector{}
		return
	}
	if d.run > 0 {
		// Phase step since the last tone frame, per frame elapsed.
		frames := float32(d.gap + 1)
		cr := re*d.lastRe + im*d.lastIm
		ci := im*d.lastRe - re*d.lastIm
		step := float32(math.Atan2(float64(ci), float64(cr)))
		if !d.driftOK {
			if d.gap == 0 {
				d.drift, d.driftOK = step, true
			}
		} else {
			dev := wrap(step - frames*d.drift)
			if abs32(dev) > 2.0 { // ≥ 115°: a reversal (180° ± 25° plus drift error)
				if d.refract == 0 {
					d.reversals++
					d.refract = revRefractory
				}
			} else if d.gap == 0 && abs32(dev) < 0.5 {
				d.drift += 0.3 * dev
			}
		}
	}
	d.lastRe, d.lastIm = re, im
	d.run += 1 + d.gap
	d.gap = 0
}

// tone reports whether a 2100 Hz tone within tolerance has lasted long
// enough to count; reversed whether it also reversed its phase.
func (d *toneDetector) tone() (tone, reversed bool) {
	maxDrift := float32(2 * math.Pi * toneMaxOffset * blockLen / 8000)
	if d.run < toneHoldFrames || !d.driftOK || abs32(d.drift) > maxDrift {
		return false, false
	}
	return true, d.reversals > 0
}

func wrap(a float32) float32 {
	for a > math.Pi {
		a -= 2 * math.Pi
	}
	for a < -math.Pi {
		a += 2 * math.Pi
	}
	return a
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// disabler combines the detectors of both directions with the hold and
// release rules.
type disabler struct {
	near, far toneDetector
	nlpOff    bool // 2100 Hz seen: NLP held off
	bypass    bool // 2100 Hz with reversals seen: canceller disabled
	quiet     int  // consecutive quiet frames while held
}

// push runs one frame of both directions through the detectors.
func (d *disabler) push(near, far []float32, nearPow, farPow float32) {
	d.near.push(near, nearPow)
	d.far.push(far, farPow)
	tn, rn := d.near.tone()
	tf, rf := d.far.tone()
	if tn || tf {
		d.nlpOff = true
	}
	if rn || rf {
		d.bypass = true
	}
	if !d.nlpOff && !d.bypass {
		return
	}
	if nearPow < releasePow && farPow < releasePow {
		d.quiet++
		if d.quiet >= releaseFrames {
			*d = disabler{}
		}
		return
	}
	d.quiet = 0
}
