//go:build !cgo

// Package speexjb runs the adaptive jitter buffer of speexdsp for
// comparison with dsp/jitter. This build has no cgo, so Open always fails.
package speexjb

import "errors"

var errLoad = errors.New("speexjb: built without cgo (CGO_ENABLED=0); speexdsp is unavailable")

// Status is what Get returned.
type Status int

const (
	OK        Status = 0 // a packet
	Missing   Status = 1 // lost or late: conceal Span samples
	Insertion Status = 2 // grow the delay: conceal Span samples
)

// JB is one speexdsp jitter buffer.
type JB struct{}

// Open always fails without cgo.
func Open(step int) (*JB, error) { return nil, errLoad }

// Close does nothing.
func (j *JB) Close() {}

// SetMaxLateRate does nothing.
func (j *JB) SetMaxLateRate(pct int) {}

// SetMargin does nothing.
func (j *JB) SetMargin(units int) {}

// SetLateCost does nothing.
func (j *JB) SetLateCost(units int) {}

// Put does nothing.
func (j *JB) Put(ts, span uint32, seq uint16, user uint32) {}

// Get reports Missing.
func (j *JB) Get(desired int) (st Status, ts, span, user uint32, offset int) {
	return Missing, 0, uint32(desired), 0, 0
}

// Tick does nothing.
func (j *JB) Tick() {}

// Pointer returns 0.
func (j *JB) Pointer() uint32 { return 0 }
