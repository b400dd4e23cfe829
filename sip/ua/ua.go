package ua

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Options configure a UA. The zero value listens on 0.0.0.0:5060, UDP
// and TCP.
type Options struct {
	// Listen is the address to serve when Conn is nil: UDP, and TCP on the
	// same port (with port 0, a port free for both).
	Listen netip.AddrPort
	// Conn, when set, is the UDP socket to serve instead (an in-memory one
	// in tests). Run closes it when it returns.
	Conn net.PacketConn
	// Listener, with Conn, is the TCP listener to serve (nil: the UA
	// takes no TCP connections, but still opens them to servers of lines
	// whose profile says tcp). Run closes it when it returns.
	Listener net.Listener
	// Dial opens TCP connections to servers; a net.Dialer from the
	// socket's address when nil (tests pass an in-memory one).
	Dial func(ctx context.Context, to netip.AddrPort) (net.Conn, error)
	// Advertise is the address written into Via and Contact. Default: the
	// socket's address, or when that is unspecified (0.0.0.0) the source
	// address the kernel picks towards each server.
	Advertise netip.AddrPort
	// UserAgent is the User-Agent header; "OpenIAD" when empty.
	UserAgent string
	// Log receives the UA's logs; discarded when nil. Passwords and digest
	// credentials are never logged.
	Log *slog.Logger
	// Resolver does DNS (SRV, A/AAAA); net.DefaultResolver when nil.
	Resolver Resolver
	// Rand returns numbers in [0,1) for back-off jitter; math/rand/v2 when nil.
	Rand func() float64
	// Unregister bounds the un-REGISTER of every line when Run stops; 2 s.
	Unregister time.Duration
}

// UA is the SIP user agent of the box: one UDP socket and one TCP
// listener (same port) shared by every line, and a TCP connection per
// server that TCP lines use.
// Create it with New, add lines with AddLine, and serve with Run.
type UA struct {
	o     Options
	log   *slog.Logger
	sua   *sipgo.UserAgent
	txl   *sip.TransactionLayer
	tpl   *sip.TransportLayer
	conn  net.PacketConn
	tcp   *streams
	local netip.AddrPort // the socket's own address
	laddr sip.Addr       // the same for sipgo's connection lookup
	res   Resolver
	rnd   func() float64
	// parser checks datagrams in readFilter (sipgo's read goroutine only)
	parser *sip.Parser

	started chan struct{} // closed by Run once serving
	stop    chan struct{} // closed when Run begins to shut down
	wg      sync.WaitGroup

	mu      sync.Mutex
	ctx     context.Context
	running bool
	closed  bool
	lines   map[int]*Line
	calls   map[string]*Call // by dialog key, see dialogKey
	srcs    map[netip.Addr]netip.Addr
}

// New opens the socket (unless Options.Conn is given) and prepares the
// SIP stack. Nothing is sent before Run.
func New(o Options) (*UA, error) {
	u := &UA{
		o:       o,
		log:     o.Log,
		res:     o.Resolver,
		rnd:     o.Rand,
		started: make(chan struct{}),
		stop:    make(chan struct{}),
		lines:   make(map[int]*Line),
		calls:   make(map[string]*Call),
		srcs:    make(map[netip.Addr]netip.Addr),
	}
	if u.log == nil {
		u.log = slog.New(slog.DiscardHandler)
	}
	u.parser = sip.NewParser()
	if u.res == nil {
		u.res = net.DefaultResolver
	}
	if u.rnd == nil {
		u.rnd = rand.Float64
	}
	u.o.UserAgent = cmp.Or(o.UserAgent, "OpenIAD")
	u.o.Unregister = cmp.Or(o.Unregister, 2*time.Second)
	u.conn = o.Conn
	ln := o.Listener
	if u.conn == nil {
		var err error
		if u.conn, ln, err = listen(o.Listen); err != nil {
			return nil, err
		}
	}
	la, err := netip.ParseAddrPort(u.conn.LocalAddr().String())
	if err != nil {
		return nil, fmt.Errorf("ua: local address %q: %w", u.conn.LocalAddr(), err)
	}
	u.local = netip.AddrPortFrom(la.Addr().Unmap(), la.Port())
	u.laddr = sip.Addr{IP: net.IP(la.Addr().AsSlice()), Port: int(la.Port()), Hostname: la.Addr().String()}
	u.tcp = newStreams(u, ln, o.Dial)

	quiet := slog.New(levelFilter{u.log.Handler(), slog.LevelWarn}).With("component", "sipgo")
	u.sua, err = sipgo.NewUA(
		sipgo.WithUserAgent(u.o.UserAgent),
		sipgo.WithUserAgentDNSResolver(net.DefaultResolver),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(quiet),
			sip.WithTransactionLayerUnhandledResponseHandler(u.strayResponse),
			sip.WithTransactionLayerTerminateOnConnClose(), // a request on a dropped connection fails at once
		),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(quiet), sip.WithTransportLayerReadFilter(u.readFilter),
			// after the read filter: the transport copies it when set
			sip.WithTransportLayerTransports(sip.TransportsConfig{TCP: &sip.TransportTCP{DialerCreate: refuseDial}})),
	)
	if err != nil {
		u.conn.Close()
		if ln != nil {
			ln.Close()
		}
		return nil, fmt.Errorf("ua: sipgo: %w", err)
	}
	u.txl = u.sua.TransactionLayer()
	u.tpl = u.sua.TransportLayer()
	u.txl.OnRequest(u.onRequest)
	return u, nil
}

// Addr is the local address of the UA's socket.
func (u *UA) Addr() netip.AddrPort { return u.local }

// listen opens the UDP socket and the TCP listener on the same port of
// addr (0.0.0.0:5060 when invalid). With port 0 it tries a few ports the
// kernel picks for UDP until TCP gets the same one.
func listen(addr netip.AddrPort) (net.PacketConn, net.Listener, error) {
	if !addr.IsValid() {
		addr = netip.AddrPortFrom(netip.IPv4Unspecified(), defaultPort)
	}
	var lastErr error
	for range 8 {
		c, err := net.ListenPacket("udp", addr.String())
		if err != nil {
			return nil, nil, fmt.Errorf("ua: listen %s: %w", addr, err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", netip.AddrPortFrom(addr.Addr(), uint16(port)).String())
		if err == nil {
			return c, ln, nil
		}
		c.Close()
		lastErr = err
		if addr.Port() != 0 {
			break
		}
	}
	return nil, nil, fmt.Errorf("ua: listen tcp %s: %w", addr, lastErr)
}

// Run serves SIP until ctx ends, then unregisters every line (bounded by
// Options.Unregister), ends the calls, closes the socket and returns. Call
// it once.
func (u *UA) Run(ctx context.Context) error {
	u.mu.Lock()
	if u.running || u.closed {
		u.mu.Unlock()
		return fmt.Errorf("ua: Run called twice: %w", errClosed)
	}
	u.running = true
	u.ctx = ctx
	u.mu.Unlock()

	served := make(chan error, 1)
	rc := &readyConn{PacketConn: u.conn, ready: make(chan struct{})}
	go func() { served <- u.tpl.ServeUDP(rc) }()
	select { // sipgo knows the socket once it reads from it
	case <-rc.ready:
	case err := <-served:
		close(u.stop)
		u.tcp.close()
		return fmt.Errorf("ua: serve: %w", err)
	}
	u.tcp.serve(u.tpl)
	close(u.started)
	u.log.Info("sip: serving", "addr", u.local, "tcp", u.tcp.ln != nil)

	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("ua: serve: %w", err)
	}
	close(u.stop)
	u.mu.Lock()
	u.closed = true
	lines := make([]*Line, 0, len(u.lines))
	for _, l := range u.lines {
		lines = append(lines, l)
	}
	calls := make([]*Call, 0, len(u.calls))
	for _, c := range u.calls {
		calls = append(calls, c)
	}
	u.mu.Unlock()
	for _, c := range calls {
		c.shutdown()
	}
	for _, l := range lines {
		<-l.done
	}
	for _, c := range calls {
		<-c.done
	}
	u.tcp.close()
	u.wg.Wait()
	// Stop taking datagrams, then give the ones sipgo is still handling a
	// moment: a request handled after the socket is gone would make sipgo
	// open a socket of its own to answer it.
	rc.drop.Store(true)
	time.Sleep(shutdownGrace)
	u.conn.Close()
	if err == nil {
		<-served
	}
	u.sua.Close()
	u.log.Info("sip: stopped")
	return err
}

// readyConn tells when sipgo's transport starts reading: by then the socket
// is in its connection pool and requests can leave from it.
// Once drop is set it swallows whatever arrives until the socket closes.
type readyConn struct {
	net.PacketConn
	ready chan struct{}
	once  sync.Once
	drop  atomic.Bool
}

func (c *readyConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.once.Do(func() { close(c.ready) })
	for {
		n, a, err := c.PacketConn.ReadFrom(b)
		if err != nil || !c.drop.Load() {
			return n, a, err
		}
	}
}

// shutdownGrace lets datagrams already read be handled before the socket
// closes.
const shutdownGrace = 50 * time.Millisecond

// stopping is closed when the UA shuts down.
func (u *UA) stopping() <-chan struct{} { return u.stop }

// go runs f as a tracked goroutine that Run waits for.
func (u *UA) goTracked(f func()) {
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		f()
	}()
}

// sentBy is the address we put in Via and Contact for traffic to dst over
// tr: our UDP port, or the TCP listener's.
func (u *UA) sentBy(dst netip.AddrPort, tr string) netip.AddrPort {
	if u.o.Advertise.IsValid() {
		return u.o.Advertise
	}
	port := u.local.Port()
	if tr == trTCP {
		port = u.tcp.port
	}
	if !u.local.Addr().IsUnspecified() {
		return netip.AddrPortFrom(u.local.Addr(), port)
	}
	u.mu.Lock()
	src, ok := u.srcs[dst.Addr()]
	u.mu.Unlock()
	if !ok {
		src = u.local.Addr()
		if c, err := net.Dial("udp", dst.String()); err == nil { // no packet is sent
			if a, err := netip.ParseAddrPort(c.LocalAddr().String()); err == nil {
				src = a.Addr().Unmap()
			}
			c.Close()
		}
		u.mu.Lock()
		u.srcs[dst.Addr()] = src
		u.mu.Unlock()
	}
	return netip.AddrPortFrom(src, port)
}

// newRequest starts a request to dst over tr (trUDP, trTCP): Via (new
// branch, rport) and Max-Forwards; the caller adds the rest and calls
// finish.
func (u *UA) newRequest(method sip.RequestMethod, ruri sip.Uri, dst netip.AddrPort, tr string) *sip.Request {
	req := sip.NewRequest(method, ruri)
	sb := u.sentBy(dst, tr)
	via := &sip.ViaHeader{
		ProtocolName:    "SIP",
		ProtocolVersion: "2.0",
		Transport:       tr,
		Host:            sb.Addr().String(),
		Port:            int(sb.Port()),
		Params:          sip.NewParams(),
	}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	req.AppendHeader(via)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.SetTransport(tr)
	req.SetDestination(dst.String())
	if tr == trUDP {
		req.Laddr = u.laddr // from our socket; over TCP sipgo finds the connection by dst
	}
	return req
}

// connectFor opens (or finds) the TCP connection a request needs before
// sipgo sends it; nothing to do for UDP.
func (u *UA) connectFor(req *sip.Request, timeout time.Duration) error {
	if req.Transport() != trTCP {
		return nil
	}
	dst, err := netip.ParseAddrPort(req.Destination())
	if err != nil {
		return fmt.Errorf("ua: send %s to %q: %w", req.Method, req.Destination(), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(timeout, connectTimeout))
	defer cancel()
	if _, err := u.tcp.connect(ctx, netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())); err != nil {
		return fmt.Errorf("ua: send %s: %w", req.Method, err)
	}
	return nil
}

// connLost tells the lines that the connection to a server ended.
func (u *UA) connLost(a netip.AddrPort) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, l := range u.lines {
		if l.prof.Transport != "tcp" {
			continue
		}
		select {
		case l.drops <- a:
		default: // already told, not yet handled
		}
	}
}

// finish adds User-Agent and the body (Content-Length even when empty).
func (u *UA) finish(req *sip.Request, ctype string, body []byte) {
	req.AppendHeader(sip.NewHeader("User-Agent", u.o.UserAgent))
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
	}
	req.SetBody(body)
}

// txEvent is what a client transaction reports to the goroutine that owns
// the request: every response, or how it ended without a final one.
type txEvent struct {
	ref any // the owner's handle for the request
	req *sip.Request
	res *sip.Response
	err error
}

// start sends req in a client transaction and forwards its responses to
// inbox until the final one. timeout > 0 gives up earlier than Timer B/F.
// Forwarding stops (and the transaction ends) when quit closes.
func (u *UA) start(req *sip.Request, timeout time.Duration, ref any, inbox chan<- txEvent, quit <-chan struct{}) (sip.ClientTransaction, error) {
	if err := u.connectFor(req, timeout); err != nil {
		return nil, err
	}
	tx, err := u.txl.Request(context.Background(), req)
	if err != nil {
		return nil, fmt.Errorf("ua: send %s: %w", req.Method, err)
	}
	u.goTracked(func() {
		var tmo <-chan time.Time
		if timeout > 0 {
			t := time.NewTimer(timeout)
			defer t.Stop()
			tmo = t.C
		}
		deliver := func(ev txEvent) bool {
			if inbox == nil {
				return true
			}
			select {
			case inbox <- ev:
				return true
			case <-quit:
				return false
			}
		}
		for {
			select {
			case res := <-tx.Responses():
				if !deliver(txEvent{ref: ref, req: req, res: res}) {
					tx.Terminate()
					return
				}
				if !res.IsProvisional() {
					return // the transaction absorbs retransmissions on its own timers
				}
				if req.IsInvite() {
					tmo = nil // provisional answers stop the clock for INVITE
				}
			case <-tx.Done():
				deliver(txEvent{ref: ref, req: req, err: cmp.Or(tx.Err(), sip.ErrTransactionTerminated)})
				return
			case <-tmo:
				tx.Terminate()
				deliver(txEvent{ref: ref, req: req, err: errTimeout})
				return
			case <-quit:
				tx.Terminate()
				return
			}
		}
	})
	return tx, nil
}

// writeRaw sends bytes straight to dst from the UA's socket (CRLF keep-alive).
func (u *UA) writeRaw(b []byte, dst netip.AddrPort) error {
	_, err := u.conn.WriteTo(b, net.UDPAddrFromAddrPort(dst))
	return err
}

// send writes a message without a transaction (ACK for 2xx).
func (u *UA) send(m sip.Message) error {
	if req, ok := m.(*sip.Request); ok {
		if err := u.connectFor(req, 0); err != nil {
			return err
		}
	}
	return u.tpl.WriteMsg(m)
}

func (u *UA) strayResponse(r *sip.Response) {
	u.log.Debug("sip: stray response", "status", r.StatusCode, "cseq", headerValue(r, "CSeq"))
}

// respond answers a server transaction, adding our standard headers.
func (u *UA) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) error {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	res.SipVersion = "SIP/2.0"
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	res.AppendHeader(sip.NewHeader("Server", u.o.UserAgent))
	if code == sip.StatusMethodNotAllowed || (code >= 200 && code < 300 && req.Method == sip.OPTIONS) {
		res.AppendHeader(sip.NewHeader("Allow", allowed))
	}
	return tx.Respond(res)
}

// allowed is our Allow header.
const allowed = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, PRACK, UPDATE, NOTIFY"

// onRequest is called by sipgo's transaction layer on its own goroutine for
// every new server transaction.
func (u *UA) onRequest(req *sip.Request, tx *sip.ServerTx) {
	if code, reason, hdrs := check(req); code != 0 {
		u.log.Debug("sip: request refused", "method", req.Method, "code", code, "reason", reason)
		if req.Method != sip.ACK {
			u.respond(tx, req, code, reason, hdrs...)
		}
		tx.TerminateGracefully()
		return
	}
	select {
	case <-u.stopping():
		if req.Method != sip.ACK {
			u.respond(tx, req, sip.StatusServiceUnavailable, "Shutting Down")
		}
		tx.TerminateGracefully()
		return
	default:
	}
	to := req.To()
	toTag, _ := to.Params.Get("tag")
	if toTag != "" {
		if c := u.findCall(req.CallID().Value(), toTag); c != nil {
			c.post(inDialog{req: req, tx: tx})
			return
		}
		if req.Method != sip.ACK {
			u.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		}
		tx.TerminateGracefully()
		return
	}
	switch req.Method {
	case sip.INVITE:
		u.incoming(req, tx)
		return
	case sip.OPTIONS:
		u.respond(tx, req, sip.StatusOK, "OK",
			sip.NewHeader("Accept", "application/sdp"),
			sip.NewHeader("Supported", "timer, 100rel"))
	case sip.NOTIFY:
		u.respond(tx, req, sip.StatusOK, "OK") // unsolicited (message waiting, check-sync): acknowledged, ignored
	case sip.ACK:
		// ACK of an INVITE we rejected was absorbed by the transaction; this one matches nothing.
	case sip.CANCEL, sip.BYE, sip.INFO, sip.PRACK, sip.UPDATE:
		u.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
	case sip.REGISTER, sip.SUBSCRIBE, sip.REFER, sip.MESSAGE, sip.PUBLISH:
		u.respond(tx, req, sip.StatusMethodNotAllowed, "Method Not Allowed")
	default:
		u.respond(tx, req, sip.StatusNotImplemented, "Not Implemented")
	}
	tx.TerminateGracefully()
}

// singleHeaders may appear once only (RFC 3261 §7.3.1, RFC 4475 multi01, mcl01).
var singleHeaders = []string{"Call-ID", "From", "To", "CSeq", "Max-Forwards", "Content-Length", "Content-Type"}

// check is what RFC 3261 §8.2 needs before we act on a request: the SIP
// version, the Request-URI scheme, the headers every request has (once),
// CSeq against the method, and the extensions it requires. It returns the
// status to refuse the request with, or 0.
func check(req *sip.Request) (int, string, []sip.Header) {
	switch {
	case req.SipVersion != "SIP/2.0":
		return sip.StatusVersionNotSupported, "Version Not Supported", nil
	case !knownScheme(req.Recipient.Scheme + ":"):
		return 416, "Unsupported URI Scheme", nil
	case req.From() == nil || req.To() == nil || req.CallID() == nil || req.CallID().Value() == "" || req.CSeq() == nil:
		return sip.StatusBadRequest, "Missing Required Header", nil
	case !strings.EqualFold(string(req.CSeq().MethodName), string(req.Method)):
		return sip.StatusBadRequest, "CSeq Method Mismatch", nil
	}
	for _, h := range singleHeaders {
		if len(req.GetHeaders(h)) > 1 {
			return sip.StatusBadRequest, "Duplicate " + h, nil
		}
	}
	if req.Method == sip.ACK || req.Method == sip.CANCEL {
		return 0, "", nil
	}
	var unsupported []string
	for _, t := range optionTags(req, "Require") {
		if t != "timer" && t != "100rel" {
			unsupported = append(unsupported, t)
		}
	}
	if len(unsupported) > 0 {
		return sip.StatusBadExtension, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", strings.Join(unsupported, ", "))}
	}
	return 0, "", nil
}

// dialogKey names a dialog by Call-ID and our tag, enough to tell every
// dialog of this UA apart (our tags are random).
func dialogKey(callID, localTag string) string { return callID + "\x00" + localTag }

func (u *UA) findCall(callID, localTag string) *Call {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[dialogKey(callID, localTag)]
}

func (u *UA) addCall(c *Call) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return errClosed
	}
	u.calls[c.key] = c
	return nil
}

func (u *UA) dropCall(c *Call) {
	u.mu.Lock()
	if u.calls[c.key] == c {
		delete(u.calls, c.key)
	}
	u.mu.Unlock()
}

// lineFor finds the line an incoming request is for: the "line" parameter
// of our Contact, else the user part of the Request-URI, else of To.
func (u *UA) lineFor(req *sip.Request) *Line {
	u.mu.Lock()
	defer u.mu.Unlock()
	if v, ok := req.Recipient.UriParams.Get("line"); ok {
		if id, err := strconv.Atoi(v); err == nil {
			if l := u.lines[id]; l != nil {
				return l
			}
		}
	}
	for _, user := range []string{req.Recipient.User, req.To().Address.User} {
		if user == "" {
			continue
		}
		for _, l := range u.lines {
			if l.acc.User == user {
				return l
			}
		}
	}
	return nil
}

func headerValue(m sip.Message, name string) string {
	if h := m.GetHeaders(name); len(h) > 0 {
		return h[0].Value()
	}
	return ""
}

// levelFilter drops records below min (sipgo is chatty at Info).
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

// isTimeout tells a transaction that died without an answer.
func isTimeout(err error) bool {
	return errors.Is(err, errTimeout) || errors.Is(err, sip.ErrTransactionTimeout) ||
		errors.Is(err, sip.ErrTransactionTransport)
}

// uriFor builds sip:user@host[:port].
func uriFor(user, host string, port int) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: strings.Trim(host, "[]"), Port: port}
}
