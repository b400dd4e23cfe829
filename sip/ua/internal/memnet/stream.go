package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Streams: a Listener accepts the connections Dial opens to its address.
// A connection carries ordered bytes both ways through channels (a write of
// up to streamQueue chunks never blocks), and a read sees io.EOF once the
// peer has closed and everything it wrote has been read, like TCP.

const streamQueue = 64

// ListenStream opens a stream listener at addr.
func (n *Network) ListenStream(addr netip.AddrPort) (*Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lns == nil {
		n.lns = make(map[netip.AddrPort]*Listener)
	}
	if _, ok := n.lns[addr]; ok {
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: errors.New("memnet: address in use")}
	}
	l := &Listener{n: n, addr: addr, in: make(chan *StreamConn, 16), closed: make(chan struct{})}
	n.lns[addr] = l
	return l, nil
}

// MustListenStream is ListenStream that panics on error (test set-up).
func (n *Network) MustListenStream(addr string) *Listener {
	l, err := n.ListenStream(netip.MustParseAddrPort(addr))
	if err != nil {
		panic(err)
	}
	return l
}

// SetStreamFilter installs f, called for every write on a stream; a false
// result swallows the bytes (a peer that stops answering while its
// connection stays up). nil removes the filter.
func (n *Network) SetStreamFilter(f func(p Packet) bool) {
	n.mu.Lock()
	n.sfilter = f
	n.mu.Unlock()
}

// TapStream adds an observer called with every write delivered on a stream.
func (n *Network) TapStream(f func(p Packet)) {
	n.mu.Lock()
	n.stap = append(n.stap, f)
	n.mu.Unlock()
}

// Dial opens a stream from an ephemeral port of from to the listener at to.
// It fails with ECONNREFUSED when nobody listens there.
func (n *Network) Dial(ctx context.Context, from netip.Addr, to netip.AddrPort) (*StreamConn, error) {
	n.mu.Lock()
	l := n.lns[to]
	n.eph++
	local := netip.AddrPortFrom(from, 40000+n.eph%20000)
	n.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(to), Err: syscall.ECONNREFUSED}
	if l == nil {
		return nil, refused
	}
	a := &StreamConn{n: n, local: local, remote: to, in: make(chan []byte, streamQueue), closed: make(chan struct{})}
	b := &StreamConn{n: n, local: to, remote: local, in: make(chan []byte, streamQueue), closed: make(chan struct{})}
	a.peer, b.peer = b, a
	select {
	case l.in <- b:
		l.mu.Lock()
		l.conns = append(l.conns, b)
		l.mu.Unlock()
		return a, nil
	case <-l.closed:
		return nil, refused
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Listener is a stream listener; it implements net.Listener.
type Listener struct {
	n      *Network
	addr   netip.AddrPort
	in     chan *StreamConn
	once   sync.Once
	closed chan struct{}
	mu     sync.Mutex
	conns  []*StreamConn // accepted (or queued) server ends
}

// Accept implements net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.in:
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	}
}

// Close implements net.Listener: no new connections; those accepted stay.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.n.mu.Lock()
		if l.n.lns[l.addr] == l {
			delete(l.n.lns, l.addr)
		}
		l.n.mu.Unlock()
	})
	return nil
}

// Drop closes every connection the listener took, as a server that crashes
// or restarts does; the peers read io.EOF.
func (l *Listener) Drop() {
	l.mu.Lock()
	cs := l.conns
	l.conns = nil
	l.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

// Conns is how many connections the listener has taken.
func (l *Listener) Conns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Addr implements net.Listener.
func (l *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(l.addr) }

// StreamConn is one end of a stream; it implements net.Conn.
type StreamConn struct {
	n             *Network
	local, remote netip.AddrPort
	in            chan []byte // what the peer wrote
	rest          []byte      // read from in, not yet returned (Read's goroutine only)
	peer          *StreamConn
	once          sync.Once
	closed        chan struct{}
}

// Read implements net.Conn.
func (c *StreamConn) Read(b []byte) (int, error) {
	if len(c.rest) == 0 {
		select {
		case d := <-c.in:
			c.rest = d
		case <-c.closed:
			return 0, &net.OpError{Op: "read", Net: "tcp", Addr: c.LocalAddr(), Err: net.ErrClosed}
		case <-c.peer.closed:
			select {
			case d := <-c.in:
				c.rest = d
			default:
				return 0, io.EOF
			}
		}
	}
	n := copy(b, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

// Write implements net.Conn.
func (c *StreamConn) Write(b []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, &net.OpError{Op: "write", Net: "tcp", Addr: c.LocalAddr(), Err: net.ErrClosed}
	case <-c.peer.closed:
		return 0, &net.OpError{Op: "write", Net: "tcp", Addr: c.RemoteAddr(), Err: syscall.EPIPE}
	default:
	}
	p := Packet{From: c.local, To: c.remote, Data: append([]byte(nil), b...)}
	c.n.mu.Lock()
	f, taps := c.n.sfilter, c.n.stap
	c.n.mu.Unlock()
	if f != nil && !f(p) {
		return len(b), nil
	}
	for _, t := range taps {
		t(p)
	}
	select {
	case c.peer.in <- p.Data:
		return len(b), nil
	case <-c.peer.closed:
		return 0, &net.OpError{Op: "write", Net: "tcp", Addr: c.RemoteAddr(), Err: syscall.EPIPE}
	case <-c.closed:
		return 0, &net.OpError{Op: "write", Net: "tcp", Addr: c.LocalAddr(), Err: net.ErrClosed}
	}
}

// Close implements net.Conn.
func (c *StreamConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// LocalAddr implements net.Conn.
func (c *StreamConn) LocalAddr() net.Addr { return net.TCPAddrFromAddrPort(c.local) }

// RemoteAddr implements net.Conn.
func (c *StreamConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(c.remote) }

// SetDeadline implements net.Conn; deadlines are not supported and a
// non-zero one is an error.
func (c *StreamConn) SetDeadline(t time.Time) error { return deadline(t) }

// SetReadDeadline implements net.Conn (see SetDeadline).
func (c *StreamConn) SetReadDeadline(t time.Time) error { return deadline(t) }

// SetWriteDeadline implements net.Conn (see SetDeadline).
func (c *StreamConn) SetWriteDeadline(t time.Time) error { return deadline(t) }
