package hal

import "time"

// FXOEventKind says what an FXO port saw on its PSTN line.
type FXOEventKind uint8

const (
	FXORing     FXOEventKind = iota // ring signal present (one per burst)
	FXORingEnd                      // ring signal gone
	FXOPolarity                     // battery polarity reversed (answer or disconnect supervision)
	FXOLoopLost                     // loop current or line voltage lost (far end cleared, or line cut)
	FXOLineOK                       // line voltage present again
)

// FXOEvent is one indication from the PSTN line.
type FXOEvent struct {
	Kind FXOEventKind
	At   time.Time
}

// FXO is one port towards a PSTN line (a DAA): it seizes and releases the
// line and reports ringing and supervision. Its audio is at Timeslot.
type FXO interface {
	// SetHook seizes (OffHook) or releases (OnHook) the line.
	SetHook(Hook) error
	Events() <-chan FXOEvent
	Timeslot() int
	String() string
}
