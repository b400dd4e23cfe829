package ua

import (
	"fmt"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Handler receives the incoming calls of a line.
type Handler interface {
	// Incoming is called on a UA goroutine for each new call; it must not
	// block (post the call to the line's own goroutine). The call rings
	// only when told to (Call.Ringing); until then the caller hears nothing
	// but 100 Trying.
	Incoming(c *Call)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(c *Call)

// Incoming calls f(c).
func (f HandlerFunc) Incoming(c *Call) { f(c) }

// RegStatus is where a line's registration stands.
type RegStatus uint8

// Registration states.
const (
	RegDisabled    RegStatus = iota // the profile has no registrar
	RegRegistering                  // trying, no valid binding yet
	RegRegistered                   // a binding is valid at Server until Expires
	RegFailed                       // the last round failed; the next starts at Retry
	RegStopped                      // unregistered on shutdown or Close
)

var regNames = [...]string{"disabled", "registering", "registered", "failed", "stopped"}

func (s RegStatus) String() string {
	if int(s) < len(regNames) {
		return regNames[s]
	}
	return "reg(" + strconv.Itoa(int(s)) + ")"
}

// RegState is a line's registration as the console and web page show it.
type RegState struct {
	Status  RegStatus
	Server  string    // "ip:port" of the binding, or of the attempt when not registered
	Path    int       // 0: primary registrar/proxy, 1: secondary ...
	Code    int       // last SIP status, 0 for none or a timeout
	Reason  string    // why the last attempt failed, or the last reason phrase
	Expires time.Time // end of the binding (RegRegistered)
	Retry   time.Time // start of the next round (RegFailed)
	Since   time.Time // when Status last changed
	Contact string    // the contact address registered (after NAT discovery)
}

func (s RegState) String() string {
	switch s.Status {
	case RegRegistered:
		return fmt.Sprintf("registered at %s (path %d) until %s", s.Server, s.Path, s.Expires.Format(time.TimeOnly))
	case RegFailed:
		return fmt.Sprintf("failed (%s), retry at %s", s.Reason, s.Retry.Format(time.TimeOnly))
	case RegRegistering:
		return fmt.Sprintf("registering at %s", s.Server)
	}
	return s.Status.String()
}

// Line is one SIP account of the UA, bound to one FXS port by the firmware.
// Its registration runs on its own goroutine from AddLine until Close or
// the end of Run.
type Line struct {
	u      *UA
	id     int
	acc    Account
	prof   Profile
	h      Handler
	domain string

	regCh chan RegState       // latest state, capacity 1
	drops chan netip.AddrPort // TCP connections to servers that ended (UA.connLost)
	quit  chan struct{}       // closed by Close
	done  chan struct{}       // closed when the registration goroutine ends
	once  sync.Once

	mu      sync.Mutex
	state   RegState
	bound   target         // valid binding, zero addr when none
	contact netip.AddrPort // public contact address learned from the registrar, when any
}

// AddLine adds a line and starts its registration (at once if the UA runs,
// else when Run starts). id is the firmware's port number, unique per UA.
// h receives incoming calls; nil rejects them with 480.
func (u *UA) AddLine(id int, a Account, p Profile, h Handler) (*Line, error) {
	p = p.withDefaults()
	if err := p.validate(); err != nil {
		return nil, err
	}
	if a.User == "" {
		return nil, fmt.Errorf("%w: line %d has no user", errConfig, id)
	}
	domain := a.Domain
	if domain == "" {
		srv := pick(p.Registrars, 0)
		if srv == "" {
			srv = pick(p.OutboundProxy, 0)
		}
		if srv == "" {
			return nil, fmt.Errorf("%w: line %d has neither domain nor server", errConfig, id)
		}
		host, _, err := splitServer(srv)
		if err != nil {
			return nil, err
		}
		domain = host
	}
	l := &Line{
		u: u, id: id, acc: a, prof: p, h: h, domain: domain,
		regCh: make(chan RegState, 1),
		drops: make(chan netip.AddrPort, 4),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	l.state = RegState{Status: RegRegistering, Since: time.Now()}
	if len(p.Registrars) == 0 {
		l.state.Status = RegDisabled
	}
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil, errClosed
	}
	if _, ok := u.lines[id]; ok {
		u.mu.Unlock()
		return nil, fmt.Errorf("%w: %d", errLineExists, id)
	}
	u.lines[id] = l
	u.mu.Unlock()
	go l.run()
	return l, nil
}

// ID is the id given to AddLine.
func (l *Line) ID() int { return l.id }

// Account is the line's account.
func (l *Line) Account() Account { return l.acc }

// Registration is the line's registration state now. Any goroutine.
func (l *Line) Registration() RegState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// RegChanges delivers the registration state each time it changes; when
// the reader is slow it sees the latest state only.
func (l *Line) RegChanges() <-chan RegState { return l.regCh }

// Close unregisters the line (bounded by Options.Unregister) and removes it
// from the UA; calls already up continue. It returns when the line's
// goroutine has ended. Any goroutine except the Handler.
func (l *Line) Close() {
	l.once.Do(func() { close(l.quit) })
	<-l.done
	l.u.mu.Lock()
	if l.u.lines[l.id] == l {
		delete(l.u.lines, l.id)
	}
	l.u.mu.Unlock()
}

func (l *Line) setState(s RegState) {
	l.mu.Lock()
	if s.Status != l.state.Status {
		s.Since = time.Now()
	} else {
		s.Since = l.state.Since
	}
	if l.contact.IsValid() && s.Contact == "" {
		s.Contact = l.contact.String()
	}
	changed := s != l.state
	l.state = s
	l.mu.Unlock()
	if !changed {
		return
	}
	l.u.log.Info("sip: registration", "line", l.id, "state", s.Status, "server", s.Server, "code", s.Code, "reason", s.Reason)
	for {
		select {
		case l.regCh <- s:
			return
		default:
		}
		select {
		case <-l.regCh:
		default:
		}
	}
}

// route is where the line's requests go now: the bound server, if any.
func (l *Line) route() (target, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bound, l.bound.addr.IsValid()
}

// contactFor is our Contact URI for traffic towards dst over tr
// (;transport=tcp over TCP).
func (l *Line) contactFor(dst netip.AddrPort, tr string) sip.Uri {
	l.mu.Lock()
	c := l.contact
	l.mu.Unlock()
	if !c.IsValid() {
		c = l.u.sentBy(dst, tr)
	}
	uri := uriFor(l.acc.User, c.Addr().String(), int(c.Port()))
	uri.UriParams = sip.NewParams()
	if tr == trTCP {
		uri.UriParams.Add("transport", "tcp")
	}
	uri.UriParams.Add("line", strconv.Itoa(l.id))
	return uri
}

// aor is the line's address of record, sip:user@domain.
func (l *Line) aor() sip.Uri { return uriFor(l.acc.User, l.domain, 0) }

func (l *Line) run() {
	defer close(l.done)
	select {
	case <-l.u.started:
	case <-l.u.stopping():
		return
	case <-l.quit:
		return
	}
	if len(l.prof.Registrars) == 0 {
		select {
		case <-l.u.stopping():
		case <-l.quit:
		}
		return
	}
	r := newRegistration(l)
	r.loop()
}
