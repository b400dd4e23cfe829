// Package cng is comfort noise for the media path: the RFC 3389 payload
// (a noise level and the reflection coefficients of an all-pole model of
// the noise spectrum), an Analyzer that estimates those parameters from the
// background noise of a signal, a Generator that synthesises noise matched
// to them, a simple energy VAD, and an Encoder that combines the three into
// the discontinuous-transmission decision of a sender (speech frame, SID
// frame, or nothing).
//
// Everything works on caller-owned buffers of 16-bit linear PCM at 8 kHz,
// allocates nothing per frame and starts no goroutine. A value with state
// (Analyzer, Generator, VAD, Encoder) belongs to one goroutine at a time,
// normally the media engine's. Params and its methods are plain values and
// safe to copy.
//
// Levels: RFC 3389 carries the noise level in -dBov. The RFC defines 0 dBov
// by a full-scale µ-law square wave and equates it to +6.18 dBm0; this
// package uses that equivalence with the dsp level convention (a full-scale
// sine is +3.14 dBm0), so a level byte of L means a noise of RMS
// dsp.DBm0ToRMS(6.18-L).
//
// Reflection coefficients follow the sign convention of the all-pole model
// 1/A(z), A(z) = 1 + a1 z^-1 + ... + aM z^-M, where the M-th reflection
// coefficient is the last direct-form coefficient of the order-M model
// (so low-pass noise has a negative first coefficient). On the wire a
// coefficient k in (-1, 1) is the byte round(128*k)+127; the decoder maps a
// byte q back to (q-127)/128.
package cng

import (
	"errors"
	"fmt"
	"math"

	"github.com/openiad/openiad/dsp"
)

// PayloadType is the static RTP payload type of comfort noise (RFC 3389,
// RFC 3551) at 8 kHz.
const PayloadType = 13

// MaxOrder is the highest model order this package keeps. A payload with
// more coefficients is accepted and its higher-order coefficients are
// dropped, which RFC 3389 section 3 allows a decoder to do.
const MaxOrder = 16

// DefaultOrder is the model order the Analyzer and Encoder use unless told
// otherwise.
const DefaultOrder = 10

// ZeroDBovDBm0 is the level of 0 dBov in dBm0 (RFC 3389 section 3.1).
const ZeroDBovDBm0 = 6.18

// MinLevel is the quietest level the payload can carry, in -dBov.
const MinLevel = 127

var (
	errEmpty    = errors.New("cng: empty payload")
	errLevelBit = errors.New("cng: noise level byte has its unused top bit set")
	errShort    = errors.New("cng: buffer too short")
	errOrder    = errors.New("cng: model order out of range")
)

// Params is one comfort-noise description: the content of a SID frame.
type Params struct {
	Level uint8             // noise level in -dBov, 0..127 (0 is loudest)
	Order int               // number of reflection coefficients used, 0..MaxOrder
	K     [MaxOrder]float64 // reflection coefficients, |K[i]| < 1 for i < Order
}

// LevelDBm0 returns the noise level in dBm0.
func (p *Params) LevelDBm0() float64 { return ZeroDBovDBm0 - float64(p.Level) }

// RMS returns the RMS value of the described noise in linear 16-bit units.
func (p *Params) RMS() float64 { return dsp.DBm0ToRMS(p.LevelDBm0()) }

// LevelFromRMS converts an RMS value into the nearest level byte, clamped to
// 0..MinLevel (an RMS of 0 gives MinLevel).
func LevelFromRMS(rms float64) uint8 {
	if rms <= 0 {
		return MinLevel
	}
	l := math.Round(ZeroDBovDBm0 - dsp.RMSToDBm0(rms))
	if l < 0 {
		return 0
	}
	if l > MinLevel {
		return MinLevel
	}
	return uint8(l)
}

// MarshalSize is the length of the payload MarshalTo writes.
func (p *Params) MarshalSize() int { return 1 + max(0, min(p.Order, MaxOrder)) }

// MarshalTo writes the RFC 3389 payload into b and returns its length.
func (p *Params) MarshalTo(b []byte) (int, error) {
	if p.Order < 0 || p.Order > MaxOrder {
		return 0, fmt.Errorf("%w: %d", errOrder, p.Order)
	}
	n := p.MarshalSize()
	if len(b) < n {
		return 0, fmt.Errorf("%w: need %d bytes, have %d", errShort, n, len(b))
	}
	b[0] = min(p.Level, MinLevel)
	for i := range p.Order {
		b[1+i] = quantK(p.K[i])
	}
	return n, nil
}

// Unmarshal parses an RFC 3389 payload. Coefficients beyond MaxOrder are
// ignored; a payload of only the level byte (the RFC 1890 draft form) gives
// Order 0, white noise.
func (p *Params) Unmarshal(b []byte) error {
	if len(b) == 0 {
		return errEmpty
	}
	if b[0]&0x80 != 0 {
		return fmt.Errorf("%w (0x%02x)", errLevelBit, b[0])
	}
	p.Level = b[0]
	p.Order = min(len(b)-1, MaxOrder)
	for i := range p.Order {
		p.K[i] = dequantK(b[1+i])
	}
	for i := p.Order; i < MaxOrder; i++ {
		p.K[i] = 0
	}
	return nil
}

// quantK maps a reflection coefficient to its payload byte.
func quantK(k float64) byte {
	q := math.Round(k*128) + 127
	if q < 0 || math.IsNaN(q) {
		return 0
	}
	if q > 254 {
		return 254
	}
	return byte(q)
}

// dequantK maps a payload byte to its reflection coefficient.
func dequantK(q byte) float64 { return (float64(q) - 127) / 128 }
