// Package engine is the real-time media loop of the box. Every tick of the
// TDM clock (10 ms) it exchanges one frame per timeslot with the highway and,
// for each active channel, runs the line input through the detectors and
// builds the line output from the channel's sources: the cross-connected
// peer channel and the tone generator.
//
// Run is the only goroutine that touches channel state; it locks itself to an
// OS thread. Every other method may be called from any goroutine: it queues a
// command in a preallocated lock-free ring that Run applies at the start of
// the next tick, so no lock is ever held across a tick and nothing is
// allocated per frame. Events (DTMF digits, fax and modem tones) travel
// back through a second ring; Notify signals that some are waiting and
// Events drains them.
//
// A channel with a far end attached listens for fax and modem signals on
// its line input (dsp/fax: CNG, the 2100 Hz answer tone, V.21 flags). The
// first one turns the channel to pass-through until the far end is
// detached: the echo canceller's non-linear processor goes off (its
// G.164/G.165 tone disabler still turns the whole canceller off on an
// answer tone with phase reversals, and back on after quiet), and a
// playout with a SetFixed method (dsp/jitter.Buffer) holds a fixed delay;
// every signal is reported as a Fax event so that call control can move
// the call to plain G.711.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/callerid"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/dsp/ec"
	"github.com/openiad/openiad/dsp/fax"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/hal"
)

var (
	errFull    = errors.New("engine: command queue full")
	errChannel = errors.New("engine: no such channel")
	errSlot    = errors.New("engine: no such timeslot")
)

// Options size the engine. Everything is allocated by New.
type Options struct {
	Channels int // how many channels can be open at once (default: the highway's slots)
	Queue    int // command and event ring size (default 1024)
	// NoEchoCancel leaves out the line echo canceller (dsp/ec) that every
	// channel with a far end attached otherwise gets.
	NoEchoCancel bool
	Log          *slog.Logger
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	DigitDown EventKind = iota + 1 // a DTMF key went down on the channel's line input
	DigitUp                        // it went up; Dur says how long it was held
	Fax                            // a fax or modem signal on the line input (Signal); the channel is in pass-through
)

// PassThroughDelay is the fixed playout delay a channel in pass-through
// asks of its playout.
const PassThroughDelay = 60 * time.Millisecond

// Event is something the engine saw on a channel.
type Event struct {
	Ch    int
	Kind  EventKind
	Digit byte
	Dur   time.Duration
	Tick  uint64   // the tick it was seen in
	Fax   fax.Kind // for Fax: which signal
}

type op uint8

const (
	opOpen op = iota + 1
	opClose
	opTone
	opConnect
	opDisconnect
	opDetect
	opAttach
	opCallerID
)

type command struct {
	op   op
	ch   int
	arg  int
	spec *tone.Spec
	up   *Uplink
	play Playout
	ec   *ec.Canceller
	cid  *callerid.Transmission
}

type channel struct {
	open   bool
	slot   int
	peer   int // cross-connected channel, -1 for none
	detect bool
	gen    tone.Generator
	det    *dtmf.Detector
	in     hal.Frame     // this tick's line input after the input stages
	key    bool          // a reported DTMF key is down: keep it out of the uplink
	regen  bool          // the tone playing is a far-end digit
	up     *Uplink       // line audio to the far end
	play   Playout       // far-end audio to the line
	ec     *ec.Canceller // line echo canceller while a far end is attached
	sent   hal.Frame     // what the line was given last tick: the echo reference
	fax    *fax.Detector // fax and modem signals on the line input while a far end is attached
	pass   bool          // pass-through: a fax or modem signal was heard
	cid    callerid.Generator
	cidBuf hal.Frame
	// The uplink runs keyDelay frames late so that a DTMF digit, which the
	// detector confirms only some 40 ms after it starts, is removed whole.
	delay [keyDelay]hal.Frame
	muted [keyDelay]bool
	dpos  int
}

// keyDelay is the uplink delay, in frames, that in-band DTMF removal costs.
const keyDelay = 5

// Engine is the media loop. Make one with New.
type Engine struct {
	hw     hal.Highway
	echo   bool
	log    *slog.Logger
	rx, tx []hal.Frame
	chans  []channel
	cmds   *ring[command]
	events *ring[Event]
	notify chan struct{}

	// erle holds, per channel, the echo canceller's ERLE (float64 bits;
	// 0: not measured) of the current or last far-end call, for any
	// goroutine to read.
	erle []atomic.Uint64

	ticks    atomic.Uint64
	lost     atomic.Uint64 // events dropped because nobody drained them
	lastTick atomic.Int64  // unix nanoseconds of the last tick
	running  atomic.Bool
}

// New makes an engine over the highway with all per-channel state allocated.
func New(hw hal.Highway, o Options) *Engine {
	if o.Channels <= 0 {
		o.Channels = hw.Slots()
	}
	if o.Queue <= 0 {
		o.Queue = 1024
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		hw:     hw,
		echo:   !o.NoEchoCancel,
		log:    o.Log,
		rx:     make([]hal.Frame, hw.Slots()),
		tx:     make([]hal.Frame, hw.Slots()),
		chans:  make([]channel, o.Channels),
		erle:   make([]atomic.Uint64, o.Channels),
		cmds:   newRing[command](o.Queue),
		events: newRing[Event](o.Queue),
		notify: make(chan struct{}, 1),
	}
	for i := range e.chans {
		e.chans[i].peer = -1
		e.chans[i].det = dtmf.NewDetector()
		e.chans[i].fax = fax.NewDetector()
	}
	return e
}

// Channels is the number of channels the engine was sized for.
func (e *Engine) Channels() int { return len(e.chans) }

func (e *Engine) send(c command) error {
	if c.ch < 0 || c.ch >= len(e.chans) {
		return fmt.Errorf("%w: %d (have %d)", errChannel, c.ch, len(e.chans))
	}
	if !e.cmds.push(c) {
		return errFull
	}
	return nil
}

// Open starts channel ch on a highway timeslot, silent, detectors off.
func (e *Engine) Open(ch, slot int) error {
	if slot < 0 || slot >= len(e.rx) {
		return fmt.Errorf("%w: %d (highway has %d)", errSlot, slot, len(e.rx))
	}
	return e.send(command{op: opOpen, ch: ch, arg: slot})
}

// Close stops the channel; its timeslot goes silent.
func (e *Engine) Close(ch int) error { return e.send(command{op: opClose, ch: ch}) }

// PlayTone starts the tone s on the channel's line output, replacing any
// tone playing; nil stops it. s must not change while it plays.
func (e *Engine) PlayTone(ch int, s *tone.Spec) error {
	return e.send(command{op: opTone, ch: ch, spec: s})
}

// PlayDigit plays a digit the far end sent (a DTMF tone) to the line.
// While it plays, the channel's detector ignores new keys: what it would
// hear is the digit's own echo.
func (e *Engine) PlayDigit(ch int, s *tone.Spec) error {
	return e.send(command{op: opTone, ch: ch, spec: s, arg: 1})
}

// Connect cross-connects channels a and b: each line hears the other. A
// channel already connected elsewhere is disconnected from its old peer.
func (e *Engine) Connect(a, b int) error {
	if b < 0 || b >= len(e.chans) {
		return fmt.Errorf("%w: %d", errChannel, b)
	}
	return e.send(command{op: opConnect, ch: a, arg: b})
}

// Disconnect breaks the channel's cross-connection, both ways.
func (e *Engine) Disconnect(ch int) error { return e.send(command{op: opDisconnect, ch: ch}) }

// DetectDTMF turns the DTMF detector of the channel on or off.
func (e *Engine) DetectDTMF(ch int, on bool) error {
	a := 0
	if on {
		a = 1
	}
	return e.send(command{op: opDetect, ch: ch, arg: a})
}

// SendCallerID sends a caller-ID transmission (dsp/callerid) on the
// channel's line output, mixed over whatever else plays; nil stops one in
// progress. The line must be able to hear it: on hook, in on-hook
// transmission (between ring bursts). The engine copies t when it applies
// the command, at its next tick.
func (e *Engine) SendCallerID(ch int, t *callerid.Transmission) error {
	return e.send(command{op: opCallerID, ch: ch, cid: t})
}

// Notify receives a value when events are waiting.
func (e *Engine) Notify() <-chan struct{} { return e.notify }

// Events appends the waiting events to dst and returns it.
func (e *Engine) Events(dst []Event) []Event {
	for {
		ev, ok := e.events.pop()
		if !ok {
			return dst
		}
		dst = append(dst, ev)
	}
}

// Stats are counters of the loop, safe to read from any goroutine.
type Stats struct {
	Ticks      uint64
	Overruns   uint64    // ticks the highway lost because the loop was late
	LostEvents uint64    // events dropped because nobody drained them
	LastTick   time.Time // zero before the first tick
	Running    bool
}

// ERLE reports the echo return loss enhancement of channel ch's echo
// canceller in its current (or last) far-end call, in dB, and false while
// the canceller has not measured it (or the channel never had one). Any
// goroutine.
func (e *Engine) ERLE(ch int) (float64, bool) {
	if ch < 0 || ch >= len(e.erle) {
		return 0, false
	}
	b := e.erle[ch].Load()
	return math.Float64frombits(b), b != 0
}

// Stats reports the loop counters.
func (e *Engine) Stats() Stats {
	s := Stats{
		Ticks:      e.ticks.Load(),
		Overruns:   e.hw.Overruns(),
		LostEvents: e.lost.Load(),
		Running:    e.running.Load(),
	}
	if n := e.lastTick.Load(); n != 0 {
		s.LastTick = time.Unix(0, n)
	}
	return s
}

// Run is the loop. It returns when ctx is done (nil) or the highway fails.
func (e *Engine) Run(ctx context.Context) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e.running.Store(true)
	defer e.running.Store(false)
	for {
		if ctx.Err() != nil {
			return nil
		}
		if err := e.hw.Exchange(e.rx, e.tx); err != nil {
			if errors.Is(err, hal.ErrClosed) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("engine: highway: %w", err)
		}
		e.tick()
	}
}

// tick applies queued commands and processes one frame on every open
// channel. It is the whole per-frame work and allocates nothing.
func (e *Engine) tick() {
	n := e.ticks.Add(1)
	e.lastTick.Store(time.Now().UnixNano())
	for {
		c, ok := e.cmds.pop()
		if !ok {
			break
		}
		e.apply(c)
	}
	// Input stages: line PCM in → detectors.
	raised := false
	for i := range e.chans {
		c := &e.chans[i]
		if !c.open {
			continue
		}
		c.in = e.rx[c.slot]
		// The detector always runs, so a key already down when events are
		// switched on (the last digit of the number, still sounding when
		// the far end answers) never shows up as a fresh digit.
		// Digits are detected on the line input as it comes, before the
		// echo canceller: the canceller must not shape them. The far end's
		// digits, regenerated on the line, come back as echo: no key-down
		// counts while one plays.
		for _, d := range c.det.Process(c.in[:]) {
			// Key-down is reported while detection is on; key-up only
			// for a key whose key-down was reported.
			// In pass-through (fax, modem) no key goes down: the data
			// signals must reach the far end untouched.
			if d.Down != !c.key || (d.Down && (!c.detect || c.pass || (c.regen && c.gen.Active()))) {
				continue
			}
			ev := Event{Ch: i, Digit: d.Digit, Tick: n, Kind: DigitDown}
			c.key = d.Down
			if d.Down {
				c.muted = [keyDelay]bool{true, true, true, true, true}
			} else {
				ev.Kind = DigitUp
				ev.Dur = time.Duration(d.Dur) * time.Second / hal.SampleRate
			}
			if e.events.push(ev) {
				raised = true
			} else {
				e.lost.Add(1)
			}
		}
		if c.up != nil || c.play != nil {
			for _, f := range c.fax.Process(c.in[:]) {
				if !c.pass {
					c.pass = true
					if c.ec != nil {
						c.ec.SetNLP(false)
					}
					if p, ok := c.play.(fixedPlayout); ok {
						p.SetFixed(PassThroughDelay)
					}
				}
				if e.events.push(Event{Ch: i, Kind: Fax, Fax: f.Kind, Tick: n}) {
					raised = true
				} else {
					e.lost.Add(1)
				}
			}
		}
		if c.ec != nil {
			c.ec.Process(c.in[:], c.sent[:], c.in[:])
			e.erle[i].Store(math.Float64bits(c.ec.Stats().ERLE))
		}
		if c.up != nil {
			p := c.dpos
			c.up.put(&c.delay[p], c.muted[p])
			c.delay[p], c.muted[p] = c.in, c.key
			c.dpos = (p + 1) % keyDelay
		}
	}
	// Output stages: peer or far-end audio, then tones mixed on top → line PCM out.
	for i := range e.chans {
		c := &e.chans[i]
		if !c.open {
			continue
		}
		out := &e.tx[c.slot]
		switch {
		case c.peer >= 0:
			*out = e.chans[c.peer].in
		case c.play != nil:
			c.play.Play(out[:])
		default:
			*out = hal.Frame{}
		}
		c.gen.Mix(out[:])
		if c.cid.Active() {
			// Caller ID on hook: the line is in on-hook transmission
			// between the ring bursts. Line cues (reversals, ring
			// pulses) belong to the variants before the first ring,
			// which the line does not ask for.
			c.cid.Generate(c.cidBuf[:])
			dsp.MixInto(out[:], c.cidBuf[:])
		}
		c.sent = *out
	}
	if raised {
		select {
		case e.notify <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) apply(cmd command) {
	c := &e.chans[cmd.ch]
	switch cmd.op {
	case opOpen:
		if c.open && c.slot != cmd.arg {
			e.tx[c.slot] = hal.Frame{}
		}
		e.unpeer(cmd.ch)
		c.open, c.slot, c.detect, c.key = true, cmd.arg, false, false
		c.up, c.play, c.ec = nil, nil, nil
		c.gen.Stop()
		c.cid.Stop()
		c.det.Reset()
	case opClose:
		if c.open {
			e.unpeer(cmd.ch)
			c.open, c.detect, c.key = false, false, false
			c.up, c.play, c.ec = nil, nil, nil
			c.gen.Stop()
			c.cid.Stop()
			e.tx[c.slot] = hal.Frame{}
		}
	case opTone:
		c.regen = cmd.arg == 1
		if cmd.spec == nil {
			c.gen.Stop()
		} else {
			c.gen.Start(cmd.spec)
		}
	case opConnect:
		if cmd.arg == cmd.ch || !c.open || !e.chans[cmd.arg].open {
			return
		}
		e.unpeer(cmd.ch)
		e.unpeer(cmd.arg)
		c.peer = cmd.arg
		e.chans[cmd.arg].peer = cmd.ch
	case opDisconnect:
		e.unpeer(cmd.ch)
	case opDetect:
		c.detect = cmd.arg != 0
	case opCallerID:
		if cmd.cid == nil {
			c.cid.Stop()
		} else if err := c.cid.Start(cmd.cid); err != nil {
			e.log.Error("engine: caller ID", "ch", cmd.ch, "err", err)
		}
	case opAttach:
		c.up, c.play, c.ec = cmd.up, cmd.play, cmd.ec
		e.erle[cmd.ch].Store(0)
		c.delay, c.muted = [keyDelay]hal.Frame{}, [keyDelay]bool{}
		c.pass = false
		c.fax.Reset()
	}
}

// fixedPlayout is a playout that can hold a fixed delay (pass-through).
type fixedPlayout interface {
	SetFixed(time.Duration)
}

func (e *Engine) unpeer(ch int) {
	c := &e.chans[ch]
	if c.peer >= 0 {
		e.chans[c.peer].peer = -1
		c.peer = -1
	}
}
