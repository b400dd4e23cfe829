package ua

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

func TestMain(m *testing.M) {
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

// testLog is the UA log of a test: shown with -v on failure only.
func testLog(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// startUA runs a UA on conn until the test's end (stop is also returned to
// end it earlier, e.g. to check the un-REGISTER).
func startUA(t *testing.T, conn *memnet.Conn, o Options) (*UA, func()) {
	t.Helper()
	o.Conn = conn
	if o.Log == nil {
		o.Log = testLog(t)
	}
	u, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return u, stop
}

// waitReg waits (fake time) until the line reaches status, or fails after d.
func waitReg(t *testing.T, l *Line, status RegStatus, d time.Duration) RegState {
	t.Helper()
	tm := time.NewTimer(d)
	defer tm.Stop()
	for {
		if s := l.Registration(); s.Status == status {
			return s
		}
		select {
		case <-l.RegChanges():
		case <-tm.C:
			t.Fatalf("line %d: no %v within %v; state %+v", l.id, status, d, l.Registration())
			return RegState{}
		}
	}
}

// registrar is an in-process registrar on sipgo with digest auth.
type registrar struct {
	t       *testing.T
	conn    *memnet.Conn
	sua     *sipgo.UserAgent
	srv     *sipgo.Server
	realm   string
	users   map[string]string
	algs    []string      // challenges offered, in order
	max     time.Duration // longest binding granted
	minExp  time.Duration // 423 below this
	nonceNo int

	mu       sync.Mutex
	nonces   map[string]bool
	bindings map[string]binding // by contact host:port
	regs     []regSeen
	options  int
	// hook, when set, may answer a request itself: it returns the status to
	// send (0 = handle normally, -1 = drop silently).
	hook func(req *sip.Request) int
}

type binding struct {
	contact sip.Uri
	until   time.Time
}

type regSeen struct {
	at      time.Time
	expires int    // asked (Expires header)
	authed  bool   // credentials checked out
	alg     string // algorithm of the credentials
	status  int
	contact string
	source  string
	tr      string // transport the REGISTER came over
}

func newRegistrar(t *testing.T, conn *memnet.Conn, users map[string]string, algs ...string) *registrar {
	t.Helper()
	if len(algs) == 0 {
		algs = []string{"MD5"}
	}
	r := &registrar{
		t: t, conn: conn, realm: "openiad.test", users: users, algs: algs,
		max: time.Hour, nonces: map[string]bool{}, bindings: map[string]binding{},
	}
	sua, err := sipgo.NewUA(sipgo.WithUserAgent("test-registrar"))
	if err != nil {
		t.Fatal(err)
	}
	r.sua = sua
	srv, err := sipgo.NewServer(sua)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = srv
	srv.OnRegister(r.onRegister)
	srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		r.mu.Lock()
		r.options++
		h := r.hook
		r.mu.Unlock()
		if h != nil {
			if code := h(req); code == -1 {
				return
			} else if code > 0 {
				tx.Respond(sip.NewResponseFromRequest(req, code, "Hooked", nil))
				return
			}
		}
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	})
	done := make(chan struct{})
	go func() {
		srv.ServeUDP(conn)
		close(done)
	}()
	<-conn.Reading()
	t.Cleanup(func() {
		synctest.Wait()
		conn.Close()
		<-done
		sua.Close()
	})
	return r
}

// serveStream makes the registrar take SIP over TCP too, on ln.
func (r *registrar) serveStream(ln *memnet.Listener) {
	done := make(chan struct{})
	go func() {
		r.srv.ServeTCP(ln)
		close(done)
	}()
	r.t.Cleanup(func() {
		ln.Close()
		ln.Drop()
		<-done
	})
}

func (r *registrar) setHook(h func(req *sip.Request) int) {
	r.mu.Lock()
	r.hook = h
	r.mu.Unlock()
}

func (r *registrar) seen() []regSeen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]regSeen(nil), r.regs...)
}

func (r *registrar) binding(user string) (binding, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bindings {
		if b.contact.User == user && time.Now().Before(b.until) {
			return b, true
		}
	}
	return binding{}, false
}

func (r *registrar) challenge(req *sip.Request, tx sip.ServerTransaction, stale bool) {
	res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
	for _, alg := range r.algs {
		r.nonceNo++
		n := fmt.Sprintf("n%d-%s", r.nonceNo, alg)
		r.nonces[n] = true
		c := digest.Challenge{Realm: r.realm, Nonce: n, Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", c.String()))
	}
	tx.Respond(res)
}

// check verifies the Authorization of req.
func (r *registrar) check(req *sip.Request) (alg string, ok, stale bool) {
	h := req.GetHeader("Authorization")
	if h == nil {
		return "", false, false
	}
	cr, err := digest.ParseCredentials(h.Value())
	if err != nil {
		return "", false, false
	}
	pw, known := r.users[cr.Username]
	if !known || cr.URI != req.Recipient.String() || cr.Realm != r.realm {
		return cr.Algorithm, false, false
	}
	if !r.nonces[cr.Nonce] {
		return cr.Algorithm, false, true
	}
	want, err := digest.Digest(&digest.Challenge{Realm: r.realm, Nonce: cr.Nonce, Algorithm: cr.Algorithm, QOP: []string{"auth"}},
		digest.Options{Method: string(req.Method), URI: cr.URI, Username: cr.Username, Password: pw, Cnonce: cr.Cnonce, Count: cr.Nc})
	if err != nil {
		return cr.Algorithm, false, false
	}
	return cr.Algorithm, want.Response == cr.Response, false
}

func (r *registrar) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := regSeen{at: time.Now(), expires: -1, source: req.Source(), tr: req.Transport()}
	if v := req.GetHeader("Expires"); v != nil {
		s.expires, _ = strconv.Atoi(v.Value())
	}
	if c := req.Contact(); c != nil {
		s.contact = c.Address.String()
	}
	if r.hook != nil {
		if code := r.hook(req); code != 0 {
			s.status = code
			r.regs = append(r.regs, s)
			if code > 0 {
				res := sip.NewResponseFromRequest(req, code, "Hooked", nil)
				if code == 503 {
					res.AppendHeader(sip.NewHeader("Retry-After", "120"))
				}
				tx.Respond(res)
			}
			return
		}
	}
	alg, ok, stale := r.check(req)
	s.alg, s.authed = alg, ok
	if !ok {
		s.status = 401
		r.regs = append(r.regs, s)
		r.challenge(req, tx, stale)
		return
	}
	if s.expires > 0 && r.minExp > 0 && time.Duration(s.expires)*time.Second < r.minExp {
		s.status = 423
		r.regs = append(r.regs, s)
		res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(int(r.minExp/time.Second))))
		tx.Respond(res)
		return
	}
	s.status = 200
	r.regs = append(r.regs, s)
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, h := range req.GetHeaders("Contact") {
		c := h.(*sip.ContactHeader)
		exp := s.expires
		if v, ok := c.Params.Get("expires"); ok {
			exp, _ = strconv.Atoi(v)
		}
		exp = min(exp, int(r.max/time.Second))
		key := c.Address.HostPort()
		if exp == 0 {
			delete(r.bindings, key)
			continue
		}
		r.bindings[key] = binding{contact: c.Address, until: time.Now().Add(time.Duration(exp) * time.Second)}
	}
	for _, b := range r.bindings {
		ch := &sip.ContactHeader{Address: b.contact, Params: sip.NewParams()}
		ch.Params.Add("expires", strconv.Itoa(int(time.Until(b.until)/time.Second)))
		res.AppendHeader(ch)
	}
	tx.Respond(res)
}

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func slogTo(b *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func udpAddr(s string) net.Addr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

// advance lets d pass on the fake clock of a synctest bubble (every other
// goroutine runs until it blocks first). Only for synctest tests.
func advance(d time.Duration) { <-time.After(d) }
