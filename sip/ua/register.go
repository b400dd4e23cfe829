package ua

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
)

// registration is the state of one line's registration, owned by the
// line's goroutine (loop). Everything else reaches it through channels.
type registration struct {
	l    *Line
	u    *UA
	txc  chan txEvent
	dead chan struct{} // closed when loop returns

	targets []target
	bound   int // index in targets of the valid binding, -1 none
	try     int // index being registered now, -1 idle
	round   int // targets tried in this round of fail-over
	fails   int // failed rounds in a row (back-off exponent)

	callIDs map[netip.AddrPort]string // one Call-ID per server (RFC 3261 §10.2)
	cseq    uint32
	auth    authCache
	expires time.Duration // asked; raised by 423

	pending   *regReq // the REGISTER in flight
	probe     *regReq // fail-back OPTIONS in flight
	kaReq     *regReq // keep-alive OPTIONS in flight
	unregs    []*regReq
	lastCode  int
	lastWhy   string
	retryAt   time.Time
	boundExp  time.Time
	regTimer  *time.Timer // refresh or retry
	kaTimer   *time.Timer // keep-alive
	pongTimer *time.Timer // TCP: the pong of a CRLF ping is due
	pingConn  *streamConn // TCP: the connection pinged
	pingHeard uint64      // TCP: pingConn.heard() when pinged
	fbTimer   *time.Timer // fail-back probe
	authTries int
}

// regReq is one request of the registration.
type regReq struct {
	t       target
	callID  string
	expires time.Duration
	contact sip.Uri  // the binding asked for
	old     *sip.Uri // a contact to remove in the same request (NAT rewrite)
	used    []string // nonces our credentials used
	fresh   bool     // they answer a challenge to this request
	tries   int      // auth retries of an un-REGISTER
	req     *sip.Request
}

func newRegistration(l *Line) *registration {
	r := &registration{
		l: l, u: l.u,
		txc:     make(chan txEvent, 8),
		dead:    make(chan struct{}),
		bound:   -1,
		try:     -1,
		callIDs: make(map[netip.AddrPort]string),
		cseq:    uint32(l.u.rnd()*10000) + 1,
		expires: l.prof.Expires,
	}
	r.regTimer = stoppedTimer()
	r.kaTimer = stoppedTimer()
	r.fbTimer = stoppedTimer()
	r.pongTimer = stoppedTimer()
	return r
}

func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

func (r *registration) loop() {
	defer close(r.dead)
	defer r.regTimer.Stop()
	defer r.kaTimer.Stop()
	defer r.fbTimer.Stop()
	defer r.pongTimer.Stop()
	r.startRound()
	for {
		select {
		case <-r.u.stopping():
			r.shutdown()
			return
		case <-r.l.quit:
			r.shutdown()
			return
		case ev := <-r.txc:
			r.onTx(ev)
		case <-r.regTimer.C:
			switch {
			case r.pending != nil:
				resetTimer(r.regTimer, time.Second) // a fail-back attempt is in flight: soon
			case r.bound >= 0:
				r.register(r.bound) // refresh
			default:
				r.startRound()
			}
		case <-r.kaTimer.C:
			r.keepAlive()
		case <-r.pongTimer.C:
			r.pongDue()
		case a := <-r.l.drops:
			r.connDropped(a)
		case <-r.fbTimer.C:
			r.failbackProbe()
		}
	}
}

// quitCh closes when the registration is over; transaction reports stop.
func (r *registration) quitCh() <-chan struct{} { return r.dead }

// report delivers ev through the loop from another goroutine.
func (r *registration) report(ev txEvent) {
	r.u.goTracked(func() {
		select {
		case r.txc <- ev:
		case <-r.dead:
		}
	})
}

// startRound resolves the servers and tries the primary.
func (r *registration) startRound() {
	ctx, cancel := context.WithTimeout(context.Background(), r.l.prof.Timeout)
	ts, err := resolveTargets(ctx, r.u.res, r.l.prof, r.l.domain)
	cancel()
	if err != nil {
		r.targets = nil
		r.lastCode, r.lastWhy = 0, err.Error()
		r.failRound()
		return
	}
	r.targets = ts
	r.bound = -1
	r.round = 0
	r.register(0)
}

func (r *registration) nextCSeq() uint32 {
	r.cseq++
	return r.cseq
}

func (r *registration) callID(a netip.AddrPort) string {
	id, ok := r.callIDs[a]
	if !ok {
		id = sip.GenerateTagN(24) + "@openiad"
		r.callIDs[a] = id
	}
	return id
}

// register sends a REGISTER to targets[i].
func (r *registration) register(i int) {
	t := r.targets[i]
	r.try = i
	q := &regReq{t: t, callID: r.callID(t.addr), expires: r.expires, contact: r.l.contactFor(t.addr, t.tr)}
	r.authTries = 0
	if r.bound < 0 {
		r.publish(RegRegistering, t, "")
	}
	r.send(q)
}

// send builds and sends q (again, after a challenge).
func (r *registration) send(q *regReq) {
	l := r.l
	ruri := uriFor("", q.t.registrar, 0)
	if l.acc.Domain != "" {
		ruri = uriFor("", l.domain, 0)
	}
	req := r.u.newRequest(sip.REGISTER, ruri, q.t.addr, q.t.tr)
	aor := l.aor()
	from := &sip.FromHeader{DisplayName: l.acc.DisplayName, Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{DisplayName: l.acc.DisplayName, Address: aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(q.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: r.nextCSeq(), MethodName: sip.REGISTER})
	addRoute(req, q.t)
	ct := &sip.ContactHeader{Address: q.contact, Params: sip.NewParams()}
	ct.Params.Add("expires", strconv.Itoa(int(q.expires/time.Second)))
	req.AppendHeader(ct)
	if q.old != nil {
		oc := &sip.ContactHeader{Address: *q.old, Params: sip.NewParams()}
		oc.Params.Add("expires", "0")
		req.AppendHeader(oc)
	}
	exp := sip.ExpiresHeader(q.expires / time.Second)
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	r.u.finish(req, "", nil)
	q.used = r.auth.apply(req, l.acc.authUser(), l.acc.Password)
	q.req = req
	if q.expires == 0 && q.old == nil {
		r.unregs = append(r.unregs, q)
	} else {
		r.pending = q
	}
	if _, err := r.u.start(req, r.l.prof.Timeout, q, r.txc, r.quitCh()); err != nil {
		r.u.log.Warn("sip: register", "line", l.id, "err", err)
		r.report(txEvent{ref: q, req: req, err: fmt.Errorf("%w: %w", sip.ErrTransactionTransport, err)})
	}
}

// addRoute adds the loose Route to the outbound proxy of t, if any.
func addRoute(req *sip.Request, t target) {
	if t.proxy == "" {
		return
	}
	h, p, _ := splitServer(t.proxy)
	rt := &sip.RouteHeader{Address: uriFor("", h, p)}
	rt.Address.UriParams = sip.NewParams()
	rt.Address.UriParams.Add("lr", "")
	req.AppendHeader(rt)
}

func (r *registration) onTx(ev txEvent) {
	q, _ := ev.ref.(*regReq)
	switch {
	case q == nil:
	case q == r.pending:
		r.onRegister(q, ev)
	case q == r.probe:
		r.onProbe(ev)
	case q == r.kaReq:
		r.onKeepAlive(ev)
	default:
		r.onUnregister(q, ev)
	}
}

func (r *registration) onRegister(q *regReq, ev txEvent) {
	if ev.res != nil && ev.res.IsProvisional() {
		return
	}
	r.pending = nil
	if ev.err != nil {
		r.lastCode, r.lastWhy = 0, "no answer from "+q.t.String()
		if !isTimeout(ev.err) {
			r.lastWhy = ev.err.Error()
		}
		r.failed(true)
		return
	}
	res := ev.res
	r.lastCode, r.lastWhy = res.StatusCode, res.Reason
	switch {
	case res.IsSuccess():
		r.registered(q, res)
	case res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired:
		if err := r.auth.update(res, q.used, q.fresh); err != nil || r.authTries >= 3 {
			if err == nil {
				err = fmt.Errorf("%w: too many challenges", errAuth)
			}
			r.lastWhy = err.Error()
			r.failed(false)
			return
		}
		r.authTries++
		q.fresh = true
		r.send(q)
	case res.StatusCode == sip.StatusIntervalToBrief:
		min := headerValue(res, "Min-Expires")
		n, err := strconv.Atoi(min)
		if err != nil || n <= 0 || time.Duration(n)*time.Second <= q.expires || r.authTries >= 3 {
			r.failed(false)
			return
		}
		r.authTries++
		r.expires = time.Duration(n) * time.Second
		q.expires = r.expires
		r.send(q)
	default:
		down := res.StatusCode == sip.StatusRequestTimeout || res.StatusCode >= 500
		if ra := retryAfter(res); ra > 0 && down {
			r.retryAt = time.Now().Add(ra)
		}
		r.failed(down)
	}
}

// registered handles a 2xx to our REGISTER.
func (r *registration) registered(q *regReq, res *sip.Response) {
	granted := grantedExpiry(res, q.contact, q.expires)
	if q.expires > 0 && granted <= 0 {
		r.lastWhy = "registrar kept no binding"
		r.failed(false)
		return
	}
	// NAT: the registrar saw us at another address (RFC 3581); register that one.
	if pub, ok := viaReceived(res); ok && !r.l.prof.NoContactRewrite {
		cur := netip.AddrPortFrom(mustAddr(q.contact.Host), uint16(q.contact.Port))
		moved := pub != cur
		if q.t.tr == trTCP {
			// the port is that of our connection, not a NAT binding: only
			// another address means a NAT (and then the flow is the way in)
			moved = pub.Addr() != cur.Addr()
		}
		if moved && r.try >= 0 {
			r.l.mu.Lock()
			r.l.contact = pub
			r.l.mu.Unlock()
			old := q.contact
			nq := &regReq{t: q.t, callID: q.callID, expires: q.expires, contact: r.l.contactFor(q.t.addr, q.t.tr), old: &old}
			r.u.log.Info("sip: behind NAT, registering public contact", "line", r.l.id, "contact", pub)
			r.send(nq)
			return
		}
	}
	prev := r.bound
	r.bound = r.try
	r.try = -1
	r.round = 0
	r.fails = 0
	r.retryAt = time.Time{}
	r.boundExp = time.Now().Add(granted)
	t := r.targets[r.bound]
	r.l.mu.Lock()
	r.l.bound = t
	r.l.mu.Unlock()
	r.publish(RegRegistered, t, "")
	resetTimer(r.regTimer, refreshAfter(granted, r.l.prof.Timeout))
	if r.l.prof.KeepAlive > 0 {
		resetTimer(r.kaTimer, r.l.prof.KeepAlive)
	}
	switch {
	case t.path == 0:
		r.fbTimer.Stop()
	case prev != r.bound:
		// Just moved away from the primary: probe it every Failback. A
		// refresh here leaves the probe's clock alone, or refreshes more
		// frequent than Failback would hold the fail-back off for ever.
		resetTimer(r.fbTimer, r.l.prof.Failback)
	}
	if prev >= 0 && prev != r.bound {
		old := r.targets[prev]
		r.send(&regReq{t: old, callID: r.callID(old.addr), expires: 0, contact: r.l.contactFor(old.addr, old.tr)})
	}
}

// failed ends the current attempt. down says the server looks dead or
// overloaded, which moves on to the next server; other failures (auth,
// forbidden) wait for the back-off.
func (r *registration) failed(down bool) {
	i := r.try
	r.try = -1
	if r.bound >= 0 && i != r.bound {
		// a fail-back attempt failed: stay where we are, probe again later
		resetTimer(r.fbTimer, r.l.prof.Failback)
		return
	}
	if r.bound >= 0 {
		r.lose()
	}
	if down && i >= 0 && r.round+1 < len(r.targets) {
		r.round++
		r.register((i + 1) % len(r.targets))
		return
	}
	r.failRound()
}

// lose forgets the binding (its server is gone or refused a refresh).
func (r *registration) lose() {
	r.bound = -1
	r.l.mu.Lock()
	r.l.bound = target{}
	r.l.mu.Unlock()
	r.kaTimer.Stop()
	r.fbTimer.Stop()
	r.pongTimer.Stop()
	r.pingConn = nil
}

// failRound schedules the next round after an exponential back-off with
// jitter: RetryMin·2ⁿ capped at RetryMax, then a random 50-100 % of it, or
// the server's Retry-After when longer.
func (r *registration) failRound() {
	r.round = 0
	r.fails++
	d := r.l.prof.RetryMin
	for range r.fails - 1 {
		d *= 2
		if d >= r.l.prof.RetryMax {
			break
		}
	}
	d = min(d, r.l.prof.RetryMax)
	d = d/2 + time.Duration(r.u.rnd()*float64(d/2))
	at := time.Now().Add(d)
	if r.retryAt.After(at) {
		at = r.retryAt
	}
	r.retryAt = time.Time{}
	resetTimer(r.regTimer, time.Until(at))
	var t target
	if len(r.targets) > 0 {
		t = r.targets[0]
	}
	s := RegState{Status: RegFailed, Server: t.String(), Path: t.path, Code: r.lastCode, Reason: r.lastWhy, Retry: at}
	r.l.setState(s)
}

func (r *registration) publish(st RegStatus, t target, why string) {
	s := RegState{Status: st, Server: t.String(), Path: t.path, Code: r.lastCode, Reason: why}
	if st == RegRegistered {
		s.Expires = r.boundExp
		s.Reason = r.lastWhy
	}
	r.l.setState(s)
}

// keepAlive sends a CRLF or an OPTIONS to the bound server.
func (r *registration) keepAlive() {
	if r.bound < 0 {
		return
	}
	t := r.targets[r.bound]
	resetTimer(r.kaTimer, r.l.prof.KeepAlive)
	if r.l.prof.KeepAliveMethod == KeepAliveCRLF && t.tr == trTCP {
		r.ping(t)
		return
	}
	if r.l.prof.KeepAliveMethod == KeepAliveCRLF {
		if err := r.u.writeRaw([]byte("\r\n\r\n"), t.addr); err != nil {
			r.u.log.Debug("sip: keep-alive", "line", r.l.id, "err", err)
		}
		return
	}
	if r.kaReq != nil {
		return
	}
	r.kaReq = r.options(t)
}

// ping sends a RFC 5626 §4.4.1 keep-alive on the TCP connection to t: a
// double CRLF, which the server answers with a CRLF pong. No pong within
// Timeout (at most 10 s, §4.4.1) and the flow is dead.
func (r *registration) ping(t target) {
	if r.pingConn != nil {
		return // a pong is still due
	}
	c := r.u.tcp.get(t.addr)
	if c == nil {
		r.serverLost("no connection to " + t.String())
		return
	}
	heard := c.heard()
	if _, err := c.Write([]byte("\r\n\r\n")); err != nil {
		r.u.log.Debug("sip: keep-alive", "line", r.l.id, "err", err)
		c.Close()
		r.serverLost("connection to " + t.String() + " failed")
		return
	}
	r.pingConn, r.pingHeard = c, heard
	resetTimer(r.pongTimer, min(r.l.prof.Timeout, pongWait))
}

// connDropped handles the end of the TCP connection to a. When it was the
// registered server's, the line registers there again at once over a new
// connection (servers close idle connections; the registrar may have kept
// the binding on the old one): if that fails (connection refused, no
// answer) the server counts as dead and the next one is tried, as after a
// timeout.
func (r *registration) connDropped(a netip.AddrPort) {
	if r.pingConn != nil && r.pingConn.remote == a {
		r.pingConn = nil
		r.pongTimer.Stop()
	}
	if r.bound < 0 || r.targets[r.bound].addr != a || r.pending != nil {
		return // a REGISTER in flight on it fails by itself
	}
	r.u.log.Info("sip: connection to registrar closed, registering again", "line", r.l.id, "server", a)
	r.register(r.bound)
}

// pongWait is how long a CRLF ping waits for its pong (RFC 5626 §4.4.1).
const pongWait = 10 * time.Second

// pongDue checks that the server said something since the ping.
func (r *registration) pongDue() {
	c := r.pingConn
	r.pingConn = nil
	if c == nil || r.bound < 0 || c.heard() != r.pingHeard {
		return
	}
	c.Close() // dead flow: the next request opens a new connection
	r.serverLost("no keep-alive answer from " + r.targets[r.bound].String())
}

func (r *registration) onKeepAlive(ev txEvent) {
	if ev.res != nil && ev.res.IsProvisional() {
		return
	}
	r.kaReq = nil
	if ev.err == nil || r.bound < 0 {
		return
	}
	r.serverLost("keep-alive unanswered by " + r.targets[r.bound].String())
}

// serverLost gives up the binding because its server is gone (keep-alive
// unanswered, TCP connection lost) and moves on as after a timeout: the
// next server, or a new round after the back-off.
func (r *registration) serverLost(why string) {
	if r.bound < 0 {
		return
	}
	i := r.bound
	r.lastCode, r.lastWhy = 0, why
	r.u.log.Warn("sip: server lost", "line", r.l.id, "server", r.targets[i].String(), "why", why)
	r.lose()
	if r.pending != nil {
		return
	}
	r.try = i
	r.failed(true)
}

// failbackProbe asks the primary whether it is back.
func (r *registration) failbackProbe() {
	if r.bound < 0 || r.probe != nil || len(r.targets) == 0 {
		return
	}
	if r.pending != nil { // a refresh is in flight: probe right after it
		resetTimer(r.fbTimer, time.Second)
		return
	}
	r.probe = r.options(r.targets[0])
}

func (r *registration) onProbe(ev txEvent) {
	if ev.res != nil && ev.res.IsProvisional() {
		return
	}
	r.probe = nil
	if ev.err != nil || r.bound < 0 {
		resetTimer(r.fbTimer, r.l.prof.Failback)
		return
	}
	if r.pending != nil { // the primary answers, but a refresh is in flight
		resetTimer(r.fbTimer, time.Second)
		return
	}
	r.u.log.Info("sip: primary answers again, failing back", "line", r.l.id, "server", r.targets[0].String())
	r.register(0)
}

// options sends an out-of-dialog OPTIONS to t.
func (r *registration) options(t target) *regReq {
	l := r.l
	q := &regReq{t: t}
	// addressed to the server itself, so that a proxy answers it rather
	// than routing it on
	ruri := uriFor("", t.addr.Addr().String(), int(t.addr.Port()))
	req := r.u.newRequest(sip.OPTIONS, ruri, t.addr, t.tr)
	from := &sip.FromHeader{Address: l.aor(), Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(10))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: ruri, Params: sip.NewParams()})
	cid := sip.CallIDHeader(sip.GenerateTagN(24) + "@openiad")
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.OPTIONS})
	addRoute(req, t)
	ct := &sip.ContactHeader{Address: l.contactFor(t.addr, t.tr)}
	req.AppendHeader(ct)
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	r.u.finish(req, "", nil)
	q.req = req
	if _, err := r.u.start(req, l.prof.Timeout, q, r.txc, r.quitCh()); err != nil {
		r.report(txEvent{ref: q, req: req, err: fmt.Errorf("%w: %w", sip.ErrTransactionTransport, err)})
	}
	return q
}

// onUnregister follows an un-REGISTER through one challenge.
func (r *registration) onUnregister(q *regReq, ev txEvent) {
	if ev.res != nil && ev.res.IsProvisional() {
		return
	}
	r.dropUnreg(q)
	if ev.res == nil {
		return
	}
	code := ev.res.StatusCode
	if (code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired) && q.tries < 2 {
		if err := r.auth.update(ev.res, q.used, q.fresh); err == nil {
			q.tries++
			q.fresh = true
			r.send(q)
		}
	}
}

func (r *registration) dropUnreg(q *regReq) {
	for i, x := range r.unregs {
		if x == q {
			r.unregs = append(r.unregs[:i], r.unregs[i+1:]...)
			return
		}
	}
}

// shutdown removes the binding, waiting at most Options.Unregister.
func (r *registration) shutdown() {
	deadline := time.NewTimer(r.u.o.Unregister)
	defer deadline.Stop()
	if r.bound >= 0 {
		t := r.targets[r.bound]
		r.send(&regReq{t: t, callID: r.callID(t.addr), expires: 0, contact: r.l.contactFor(t.addr, t.tr)})
	}
	for len(r.unregs) > 0 {
		select {
		case ev := <-r.txc:
			if q, ok := ev.ref.(*regReq); ok && q != r.pending && q != r.probe && q != r.kaReq {
				r.onUnregister(q, ev)
			}
		case <-deadline.C:
			r.unregs = nil
		}
	}
	r.lose()
	r.l.setState(RegState{Status: RegStopped})
}

// grantedExpiry is the lifetime the registrar granted our contact: its
// expires parameter in the 2xx, else the Expires header, else what we asked.
func grantedExpiry(res *sip.Response, ours sip.Uri, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || !sameContact(c.Address, ours) {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if v := headerValue(res, "Expires"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			return time.Duration(n) * time.Second
		}
	}
	return asked // a registrar that says nothing: assume what we asked
}

// sameContact compares the parts of a contact URI a registrar keeps.
func sameContact(a, b sip.Uri) bool {
	return a.User == b.User && a.Host == b.Host && a.Port == b.Port
}

// refreshAfter is when to refresh a binding that lives for granted: early
// enough for a dead server to be detected (timeout) and another tried.
func refreshAfter(granted, timeout time.Duration) time.Duration {
	margin := min(granted/2, max(32*time.Second, 2*timeout))
	return granted - margin
}

// viaReceived is the address the server saw our request come from, from the
// received and rport parameters of the top Via of its response.
func viaReceived(res *sip.Response) (netip.AddrPort, bool) {
	v := res.Via()
	if v == nil {
		return netip.AddrPort{}, false
	}
	host := v.Host
	port := v.Port
	rec, hasRec := v.Params.Get("received")
	rp, hasRP := v.Params.Get("rport")
	if !hasRec && (!hasRP || rp == "") {
		return netip.AddrPort{}, false
	}
	if hasRec && rec != "" {
		host = rec
	}
	if hasRP && rp != "" {
		n, err := strconv.Atoi(rp)
		if err != nil || n <= 0 || n > 65535 {
			return netip.AddrPort{}, false
		}
		port = n
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, false
	}
	if port == 0 {
		port = defaultPort
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

func mustAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

// retryAfter is the Retry-After of a response, 0 when absent.
func retryAfter(res *sip.Response) time.Duration {
	v := headerValue(res, "Retry-After")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(firstToken(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(max(d, 0))
}
