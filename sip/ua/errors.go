package ua

import "errors"

// Errors are wrapped with %w; test them with errors.Is.
var (
	errConfig        = errors.New("ua: bad configuration")
	errDNS           = errors.New("ua: dns")
	errClosed        = errors.New("ua: closed")
	errNotRunning    = errors.New("ua: not running")
	errNotRegistered = errors.New("ua: line not registered")
	errCallEnded     = errors.New("ua: call has ended")
	errBusy          = errors.New("ua: too many pending commands")
	errState         = errors.New("ua: not possible in this call state")
	errTimeout       = errors.New("ua: no final response in time")
	errAuth          = errors.New("ua: authentication failed")
	errLineExists    = errors.New("ua: line id in use")
	errMalformed     = errors.New("ua: malformed header")
	errBodyType      = errors.New("ua: body is not SDP")
)

// ErrNotRegistered is returned by Line.Call when the line has registrars but
// no valid binding; the caller should hear congestion tone.
var ErrNotRegistered = errNotRegistered

// ErrCallEnded is returned by Call methods once the call is over.
var ErrCallEnded = errCallEnded
