package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Flash is the digit of event 16, the hook flash (RFC 4733 section 3.2).
const Flash byte = '!'

const (
	// MaxEventDuration is the longest event SendEvent sends: the 16-bit
	// duration field at 8 kHz (longer events would need segments).
	MaxEventDuration = 0xFFFF * time.Second / ClockRate

	eventInterval = 50 * time.Millisecond // update packets, RFC 4733 section 2.5.1.2
	eventVolume   = 10                    // -10 dBm0, the level a DTMF sender sends
	eventEnds     = 3                     // end packets, RFC 4733 section 2.5.1.4
	// audioSlack is how far past an open event's last duration the far
	// end's audio may run before the event counts as ended (its end
	// packets were all lost): 120 ms.
	audioSlack = 960
	// maxBack is how far back a timestamp may lie and still be a late
	// packet of an older event rather than a sender that jumped: 10 s.
	maxBack = 10 * ClockRate
)

var (
	errShortEvent = errors.New("media: event payload shorter than 4 bytes")
	errVolume     = errors.New("media: event volume above 63")
)

const eventDigits = "0123456789*#ABCD!"

// EventCode is the RFC 4733 event code of a digit: '0'-'9' are 0-9, '*'
// 10, '#' 11, 'A'-'D' (or 'a'-'d') 12-15 and Flash 16.
func EventCode(digit byte) (uint8, bool) {
	if digit >= 'a' && digit <= 'd' {
		digit -= 'a' - 'A'
	}
	i := strings.IndexByte(eventDigits, digit)
	if i < 0 {
		return 0, false
	}
	return uint8(i), true
}

// EventDigit is the digit of an RFC 4733 event code 0-16.
func EventDigit(code uint8) (byte, bool) {
	if int(code) >= len(eventDigits) {
		return 0, false
	}
	return eventDigits[code], true
}

// EventPayload is the payload of an RFC 4733 telephone-event packet
// (section 2.3): the event, the end bit, the volume in -dBm0 and the
// duration so far in timestamp units.
type EventPayload struct {
	Event    uint8
	End      bool
	Volume   uint8 // 0-63
	Duration uint16
}

// EventPayloadLen is the size of one event payload.
const EventPayloadLen = 4

// Unmarshal reads the first event of b (the reserved bit is ignored, as
// RFC 4733 asks of receivers). It does not allocate unless b is short.
func (e *EventPayload) Unmarshal(b []byte) error {
	if len(b) < EventPayloadLen {
		return fmt.Errorf("%w: %d", errShortEvent, len(b))
	}
	e.Event = b[0]
	e.End = b[1]&0x80 != 0
	e.Volume = b[1] & 0x3f
	e.Duration = binary.BigEndian.Uint16(b[2:4])
	return nil
}

// MarshalTo writes the payload into b and returns its length (4).
func (e EventPayload) MarshalTo(b []byte) (int, error) {
	if len(b) < EventPayloadLen {
		return 0, fmt.Errorf("%w: buffer of %d", errShortEvent, len(b))
	}
	if e.Volume > 63 {
		return 0, fmt.Errorf("%w: %d", errVolume, e.Volume)
	}
	b[0] = e.Event
	b[1] = e.Volume
	if e.End {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:4], e.Duration)
	return EventPayloadLen, nil
}

// eventRx turns the far end's event packets into one Event per event
// (RFC 4733 section 2.5.2): an event is known by its timestamp, not by the
// marker bit (which may be missing, or lost with the first packet); it is
// delivered on its first end packet, and when its end packets are all lost,
// on the next event, on audio well past its duration, or on flush.
// Retransmitted end packets and late updates are dropped.
type eventRx struct {
	have      bool
	delivered bool
	ts        uint32
	code      uint8
	dur       uint16
	recent    [8]uint64 // (ts, code)+1 of the last delivered events
	next      int
}

func (r *eventRx) event() Event {
	d, _ := EventDigit(r.code)
	r.delivered = true
	key := uint64(r.ts)<<8 | uint64(r.code) + 1
	r.recent[r.next] = key
	r.next = (r.next + 1) % len(r.recent)
	return Event{Digit: d, Dur: time.Duration(r.dur) * time.Second / ClockRate}
}

func (r *eventRx) seen(ts uint32, code uint8) bool {
	key := uint64(ts)<<8 | uint64(code) + 1
	for _, k := range r.recent {
		if k == key {
			return true
		}
	}
	return false
}

// packet takes one event packet; it returns the events that ended (at most
// two: an open one whose end was lost, and this one if it is an end).
func (r *eventRx) packet(ts uint32, e EventPayload) (out [2]Event, n int) {
	if _, ok := EventDigit(e.Event); !ok {
		return out, 0 // not an event the box knows (RFC 4734 tones ...)
	}
	if r.have {
		d := int32(ts - r.ts)
		switch {
		case d == 0 && e.Event == r.code:
			if r.delivered {
				return out, 0 // a retransmitted end or a late update
			}
			r.dur = max(r.dur, e.Duration)
			if e.End {
				out[0] = r.event()
				return out, 1
			}
			return out, 0
		case d < 0 && d > -maxBack:
			return out, 0 // a late packet of an older event
		}
		if !r.delivered {
			out[n] = r.event()
			n++
		}
	}
	if r.seen(ts, e.Event) {
		r.have, r.delivered, r.ts, r.code = true, true, ts, e.Event
		return out, n
	}
	r.have, r.delivered, r.ts, r.code, r.dur = true, false, ts, e.Event, e.Duration
	if e.End {
		out[n] = r.event()
		n++
	}
	return out, n
}

// audio takes the timestamp of an audio packet: audio well past an open
// event means its end packets were lost.
func (r *eventRx) audio(ts uint32) (Event, bool) {
	if !r.have || r.delivered || int32(ts-r.ts-uint32(r.dur)) <= audioSlack {
		return Event{}, false
	}
	return r.event(), true
}

// flush delivers an open event.
func (r *eventRx) flush() (Event, bool) {
	if !r.have || r.delivered {
		return Event{}, false
	}
	return r.event(), true
}

type queuedEvent struct {
	code uint8
	dur  time.Duration
}

// SendEvent queues an RFC 4733 event (digit as for EventCode) lasting dur
// and returns at once; events play one after the other on the stream's
// event goroutine. Each plays as a start packet with the marker bit, an
// update every 50 ms with the duration so far, and three end packets 50 ms
// apart, all with the timestamp of the event's start; audio given to Send
// meanwhile is dropped. It fails when telephone-event was not negotiated,
// when the far end's fmtp does not list the event, while the stream does
// not send (hold), or when 32 events are already waiting.
func (s *Stream) SendEvent(digit byte, dur time.Duration) error {
	code, ok := EventCode(digit)
	if !ok {
		return fmt.Errorf("%w: %q", errDigit, digit)
	}
	if dur <= 0 || dur > MaxEventDuration {
		return fmt.Errorf("%w: %v", errDuration, dur)
	}
	s.mu.Lock()
	var err error
	switch {
	case s.closed:
		err = ErrClosed
	case !s.started:
		err = errNotStarted
	case s.evPT < 0:
		err = errNoEvents
	case s.evMask&(1<<code) == 0:
		err = fmt.Errorf("%w: %q", errRefused, digit)
	case !s.sending():
		err = errNotSending
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	select {
	case s.evq <- queuedEvent{code, dur}:
		return nil
	default:
		return errBusy
	}
}

func (s *Stream) eventLoop() {
	defer s.senders.Done()
	for {
		select {
		case <-s.done:
			return
		case ev := <-s.evq:
			if s.isClosed() {
				return
			}
			s.playEvent(ev)
		}
	}
}

func samplesOf(d time.Duration) uint32 { return uint32(d / (time.Second / ClockRate)) }

// playEvent sends one event; on Close it cuts the event short with one end
// packet.
func (s *Stream) playEvent(ev queuedEvent) {
	s.mu.Lock()
	if s.evPT < 0 || !s.sending() {
		s.mu.Unlock()
		return
	}
	s.inEvent = true
	ts, pt := s.ts, uint8(s.evPT)
	s.mu.Unlock()

	start := time.Now()
	total, step := samplesOf(ev.dur), samplesOf(eventInterval)
	var payload [EventPayloadLen]byte
	send := func(marker, end bool, d uint32) {
		p := EventPayload{Event: ev.code, End: end, Volume: eventVolume, Duration: uint16(d)}
		p.MarshalTo(payload[:])
		s.mu.Lock()
		if s.sending() && s.evPT == int(pt) {
			s.writeLocked(pt, ts, marker, payload[:])
		}
		s.mu.Unlock()
	}
	wait := func(at time.Duration) bool {
		t := time.NewTimer(at - time.Since(start))
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-s.done:
			return false
		}
	}

	send(true, false, min(step, total))
	ok := true
	for k := 1; ok && time.Duration(k)*eventInterval < ev.dur; k++ {
		if ok = wait(time.Duration(k) * eventInterval); ok {
			send(false, false, min(uint32(k+1)*step, total))
		}
	}
	if ok = ok && wait(ev.dur); ok {
		for i := range eventEnds {
			if i > 0 && !wait(ev.dur+time.Duration(i)*eventInterval) {
				break
			}
			send(false, true, total)
		}
	} else {
		send(false, true, min(samplesOf(time.Since(start)), total))
	}

	s.mu.Lock()
	s.inEvent = false
	s.marker = true
	if end := ts + samplesOf(time.Since(start)); int32(end-s.ts) > 0 {
		s.ts = end
	}
	s.st.EventsSent++
	s.mu.Unlock()
}
