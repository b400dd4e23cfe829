package qemu

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
)

// ALG is a SIP application-level gateway between the guest and a SIP
// server on the host's loopback, as the NAT routers in front of many
// boxes have: QEMU's user network hides the guest (10.0.2.15) behind the
// host, which the guest reaches as 10.0.2.2, so the addresses inside SIP
// messages and SDP must be rewritten both ways for the server and the far
// end to reach the box. RTP needs no relay: the guest's RTP ports are
// forwarded with the same numbers (Forward), and the guest reaches the far
// end's RTP on the host through 10.0.2.2.
//
// The guest sends to GuestAddr (its registrar / outbound proxy); its SIP
// domain stays the server's address. Rewrites, guest → server: the box's
// address (10.0.2.15:port) becomes the ALG's server-facing address, the
// ALG's guest-facing address becomes the server's, SDP "IN IP4 10.0.2.15"
// becomes "IN IP4 127.0.0.1"; server → guest the reverse, and SDP
// "IN IP4 127.0.0.1" becomes "IN IP4 10.0.2.2". Content-Length follows.
type ALG struct {
	guest, server *net.UDPConn
	upstream      *net.UDPAddr
	toServer      [][2][]byte
	toGuest       [][2][]byte
	mu            sync.Mutex
	peer          *net.UDPAddr // where the guest's messages come from (slirp)
	wg            sync.WaitGroup
	// Trace, when set before the first message, receives every message
	// relayed, as rewritten.
	Trace io.Writer
}

// Guest addresses in QEMU's user network.
const (
	GuestIP = "10.0.2.15"
	HostIP  = "10.0.2.2"
)

// NewALG relays between the guest (whose SIP port is guestPort) and the
// server at upstream on 127.0.0.1.
func NewALG(upstream netip.AddrPort, guestPort int) (*ALG, error) {
	g, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("%w: alg: %w", errQEMU, err)
	}
	s, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("%w: alg: %w", errQEMU, err)
	}
	a := &ALG{guest: g, server: s, upstream: net.UDPAddrFromAddrPort(upstream)}
	box := []byte(GuestIP + ":" + strconv.Itoa(guestPort))
	algServer := []byte(s.LocalAddr().String())
	algGuest := []byte(HostIP + ":" + strconv.Itoa(g.LocalAddr().(*net.UDPAddr).Port))
	srv := []byte(upstream.String())
	a.toServer = [][2][]byte{{box, algServer}, {algGuest, srv}}
	a.toGuest = [][2][]byte{{algServer, box}, {srv, algGuest}}
	a.wg.Add(2)
	go a.loop(g, true)
	go a.loop(s, false)
	return a, nil
}

// GuestAddr is the ALG's address as the guest reaches it ("10.0.2.2:port").
func (a *ALG) GuestAddr() string {
	return HostIP + ":" + strconv.Itoa(a.guest.LocalAddr().(*net.UDPAddr).Port)
}

// Close stops the relay.
func (a *ALG) Close() error {
	a.guest.Close()
	a.server.Close()
	a.wg.Wait()
	return nil
}

func (a *ALG) loop(c *net.UDPConn, fromGuest bool) {
	defer a.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFromUDP(buf)
		if err != nil {
			return
		}
		msg := append([]byte(nil), buf[:n]...)
		if fromGuest {
			a.mu.Lock()
			a.peer = from
			a.mu.Unlock()
			out := rewriteSIP(msg, a.toServer, []byte("IN IP4 "+GuestIP), []byte("IN IP4 127.0.0.1"))
			a.trace("guest → server", out)
			a.server.WriteToUDP(out, a.upstream)
			continue
		}
		a.mu.Lock()
		peer := a.peer
		a.mu.Unlock()
		if peer != nil {
			out := rewriteSIP(msg, a.toGuest, []byte("IN IP4 127.0.0.1"), []byte("IN IP4 "+HostIP))
			a.trace("server → guest", out)
			a.guest.WriteToUDP(out, peer)
		}
	}
}

// rewriteSIP applies the header rules to the head of a SIP message and
// the SDP rule to its body, and fixes Content-Length. Keep-alives (CRLF)
// and anything without a head pass unchanged.
func rewriteSIP(msg []byte, head [][2][]byte, sdpFrom, sdpTo []byte) []byte {
	i := bytes.Index(msg, []byte("\r\n\r\n"))
	if i < 0 {
		return msg
	}
	h, body := msg[:i+2], msg[i+4:]
	for _, r := range head {
		h = bytes.ReplaceAll(h, r[0], r[1])
	}
	body = bytes.ReplaceAll(body, sdpFrom, sdpTo)
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(h, []byte("\r\n")) {
		if len(line) == 0 {
			continue
		}
		name, _, ok := bytes.Cut(line, []byte(":"))
		if ok && (bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")) || bytes.EqualFold(bytes.TrimSpace(name), []byte("l"))) {
			fmt.Fprintf(&out, "Content-Length: %d\r\n", len(body))
			continue
		}
		out.Write(line)
	}
	out.WriteString("\r\n")
	out.Write(body)
	return out.Bytes()
}

func (a *ALG) trace(dir string, msg []byte) {
	if a.Trace != nil && len(bytes.TrimSpace(msg)) > 0 {
		fmt.Fprintf(a.Trace, "---- %s\n%s\n", dir, msg)
	}
}
