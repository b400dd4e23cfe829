package line

import "errors"

// ErrNotReady is returned by Trunk.Dial when the line cannot place a call
// outside the box (not registered, no account): the caller hears congestion.
var ErrNotReady = errors.New("line: trunk not ready")

// CallerID is who is calling, as delivered to the phone.
type CallerID struct {
	Number, Name string
	Private      bool // the caller withheld the number ("P")
	Unavailable  bool // the network does not know it ("O")
}

func (c CallerID) String() string {
	switch {
	case c.Private:
		return "private"
	case c.Unavailable || c.Number == "":
		return "unavailable"
	case c.Name != "":
		return c.Number + " (" + c.Name + ")"
	}
	return c.Number
}

// Cause says why a call attempt failed; it chooses the tone the caller hears.
type Cause uint8

const (
	CauseCongestion   Cause = iota // network trouble, timeouts, server errors, not registered
	CauseBusy                      // the called party is busy
	CauseUnobtainable              // the number does not exist or is incomplete
	CauseRejected                  // the called party declined
)

var causeNames = [...]string{"congestion", "busy", "unobtainable", "rejected"}

func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "cause?"
}

// LegEventKind says what happened to a call leg outside the box.
type LegEventKind uint8

const (
	LegRinging    LegEventKind = iota + 1 // the far end is alerting: play local ringback
	LegEarlyMedia                         // the far end sends its own audio (ringback, announcements)
	LegAnswered                           // the far end answered
	LegFailed                             // the attempt failed; Cause says why
	LegEnded                              // the far end released an established or alerting call
)

// LegEvent is one thing a Leg reports to its line.
type LegEvent struct {
	Kind   LegEventKind
	Cause  Cause
	Code   int    // the final SIP status of a failed attempt (486), 0 when none
	Reason string // for people: "486 Busy Here"
}

// Leg is a call between a line and the world outside the box (a SIP
// dialog). The line's goroutine calls its methods; they must not block.
// The Leg attaches and detaches the line's media itself.
type Leg interface {
	Events() <-chan LegEvent
	Ringing() error     // incoming: the phone is ringing
	Answer() error      // incoming: the phone was lifted
	Reject(Cause) error // incoming: the line cannot take it
	Hangup() error      // release, in any state
	Digit(d byte) error // a DTMF digit dialled during the call
	Flash() error       // a hook-flash during the call
}

// Trunk places calls that leave the box.
type Trunk interface {
	// Dial starts a call from port to number. ErrNotReady (wrapped) means
	// it cannot be placed now.
	Dial(port int, number string) (Leg, error)
}
