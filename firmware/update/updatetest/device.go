// Package updatetest has fakes for testing firmware/update and the boards
// that use it: a block device that cuts the power at a chosen write, and a
// backend wrapper that counts writes to the slots.
//
// A Device is safe for use by one goroutine at a time.
package updatetest

import (
	"errors"
	"fmt"
	"io"
)

// ErrPowerCut is what every operation returns once the power is cut.
var ErrPowerCut = errors.New("updatetest: power cut")

// Survival is what happens to writes that were not synced when the power
// was cut.
type Survival int

// Survival policies.
const (
	// LoseUnsynced drops every write since the last Sync.
	LoseUnsynced Survival = iota
	// KeepUnsynced keeps them, the cut write included whole.
	KeepUnsynced
	// TearUnsynced keeps the earlier ones and the first half of the cut write.
	TearUnsynced
)

// Survivals are all the policies, for tests to loop over.
var Survivals = []Survival{LoseUnsynced, KeepUnsynced, TearUnsynced}

func (s Survival) String() string {
	return [...]string{"lose", "keep", "tear"}[s]
}

type write struct {
	off int64
	b   []byte
}

// Device is an in-memory block device. Writes go to a cache that Sync
// flushes; CutAt makes the Nth write (counting from 1, over the device's
// life) fail and every later operation fail with ErrPowerCut.
type Device struct {
	durable []byte
	pending []write
	writes  int
	cutAt   int
	cut     *write
	dead    bool
}

// NewDevice returns a zeroed device of size bytes.
func NewDevice(size int64) *Device { return &Device{durable: make([]byte, size)} }

// CutAt cuts the power at the nth write from now (1: the next one); 0
// disarms.
func (d *Device) CutAt(n int) {
	if n <= 0 {
		d.cutAt = 0
		return
	}
	d.cutAt = d.writes + n
}

// Writes counts the WriteAt calls so far.
func (d *Device) Writes() int { return d.writes }

// Dead reports whether the power was cut.
func (d *Device) Dead() bool { return d.dead }

// Size is the device's size.
func (d *Device) Size() int64 { return int64(len(d.durable)) }

// ReadAt reads what a reader would see now: durable data overlaid with the
// cache.
func (d *Device) ReadAt(p []byte, off int64) (int, error) {
	if d.dead {
		return 0, ErrPowerCut
	}
	if off < 0 || off >= int64(len(d.durable)) {
		return 0, io.EOF
	}
	n := copy(p, d.durable[off:])
	for _, w := range d.pending {
		overlay(p[:n], off, w)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func overlay(p []byte, off int64, w write) {
	lo, hi := max(off, w.off), min(off+int64(len(p)), w.off+int64(len(w.b)))
	if lo < hi {
		copy(p[lo-off:hi-off], w.b[lo-w.off:hi-w.off])
	}
}

// WriteAt writes to the cache.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	if d.dead {
		return 0, ErrPowerCut
	}
	if off < 0 || off+int64(len(p)) > int64(len(d.durable)) {
		return 0, fmt.Errorf("updatetest: write of %d bytes at %d beyond the device's %d", len(p), off, len(d.durable))
	}
	d.writes++
	w := write{off, append([]byte(nil), p...)}
	if d.writes == d.cutAt {
		d.dead, d.cut = true, &w
		return 0, ErrPowerCut
	}
	d.pending = append(d.pending, w)
	return len(p), nil
}

// Sync makes the cached writes durable.
func (d *Device) Sync() error {
	if d.dead {
		return ErrPowerCut
	}
	for _, w := range d.pending {
		copy(d.durable[w.off:], w.b)
	}
	d.pending = nil
	return nil
}

// Reboot returns the device as the next boot finds it after a power cut
// (or a clean restart, when the power was not cut) under policy s.
func (d *Device) Reboot(s Survival) *Device {
	n := &Device{durable: append([]byte(nil), d.durable...)}
	if s == LoseUnsynced {
		return n
	}
	for _, w := range d.pending {
		copy(n.durable[w.off:], w.b)
	}
	if d.cut != nil {
		b := d.cut.b
		if s == TearUnsynced {
			b = b[:len(b)/2]
		}
		copy(n.durable[d.cut.off:], b)
	}
	return n
}
