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
	"os"
)

// ErrUnavailable says the C reference is not built into this binary.
var ErrUnavailable = errors.New("cref: C reference not available")

// TB is the part of testing.TB that Need uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Need checks that the C references are built in. When they are not, the
// test fails under CI=true (a missing reference is a failure there) and is
// skipped otherwise, both with the install hint.
func Need(t TB) {
	t.Helper()
	err := Available()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true: a missing reference is a failure)", err)
		return
	}
	t.Skipf("%v", err)
}
