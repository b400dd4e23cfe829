package ua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"
)

// SIP over TCP. sipgo's TCP transport reads and writes every connection
// (framing, CRLF pongs, answering a request on the connection it came on),
// but it never learns of them by itself: all connections, the ones our
// listener accepts and the ones we open to servers, are handed to its Serve
// loop through feedListener, each wrapped in a streamConn that tells us when
// the connection ends (a dropped connection is a dead server) and when the
// server last sent something (the pong of a CRLF keep-alive). sipgo's own
// dialling is disabled (refuseDial): a request goes out only on a
// connection we opened, so that every one is watched.

// connectTimeout bounds opening a connection when the caller gives no
// timeout of its own.
const connectTimeout = 10 * time.Second

var errNoDial = errors.New("ua: sipgo may not dial; connections are opened by the UA")

// refuseDial is sipgo's dialler: it refuses, see above.
func refuseDial(net.Addr) net.Dialer {
	return net.Dialer{Control: func(string, string, syscall.RawConn) error { return errNoDial }}
}

// streams is the UA's TCP side.
type streams struct {
	u      *UA
	ln     net.Listener // nil: no listener (connections to servers only)
	port   uint16       // the listener's port (the UDP port when there is none)
	dial   func(ctx context.Context, to netip.AddrPort) (net.Conn, error)
	feed   chan handoff
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	conns   map[netip.AddrPort]*streamConn // newest live connection by remote address
	dialing map[netip.AddrPort]*dialWait
	all     map[*streamConn]bool
}

// handoff gives sipgo a connection; ready closes once sipgo has it in its pool.
type handoff struct {
	c     *streamConn
	ready chan struct{}
}

type dialWait struct {
	done chan struct{}
	c    *streamConn
	err  error
}

func newStreams(u *UA, ln net.Listener, dial func(context.Context, netip.AddrPort) (net.Conn, error)) *streams {
	s := &streams{
		u: u, ln: ln, dial: dial, port: u.local.Port(),
		feed:    make(chan handoff),
		closed:  make(chan struct{}),
		conns:   make(map[netip.AddrPort]*streamConn),
		dialing: make(map[netip.AddrPort]*dialWait),
		all:     make(map[*streamConn]bool),
	}
	if ln != nil {
		if a, err := netip.ParseAddrPort(ln.Addr().String()); err == nil {
			s.port = a.Port()
		}
	}
	if s.dial == nil {
		var local net.Addr
		if !u.local.Addr().IsUnspecified() {
			local = &net.TCPAddr{IP: net.IP(u.local.Addr().AsSlice())}
		}
		s.dial = func(ctx context.Context, to netip.AddrPort) (net.Conn, error) {
			d := net.Dialer{LocalAddr: local}
			return d.DialContext(ctx, "tcp", to.String())
		}
	}
	return s
}

// serve runs sipgo's TCP transport and our accept loop until close.
func (s *streams) serve(tpl *sip.TransportLayer) {
	s.u.goTracked(func() { tpl.ServeTCP(&feedListener{s: s}) })
	if s.ln == nil {
		return
	}
	s.u.goTracked(func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			sc := s.wrap(c)
			if sc == nil {
				return
			}
			select {
			case s.feed <- handoff{c: sc, ready: make(chan struct{})}:
			case <-s.closed:
				c.Close()
				return
			}
		}
	})
}

// close ends the transport: the listener, every connection, sipgo's loop.
func (s *streams) close() {
	s.once.Do(func() {
		close(s.closed)
		if s.ln != nil {
			s.ln.Close()
		}
	})
	s.mu.Lock()
	all := make([]*streamConn, 0, len(s.all))
	for c := range s.all {
		all = append(all, c)
	}
	s.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}

func (s *streams) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// wrap watches c; nil when the transport is closed.
func (s *streams) wrap(c net.Conn) *streamConn {
	ra, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	sc := &streamConn{Conn: c, s: s, remote: netip.AddrPortFrom(ra.Addr().Unmap(), ra.Port())}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		c.Close()
		return nil
	}
	s.conns[sc.remote] = sc
	s.all[sc] = true
	return sc
}

// get is the live connection to a, nil when there is none.
func (s *streams) get(a netip.AddrPort) *streamConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns[a]
}

// connect returns the connection to a, opening it (once, whoever asks at
// the same time) when there is none.
func (s *streams) connect(ctx context.Context, a netip.AddrPort) (*streamConn, error) {
	s.mu.Lock()
	if c := s.conns[a]; c != nil {
		s.mu.Unlock()
		return c, nil
	}
	if w := s.dialing[a]; w != nil {
		s.mu.Unlock()
		select {
		case <-w.done:
			return w.c, w.err
		case <-ctx.Done():
			return nil, fmt.Errorf("ua: connect %s: %w", a, ctx.Err())
		}
	}
	w := &dialWait{done: make(chan struct{})}
	s.dialing[a] = w
	s.mu.Unlock()

	w.c, w.err = s.open(ctx, a)
	s.mu.Lock()
	delete(s.dialing, a)
	s.mu.Unlock()
	close(w.done)
	return w.c, w.err
}

func (s *streams) open(ctx context.Context, a netip.AddrPort) (*streamConn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	nc, err := s.dial(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("ua: connect %s: %w", a, err)
	}
	sc := s.wrap(nc)
	if sc == nil {
		return nil, fmt.Errorf("ua: connect %s: %w", a, errClosed)
	}
	h := handoff{c: sc, ready: make(chan struct{})}
	select {
	case s.feed <- h:
	case <-s.closed:
		return nil, fmt.Errorf("ua: connect %s: %w", a, errClosed)
	}
	select { // sipgo's loop is quick: no ctx here, or the connection would be half set up
	case <-h.ready:
	case <-s.closed:
		return nil, fmt.Errorf("ua: connect %s: %w", a, errClosed)
	}
	s.u.log.Debug("sip: connected", "server", a, "local", nc.LocalAddr())
	return sc, nil
}

// lost is called once per connection when it ends.
func (s *streams) lost(c *streamConn) {
	s.mu.Lock()
	if s.conns[c.remote] == c {
		delete(s.conns, c.remote)
	}
	delete(s.all, c)
	s.mu.Unlock()
	if s.isClosed() {
		return
	}
	s.u.log.Info("sip: connection closed", "remote", c.remote)
	s.u.connLost(c.remote)
}

// feedListener is the net.Listener sipgo's TCP transport serves: it
// returns the connections handed over. sipgo calls Accept again only after
// it has set the previous connection up, which is when the handoff is ready.
type feedListener struct {
	s       *streams
	pending chan struct{} // sipgo's Serve goroutine only
}

func (l *feedListener) Accept() (net.Conn, error) {
	if l.pending != nil {
		close(l.pending)
		l.pending = nil
	}
	select {
	case h := <-l.s.feed:
		l.pending = h.ready
		return h.c, nil
	case <-l.s.closed:
		return nil, net.ErrClosed
	}
}

func (l *feedListener) Close() error { return nil }

func (l *feedListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IP(l.s.u.local.Addr().AsSlice()), Port: int(l.s.port)}
}

// streamConn is one TCP connection as sipgo sees it, watched by us.
type streamConn struct {
	net.Conn
	s      *streams
	remote netip.AddrPort
	reads  atomic.Uint64 // reads that returned data
	once   sync.Once
}

func (c *streamConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.reads.Add(1)
	}
	if err != nil {
		c.once.Do(func() { c.s.lost(c) })
	}
	return n, err
}

func (c *streamConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.s.lost(c) })
	return err
}

// heard counts the reads with data so far: compare two values to tell
// whether the far end said anything in between.
func (c *streamConn) heard() uint64 { return c.reads.Load() }
