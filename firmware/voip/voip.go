// Package voip makes the FXS lines SIP lines: it keeps one registration per
// port on the user agent (sip/ua) in step with the configuration, and gives
// call control (firmware/line) a Trunk whose legs are SIP calls with their
// media: an RTP stream (sip/media) fed from the engine's uplink and
// delivering into a jitter buffer (dsp/jitter) the engine plays out.
//
// Trunk methods may be called from any goroutine. Each leg runs one
// goroutine for its call's events and two for its media (send and
// receive); they end with the call.
package voip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/dsp/engine"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/dsp/jitter"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/sip/media"
	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua"
)

var errNoAccount = errors.New("voip: no SIP account on this port")

// Options wire a Trunk.
type Options struct {
	UA      *ua.UA
	Engine  *engine.Engine
	Switch  *line.Switch
	MediaIP netip.Addr // where RTP is received (the box's address towards the carrier)
	Log     *slog.Logger
	// Tap, when set, is shown every call's RTP and RTCP (packet capture).
	Tap *Tap
}

// Trunk is the carrier side of the box's lines.
type Trunk struct {
	o   Options
	log *slog.Logger
	ctx context.Context

	mu    sync.Mutex
	lines map[int]*account // by port
}

type account struct {
	port, ch int
	ua       *ua.Line
	acc      config.PortSIP
	prof     config.SIPProfile
	live     atomic.Pointer[leg] // the call whose media is on the channel (fax.go)
}

// New makes the trunk; Configure adds the accounts.
func New(ctx context.Context, o Options) *Trunk {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Trunk{o: o, log: o.Log, ctx: ctx, lines: map[int]*account{}}
}

// Configure brings the registrations in line with c: accounts that changed
// are replaced, accounts that went away are removed (unregistered).
func (t *Trunk) Configure(c config.Config) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	seen := map[int]bool{}
	for i, p := range c.Ports {
		if !p.Enabled || !p.SIP.Enabled || p.SIP.Profile >= len(c.SIP.Profiles) {
			continue
		}
		seen[p.Index] = true
		prof := c.SIP.Profiles[p.SIP.Profile]
		if old := t.lines[p.Index]; old != nil {
			if old.acc == p.SIP && sameProfile(old.prof, prof) {
				continue
			}
			old.ua.Close()
			delete(t.lines, p.Index)
		}
		acc := ua.Account{User: p.SIP.User, AuthUser: p.SIP.AuthUser, Password: p.SIP.Password, DisplayName: p.SIP.DisplayName, Domain: prof.Domain}
		port := p.Index
		l, err := t.o.UA.AddLine(port, acc, uaProfile(prof), ua.HandlerFunc(func(call *ua.Call) { t.incoming(port, call) }))
		if err != nil {
			errs = append(errs, fmt.Errorf("voip: port %d: %w", port, err))
			continue
		}
		t.lines[port] = &account{port: port, ch: i, ua: l, acc: p.SIP, prof: prof}
		t.log.Info("voip: line added", "port", port, "user", acc.User, "registrars", prof.Registrars)
	}
	for port, a := range t.lines {
		if !seen[port] {
			a.ua.Close()
			delete(t.lines, port)
			t.log.Info("voip: line removed", "port", port)
		}
	}
	return errors.Join(errs...)
}

func sameProfile(a, b config.SIPProfile) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

func uaProfile(p config.SIPProfile) ua.Profile {
	se := p.SessionExpires.D()
	if se == 0 {
		se = -1
	}
	keep := p.KeepAliveEvery.D()
	method := ua.KeepAliveCRLF
	switch p.KeepAlive {
	case "off":
		keep = 0
	case "options":
		method = ua.KeepAliveOptions
	}
	// Hook-flash goes as an INFO (application/dtmf-relay, Signal=16); the
	// "rfc4733" choice sends event 16 on the media path instead (leg.Flash).
	flash := ua.FlashDTMFRelay
	prack := map[string]string{"off": ua.PRACKOff, "supported": ua.PRACKSupported, "required": ua.PRACKRequired}[p.PRACK]
	return ua.Profile{
		Registrars:      p.Registrars,
		OutboundProxy:   p.OutboundProxies,
		Transport:       p.Transport,
		Expires:         p.RegisterExpires.D(),
		RetryMin:        p.RetryMin.D(),
		RetryMax:        p.RetryMax.D(),
		Timeout:         p.RegisterTimeout.D(),
		Failback:        p.Failback.D(),
		KeepAlive:       keep,
		KeepAliveMethod: method,
		SessionExpires:  se,
		PRACK:           prack,
		FlashInfo:       flash,
	}
}

// Registration is the registration state of port's account.
func (t *Trunk) Registration(port int) (ua.RegState, bool) {
	t.mu.Lock()
	a := t.lines[port]
	t.mu.Unlock()
	if a == nil {
		return ua.RegState{}, false
	}
	return a.ua.Registration(), true
}

func (t *Trunk) account(port int) *account {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lines[port]
}

// Dial places a SIP call from port to number.
func (t *Trunk) Dial(port int, number string) (line.Leg, error) {
	a := t.account(port)
	if a == nil {
		return nil, fmt.Errorf("%w %d: %w", errNoAccount, port, line.ErrNotReady)
	}
	if st := a.ua.Registration(); len(a.prof.Registrars) > 0 && st.Status != ua.RegRegistered {
		return nil, fmt.Errorf("voip: port %d not registered (%s): %w", port, st, line.ErrNotReady)
	}
	g, err := t.newLeg(a)
	if err != nil {
		return nil, err
	}
	call, err := a.ua.Call(t.ctx, number, g.local)
	if err != nil {
		g.close()
		return nil, fmt.Errorf("voip: %w: %w", err, line.ErrNotReady)
	}
	g.call = call
	go g.run()
	return g, nil
}

// incoming: an INVITE for port's account.
func (t *Trunk) incoming(port int, call *ua.Call) {
	a := t.account(port)
	if a == nil {
		call.Reject(404)
		return
	}
	g, err := t.newLeg(a)
	if err != nil {
		t.log.Error("voip: no media for an incoming call", "port", port, "err", err)
		call.Reject(503)
		return
	}
	g.call = call
	go g.run()
	p := call.Caller()
	t.o.Switch.Incoming(port, g, line.CallerID{Number: p.Number, Name: p.Name, Private: p.Private, Unavailable: !p.Private && p.Number == ""})
}

func (t *Trunk) newLeg(a *account) (*leg, error) {
	s, err := media.Listen(t.o.MediaIP, a.prof.RTPPortMin, a.prof.RTPPortMax)
	if err != nil {
		return nil, fmt.Errorf("voip: port %d: RTP: %w", a.port, err)
	}
	if t.o.Tap != nil {
		s.SetTap(t.o.Tap.Media)
	}
	ctx, cancel := context.WithCancel(t.ctx)
	return &leg{
		t: t, a: a, stream: s, ctx: ctx, cancel: cancel,
		events: make(chan line.LegEvent, 8),
		local: sdp.Local{
			Addr:   t.o.MediaIP,
			Port:   s.Port(),
			Codecs: a.prof.Codecs,
			PTime:  a.prof.PTime.D(),
			DTMF:   a.prof.DTMF == "rfc4733",
		},
	}, nil
}

// leg is one SIP call of a line.
type leg struct {
	t      *Trunk
	a      *account
	call   *ua.Call
	stream *media.Stream
	local  sdp.Local
	events chan line.LegEvent
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	neg      sdp.Negotiated
	flowing  bool // the media is attached to the line's engine channel
	released bool // the line let go of the call (Hangup): the channel is no longer ours
	faxed    bool // moved to plain G.711 for a fax or modem (fax.go)
	closed   bool
	jb       *jitter.Buffer // set once media flows

	// hearing is whether the negotiated direction receives audio: on hold
	// (inactive, sendonly) the far end's packets are dropped and the phone
	// hears silence, not the buffer's concealment and comfort noise.
	hearing atomic.Bool

	maxJitter atomic.Int64 // the largest jitter seen, ns (for the call record)
}

func (g *leg) Events() <-chan line.LegEvent { return g.events }
func (g *leg) Ringing() error               { return g.call.Ringing() }
func (g *leg) Answer() error                { return g.call.Answer(g.local) }

// Hangup ends the call. The line's channel is given back at once: the
// line plays its own tones on it and may start another call on it before
// the call is over on the SIP side (a CANCEL waits for its 487, up to
// 32 s).
func (g *leg) Hangup() error {
	g.detach(true)
	return g.call.Hangup()
}

// detach takes the media off the line's channel if it is on it; released
// says the line has let go of the call, which keeps it off.
func (g *leg) detach(released bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.released = g.released || released
	if g.flowing {
		g.flowing = false
		g.t.o.Engine.Detach(g.a.ch) // queues a command: does not block
	}
}

func (g *leg) Flash() error {
	g.mu.Lock()
	n, on := g.neg, g.flowing
	g.mu.Unlock()
	if g.a.prof.Flash == "rfc4733" && on && n.Event != nil {
		return g.stream.SendEvent(media.Flash, 100*time.Millisecond)
	}
	return g.call.Flash()
}

func (g *leg) Reject(c line.Cause) error {
	code := 503
	switch c {
	case line.CauseBusy:
		code = 486
	case line.CauseUnobtainable:
		code = 404
	case line.CauseRejected:
		code = 603
	}
	return g.call.Reject(code)
}

// Digit sends a digit dialled during the call as an RFC 4733 event; the
// engine has already kept it out of the audio.
func (g *leg) Digit(d byte) error {
	g.mu.Lock()
	n, on := g.neg, g.flowing
	g.mu.Unlock()
	if !on {
		return nil
	}
	if g.a.prof.DTMF == "rfc4733" && n.Event != nil {
		return g.stream.SendEvent(d, 100*time.Millisecond)
	}
	return nil
}

func (g *leg) tell(ev line.LegEvent) {
	select {
	case g.events <- ev:
	case <-g.ctx.Done():
	}
}

// run turns the call's SIP events into line events and drives the media.
func (g *leg) run() {
	defer g.close()
	for {
		select {
		case <-g.ctx.Done():
			g.call.Hangup()
			return
		case ev, ok := <-g.call.Events():
			if !ok {
				return
			}
			switch ev.Kind {
			case ua.EvRinging:
				g.tell(line.LegEvent{Kind: line.LegRinging, Reason: ev.Reason})
			case ua.EvEarlyMedia:
				g.media(ev.Media)
				g.tell(line.LegEvent{Kind: line.LegEarlyMedia})
			case ua.EvAnswered:
				g.media(ev.Media)
				g.tell(line.LegEvent{Kind: line.LegAnswered})
			case ua.EvMedia:
				g.media(ev.Media)
			case ua.EvDTMF:
				g.playDigit(ev.Digit, ev.Duration)
			case ua.EvFailed:
				g.tell(line.LegEvent{Kind: line.LegFailed, Cause: cause(ev.Cause), Code: ev.Code, Reason: fmt.Sprintf("%d %s", ev.Code, ev.Reason)})
				return
			case ua.EvEnded:
				g.tell(line.LegEvent{Kind: line.LegEnded, Reason: ev.Reason})
				return
			}
		}
	}
}

func cause(c ua.Cause) line.Cause {
	switch c {
	case ua.CauseBusy:
		return line.CauseBusy
	case ua.CauseUnobtainable:
		return line.CauseUnobtainable
	case ua.CauseRejected:
		return line.CauseRejected
	}
	return line.CauseCongestion
}

// media (re)starts the RTP flow with what was negotiated.
func (g *leg) media(n sdp.Negotiated) {
	g.stream.Start(n.Remote, n)
	g.hearing.Store(n.Dir.Receives())
	g.mu.Lock()
	defer g.mu.Unlock()
	g.neg = n
	if g.released {
		return // the line hung up meanwhile: its channel is not ours
	}
	if g.flowing {
		if !n.Dir.Receives() {
			g.jb.Reset() // on hold: silence until the far end sends again
		}
		return
	}
	law := g711.ALaw
	if n.Codec.Is("PCMU", 8000) {
		law = g711.ULaw
	}
	jb, err := jitter.New(jitter.Options{Codec: jitter.G711(law)})
	if err != nil {
		g.t.log.Error("voip: jitter buffer", "err", err)
		return
	}
	up := engine.NewUplink(law, 16)
	// Under g.mu, so that a Hangup (detach) cannot come between: the
	// engine takes the commands in this order.
	if err := g.t.o.Engine.Attach(g.a.ch, up, jb); err != nil {
		g.t.log.Error("voip: attach media", "err", err)
		return
	}
	g.flowing, g.jb = true, jb
	g.a.live.Store(g)
	go g.send(up, n.PTime)
	go g.receive(jb, n.Codec.PT)
	go g.heard()
}

// send packetises the engine's 10 ms frames into ptime packets.
func (g *leg) send(up *engine.Uplink, ptime time.Duration) {
	per := int(ptime / (10 * time.Millisecond))
	if per < 1 {
		per = 2
	}
	buf := make([]byte, 0, per*80)
	frame := make([]byte, 80)
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-up.Ready():
		}
		for up.Pop(frame) {
			buf = append(buf, frame...)
			if len(buf) == cap(buf) {
				if err := g.stream.Send(buf, uint32(len(buf))); err != nil && g.ctx.Err() == nil {
					g.t.log.Debug("voip: RTP send", "err", err)
				}
				buf = buf[:0]
			}
		}
	}
}

// receive feeds the far end's packets into the jitter buffer.
func (g *leg) receive(jb *jitter.Buffer, pt uint8) {
	var p media.Packet
	for {
		if err := g.stream.Receive(g.ctx, &p); err != nil {
			return
		}
		if !g.hearing.Load() {
			continue // we said we do not receive (hold): RFC 3264 §5.1
		}
		switch p.PT {
		case 13:
			jb.PutCN(p.Seq, p.TS, p.SSRC, p.Payload, p.At)
		default:
			jb.Put(p.Seq, p.TS, p.SSRC, p.Payload, p.At)
		}
		g.noteJitter(jb)
	}
}

// heard plays the far end's RFC 4733 digits to the line.
func (g *leg) heard() {
	for {
		select {
		case <-g.ctx.Done():
			return
		case ev := <-g.stream.Events():
			g.playDigit(ev.Digit, ev.Dur)
		}
	}
}

var dtmfRows = [4]float64{697, 770, 852, 941}
var dtmfCols = [4]float64{1209, 1336, 1477, 1633}

// playDigit regenerates a digit the far end sent as an event.
func (g *leg) playDigit(d byte, dur time.Duration) {
	const keys = "123A456B789C*0#D"
	i := -1
	for k := range len(keys) {
		if keys[k] == d {
			i = k
		}
	}
	if i < 0 {
		return
	}
	g.mu.Lock()
	released := g.released
	g.mu.Unlock()
	if released {
		return // the channel may be another call's by now
	}
	if dur < 40*time.Millisecond || dur > 2*time.Second {
		dur = 100 * time.Millisecond
	}
	spec := &tone.Spec{Name: "dtmf " + string(d), Segments: []tone.Segment{{Dur: dur, Tones: []tone.Component{
		{Freq: dtmfRows[i/4], Level: -8}, {Freq: dtmfCols[i%4], Level: -6},
	}}}}
	g.t.o.Engine.PlayDigit(g.a.ch, spec)
}

func (g *leg) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	g.a.live.CompareAndSwap(g, nil)
	g.detach(false)
	g.cancel()
	g.stream.Close()
}
