package media

import (
	"bytes"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/pion/rtp"
)

// memNet is an in-memory UDP network for tests inside testing/synctest
// bubbles: a read blocks on a channel (durably, so fake time advances),
// and a hook can drop, delay or rewrite each datagram.
type memNet struct {
	mu    sync.Mutex
	conns map[netip.AddrPort]*memConn
	hook  func(d *datagram) (copies int, delay time.Duration)
	wire  []datagram // everything written, in order
}

type datagram struct {
	at       time.Time
	from, to netip.AddrPort
	b        []byte
}

type memConn struct {
	net  *memNet
	addr netip.AddrPort
	in   chan datagram
	done chan struct{}
	once sync.Once
}

func newMemNet() *memNet { return &memNet{conns: map[netip.AddrPort]*memConn{}} }

func (n *memNet) listen(a netip.AddrPort) *memConn {
	c := &memConn{net: n, addr: a, in: make(chan datagram, 256), done: make(chan struct{})}
	n.mu.Lock()
	n.conns[a] = c
	n.mu.Unlock()
	return c
}

// stream makes a Stream on ip:port and ip:port+1 of the network.
func (n *memNet) stream(ip string, port int, interval func(bool) time.Duration) *Stream {
	a := netip.MustParseAddr(ip)
	return newStream(n.listen(netip.AddrPortFrom(a, uint16(port))), n.listen(netip.AddrPortFrom(a, uint16(port+1))), port, interval)
}

// setHook installs a fault injector: it may rewrite the datagram and
// says how many copies to deliver (0 drops it) after what delay.
func (n *memNet) setHook(h func(d *datagram) (copies int, delay time.Duration)) {
	n.mu.Lock()
	n.hook = h
	n.mu.Unlock()
}

// sent returns the datagrams written to the given address.
func (n *memNet) sent(to netip.AddrPort) []datagram {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []datagram
	for _, d := range n.wire {
		if d.to == to {
			out = append(out, d)
		}
	}
	return out
}

func (c *memConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.from, nil
	case <-c.done:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

func (c *memConn) WriteToUDPAddrPort(b []byte, to netip.AddrPort) (int, error) {
	select {
	case <-c.done:
		return 0, net.ErrClosed
	default:
	}
	d := datagram{at: time.Now(), from: c.addr, to: to, b: bytes.Clone(b)}
	n := c.net
	n.mu.Lock()
	n.wire = append(n.wire, datagram{at: d.at, from: d.from, to: d.to, b: bytes.Clone(b)})
	dst, hook := n.conns[to], n.hook
	n.mu.Unlock()
	copies, delay := 1, time.Duration(0)
	if hook != nil {
		copies, delay = hook(&d)
	}
	if dst == nil || copies == 0 {
		return len(b), nil
	}
	deliver := func() {
		for range copies {
			select {
			case dst.in <- d:
			case <-dst.done:
			default: // receive buffer full: lost, as UDP would
			}
		}
	}
	if delay > 0 {
		time.AfterFunc(delay, deliver)
	} else {
		deliver()
	}
	return len(b), nil
}

func (c *memConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// wait lets fake time pass inside a synctest bubble.
func wait(d time.Duration) { <-time.After(d) }

var (
	pcma  = sdp.Format{PT: 8, Name: "PCMA", Rate: 8000}
	tevt  = sdp.Format{PT: 101, Name: "telephone-event", Rate: 8000, Fmtp: "0-16"}
	ipA   = netip.MustParseAddr("10.0.0.1")
	ipB   = netip.MustParseAddr("10.0.0.2")
	portA = 4000
	portB = 6000
)

func negotiated(remote netip.AddrPort, dir sdp.Direction) sdp.Negotiated {
	ev := tevt
	return sdp.Negotiated{Codec: pcma, Event: &ev, RecvEventPT: 101, PTime: 20 * time.Millisecond, Remote: remote, Dir: dir}
}

// pair makes two started streams A (10.0.0.1:4000) and B (10.0.0.2:6000)
// talking to each other over n.
func pair(n *memNet, interval func(bool) time.Duration) (a, b *Stream) {
	a = n.stream(ipA.String(), portA, interval)
	b = n.stream(ipB.String(), portB, interval)
	ra, rb := netip.AddrPortFrom(ipA, uint16(portA)), netip.AddrPortFrom(ipB, uint16(portB))
	a.Start(rb, negotiated(rb, sdp.SendRecv))
	b.Start(ra, negotiated(ra, sdp.SendRecv))
	return a, b
}

// rtpOf parses an RTP datagram.
func rtpOf(t testing.TB, d datagram) rtp.Packet {
	t.Helper()
	var p rtp.Packet
	if err := p.Unmarshal(d.b); err != nil {
		t.Fatalf("not RTP: %v", err)
	}
	return p
}

// talk sends 20 ms packets from s until stop is closed.
func talk(s *Stream, stop <-chan struct{}) {
	payload := make([]byte, 160)
	tk := time.NewTicker(20 * time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C:
			s.Send(payload, 160)
		}
	}
}

// drain receives from s until it closes.
func drain(s *Stream) {
	var p Packet
	for s.Receive(contextBackground, &p) == nil {
	}
}
