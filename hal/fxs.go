package hal

import (
	"fmt"
	"time"

	"periph.io/x/conn/v3/physic"
)

// Feed is the DC line feed state of an FXS port (the SLIC's linefeed).
type Feed uint8

const (
	FeedOpen        Feed = iota // tip and ring disconnected: a dead line
	FeedForward                 // forward active: normal battery, tip positive
	FeedReverse                 // reverse active: battery reversed (polarity reversal signalling)
	FeedOnHookTx                // forward on-hook transmission: audio passes while on-hook (caller ID)
	FeedOnHookTxRev             // reverse on-hook transmission
	FeedRinging                 // ringing: the ring generator drives the line per the cadence
)

var feedNames = [...]string{"open", "forward", "reverse", "onhook-tx", "onhook-tx-reverse", "ringing"}

func (f Feed) String() string {
	if int(f) < len(feedNames) {
		return feedNames[f]
	}
	return fmt.Sprintf("feed(%d)", uint8(f))
}

// Reversed reports whether the feed has reversed polarity.
func (f Feed) Reversed() bool { return f == FeedReverse || f == FeedOnHookTxRev }

// Cadence is a ring pattern: the ring signal's frequency and peak voltage,
// and alternating on/off periods starting with "on", repeated until stopped.
// China is {25 Hz, [1s, 4s]}; the UK is {25 Hz, [400ms, 200ms, 400ms, 2s]}.
// Limits: 1 to 8 periods, each from 50 ms to 10 s; 15 to 68 Hz; up to 90 V peak.
type Cadence struct {
	Freq    physic.Frequency
	Voltage physic.ElectricPotential // peak, open circuit
	Pattern []time.Duration
}

// Period is the length of one whole cadence cycle.
func (c Cadence) Period() time.Duration {
	var t time.Duration
	for _, d := range c.Pattern {
		t += d
	}
	return t
}

// Validate reports the first limit the cadence breaks.
func (c Cadence) Validate() error {
	if c.Freq < 15*physic.Hertz || c.Freq > 68*physic.Hertz {
		return fmt.Errorf("%w: ring frequency %s outside 15-68 Hz", ErrRange, c.Freq)
	}
	if c.Voltage <= 0 || c.Voltage > 90*physic.Volt {
		return fmt.Errorf("%w: ring voltage %s outside 0-90 V", ErrRange, c.Voltage)
	}
	if len(c.Pattern) == 0 || len(c.Pattern) > 8 {
		return fmt.Errorf("%w: ring pattern needs 1 to 8 periods, has %d", ErrRange, len(c.Pattern))
	}
	for i, d := range c.Pattern {
		if d < 50*time.Millisecond || d > 10*time.Second {
			return fmt.Errorf("%w: ring period %d is %s, outside 50ms-10s", ErrRange, i, d)
		}
	}
	return nil
}

// LineEventKind says what happened on a line.
type LineEventKind uint8

const (
	EvHook       LineEventKind = iota // debounced hook change; LineEvent.Hook has the new state
	EvRingOn                          // a ring burst started
	EvRingOff                         // a ring burst ended (the silent part of the cadence begins)
	EvRingTrip                        // the handset was lifted while ringing; ringing stopped by itself
	EvGroundKey                       // ground key (tip or ring to ground)
	EvPowerAlarm                      // the line driver overheated or a transistor is overloaded; the feed was opened
)

var lineEventNames = [...]string{"hook", "ring-on", "ring-off", "ring-trip", "ground-key", "power-alarm"}

func (k LineEventKind) String() string {
	if int(k) < len(lineEventNames) {
		return lineEventNames[k]
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// LineEvent is one thing that happened on an FXS or FXO line.
type LineEvent struct {
	Kind LineEventKind
	Hook Hook      // for EvHook and EvRingTrip: the state now
	At   time.Time // when the driver saw it (after debounce)
}

// HookSensor reports the debounced loop state of a line. Changes shorter
// than the sensor's debounce time never appear.
type HookSensor interface {
	Hook() Hook
	// Events delivers hook changes and the other LineEvents of the port.
	Events() <-chan LineEvent
}

// Feeder controls the DC feed of an FXS line.
type Feeder interface {
	SetFeed(Feed) error
	Feed() Feed
}

// Ringer rings an FXS line with a cadence until StopRing, or until the
// handset is lifted (ring trip: the driver stops ringing, returns to the
// forward feed and reports EvRingTrip).
type Ringer interface {
	Ring(Cadence) error
	StopRing() error
}

// FXS is one analog subscriber port: it feeds, rings and listens to a phone.
// Its audio is on the TDM highway at Timeslot.
type FXS interface {
	Feeder
	Ringer
	HookSensor
	Timeslot() int
	String() string
}
