// Package hal describes the hardware of an IAD as small interfaces: FXS and
// FXO ports, the E1 framer, the TDM/PCM highway that carries their audio, and
// the relays, LEDs and watchdog of the box. Chip drivers in the sub-packages
// implement them over periph.io buses; boards/ wires drivers to a concrete
// board. Nothing here knows about calls, SIP or configuration.
//
// Concurrency: unless a method says otherwise, every method may be called
// from any goroutine. Event channels are owned by the driver, buffered, and
// closed when the driver stops; a slow reader loses the oldest events, never
// blocks the driver.
package hal

import (
	"errors"
	"time"
)

// Audio framing of the TDM highway. All voice in the box moves in frames of
// 10 ms of 8 kHz, 16-bit linear PCM, one frame per timeslot per tick.
const (
	SampleRate    = 8000                  // samples per second on every timeslot
	FrameDuration = 10 * time.Millisecond // one tick of the TDM clock
	FrameLen      = SampleRate / 100      // samples per frame per timeslot (80)
)

// Frame is 10 ms of one timeslot: 80 samples of 16-bit linear PCM where a
// sine with a peak of 32767 is +3.14 dBm0 (the A-law digital full scale).
type Frame [FrameLen]int16

// Hook is the loop state of an analog line as seen from the exchange side.
type Hook uint8

const (
	OnHook  Hook = iota // loop open: the handset is down
	OffHook             // loop closed: the handset is up (or a fax seized the line)
)

func (h Hook) String() string {
	if h == OffHook {
		return "off-hook"
	}
	return "on-hook"
}

// Errors shared by drivers. Drivers wrap them with %w; callers test with
// errors.Is.
var (
	ErrClosed      = errors.New("hal: device closed")
	ErrUnsupported = errors.New("hal: not supported by this device")
	ErrRange       = errors.New("hal: value out of range")
	ErrNoDevice    = errors.New("hal: device not found")
)
