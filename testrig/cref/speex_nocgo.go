//go:build !cgo

package cref

import "fmt"

// installHint tells a developer how to get the references.
const installHint = "install with `./tools/ci/deps.sh` or `apt-get install -y --no-install-recommends libspeexdsp-dev pkg-config` and build with CGO_ENABLED=1"

// Available reports whether the C references are built in (nil: yes).
func Available() error {
	return fmt.Errorf("%w: this binary was built without cgo; %s", ErrUnavailable, installHint)
}

// SpeexEcho is speexdsp's echo canceller; without cgo it cannot be made.
type SpeexEcho struct{}

// NewSpeexEcho fails without cgo.
func NewSpeexEcho(frame, tail, rate int, suppress bool) (*SpeexEcho, error) {
	return nil, Available()
}

// Process panics: a SpeexEcho cannot exist without cgo.
func (s *SpeexEcho) Process(near, far, out []int16) { panic("cref: built without cgo") }

// Close does nothing.
func (s *SpeexEcho) Close() {}
