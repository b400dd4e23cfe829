package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

var (
	errRawSocket = errors.New("console: raw ICMP sockets are not permitted")
	errNoICMP    = errors.New("console: no ICMP socket")
	errIPv6      = errors.New("console: IPv6")
)

// Net is what ping and traceroute need of the network. SystemNet is the
// real one; tests use their own.
type Net interface {
	// Lookup resolves host (a name or an IPv4 address).
	Lookup(ctx context.Context, host string) (netip.Addr, error)
	// ICMP opens an ICMP endpoint. raw asks for one that also sees the
	// errors routers send back (traceroute); ping can do with less.
	ICMP(raw bool) (Prober, error)
}

// Prober sends echo requests. It is used by one goroutine at a time.
type Prober interface {
	// Echo sends one echo request to dst with the given TTL (0: the
	// default) and sequence number and waits up to timeout for the echo
	// reply or an ICMP error about the request. A timeout is a Reply of
	// kind Timeout, not an error.
	Echo(ctx context.Context, dst netip.Addr, ttl, seq int, timeout time.Duration) (Reply, error)
	Close() error
}

// ReplyKind says what answered an echo request.
type ReplyKind uint8

// The kinds of answer.
const (
	Timeout      ReplyKind = iota // nothing came back in time
	EchoReply                     // the destination answered
	TimeExceeded                  // a router on the way dropped it: TTL reached 0
	Unreachable                   // a router says the destination cannot be reached
)

// Reply is the answer to one echo request.
type Reply struct {
	Kind ReplyKind
	From netip.Addr
	RTT  time.Duration
	Code int // ICMP code of an Unreachable
}

// SystemNet is Net on the operating system: IPv4 ICMP through
// golang.org/x/net/icmp, on a raw socket (root or CAP_NET_RAW), else for
// ping on a Linux ping socket (net.ipv4.ping_group_range).
type SystemNet struct{}

// Lookup resolves host to an IPv4 address.
func (SystemNet) Lookup(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Unmap().Is4() {
			return netip.Addr{}, fmt.Errorf("%w is not supported yet: use an IPv4 address", errIPv6)
		}
		return a.Unmap(), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("%s has no IPv4 address", host)
	}
	return addrs[0].Unmap(), nil
}

// ICMP opens a raw ICMP socket, or for ping (raw false) a ping socket when
// raw sockets are not permitted.
func (SystemNet) ICMP(raw bool) (Prober, error) {
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err == nil {
		return &prober{c: c, raw: true, id: rand.IntN(0xffff) + 1}, nil
	}
	if raw {
		return nil, fmt.Errorf("%w (%v): run the firmware as root or with CAP_NET_RAW", errRawSocket, unwrapSys(err))
	}
	c, err2 := icmp.ListenPacket("udp4", "0.0.0.0")
	if err2 != nil {
		return nil, fmt.Errorf("%w: raw sockets are not permitted (%v) and ping sockets neither (%v): run the firmware as root, with CAP_NET_RAW, or allow its group in net.ipv4.ping_group_range",
			errNoICMP, unwrapSys(err), unwrapSys(err2))
	}
	return &prober{c: c}, nil
}

func unwrapSys(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

type prober struct {
	c   *icmp.PacketConn
	raw bool
	id  int // our echo identifier on a raw socket (the kernel sets it on a ping socket)
	buf [1500]byte
}

const protoICMP = 1

func (p *prober) Close() error { return p.c.Close() }

func (p *prober) Echo(ctx context.Context, dst netip.Addr, ttl, seq int, timeout time.Duration) (Reply, error) {
	if ttl <= 0 {
		ttl = 64
	}
	if err := p.c.IPv4PacketConn().SetTTL(ttl); err != nil {
		return Reply{}, err
	}
	payload := make([]byte, 32)
	binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
	copy(payload[8:], "openiad console ping")
	msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: seq & 0xffff, Data: payload}}
	b, err := msg.Marshal(nil)
	if err != nil {
		return Reply{}, err
	}
	var to net.Addr = &net.IPAddr{IP: dst.AsSlice()}
	if !p.raw {
		to = &net.UDPAddr{IP: dst.AsSlice()}
	}
	start := time.Now()
	if _, err := p.c.WriteTo(b, to); err != nil {
		return Reply{}, err
	}
	deadline := start.Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := p.c.SetReadDeadline(deadline); err != nil {
		return Reply{}, err
	}
	stop := context.AfterFunc(ctx, func() { p.c.SetReadDeadline(time.Now()) })
	defer stop()
	for {
		n, from, err := p.c.ReadFrom(p.buf[:])
		if err != nil {
			if ctx.Err() != nil {
				return Reply{}, ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return Reply{Kind: Timeout}, nil
			}
			return Reply{}, err
		}
		m, err := icmp.ParseMessage(protoICMP, p.buf[:n])
		if err != nil {
			continue
		}
		r := Reply{From: addrOf(from), RTT: time.Since(start)}
		switch m.Type {
		case ipv4.ICMPTypeEchoReply:
			e, ok := m.Body.(*icmp.Echo)
			if ok && e.Seq == seq&0xffff && (!p.raw || e.ID == p.id) && bytes.Equal(e.Data, payload) {
				r.Kind = EchoReply
				return r, nil
			}
		case ipv4.ICMPTypeTimeExceeded:
			if te, ok := m.Body.(*icmp.TimeExceeded); ok && p.ours(te.Data, seq) {
				r.Kind = TimeExceeded
				return r, nil
			}
		case ipv4.ICMPTypeDestinationUnreachable:
			if du, ok := m.Body.(*icmp.DstUnreach); ok && p.ours(du.Data, seq) {
				r.Kind, r.Code = Unreachable, m.Code
				return r, nil
			}
		}
	}
}

// ours reports whether the quoted datagram of an ICMP error (IPv4 header
// and the first 8 bytes of our echo request) is our request seq.
func (p *prober) ours(quoted []byte, seq int) bool {
	if len(quoted) < 20 {
		return false
	}
	ihl := int(quoted[0]&0x0f) * 4
	if ihl < 20 || len(quoted) < ihl+8 || quoted[9] != protoICMP || quoted[ihl] != byte(ipv4.ICMPTypeEcho) {
		return false
	}
	id := int(binary.BigEndian.Uint16(quoted[ihl+4:]))
	sq := int(binary.BigEndian.Uint16(quoted[ihl+6:]))
	return sq == seq&0xffff && (!p.raw || id == p.id)
}

func addrOf(a net.Addr) netip.Addr {
	var ip net.IP
	switch v := a.(type) {
	case *net.IPAddr:
		ip = v.IP
	case *net.UDPAddr:
		ip = v.IP
	}
	r, _ := netip.AddrFromSlice(ip)
	return r.Unmap()
}

// Timing of ping and traceroute.
const (
	pingInterval = time.Second
	pingTimeout  = 2 * time.Second
	traceMaxHops = 30
	traceProbes  = 3
	traceTimeout = 2 * time.Second
)

func ms(d time.Duration) string { return msNum(d) + " ms" }

func msNum(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

func cmdPing(x *exec) error {
	count := 4
	if len(x.args) == 2 {
		n, err := strconv.Atoi(x.args[1])
		if err != nil || n < 1 || n > 1000 {
			return usagef("type: ping <host> [count], e.g. ping 192.0.2.1 10", "ping: count %s is not a number from 1 to 1000", quoteWord(x.args[1]))
		}
		count = n
	}
	host := x.args[0]
	dst, err := x.o().Net.Lookup(x.ctx, host)
	if err != nil {
		return fmt.Errorf("ping: cannot resolve %s: %w", host, err)
	}
	p, err := x.o().Net.ICMP(false)
	if err != nil {
		return fmt.Errorf("ping: %s", userError(err))
	}
	defer p.Close()
	x.printf("PING %s (%s): %s, Ctrl-C stops\n", host, dst, plural(count, "request"))
	var sent, got int
	var minRTT, maxRTT, sum time.Duration
	var stopErr error
	for seq := 1; seq <= count; seq++ {
		start := time.Now()
		r, err := p.Echo(x.ctx, dst, 0, seq, pingTimeout)
		if err != nil {
			stopErr = err
			break
		}
		sent++
		switch r.Kind {
		case EchoReply:
			got++
			sum += r.RTT
			if got == 1 || r.RTT < minRTT {
				minRTT = r.RTT
			}
			maxRTT = max(maxRTT, r.RTT)
			x.printf("reply from %s: seq=%d time=%s\n", r.From, seq, ms(r.RTT))
		case Unreachable:
			x.printf("from %s: seq=%d destination unreachable (code %d)\n", r.From, seq, r.Code)
		case TimeExceeded:
			x.printf("from %s: seq=%d time to live exceeded\n", r.From, seq)
		default:
			x.printf("no reply: seq=%d (waited %s)\n", seq, fmtDuration(pingTimeout))
		}
		if seq < count {
			if rest := pingInterval - time.Since(start); rest > 0 && !wait(x.ctx, rest) {
				stopErr = x.ctx.Err()
				break
			}
		}
	}
	if sent > 0 {
		x.printf("--- %s: %d sent, %d received, %d%% lost\n", host, sent, got, (sent-got)*100/sent)
		if got > 0 {
			x.printf("round trip min/avg/max %s/%s/%s ms\n", msNum(minRTT), msNum(sum/time.Duration(got)), msNum(maxRTT))
		}
	}
	if errors.Is(stopErr, context.Canceled) && sent > 0 {
		return nil // stopped by Ctrl-C after a summary
	}
	if stopErr != nil {
		return fmt.Errorf("ping: %w", stopErr)
	}
	return nil
}

func cmdTraceroute(x *exec) error {
	host := x.args[0]
	dst, err := x.o().Net.Lookup(x.ctx, host)
	if err != nil {
		return fmt.Errorf("traceroute: cannot resolve %s: %w", host, err)
	}
	p, err := x.o().Net.ICMP(true)
	if err != nil {
		return fmt.Errorf("traceroute: %s", userError(err))
	}
	defer p.Close()
	x.printf("traceroute to %s (%s), %d hops at most, Ctrl-C stops\n", host, dst, traceMaxHops)
	seq := 0
	for ttl := 1; ttl <= traceMaxHops; ttl++ {
		line := fmt.Sprintf("%2d", ttl)
		var last netip.Addr
		done := false
		for range traceProbes {
			seq++
			r, err := p.Echo(x.ctx, dst, ttl, seq, traceTimeout)
			if err != nil {
				x.printf("%s\n", line)
				if errors.Is(err, context.Canceled) {
					return nil
				}
				return fmt.Errorf("traceroute: %w", err)
			}
			if r.Kind == Timeout {
				line += " *"
				continue
			}
			if r.From != last {
				line += "  " + r.From.String()
				last = r.From
			}
			line += "  " + ms(r.RTT)
			switch r.Kind {
			case EchoReply:
				done = true
			case Unreachable:
				line += " !U"
				done = true
			}
		}
		x.printf("%s\n", wrap(line, x.o().Width-1, "    "))
		if done {
			return nil
		}
	}
	x.printf("%s not reached in %d hops\n", host, traceMaxHops)
	return nil
}
