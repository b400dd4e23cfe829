package ua

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/sdp"
)

// EventKind says what happened to a call.
type EventKind uint8

// Call events, in the order a call usually meets them.
const (
	EvProgress   EventKind = iota + 1 // a provisional answer without media (181, 182, 183): Code
	EvRinging                         // 180 without media: play local ringback
	EvEarlyMedia                      // 18x with an SDP answer: play the far end's audio (Media)
	EvAnswered                        // the call is up: Media (outgoing: 2xx; incoming: our 200, or the ACK's answer)
	EvMedia                           // media changed in the call (hold, resume, re-INVITE): Media, LocalHold, RemoteHold
	EvDTMF                            // a digit (or Flash) came in an INFO: Digit, Duration
	EvFailed                          // the call never came up: Code, Reason, Cause. Last event.
	EvEnded                           // the call is over: Cause, Reason. Last event.
)

var evNames = [...]string{"", "progress", "ringing", "early-media", "answered", "media", "dtmf", "failed", "ended"}

func (k EventKind) String() string {
	if int(k) < len(evNames) && k > 0 {
		return evNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Cause is why a call failed or ended, mapped for the tone the line plays.
type Cause uint8

// Causes. The line plays busy tone for CauseBusy and CauseRejected, number
// unobtainable for CauseUnobtainable, congestion for the rest of the
// failures, and busy tone after a call that was up (CauseNormal).
const (
	CauseNormal       Cause = iota // hung up by either side
	CauseBusy                      // 486, 600
	CauseUnobtainable              // 404, 410, 484, 485, 604: no such number
	CauseCongestion                // 408, 480, 5xx, other 4xx, no answer from the server
	CauseRejected                  // 403, 603: declined
	CauseCanceled                  // the caller gave up (incoming) or we did (outgoing)
	CauseMedia                     // 488, 606, or no usable SDP
	CauseTimeout                   // the session timer ran out, or no ACK came
	CauseShutdown                  // the UA stopped
)

var causeNames = [...]string{"normal", "busy", "unobtainable", "congestion", "rejected", "canceled", "media", "timeout", "shutdown"}

func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "cause(" + strconv.Itoa(int(c)) + ")"
}

// CauseOf maps a final SIP status to a Cause.
func CauseOf(code int) Cause {
	switch code {
	case 486, 600:
		return CauseBusy
	case 404, 410, 484, 485, 604:
		return CauseUnobtainable
	case 403, 603:
		return CauseRejected
	case 487:
		return CauseCanceled
	case 488, 606:
		return CauseMedia
	}
	return CauseCongestion
}

// Event is one thing that happened to a call.
type Event struct {
	Kind       EventKind
	Code       int            // SIP status behind the event, 0 when none
	Reason     string         // reason phrase or a short explanation
	Cause      Cause          // EvFailed, EvEnded
	Media      sdp.Negotiated // EvEarlyMedia, EvAnswered, EvMedia
	LocalHold  bool           // EvMedia: we hold the far end
	RemoteHold bool           // EvMedia: the far end holds us
	Digit      byte           // EvDTMF: 0-9 * # A-D, or Flash
	Duration   time.Duration  // EvDTMF, when the INFO said
	Remote     bool           // EvEnded: the far end ended it
}

func (e Event) String() string {
	switch e.Kind {
	case EvFailed, EvEnded:
		return fmt.Sprintf("%v %d %s (%v)", e.Kind, e.Code, e.Reason, e.Cause)
	case EvEarlyMedia, EvAnswered, EvMedia:
		return fmt.Sprintf("%v %v", e.Kind, e.Media)
	case EvDTMF:
		return fmt.Sprintf("%v %c", e.Kind, e.Digit)
	}
	return fmt.Sprintf("%v %d", e.Kind, e.Code)
}

// Call is one call of a line, outgoing (Line.Call) or incoming
// (Handler.Incoming). Its methods may be called from any goroutine; they
// queue a command for the call's own goroutine and return at once. What
// comes of them arrives on Events.
type Call struct {
	u      *UA
	l      *Line
	key    string
	id     string
	out    bool
	number string // dialled number (out), called user (in)
	caller Party  // incoming: who calls

	events chan Event
	inbox  chan any
	done   chan struct{} // closed when the call's goroutine has ended

	st *callState // owned by the call's goroutine
}

// Events delivers what happens to the call. It is closed after the last
// event (EvFailed or EvEnded). Read it until closed: the call keeps its
// resources until its last event is taken (or a minute has passed).
func (c *Call) Events() <-chan Event { return c.events }

// Done is closed when the call is completely over.
func (c *Call) Done() <-chan struct{} { return c.done }

// ID is the SIP Call-ID.
func (c *Call) ID() string { return c.id }

// Line is the line of the call.
func (c *Call) Line() *Line { return c.l }

// Outgoing reports whether we placed the call.
func (c *Call) Outgoing() bool { return c.out }

// Number is the number dialled (outgoing) or the called user (incoming).
func (c *Call) Number() string { return c.number }

// Caller is who calls, for caller ID (incoming calls).
func (c *Call) Caller() Party { return c.caller }

type cmdKind uint8

const (
	cmdRinging cmdKind = iota + 1
	cmdAnswer
	cmdReject
	cmdHangup
	cmdHold
	cmdResume
	cmdFlash
	cmdShutdown
	cmdOffer
)

type command struct {
	kind  cmdKind
	code  int
	media sdp.Local
}

func (c *Call) command(cmd command) error {
	select {
	case <-c.done:
		return errCallEnded
	default:
	}
	select {
	case c.inbox <- cmd:
		return nil
	case <-c.done:
		return errCallEnded
	default:
		return errBusy
	}
}

// Ringing sends 180 Ringing for an incoming call (reliably when 100rel is
// in use). Call it once the port rings.
func (c *Call) Ringing() error { return c.command(command{kind: cmdRinging}) }

// Answer accepts an incoming call with the local media: 200 OK with the SDP
// answer (or offer, when the INVITE had none). EvAnswered follows.
func (c *Call) Answer(media sdp.Local) error {
	return c.command(command{kind: cmdAnswer, media: media})
}

// Reject refuses an incoming call with code (486 busy, 480, 603 ...).
func (c *Call) Reject(code int) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("%w: reject with %d", errState, code)
	}
	return c.command(command{kind: cmdReject, code: code})
}

// Hangup ends the call in whatever state: CANCEL while an outgoing call
// rings, 480 for an incoming call not yet answered, BYE once up.
func (c *Call) Hangup() error { return c.command(command{kind: cmdHangup}) }

// Hold puts the far end on hold (re-INVITE, sendonly).
func (c *Call) Hold() error { return c.command(command{kind: cmdHold}) }

// Resume takes the far end off hold (re-INVITE, sendrecv).
func (c *Call) Resume() error { return c.command(command{kind: cmdResume}) }

// Reoffer replaces the local media (codecs, ptime, telephone-event) and
// offers it to the far end in a re-INVITE once the call is up and no
// other offer is in flight: a fax or modem call moves to plain G.711
// this way. EvMedia follows with what was negotiated (or, if refused,
// the media as it was).
func (c *Call) Reoffer(media sdp.Local) error {
	return c.command(command{kind: cmdOffer, media: media})
}

// Flash sends a hook-flash as an INFO (Profile.FlashInfo says how).
func (c *Call) Flash() error { return c.command(command{kind: cmdFlash}) }

// shutdown ends the call because the UA stops.
func (c *Call) shutdown() {
	select {
	case c.inbox <- command{kind: cmdShutdown}:
	case <-c.done:
	}
}

// post hands a message to the call's goroutine without ever blocking the
// caller (sipgo callbacks must not block).
func (c *Call) post(m any) {
	select {
	case c.inbox <- m:
		return
	case <-c.done:
		return
	default:
	}
	c.u.goTracked(func() {
		select {
		case c.inbox <- m:
		case <-c.done:
		}
	})
}

// inDialog is a request for the call from the transaction layer.
type inDialog struct {
	req *sip.Request
	tx  sip.ServerTransaction
}

// Call places a call to number with the given local media. It returns at
// once (ctx bounds only a DNS look-up when the line does not register);
// progress arrives on the call's Events. A line with registrars but no
// binding fails with ErrNotRegistered: play congestion tone.
func (l *Line) Call(ctx context.Context, number string, media sdp.Local) (*Call, error) {
	if number == "" {
		return nil, fmt.Errorf("%w: empty number", errState)
	}
	select {
	case <-l.u.started:
	default:
		return nil, errNotRunning
	}
	t, ok := l.route()
	if !ok {
		if len(l.prof.Registrars) > 0 {
			return nil, errNotRegistered
		}
		ts, err := resolveTargets(ctx, l.u.res, l.prof, l.domain)
		if err != nil {
			return nil, fmt.Errorf("ua: call: %w", err)
		}
		t = ts[0]
	}
	c := newCall(l, true)
	c.number = number
	c.caller = Party{Number: l.acc.User, Name: l.acc.DisplayName}
	st := c.st
	st.target = t
	st.tr = t.tr
	st.localTag = sip.GenerateTagN(10)
	c.id = sip.GenerateTagN(24) + "@openiad"
	c.key = dialogKey(c.id, st.localTag)
	st.local = media
	st.remoteURI = uriFor(userPart(number), l.domain, 0)
	if err := l.u.addCall(c); err != nil {
		return nil, err
	}
	go c.run(func() { st.startOutgoing(c) })
	return c, nil
}

func newCall(l *Line, out bool) *Call {
	c := &Call{
		u: l.u, l: l, out: out,
		events: make(chan Event, 8),
		inbox:  make(chan any, 32),
		done:   make(chan struct{}),
	}
	c.st = newCallState(c)
	return c
}

// userPart escapes a dialled number for a SIP URI user part (# is not
// allowed raw, RFC 3261 §25.1).
func userPart(n string) string {
	out := make([]byte, 0, len(n))
	for i := 0; i < len(n); i++ {
		switch b := n[i]; {
		case b >= '0' && b <= '9', b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z',
			b == '*', b == '+', b == '-', b == '.', b == '_', b == '!', b == '~', b == '\'', b == '(', b == ')',
			b == '&', b == '=', b == '$', b == ',', b == ';', b == '?', b == '/':
			out = append(out, b)
		default:
			out = append(out, '%', "0123456789ABCDEF"[b>>4], "0123456789ABCDEF"[b&15])
		}
	}
	return string(out)
}
