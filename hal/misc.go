package hal

import "time"

// Relay is a switching relay, e.g. the lifeline relay that connects an FXS
// port straight to the FXO line when the box loses power.
type Relay interface {
	Set(closed bool) error
	Closed() bool
}

// LEDState is what an LED shows.
type LEDState uint8

const (
	LEDOff LEDState = iota
	LEDOn
	LEDBlinkSlow // 1 Hz
	LEDBlinkFast // 4 Hz
)

// LED is a front-panel indicator.
type LED interface {
	Set(LEDState) error
	String() string
}

// Watchdog resets the box unless Pet is called at least once per Timeout.
type Watchdog interface {
	Pet() error
	Timeout() time.Duration
}
