// Package spandsp runs the ADSI (caller ID) transmitter and receiver of
// spandsp (Debian libspandsp2, installed with libspandsp-dev) so that tests
// can check dsp/callerid against an independent implementation in the same
// process: every message we generate must come out of spandsp's receiver
// with the same fields, and our receiver must read what spandsp sends.
//
// This is test equipment. It uses cgo and loads libspandsp.so.2 with dlopen
// at run time, so it builds without the library's headers, and a machine
// without the library gets an error from NewReceiver or NewTransmitter
// that says how to install it. The firmware never imports it; with
// CGO_ENABLED=0 a stub takes its place whose constructors always fail.
// [Need] turns a missing library into a test failure under CI=true and a
// skip with the install hint otherwise.
//
// A Receiver or Transmitter belongs to one goroutine at a time; Close frees
// the C state.
package spandsp

import (
	"errors"
	"github.com/openiad/openiad/testrig/peers"
)

// ErrUnavailable says spandsp cannot be used in this binary or on this
// machine.
var ErrUnavailable = errors.New("spandsp: not available")

// installHint tells a developer how to get the library.
const installHint = "install with `./tools/ci/deps.sh` or `apt-get install -y --no-install-recommends libspandsp-dev` and build with CGO_ENABLED=1"

// Standard selects the ADSI variant (spandsp's ADSI_STANDARD_* codes).
type Standard int

const (
	CLASS    Standard = 1 // Bellcore/Telcordia GR-30 CLASS: Bell 202 FSK
	CLIP     Standard = 2 // ETSI EN 300 659-1 CLIP: V.23 FSK
	ACLIP    Standard = 3 // Singapore A-CLIP: V.23 FSK
	JCLIP    Standard = 4 // NTT J-CLIP
	CLIPDTMF Standard = 5 // ETSI CLIP by DTMF
)

// Field is one field of a received message as spandsp's adsi_next_field
// splits it: for FSK messages first the message type (Body nil), then each
// MDMF parameter, or the whole body of an SDMF message with Type 0; for
// DTMF messages the start code (Body nil), then each field under its code
// letter.
type Field struct {
	Type byte
	Body []byte
}

// Message is one message spandsp's receiver delivered.
type Message struct {
	Raw    []byte  // as delivered (FSK: type, length and body; spandsp checks and drops the checksum)
	Fields []Field // split by adsi_next_field
	Split  int     // adsi_next_field's final return: -1 (end) or -2 (corrupt)
}

// Need checks that spandsp can be used; see peers.Require for what happens
// when it cannot.
func Need(t peers.TB) {
	t.Helper()
	peers.Require(t, Available())
}
