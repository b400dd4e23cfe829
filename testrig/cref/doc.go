// Package cref wraps the C reference implementations that Debian ships, so
// that benchmarks and tests can run the same vectors through them and
// through our own DSP in the same process: today the echo canceller of
// speexdsp (package libspeexdsp-dev), with its residual-echo suppressor.
//
// This is test equipment. It uses cgo, so it lives under testrig, which the
// firmware never imports: CGO_ENABLED=0 builds of the firmware never see it.
// Built without cgo (CGO_ENABLED=0, or cross builds), every constructor
// returns an error wrapping ErrUnavailable that says how to get the real
// thing; [Need] turns that into a test failure under CI=true and a skip
// otherwise.
//
// A value belongs to one goroutine at a time; Close frees the C state.
package cref

import (
	"errors"
	"github.com/openiad/openiad/testrig/peers"
)

// ErrUnavailable says the C reference is not built into this binary.
var ErrUnavailable = errors.New("cref: C reference not available")

// Need checks that the C references are built in; see peers.Require for what happens
// when it cannot.
func Need(t peers.TB) {
	t.Helper()
	peers.Require(t, Available())
}
