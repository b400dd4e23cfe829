// Package memnet is an in-memory datagram network for tests: net.PacketConn
// endpoints that exchange packets through channels, so SIP stacks can talk to
// each other inside a testing/synctest bubble (no sockets, fake time). It
// also carries streams (stream.go): listeners and connections that behave
// like TCP (ordered bytes, EOF when the peer closes), for SIP over TCP.
//
// A Network is safe for use by any goroutine. Packets are copied on write and
// dropped when the receiver's queue is full, like UDP. Filters can drop or
// observe packets (dead servers, lost messages), and an endpoint can be put
// behind a simulated NAT so that its packets appear to come from a public
// address.
package memnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// queueLen is how many packets an endpoint holds before it drops more.
const queueLen = 256

var errNoAddr = errors.New("memnet: address is not a UDP address")

// Packet is one datagram as the network saw it.
type Packet struct {
	From, To netip.AddrPort // From is the address the receiver sees (after NAT)
	Data     []byte
}

// Network connects endpoints by address.
type Network struct {
	mu     sync.Mutex
	conns  map[netip.AddrPort]*Conn // by local and by public address
	filter func(p Packet) bool
	taps   []func(p Packet)
	// stream side (stream.go)
	lns     map[netip.AddrPort]*Listener
	sfilter func(p Packet) bool
	stap    []func(p Packet)
	eph     uint16
}

// New returns an empty network.
func New() *Network {
	return &Network{conns: make(map[netip.AddrPort]*Conn)}
}

// Listen opens an endpoint at addr.
func (n *Network) Listen(addr netip.AddrPort) (*Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.conns[addr]; ok {
		return nil, &net.OpError{Op: "listen", Net: "udp", Addr: net.UDPAddrFromAddrPort(addr), Err: errors.New("memnet: address in use")}
	}
	c := &Conn{n: n, addr: addr, in: make(chan Packet, queueLen), closed: make(chan struct{}), ready: make(chan struct{})}
	n.conns[addr] = c
	return c, nil
}

// MustListen is Listen that panics on error (test set-up).
func (n *Network) MustListen(addr string) *Conn {
	c, err := n.Listen(netip.MustParseAddrPort(addr))
	if err != nil {
		panic(err)
	}
	return c
}

// SetFilter installs f, called for every packet; a false result drops the
// packet. nil removes the filter.
func (n *Network) SetFilter(f func(p Packet) bool) {
	n.mu.Lock()
	n.filter = f
	n.mu.Unlock()
}

// Tap adds an observer called with every packet that is delivered.
func (n *Network) Tap(f func(p Packet)) {
	n.mu.Lock()
	n.taps = append(n.taps, f)
	n.mu.Unlock()
}

// Conn is one endpoint. It implements net.PacketConn.
type Conn struct {
	n      *Network
	addr   netip.AddrPort
	public netip.AddrPort // zero: not behind NAT
	in     chan Packet
	once   sync.Once
	closed chan struct{}
	rd     sync.Once
	ready  chan struct{} // closed by the first ReadFrom
}

// Reading is closed once something reads from the endpoint: a SIP stack
// serving it is ready.
func (c *Conn) Reading() <-chan struct{} { return c.ready }

// SetPublic puts the endpoint behind a NAT: its packets appear to come from
// pub, and packets sent to pub reach it.
func (c *Conn) SetPublic(pub netip.AddrPort) {
	c.n.mu.Lock()
	defer c.n.mu.Unlock()
	if c.public.IsValid() {
		delete(c.n.conns, c.public)
	}
	c.public = pub
	c.n.conns[pub] = c
}

// ReadFrom implements net.PacketConn.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.rd.Do(func() { close(c.ready) })
	select {
	case p := <-c.in:
		return copy(b, p.Data), net.UDPAddrFromAddrPort(p.From), nil
	case <-c.closed:
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Addr: c.LocalAddr(), Err: net.ErrClosed}
	}
}

// WriteTo implements net.PacketConn. Writing to an address nobody listens on
// succeeds and the packet is lost, as with UDP.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	select {
	case <-c.closed:
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: c.LocalAddr(), Err: net.ErrClosed}
	default:
	}
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, &net.OpError{Op: "write", Net: "udp", Addr: addr, Err: errNoAddr}
	}
	to := ua.AddrPort()
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	from := c.addr
	n := c.n
	n.mu.Lock()
	if c.public.IsValid() {
		from = c.public
	}
	p := Packet{From: from, To: to, Data: append([]byte(nil), b...)}
	dst := n.conns[to]
	f := n.filter
	taps := n.taps
	n.mu.Unlock()
	if f != nil && !f(p) {
		return len(b), nil
	}
	if dst == nil {
		return len(b), nil
	}
	for _, t := range taps {
		t(p)
	}
	select {
	case dst.in <- p:
	case <-dst.closed:
	default: // queue full: lost
	}
	return len(b), nil
}

// Close implements net.PacketConn.
func (c *Conn) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.n.mu.Lock()
		if c.n.conns[c.addr] == c {
			delete(c.n.conns, c.addr)
		}
		if c.public.IsValid() && c.n.conns[c.public] == c {
			delete(c.n.conns, c.public)
		}
		c.n.mu.Unlock()
	})
	return nil
}

// LocalAddr implements net.PacketConn.
func (c *Conn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.addr) }

// AddrPort is the endpoint's own address.
func (c *Conn) AddrPort() netip.AddrPort { return c.addr }

// SetDeadline implements net.PacketConn; deadlines are not supported and a
// non-zero one is an error.
func (c *Conn) SetDeadline(t time.Time) error { return deadline(t) }

// SetReadDeadline implements net.PacketConn (see SetDeadline).
func (c *Conn) SetReadDeadline(t time.Time) error { return deadline(t) }

// SetWriteDeadline implements net.PacketConn (see SetDeadline).
func (c *Conn) SetWriteDeadline(t time.Time) error { return deadline(t) }

func deadline(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	return os.ErrNoDeadline
}
