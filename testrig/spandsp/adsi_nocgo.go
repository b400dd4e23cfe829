//go:build !cgo

package spandsp

import "fmt"

// Available reports whether spandsp can be used; without cgo it cannot.
func Available() error {
	return fmt.Errorf("%w: this binary was built without cgo; %s", ErrUnavailable, installHint)
}

// Receiver is spandsp's ADSI receiver; without cgo it cannot be made.
type Receiver struct{}

// NewReceiver fails without cgo.
func NewReceiver(std Standard) (*Receiver, error) { return nil, Available() }

// Write does nothing.
func (r *Receiver) Write(x []int16) {}

// Dropped returns 0.
func (r *Receiver) Dropped() int { return 0 }

// Messages returns nothing.
func (r *Receiver) Messages() []Message { return nil }

// Close does nothing.
func (r *Receiver) Close() {}

// Transmitter is spandsp's ADSI transmitter; without cgo it cannot be made.
type Transmitter struct{}

// NewTransmitter fails without cgo.
func NewTransmitter(std Standard) (*Transmitter, error) { return nil, Available() }

// SetPreamble does nothing.
func (t *Transmitter) SetPreamble(seizure, marks, post, stopBits int) {}

// Send fails without cgo.
func (t *Transmitter) Send(msg []byte) error { return Available() }

// Alert does nothing.
func (t *Transmitter) Alert() {}

// Generate writes nothing.
func (t *Transmitter) Generate(dst []int16) int { return 0 }

// Close does nothing.
func (t *Transmitter) Close() {}
