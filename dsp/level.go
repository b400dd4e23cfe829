// Package dsp holds the signal-processing blocks of the media path and the
// small helpers they share: level conversions between linear PCM and dBm0,
// saturating arithmetic, and a phase-accumulator oscillator.
//
// Everything under dsp is pure computation on caller-owned buffers: no
// goroutines, no I/O, no allocation per frame, and no import of hal or
// firmware. Functions in this package are safe for concurrent use; a value
// with state (such as Osc) belongs to one goroutine at a time, normally the
// media engine's.
//
// Audio conventions: 8 kHz, 16-bit linear PCM in frames of 80 samples
// (10 ms). A sine with a peak of 32767 is +3.14 dBm0 (the A-law digital
// full scale of ITU-T G.711), so 0 dBm0 is a sine of peak 22826, RMS 16141.
package dsp

import (
	"math"
	"time"
)

// SampleRate is the sample rate of every signal in dsp, in Hz.
const SampleRate = 8000

// FullScaleDBm0 is the level of a full-scale sine (peak 32767).
const FullScaleDBm0 = 3.14

// fullScale is the largest int16 magnitude.
const fullScale = 32767.0

// DBm0ToPeak returns the peak amplitude of a sine of the given level.
func DBm0ToPeak(dbm0 float64) float64 {
	return fullScale * math.Pow(10, (dbm0-FullScaleDBm0)/20)
}

// DBm0ToRMS returns the RMS value of a sine of the given level.
func DBm0ToRMS(dbm0 float64) float64 {
	return DBm0ToPeak(dbm0) / math.Sqrt2
}

// RMSToDBm0 returns the level of a signal with the given RMS value, that is
// the level of a sine of that RMS. An RMS of 0 gives -Inf.
func RMSToDBm0(rms float64) float64 {
	return 20*math.Log10(rms*math.Sqrt2/fullScale) + FullScaleDBm0
}

// RMS returns the root mean square of x (0 for an empty slice).
func RMS(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		f := float64(v)
		s += f * f
	}
	return math.Sqrt(s / float64(len(x)))
}

// Sat16 saturates v to the int16 range.
func Sat16(v int32) int16 {
	if v > math.MaxInt16 {
		return math.MaxInt16
	}
	if v < math.MinInt16 {
		return math.MinInt16
	}
	return int16(v)
}

// SatF16 rounds v to the nearest integer and saturates it to the int16
// range.
func SatF16(v float64) int16 {
	if v >= math.MaxInt16 {
		return math.MaxInt16
	}
	if v <= math.MinInt16 {
		return math.MinInt16
	}
	return int16(math.RoundToEven(v))
}

// MixInto adds src into dst sample by sample, saturating. It mixes
// min(len(dst), len(src)) samples.
func MixInto(dst, src []int16) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i := range dst {
		dst[i] = Sat16(int32(dst[i]) + int32(src[i]))
	}
}

// Samples converts a duration into a number of samples at SampleRate,
// rounded to the nearest sample (350 ms is exactly 2800 samples).
func Samples(d time.Duration) int64 {
	return (int64(d)*SampleRate + int64(time.Second)/2) / int64(time.Second)
}
