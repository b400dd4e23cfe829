// Package line is call control for analog ports: one state machine per FXS
// port, and a local Switch that connects ports by extension number.
//
// Each Line runs in its own goroutine (Run) and owns all of its state; it
// talks to other lines only by messages through their inboxes, to the media
// engine through the Media interface (commands that never block), and to the
// hardware through hal.FXS. Digit and Settings updates may be posted from any
// goroutine.
package line

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/route"
	"github.com/openiad/openiad/hal"
)

// State is where a line is in its call.
type State int32

const (
	Idle       State = iota // on-hook, no call
	DialTone                // off-hook, hearing dial tone, no digit yet
	Digits                  // collecting digits
	Routing                 // number complete, waiting for the called line
	Ringback                // calling: the far line rings, we hear ringback
	Alerting                // called: our phone rings
	Connected               // in a call
	Signalling              // hearing busy, number-unobtainable or congestion tone
	Howler                  // off-hook too long: howler tone
	Lockout                 // gave up: silent until the phone is put down
)

var stateNames = [...]string{"idle", "dialtone", "digits", "routing", "ringback", "alerting", "connected", "signalling", "howler", "lockout"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// Media is what a line needs of the media engine. Every method queues a
// command and returns at once.
type Media interface {
	PlayTone(ch int, s *tone.Spec) error
	Connect(a, b int) error
	Disconnect(ch int) error
	DetectDTMF(ch int, on bool) error
}

// Settings are the box-wide call-control settings. They are replaced whole.
type Settings struct {
	Plan           *tone.Plan      // the country's tones
	Ring           hal.Cadence     // the country's ring cadence
	FirstDigit     time.Duration   // dial tone without a digit → busy tone
	InterDigit     time.Duration   // an incomplete number → number unobtainable
	OffHookWarning time.Duration   // busy or unobtainable tone, then howler
	HowlerTimeout  time.Duration   // howler, then silent lockout
	FlashMin       time.Duration   // an on-hook shorter than this is ignored
	FlashMax       time.Duration   // on-hook from FlashMin to FlashMax is a flash; longer is a hang-up
	NoAnswer       time.Duration   // ringing with no answer is given up after this
	DigitMap       *route.DigitMap // numbers that leave the box through the trunk (nil: none)
}

// Change is one state change, told to the Switch's observer.
type Change struct {
	Port     int
	From, To State
	Why      string
	At       time.Time
}

type msgKind uint8

const (
	mDigit    msgKind = iota + 1 // a DTMF digit from the engine
	mSetup                       // a call is offered to this line
	mAlerting                    // the called line is ringing
	mBusy                        // the called line is busy
	mAnswer                      // the called line answered
	mRelease                     // the other party released the call
	mIncoming                    // a call from outside the box
	mTestCall                    // ring the phone, then dial a number for it
	mTestStop                    // the test call's requester gave up
)

type message struct {
	kind  msgKind
	digit byte
	call  *call
	test  *testCall
}

// testCall is a call the technician or installer places for a port: the
// phone rings, and when it is answered the number is dialled for it.
type testCall struct {
	number   string
	progress func(string)
	done     chan struct{}
}

// call is a line's call: with another line of the box (from, to), or with
// the outside world through a trunk (leg).
type call struct {
	id       uint64
	from, to *Line
	leg      Leg
	caller   CallerID
	rec      *callRec // the call detail record being built
}

func (c *call) other(l *Line) *Line {
	if c.from == l {
		return c.to
	}
	return c.from
}

// Switch is the local exchange between the lines of the box.
type Switch struct {
	settings atomic.Pointer[Settings]
	log      *slog.Logger
	observe  func(Change)
	calls    atomic.Uint64
	recorder atomic.Pointer[func(cdr.Record)]

	trunk atomic.Pointer[trunkBox]

	mu    sync.RWMutex
	byExt map[string]*Line
	lines []*Line
}

type trunkBox struct{ Trunk }

// SetTrunk sets where numbers matching the digit map go (nil: nowhere).
func (sw *Switch) SetTrunk(t Trunk) {
	if t == nil {
		sw.trunk.Store(nil)
		return
	}
	sw.trunk.Store(&trunkBox{t})
}

// Incoming offers a call from outside the box to FXS port. If the line
// cannot take it, the leg is rejected with CauseBusy.
func (sw *Switch) Incoming(port int, leg Leg, caller CallerID) {
	sw.mu.RLock()
	var l *Line
	for _, o := range sw.lines {
		if o.port == port {
			l = o
		}
	}
	sw.mu.RUnlock()
	if l == nil {
		leg.Reject(CauseUnobtainable)
		return
	}
	ext := l.Extension()
	c := &call{id: sw.calls.Add(1), leg: leg, caller: caller, rec: newRec(cdr.In, port, ext, caller.Number, ext, ext, time.Now())}
	select {
	case l.inbox <- message{kind: mIncoming, call: c}:
	default:
		leg.Reject(CauseCongestion)
		l.finish(c, cdr.CauseCongestion, cdr.ByBox, 0, time.Time{})
	}
}

// NewSwitch makes a switch with settings s. observe, when not nil, is told
// every state change of every line (from the line's goroutine: it must be
// quick).
func NewSwitch(s Settings, log *slog.Logger, observe func(Change)) *Switch {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sw := &Switch{log: log, observe: observe, byExt: map[string]*Line{}}
	sw.SetSettings(s)
	return sw
}

// SetSettings replaces the settings; calls in progress keep their tones, new
// timers and calls use the new ones.
func (sw *Switch) SetSettings(s Settings) {
	if s.NoAnswer <= 0 {
		s.NoAnswer = 90 * time.Second
	}
	sw.settings.Store(&s)
}

func (sw *Switch) cfg() *Settings { return sw.settings.Load() }

// Add makes the line for FXS port (numbered from 1) using engine channel ch.
// Run it with Line.Run.
func (sw *Switch) Add(port, ch int, fxs hal.FXS, media Media, extension string) *Line {
	l := &Line{
		port:  port,
		ch:    ch,
		fxs:   fxs,
		media: media,
		sw:    sw,
		inbox: make(chan message, 64),
		log:   sw.log.With("port", port),
	}
	sw.mu.Lock()
	sw.lines = append(sw.lines, l)
	sw.mu.Unlock()
	sw.SetExtension(l, extension)
	return l
}

// SetExtension gives line l a (new) extension number; "" removes it.
func (sw *Switch) SetExtension(l *Line, ext string) {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	for e, o := range sw.byExt {
		if o == l {
			delete(sw.byExt, e)
		}
	}
	if ext != "" {
		sw.byExt[ext] = l
	}
	l.ext.Store(&ext)
}

// Lines lists the lines in the order they were added.
func (sw *Switch) Lines() []*Line {
	sw.mu.RLock()
	defer sw.mu.RUnlock()
	return slices.Clone(sw.lines)
}

// Line returns the line with extension ext.
func (sw *Switch) lookup(digits string) (l *Line, complete, possible bool) {
	sw.mu.RLock()
	defer sw.mu.RUnlock()
	if l, ok := sw.byExt[digits]; ok {
		return l, true, true
	}
	for e := range sw.byExt {
		if strings.HasPrefix(e, digits) {
			return nil, false, true
		}
	}
	return nil, false, false
}

// LineByChannel finds the line on engine channel ch.
func (sw *Switch) LineByChannel(ch int) *Line {
	sw.mu.RLock()
	defer sw.mu.RUnlock()
	for _, l := range sw.lines {
		if l.ch == ch {
			return l
		}
	}
	return nil
}

// Line is the call control of one FXS port.
type Line struct {
	port  int
	ch    int
	fxs   hal.FXS
	media Media
	sw    *Switch
	inbox chan message
	log   *slog.Logger
	ext   atomic.Pointer[string]
	name  atomic.Pointer[string] // shown as caller ID on the other lines
	pub   atomic.Int32           // State, for readers outside the goroutine
	who   atomic.Pointer[CallerID]
	live  atomic.Pointer[call] // the call, for Switch.Calls

	// Owned by Run.
	st        State
	hook      hal.Hook
	onHookAt  time.Time
	offHookAt time.Time // when the phone was lifted for the number being dialled
	call      *call
	digits    []byte
	timer     *time.Timer // the state's timer
	hookTimer *time.Timer // the flash window while on-hook in a call
	hookWait  bool
	test      *testCall // the test call in progress
	cid       cidState  // caller ID between the rings (callerid.go)
}

// Port is the port number, from 1.
func (l *Line) Port() int { return l.port }

// Channel is the engine channel of the line.
func (l *Line) Channel() int { return l.ch }

// Extension is the line's number.
func (l *Line) Extension() string {
	if p := l.ext.Load(); p != nil {
		return *p
	}
	return ""
}

// State is the line's state now.
func (l *Line) State() State { return State(l.pub.Load()) }

// Caller is who calls or called the line in its current incoming call
// (zero when there is none).
func (l *Line) Caller() CallerID {
	if c := l.who.Load(); c != nil {
		return *c
	}
	return CallerID{}
}

// Digit posts a DTMF digit heard on the line (from the engine's events).
func (l *Line) Digit(d byte) {
	select {
	case l.inbox <- message{kind: mDigit, digit: d}:
	default:
		l.log.Warn("line: digit dropped, inbox full", "digit", string(d))
	}
}

func (l *Line) post(ctx context.Context, to *Line, m message) {
	select {
	case to.inbox <- m:
	case <-ctx.Done():
	}
}

// Run is the line's goroutine. It returns when ctx is done.
func (l *Line) Run(ctx context.Context) error {
	l.timer = time.NewTimer(time.Hour)
	l.timer.Stop()
	l.hookTimer = time.NewTimer(time.Hour)
	l.hookTimer.Stop()
	defer l.timer.Stop()
	defer l.hookTimer.Stop()
	defer func() {
		if c := l.call; c != nil && c.leg != nil {
			c.leg.Hangup()
		}
	}()
	if err := l.fxs.SetFeed(hal.FeedForward); err != nil {
		l.log.Error("line: cannot feed the line", "err", err)
	}
	l.hook = l.fxs.Hook()
	if l.hook == hal.OffHook {
		l.seize(ctx)
	}
	events := l.fxs.Events()
	for {
		var legEvents <-chan LegEvent
		if l.call != nil && l.call.leg != nil {
			legEvents = l.call.leg.Events()
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				return fmt.Errorf("line: port %d: hardware events closed", l.port)
			}
			l.lineEvent(ctx, ev)
		case m := <-l.inbox:
			l.message(ctx, m)
		case ev := <-legEvents:
			l.legEvent(ctx, ev)
		case <-l.timer.C:
			l.timeout(ctx)
		case <-l.hookTimer.C:
			l.hookWait = false
			l.hangUp(ctx, "on-hook")
		}
	}
}

func (l *Line) set(st State, why string) {
	if st == l.st {
		return
	}
	from := l.st
	l.st = st
	l.pub.Store(int32(st))
	if st == Idle {
		l.who.Store(nil)
	}
	switch st {
	case Routing, Ringback, Alerting, Connected:
		l.live.Store(l.call)
	default:
		l.live.Store(nil)
	}
	l.log.Info("line state", "from", from.String(), "to", st.String(), "why", why)
	if t := l.test; t != nil {
		t.progress(fmt.Sprintf("%s (%s)", st, why))
		if st == Idle {
			l.test = nil
			close(t.done)
		}
	}
	l.tell(Change{Port: l.port, From: from, To: st, Why: why, At: time.Now()})
}

func (l *Line) tell(c Change) {
	if l.sw.observe != nil {
		l.sw.observe(c)
	}
}

func (l *Line) arm(d time.Duration) {
	l.timer.Stop()
	if d > 0 {
		l.timer.Reset(d)
	}
}

func (l *Line) tone(s *tone.Spec) {
	if err := l.media.PlayTone(l.ch, s); err != nil {
		l.log.Error("line: tone", "err", err)
	}
}

func (l *Line) detect(on bool) {
	if err := l.media.DetectDTMF(l.ch, on); err != nil {
		l.log.Error("line: dtmf detector", "err", err)
	}
}

func (l *Line) lineEvent(ctx context.Context, ev hal.LineEvent) {
	switch ev.Kind {
	case hal.EvRingTrip:
		l.hook = hal.OffHook
		if l.st == Alerting {
			l.answer(ctx)
		}
	case hal.EvHook:
		if ev.Hook == l.hook {
			return
		}
		l.hook = ev.Hook
		if ev.Hook == hal.OnHook {
			l.onHook(ev.At)
		} else {
			l.offHook(ctx, ev.At)
		}
	case hal.EvRingOff:
		l.ringOff()
	case hal.EvPowerAlarm:
		l.log.Error("line: power alarm, line feed opened by the driver")
	}
}

func (l *Line) onHook(at time.Time) {
	switch l.st {
	case Idle, Alerting:
		return
	}
	// Wait out the flash window before calling it a hang-up.
	l.onHookAt = at
	l.hookWait = true
	l.hookTimer.Reset(l.sw.cfg().FlashMax)
}

func (l *Line) offHook(ctx context.Context, at time.Time) {
	if l.hookWait {
		l.hookWait = false
		l.hookTimer.Stop()
		if at.Sub(l.onHookAt) < l.sw.cfg().FlashMin {
			return // a bounce, not a flash
		}
		l.flash(ctx)
		return
	}
	switch l.st {
	case Idle:
		l.seize(ctx)
	case Alerting:
		l.answer(ctx)
	}
}

// seize: the phone was lifted on an idle line.
func (l *Line) seize(ctx context.Context) {
	l.digits = l.digits[:0]
	l.offHookAt = time.Now()
	l.set(DialTone, "off-hook")
	l.tone(&l.sw.cfg().Plan.Dial)
	l.detect(true)
	l.arm(l.sw.cfg().FirstDigit)
}

func (l *Line) flash(ctx context.Context) {
	l.log.Info("line: hook flash", "state", l.st.String())
	switch l.st {
	case DialTone, Digits, Signalling, Howler, Lockout:
		// Recall: start dialling again.
		l.seize(ctx)
	case Connected, Ringback, Routing:
		// Supplementary services (hold, transfer, conference) build on this.
		if c := l.call; c != nil && c.leg != nil {
			if err := c.leg.Flash(); err != nil {
				l.log.Error("line: flash", "err", err)
			}
		}
		l.tell(Change{Port: l.port, From: l.st, To: l.st, Why: "flash", At: time.Now()})
	}
}

// release ends the line's part in its call and tells the other side.
func (l *Line) release(ctx context.Context) {
	c := l.call
	if c == nil {
		return
	}
	l.call = nil
	end := time.Now()
	if l.hookWait || l.hook == hal.OnHook && !l.onHookAt.IsZero() {
		end = l.onHookAt // the hang-up was told apart from a flash only now
	}
	l.finish(c, cdr.CauseNormal, l.releaser(c), 0, end)
	if c.leg != nil {
		if err := c.leg.Hangup(); err != nil {
			l.log.Error("line: hang up", "err", err)
		}
		return
	}
	if l.st == Connected {
		if err := l.media.Disconnect(l.ch); err != nil {
			l.log.Error("line: disconnect", "err", err)
		}
	}
	l.post(ctx, c.other(l), message{kind: mRelease, call: c})
}

func (l *Line) hangUp(ctx context.Context, why string) {
	l.arm(0)
	l.detect(false)
	l.tone(nil)
	l.release(ctx)
	l.set(Idle, why)
}

func (l *Line) signal(s *tone.Spec, why string) {
	l.detect(false)
	l.tone(s)
	l.set(Signalling, why)
	l.arm(l.sw.cfg().OffHookWarning)
}

// causeTone is the tone a failed call gives.
func (l *Line) causeTone(c Cause) *tone.Spec {
	p := l.sw.cfg().Plan
	switch c {
	case CauseBusy, CauseRejected:
		return &p.Busy
	case CauseUnobtainable:
		return &p.Unobtainable
	}
	return &p.Congestion
}

func (l *Line) timeout(ctx context.Context) {
	cfg := l.sw.cfg()
	switch l.st {
	case DialTone:
		l.signal(&cfg.Plan.Busy, "no digit dialled")
	case Digits:
		number := string(l.digits)
		if cfg.DigitMap != nil && cfg.DigitMap.Match(number) == route.Timer {
			l.dialOut(ctx, number)
			return
		}
		l.signal(&cfg.Plan.Unobtainable, "number incomplete")
	case Routing, Ringback:
		cause := cdr.CauseNoAnswer
		if l.st == Routing {
			cause = cdr.CauseCongestion
		}
		l.finish(l.call, cause, cdr.ByTimeout, 0, time.Time{})
		l.release(ctx)
		l.signal(&cfg.Plan.Congestion, "no answer")
	case Alerting:
		if l.cid.prior != nil {
			l.ringAfterCallerID()
			return
		}
		if l.test != nil && l.call == nil {
			l.stopRing()
			l.set(Idle, "test call not answered")
		}
	case Signalling:
		l.tone(&cfg.Plan.Howler)
		l.set(Howler, "off-hook too long")
		l.arm(cfg.HowlerTimeout)
	case Howler:
		l.tone(nil)
		l.set(Lockout, "off-hook too long")
	}
}

func (l *Line) message(ctx context.Context, m message) {
	switch m.kind {
	case mDigit:
		l.digit(ctx, m.digit)
	case mSetup:
		l.offered(ctx, m.call)
	case mIncoming:
		l.offered(ctx, m.call)
	case mTestCall:
		l.startTest(m.test)
	case mTestStop:
		if l.test == m.test && l.st == Alerting && l.call == nil {
			l.arm(0)
			l.stopRing()
			l.set(Idle, "test call cancelled")
		}
	case mAlerting:
		if l.call == m.call && l.st == Routing {
			l.ringback("far end ringing")
		}
	case mBusy:
		if l.call == m.call {
			l.call = nil
			l.signal(&l.sw.cfg().Plan.Busy, "called line busy")
		}
	case mAnswer:
		if l.call == m.call {
			l.connected("answered")
		}
	case mRelease:
		if l.call == m.call {
			l.call = nil
			l.farEnd(ctx, "far end hung up")
		}
	}
}

func (l *Line) ringback(why string) {
	l.tone(&l.sw.cfg().Plan.Ringback)
	l.set(Ringback, why)
	l.arm(l.sw.cfg().NoAnswer)
}

func (l *Line) connected(why string) {
	l.arm(0)
	l.tone(nil)
	l.detect(true) // digits in the call go to the far end as events
	l.set(Connected, why)
}

// farEnd: the other side released; the call is gone.
func (l *Line) farEnd(ctx context.Context, why string) {
	switch l.st {
	case Alerting:
		l.arm(0)
		l.stopRing()
		l.set(Idle, "caller gave up")
	case Connected:
		if err := l.media.Disconnect(l.ch); err != nil {
			l.log.Error("line: disconnect", "err", err)
		}
		if l.hookWait {
			// Already on-hook: the hang-up timer finishes the job.
			l.detect(false)
			l.set(Signalling, why)
			return
		}
		l.signal(&l.sw.cfg().Plan.Busy, why)
	case Routing, Ringback:
		l.signal(&l.sw.cfg().Plan.Busy, why)
	}
}

func (l *Line) legEvent(ctx context.Context, ev LegEvent) {
	switch ev.Kind {
	case LegRinging:
		if l.st == Routing {
			l.ringback("far end ringing")
		}
	case LegEarlyMedia:
		if l.st == Routing || l.st == Ringback {
			l.tone(nil) // the far end's own ringback plays through the leg
			l.set(Ringback, "early media")
			l.arm(l.sw.cfg().NoAnswer)
		}
	case LegAnswered:
		if l.st == Routing || l.st == Ringback {
			l.call.answered(time.Now())
			l.connected("answered")
		}
	case LegFailed:
		c := l.call
		l.call = nil
		switch {
		case l.st == Alerting:
			l.finish(c, cdr.CauseNoAnswer, cdr.ByCaller, 0, time.Time{})
		case ev.Cause == CauseBusy || ev.Cause == CauseRejected:
			l.finish(c, legCause(ev.Cause), cdr.ByCallee, ev.Code, time.Time{})
		default:
			l.finish(c, legCause(ev.Cause), cdr.ByNetwork, ev.Code, time.Time{})
		}
		if l.st == Alerting {
			l.farEnd(ctx, "caller gave up")
			return
		}
		l.signal(l.causeTone(ev.Cause), "call failed: "+ev.Reason)
	case LegEnded:
		c := l.call
		l.call = nil
		by := cdr.ByCallee
		if c != nil && c.rec != nil && c.rec.r.Direction == cdr.In {
			by = cdr.ByCaller
		}
		l.finish(c, cdr.CauseNormal, by, 0, time.Time{})
		l.farEnd(ctx, "far end hung up")
	}
}

func (l *Line) digit(ctx context.Context, d byte) {
	if l.st == Connected {
		if c := l.call; c != nil && c.leg != nil {
			if err := c.leg.Digit(d); err != nil {
				l.log.Error("line: digit to the far end", "err", err)
			}
		}
		return
	}
	if l.st != DialTone && l.st != Digits {
		return
	}
	if l.st == DialTone {
		l.tone(nil)
		l.set(Digits, "first digit")
	}
	l.digits = append(l.digits, d)
	number := string(l.digits)
	target, complete, possible := l.sw.lookup(number)
	if complete {
		l.arm(0)
		l.detect(false)
		l.route(ctx, number, target)
		return
	}
	out := route.NoMatch
	if dm := l.sw.cfg().DigitMap; dm != nil && l.sw.trunk.Load() != nil {
		out = dm.Match(number)
	}
	switch {
	case out == route.Complete:
		l.dialOut(ctx, number)
	case possible || out == route.Partial || out == route.Timer:
		l.arm(l.sw.cfg().InterDigit)
	default:
		l.log.Info("line: unknown number", "number", number)
		l.signal(&l.sw.cfg().Plan.Unobtainable, "unknown number "+number)
	}
}

// dialOut sends the number out of the box through the trunk.
func (l *Line) dialOut(ctx context.Context, number string) {
	l.arm(0)
	l.detect(false)
	tb := l.sw.trunk.Load()
	ext := l.Extension()
	rec := newRec(cdr.Out, l.port, ext, ext, number, number, l.offHookAt)
	if tb == nil {
		l.finish(&call{rec: rec}, cdr.CauseUnobtainable, cdr.ByBox, 0, time.Time{})
		l.signal(&l.sw.cfg().Plan.Unobtainable, "no trunk for "+number)
		return
	}
	leg, err := tb.Dial(l.port, number)
	if err != nil {
		l.log.Warn("line: cannot call out", "number", number, "err", err)
		l.finish(&call{rec: rec}, cdr.CauseCongestion, cdr.ByBox, 0, time.Time{})
		l.signal(&l.sw.cfg().Plan.Congestion, "cannot call "+number+": "+err.Error())
		return
	}
	l.call = &call{id: l.sw.calls.Add(1), leg: leg, rec: rec}
	l.set(Routing, "calling "+number)
	l.arm(l.sw.cfg().NoAnswer)
}

func (l *Line) route(ctx context.Context, number string, target *Line) {
	if target == l {
		l.signal(&l.sw.cfg().Plan.Busy, "called itself")
		return
	}
	ext := l.Extension()
	c := &call{id: l.sw.calls.Add(1), from: l, to: target, rec: newRec(cdr.Internal, l.port, ext, ext, number, target.Extension(), l.offHookAt)}
	l.call = c
	l.set(Routing, "calling "+number)
	l.arm(5 * time.Second)
	l.post(ctx, target, message{kind: mSetup, call: c})
}

// offered: a call for this line, from another line or from outside.
func (l *Line) offered(ctx context.Context, c *call) {
	refuse := func(cause Cause) {
		l.finish(c, legCause(cause), cdr.ByCallee, 0, time.Time{})
		if c.leg != nil {
			c.leg.Reject(cause)
			return
		}
		l.post(ctx, c.from, message{kind: mBusy, call: c})
	}
	if l.st != Idle || l.hook == hal.OffHook {
		refuse(CauseBusy)
		return
	}
	who := c.caller
	if c.leg == nil {
		who = CallerID{Number: c.from.Extension(), Name: c.from.Name()}
	}
	// Ringing, with caller ID between the rings or before the first
	// (callerid.go); the caller's side times the ringing out, so the
	// state timer is free for the caller ID before the first ring.
	wait, err := l.alert(who)
	if err != nil {
		l.log.Error("line: cannot ring", "err", err)
		refuse(CauseBusy)
		return
	}
	l.call = c
	l.arm(wait)
	if c.leg != nil {
		if err := c.leg.Ringing(); err != nil {
			l.log.Error("line: ringing", "err", err)
		}
		l.who.Store(&c.caller)
		l.set(Alerting, "call from "+c.caller.String())
		return
	}
	l.who.Store(&who)
	l.set(Alerting, "call from "+c.from.Extension())
	l.post(ctx, c.from, message{kind: mAlerting, call: c})
}

func (l *Line) stopRing() {
	l.stopCallerID()
	if err := l.fxs.StopRing(); err != nil {
		l.log.Error("line: stop ringing", "err", err)
	}
}

// ErrBusy is returned by TestCall when the port is in use.
var ErrBusy = fmt.Errorf("line: port in use")

// TestCall rings the phone on port and, when it is answered, dials number
// for it (a local extension or a number for the carrier). progress is
// told each state change; the call ends when the line is idle again, or
// when ctx is done (the ringing stops then).
func (sw *Switch) TestCall(ctx context.Context, port int, number string, progress func(string)) error {
	var l *Line
	for _, o := range sw.Lines() {
		if o.port == port {
			l = o
		}
	}
	if l == nil {
		return fmt.Errorf("line: no port %d", port)
	}
	for i := range len(number) {
		if !strings.ContainsRune("0123456789*#ABCD", rune(number[i])) {
			return fmt.Errorf("line: %q is not a number to dial (digits 0-9 * # A-D)", number)
		}
	}
	if l.State() != Idle {
		return fmt.Errorf("%w: port %d is %s", ErrBusy, port, l.State())
	}
	t := &testCall{number: number, progress: progress, done: make(chan struct{})}
	select {
	case l.inbox <- message{kind: mTestCall, test: t}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		// Stop it ringing if nobody answered; a call in progress goes on.
		l.inbox <- message{kind: mTestStop, test: t}
		return ctx.Err()
	}
}

func (l *Line) startTest(t *testCall) {
	if l.st != Idle || l.hook == hal.OffHook || l.test != nil {
		t.progress("port in use")
		close(t.done)
		return
	}
	if err := l.fxs.Ring(l.sw.cfg().Ring); err != nil {
		t.progress("cannot ring: " + err.Error())
		close(t.done)
		return
	}
	l.test = t
	l.set(Alerting, "test call to "+t.number)
	l.arm(l.sw.cfg().NoAnswer)
}

// answer: the phone was lifted while ringing.
func (l *Line) answer(ctx context.Context) {
	c := l.call
	if c == nil {
		l.seize(ctx)
		if t := l.test; t != nil {
			for i := range len(t.number) {
				l.digit(ctx, t.number[i])
			}
		}
		return
	}
	l.stopCallerID() // lifted while it was being sent
	if l.fxs.Feed() == hal.FeedRinging {
		l.stopRing()
	}
	c.answered(time.Now())
	if c.leg != nil {
		if err := c.leg.Answer(); err != nil {
			l.log.Error("line: answer", "err", err)
		}
		l.connected("answered")
		return
	}
	if err := l.media.Connect(l.ch, c.from.ch); err != nil {
		l.log.Error("line: connect", "err", err)
	}
	l.connected("answered")
	l.post(ctx, c.from, message{kind: mAnswer, call: c})
}
