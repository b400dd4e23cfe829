// Package phone is a simulated analog telephone for the lab bench. It plugs
// into one port of the virtual board (boards/sim) over the wire protocol —
// a TCP connection or a pipe from sim.Board.Attach — and does what a person
// with a handset does: lift and replace it, flash, dial with real DTMF audio
// (which the firmware's own detector must recognise), speak a test tone
// into the microphone and record what the earpiece hears. It also notes
// every ring burst with its time, for cadence checks, shows the caller ID
// it decodes (dsp/callerid: Bell 202 or V.23 FSK, DTMF) from what its line
// carries while it is on hook, and Recognise names what a recording holds
// (tone frequencies, levels, cadence).
//
// Everything is paced by the line: the board sends an earpiece frame every
// 10 ms tick and the phone answers each with a microphone frame, so Dial and
// Record take exactly the line time they cover, real or virtual (under
// testing/synctest).
//
// Goroutines: Attach starts one reader goroutine that answers the board;
// every method may be called from any goroutine. Close stops it.
package phone

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/openiad/openiad/boards/sim/wire"
	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/callerid"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/signal"
)

// DTMF dialling as Dial sends it.
const (
	DTMFOn    = 100 * time.Millisecond
	DTMFOff   = 100 * time.Millisecond
	DTMFLevel = -7.0 // dBm0 per tone
)

// AttachTimeout bounds the wait for the board's Welcome.
const AttachTimeout = 5 * time.Second

// ringLogMax is how many ring edges the log keeps (the oldest go first).
const ringLogMax = 4096

var (
	errClosed  = errors.New("phone: connection closed")
	errRefused = errors.New("phone: board refused")
	errProto   = errors.New("phone: protocol")
	errBusy    = errors.New("phone: busy")
)

// RingEdge is a change of the ring voltage on the line.
type RingEdge struct {
	On bool
	At time.Time // when the phone heard it
}

// EventKind says what an Event is about.
type EventKind uint8

const (
	EvRing     EventKind = iota // ring voltage went on or off (Event.Ringing)
	EvFeed                      // the line feed or its polarity changed (Event.Feed, Event.Reversed)
	EvError                     // the board sent an error (Event.Text)
	EvClosed                    // the connection ended (Event.Text says why when known)
	EvCallerID                  // caller ID was received on hook (Event.Text shows it; Phone.CallerID has it)
)

// Event is something the phone noticed on its line, for a user interface.
type Event struct {
	Kind     EventKind
	At       time.Time
	Ringing  bool
	Feed     wire.FeedState
	Reversed bool
	Text     string
}

func (e Event) String() string {
	switch e.Kind {
	case EvRing:
		if e.Ringing {
			return "ring on"
		}
		return "ring off"
	case EvFeed:
		pol := "normal polarity"
		if e.Reversed {
			pol = "reversed polarity"
		}
		return fmt.Sprintf("feed %s, %s", e.Feed, pol)
	case EvError:
		return "board error: " + e.Text
	case EvCallerID:
		return "caller ID: " + e.Text
	}
	if e.Text != "" {
		return "disconnected: " + e.Text
	}
	return "disconnected"
}

// LineState is what the phone knows about its line now.
type LineState struct {
	OffHook  bool
	Feed     wire.FeedState
	Reversed bool
	Ringing  bool
}

// recording is one Record call being filled.
type recording struct {
	buf  []int16
	n    int
	done chan struct{}
}

// Phone is one simulated telephone on one port.
type Phone struct {
	nc   net.Conn
	port int

	wmu sync.Mutex // serialises writes
	w   *wire.Writer

	mu        sync.Mutex
	line      LineState
	ringLog   []RingEdge
	ringWake  chan struct{} // closed at the next ring-on
	toneOn    bool
	toneFreq  float64
	toneLevel float64
	tonePhase float64
	dial      dtmf.Generator
	dialing   bool
	dialDone  chan struct{}
	recs      []*recording
	lastErr   string
	mic       wire.Msg
	scratch   hal.Frame
	cidRx     *callerid.Receiver // reads the line while on hook
	cid       *callerid.Message  // the last caller ID received
	cidErr    error              // the last broken transmission

	events   chan Event
	closed   chan struct{} // closed when the reader ends
	closeWhy string
}

// Attach plugs a phone into port (1-based) over c: it says Hello and
// waits for the board's Welcome. On error c is closed.
func Attach(c net.Conn, port int) (*Phone, error) {
	p := &Phone{
		nc:       c,
		port:     port,
		w:        wire.NewWriter(c),
		ringWake: make(chan struct{}),
		events:   make(chan Event, 64),
		closed:   make(chan struct{}),
		cidRx:    callerid.NewReceiver(),
	}
	p.mic.Type = wire.Audio
	if err := p.handshake(); err != nil {
		c.Close()
		return nil, err
	}
	go p.readLoop(wire.NewReader(c))
	return p, nil
}

func (p *Phone) handshake() error {
	c := p.nc
	c.SetDeadline(time.Now().Add(AttachTimeout))
	defer c.SetDeadline(time.Time{})
	if err := p.write(&wire.Msg{Type: wire.Hello, Version: wire.Version, Port: p.port, Name: "testrig/phone"}); err != nil {
		return fmt.Errorf("phone: port %d: hello: %w", p.port, err)
	}
	var m wire.Msg
	if err := wire.NewReader(c).Read(&m); err != nil {
		return fmt.Errorf("phone: port %d: waiting for welcome: %w", p.port, err)
	}
	switch m.Type {
	case wire.Welcome:
		if err := wire.CheckVersion(m.Version); err != nil {
			return fmt.Errorf("phone: port %d: %w", p.port, err)
		}
		if m.Port != p.port {
			return fmt.Errorf("%w: welcome for port %d, asked for %d", errProto, m.Port, p.port)
		}
		return nil
	case wire.Error:
		return fmt.Errorf("%w: port %d: %s", errRefused, p.port, m.Text)
	}
	return fmt.Errorf("%w: got %s before welcome", errProto, m.Type)
}

// Port is the port the phone is plugged into.
func (p *Phone) Port() int { return p.port }

func (p *Phone) write(m *wire.Msg) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.w.Write(m)
}

// send writes a user action, or says why it cannot.
func (p *Phone) send(m *wire.Msg) error {
	select {
	case <-p.closed:
		return p.closedErr()
	default:
	}
	if err := p.write(m); err != nil {
		return fmt.Errorf("phone: port %d: %s: %w", p.port, m.Type, err)
	}
	return nil
}

func (p *Phone) closedErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closeWhy != "" {
		return fmt.Errorf("%w: %s", errClosed, p.closeWhy)
	}
	return errClosed
}

// OffHook lifts the handset. It returns once the board has the message;
// the board applies it at its next tick.
func (p *Phone) OffHook() error { return p.setHook(true) }

// OnHook replaces the handset.
func (p *Phone) OnHook() error { return p.setHook(false) }

func (p *Phone) setHook(off bool) error {
	if err := p.send(&wire.Msg{Type: wire.Hook, OffHook: off}); err != nil {
		return err
	}
	p.mu.Lock()
	p.line.OffHook = off
	p.mu.Unlock()
	return nil
}

// Flash presses the hook switch for d (whole milliseconds, up to
// wire.MaxFlash). The board opens the loop at its next tick for exactly d;
// Flash returns once the board has the message, not when the flash is over.
// A flash while on-hook does nothing.
func (p *Phone) Flash(d time.Duration) error {
	return p.send(&wire.Msg{Type: wire.Flash, Dur: d})
}

// Dial sends digits (0-9 * # A-D) as DTMF, DTMFOn tone and DTMFOff pause
// each at DTMFLevel per tone, and returns when the last pause has been sent.
// A second Dial while one is going fails.
func (p *Phone) Dial(digits string) error {
	p.mu.Lock()
	if p.dialing {
		p.mu.Unlock()
		return fmt.Errorf("%w: already dialling", errBusy)
	}
	if err := p.dial.Start(digits, DTMFOn, DTMFOff, DTMFLevel); err != nil {
		p.mu.Unlock()
		return fmt.Errorf("phone: dial: %w", err)
	}
	done := make(chan struct{})
	p.dialing, p.dialDone = true, done
	p.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-p.closed:
		return p.closedErr()
	}
}

// Play speaks a sine of freq Hz at dBm0 into the microphone until StopPlay
// (DTMF from Dial adds to it).
func (p *Phone) Play(freq, dBm0 float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.toneOn || p.toneFreq != freq {
		p.tonePhase = 0
	}
	p.toneOn, p.toneFreq, p.toneLevel = true, freq, dBm0
}

// StopPlay silences the microphone.
func (p *Phone) StopPlay() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.toneOn = false
}

// Record returns the next d of earpiece audio (8 kHz samples, rounded up to
// whole 10 ms frames). It blocks while the line delivers them; if the
// connection ends first it returns what it got.
func (p *Phone) Record(d time.Duration) []int16 {
	frames := int((d + hal.FrameDuration - 1) / hal.FrameDuration)
	if frames <= 0 {
		return nil
	}
	r := &recording{buf: make([]int16, frames*hal.FrameLen), done: make(chan struct{})}
	p.mu.Lock()
	p.recs = append(p.recs, r)
	p.mu.Unlock()
	select {
	case <-r.done:
		return r.buf
	case <-p.closed:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, q := range p.recs {
		if q == r {
			p.recs = append(p.recs[:i], p.recs[i+1:]...)
			break
		}
	}
	return r.buf[:r.n]
}

// Ringing reports whether ring voltage is on the line now.
func (p *Phone) Ringing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line.Ringing
}

// WaitRing returns when the line rings (at once if it is ringing now), when
// ctx ends, or when the connection ends.
func (p *Phone) WaitRing(ctx context.Context) error {
	p.mu.Lock()
	if p.line.Ringing {
		p.mu.Unlock()
		return nil
	}
	wake := p.ringWake
	p.mu.Unlock()
	select {
	case <-wake:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("phone: port %d: waiting for ring: %w", p.port, ctx.Err())
	case <-p.closed:
		return p.closedErr()
	}
}

// RingLog returns every ring edge heard so far, oldest first.
func (p *Phone) RingLog() []RingEdge {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]RingEdge(nil), p.ringLog...)
}

// Feed is the line feed the board last reported.
func (p *Phone) Feed() wire.FeedState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line.Feed
}

// Reversed reports whether the line has reversed polarity.
func (p *Phone) Reversed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line.Reversed
}

// Line returns everything the phone knows about its line.
func (p *Phone) Line() LineState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line
}

// LastError is the text of the last Error the board sent, "" if none.
func (p *Phone) LastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Events delivers line changes for a user interface. It is buffered; events
// a slow reader has no room for are dropped (RingLog keeps ring edges).
func (p *Phone) Events() <-chan Event { return p.events }

// Done is closed when the connection has ended.
func (p *Phone) Done() <-chan struct{} { return p.closed }

// Close says Bye, closes the connection and waits for the reader to end.
func (p *Phone) Close() error {
	select {
	case <-p.closed:
	default:
		p.nc.SetWriteDeadline(time.Now().Add(time.Second))
		_ = p.write(&wire.Msg{Type: wire.Bye})
		p.nc.Close()
		<-p.closed
	}
	return nil
}

func (p *Phone) event(e Event) {
	select {
	case p.events <- e:
	default:
	}
}

// readLoop answers the board until the connection ends.
func (p *Phone) readLoop(r *wire.Reader) {
	var m wire.Msg
	why := ""
	for {
		if err := r.Read(&m); err != nil {
			if wire.IsMalformed(err) {
				why = err.Error()
			}
			break
		}
		if m.Type == wire.Audio {
			if err := p.audio(&m.Audio); err != nil {
				break
			}
			continue
		}
		if done, text := p.control(&m); done {
			why = text
			break
		}
	}
	p.nc.Close()
	p.mu.Lock()
	if why == "" && p.lastErr != "" {
		why = p.lastErr
	}
	p.closeWhy = why
	p.mu.Unlock()
	close(p.closed)
	p.event(Event{Kind: EvClosed, At: time.Now(), Text: why})
}

// audio takes one earpiece frame and answers with one microphone frame.
func (p *Phone) audio(ear *hal.Frame) error {
	p.mu.Lock()
	for len(p.recs) > 0 {
		r := p.recs[0]
		r.n += copy(r.buf[r.n:], ear[:])
		if r.n < len(r.buf) {
			break
		}
		close(r.done)
		p.recs = p.recs[1:]
	}
	if !p.line.OffHook {
		p.callerID(ear)
	} else {
		p.cidRx.Reset()
	}
	mic := &p.mic.Audio
	clear(mic[:])
	if p.toneOn {
		signal.Sine(mic[:], p.toneFreq, p.toneLevel, &p.tonePhase)
	}
	var dialDone chan struct{}
	if p.dialing {
		p.dial.Generate(p.scratch[:])
		dsp.MixInto(mic[:], p.scratch[:])
		if !p.dial.Active() {
			p.dialing, dialDone, p.dialDone = false, p.dialDone, nil
		}
	}
	err := p.write(&p.mic) // under mu: p.mic is shared with the next frame
	p.mu.Unlock()
	if dialDone != nil {
		close(dialDone)
	}
	return err
}

// control handles a line message; it reports whether the session is over.
func (p *Phone) control(m *wire.Msg) (bool, string) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m.Type {
	case wire.Ring:
		if m.Ringing == p.line.Ringing { // the first message tells the state
			return false, ""
		}
		p.line.Ringing = m.Ringing
		if len(p.ringLog) == ringLogMax {
			p.ringLog = append(p.ringLog[:0], p.ringLog[1:]...)
		}
		p.ringLog = append(p.ringLog, RingEdge{On: m.Ringing, At: now})
		if m.Ringing {
			close(p.ringWake)
			p.ringWake = make(chan struct{})
		}
		p.event(Event{Kind: EvRing, At: now, Ringing: m.Ringing})
	case wire.Feed:
		p.line.Feed, p.line.Reversed = m.Feed, m.Reversed
		p.event(Event{Kind: EvFeed, At: now, Feed: m.Feed, Reversed: m.Reversed})
	case wire.Error:
		p.lastErr = m.Text
		p.event(Event{Kind: EvError, At: now, Text: m.Text})
	case wire.Bye:
		return true, "board said bye"
	default:
		return true, fmt.Sprintf("%v: unexpected %s from the board", errProto, m.Type)
	}
	return false, ""
}

// callerID runs the on-hook receiver over an earpiece frame (under mu).
func (p *Phone) callerID(ear *hal.Frame) {
	for _, ev := range p.cidRx.Process(ear[:]) {
		switch ev.Kind {
		case callerid.EventMessage, callerid.EventDTMF:
			m, err := ev.Message()
			if err != nil {
				p.cidErr = err
				continue
			}
			p.cid, p.cidErr = &m, nil
			p.event(Event{Kind: EvCallerID, At: time.Now(), Text: describeCallerID(m)})
		case callerid.EventError:
			p.cidErr = ev.Err
		}
	}
}

// describeCallerID is what a phone's display shows.
func describeCallerID(m callerid.Message) string {
	num := m.Number
	switch {
	case num == "" && m.NumberAbsent != callerid.Present:
		num = m.NumberAbsent.String()
	case num == "":
		num = "-"
	}
	name := m.Name
	if name == "" && m.NameAbsent != callerid.Present {
		name = m.NameAbsent.String()
	}
	if name != "" {
		return num + " " + name
	}
	return num
}

// CallerID returns the last caller ID the phone received on hook (false
// before the first), and the error of the last broken transmission since.
func (p *Phone) CallerID() (callerid.Message, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cid == nil {
		return callerid.Message{}, false, p.cidErr
	}
	return *p.cid, true, p.cidErr
}

// ClearCallerID forgets the caller ID received so far.
func (p *Phone) ClearCallerID() {
	p.mu.Lock()
	p.cid, p.cidErr = nil, nil
	p.mu.Unlock()
}
