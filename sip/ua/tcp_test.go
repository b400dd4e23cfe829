package ua

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

// SIP over TCP, in memory (synctest): memnet streams stand in for TCP.

// startTCPUA runs a UA with UDP and TCP on uaAddr of n.
func startTCPUA(t *testing.T, n *memnet.Network, o Options) (*UA, func()) {
	t.Helper()
	o.Listener = n.MustListenStream(uaAddr)
	o.Dial = func(ctx context.Context, to netip.AddrPort) (net.Conn, error) {
		return n.Dial(ctx, netip.MustParseAddrPort(uaAddr).Addr(), to)
	}
	return startUA(t, n.MustListen(uaAddr), o)
}

// tcpRegistrar is a registrar that takes UDP and TCP on addr.
func tcpRegistrar(t *testing.T, n *memnet.Network, addr string) (*registrar, *memnet.Listener) {
	t.Helper()
	r := newRegistrar(t, n.MustListen(addr), map[string]string{"201": alice.Password})
	ln := n.MustListenStream(addr)
	r.serveStream(ln)
	return r, ln
}

// A TCP line registers with digest auth over one connection, which every
// refresh reuses; nothing goes over UDP.
func TestTCPRegister(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		var udp int
		n.Tap(func(memnet.Packet) { udp++ })
		reg, ln := tcpRegistrar(t, n, regAddr)
		reg.max = 120 * time.Second
		u, _ := startTCPUA(t, n, Options{})
		l, err := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}, Transport: "TCP"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitReg(t, l, RegRegistered, 5*time.Second)
		seen := reg.seen()
		if len(seen) != 2 || seen[0].status != 401 || seen[1].status != 200 {
			t.Fatalf("registrar saw %+v, want 401 then 200", seen)
		}
		for _, s := range seen {
			if s.tr != "TCP" {
				t.Errorf("REGISTER over %q, want TCP", s.tr)
			}
		}
		b, ok := reg.binding("201")
		if tr, _ := b.contact.UriParams.Get("transport"); !ok || tr != "tcp" || b.contact.Host != "10.0.0.2" || b.contact.Port != 5060 {
			t.Errorf("binding %v (%v), want sip:201@10.0.0.2:5060;transport=tcp", b.contact.String(), ok)
		}
		advance(10 * time.Minute) // refreshes every 88 s (120 s less 32 s)
		if got := len(reg.seen()); got < 2+6 {
			t.Errorf("%d REGISTERs in 10 minutes of 120 s bindings, want 2 and 6 refreshes", got)
		}
		if _, ok := reg.binding("201"); !ok || l.Registration().Status != RegRegistered {
			t.Errorf("binding lost: %+v", l.Registration())
		}
		if c := ln.Conns(); c != 1 {
			t.Errorf("%d connections to the registrar, want 1 reused", c)
		}
		if udp != 0 {
			t.Errorf("%d UDP datagrams from a TCP line", udp)
		}
	})
}

// The registrar closes the connection: the line registers again at once
// over a new one. The registrar's host goes away: the line fails over to
// the secondary at once, without waiting for a refresh or a keep-alive.
func TestTCPConnectionDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		reg1, ln1 := tcpRegistrar(t, n, regAddr)
		tcpRegistrar(t, n, reg2)
		u, _ := startTCPUA(t, n, Options{})
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr, reg2}, Transport: "tcp"}, nil)
		if s := waitReg(t, l, RegRegistered, 5*time.Second); s.Path != 0 {
			t.Fatalf("registered at %+v", s)
		}
		before := len(reg1.seen())
		ln1.Drop() // the server closes the connection (restart, idle timeout)
		synctest.Wait()
		if got := len(reg1.seen()); got <= before {
			t.Errorf("no REGISTER after the connection closed (%d then %d)", before, got)
		}
		if s := l.Registration(); s.Status != RegRegistered || s.Path != 0 || ln1.Conns() != 1 {
			t.Errorf("after a dropped connection: %+v, %d connections", s, ln1.Conns())
		}

		ln1.Close() // now the server is gone for good
		ln1.Drop()
		start := time.Now()
		for s := l.Registration(); s.Status != RegRegistered || s.Path != 1; s = l.Registration() {
			select {
			case <-l.RegChanges():
			case <-time.After(time.Minute):
				t.Fatalf("no fail-over: %+v", l.Registration())
			}
		}
		if d := time.Since(start); d >= time.Second {
			t.Errorf("fail-over took %v after the connection dropped", d)
		}
	})
}

// CRLF keep-alive over TCP is a RFC 5626 ping: the server pongs; when the
// pongs stop while the connection stays up, the server is dead.
func TestTCPKeepAliveCRLF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		var mu sync.Mutex
		var pings, pongs int
		n.TapStream(func(p memnet.Packet) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case string(p.Data) == "\r\n\r\n" && p.To.String() == regAddr:
				pings++
			case string(p.Data) == "\r\n" && p.From.String() == regAddr:
				pongs++
			}
		})
		tcpRegistrar(t, n, regAddr)
		tcpRegistrar(t, n, reg2)
		u, _ := startTCPUA(t, n, Options{})
		p := Profile{Registrars: []string{regAddr, reg2}, Transport: "tcp", KeepAlive: 30 * time.Second, Timeout: 5 * time.Second}
		l, _ := u.AddLine(1, alice, p, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		advance(95 * time.Second)
		mu.Lock()
		if pings != 3 || pongs != 3 {
			t.Errorf("%d pings, %d pongs in 95 s, want 3 each", pings, pongs)
		}
		mu.Unlock()
		if s := l.Registration(); s.Status != RegRegistered || s.Path != 0 {
			t.Fatalf("answered pings lost the registration: %+v", s)
		}
		// the primary goes silent, its connection stays up
		n.SetStreamFilter(func(p memnet.Packet) bool { return p.From.String() != regAddr })
		muted := time.Now()
		for s := l.Registration(); s.Status != RegRegistered || s.Path != 1; s = l.Registration() {
			select {
			case <-l.RegChanges():
			case <-time.After(2 * time.Minute):
				t.Fatalf("no fail-over: %+v", l.Registration())
			}
		}
		// next ping within 30 s, its pong due 5 s later (Timeout)
		if d := time.Since(muted); d > 35*time.Second || d < 5*time.Second {
			t.Errorf("fail-over %v after the server went silent, want 5..35 s", d)
		}
	})
}

// OPTIONS keep-alive over TCP travels on the registration's connection.
func TestTCPKeepAliveOptions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		var udp int
		n.Tap(func(memnet.Packet) { udp++ })
		reg, ln := tcpRegistrar(t, n, regAddr)
		u, _ := startTCPUA(t, n, Options{})
		p := Profile{Registrars: []string{regAddr}, Transport: "tcp", KeepAlive: 30 * time.Second, KeepAliveMethod: KeepAliveOptions}
		l, _ := u.AddLine(1, alice, p, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		advance(95 * time.Second)
		reg.mu.Lock()
		options := reg.options
		reg.mu.Unlock()
		if options != 3 || udp != 0 || ln.Conns() != 1 {
			t.Errorf("%d OPTIONS in 95 s (want 3), %d UDP datagrams, %d connections", options, udp, ln.Conns())
		}
		if s := l.Registration(); s.Status != RegRegistered {
			t.Errorf("registration %+v", s)
		}
	})
}

// Over TCP an INVITE is sent once (RFC 3261 §17.1.1.2: no Timer A on a
// reliable transport); over UDP it is retransmitted until the timeout.
func TestTCPNoRetransmission(t *testing.T) {
	for _, tc := range []struct {
		tr   string
		once bool
	}{{"udp", false}, {"tcp", true}} {
		t.Run(tc.tr, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				var mu sync.Mutex
				invites := 0
				count := func(p memnet.Packet) {
					if p.To.String() == regAddr {
						mu.Lock()
						invites += bytes.Count(p.Data, []byte("INVITE sip:"))
						mu.Unlock()
					}
				}
				n.Tap(count)
				n.TapStream(count)
				silent := n.MustListen(regAddr) // a proxy that never answers
				defer silent.Close()
				ln := n.MustListenStream(regAddr)
				defer ln.Close()
				defer ln.Drop()
				go func() { // takes the connection and reads it, nothing more
					c, err := ln.Accept()
					if err != nil {
						return
					}
					buf := make([]byte, 4096)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
				u, _ := startTCPUA(t, n, Options{})
				p := Profile{OutboundProxy: []string{regAddr}, Transport: tc.tr, Timeout: 10 * time.Second}
				l, _ := u.AddLine(1, Account{User: "201", Domain: "openiad.test"}, p, nil)
				synctest.Wait() // serving
				c, err := l.Call(context.Background(), "300", sdp.Local{Addr: netip.MustParseAddr("10.0.0.2"), Port: 40000})
				if err != nil {
					t.Fatal(err)
				}
				var last Event
				for e := range c.Events() {
					last = e
				}
				if last.Kind != EvFailed || last.Cause != CauseCongestion {
					t.Errorf("call ended with %v, want failed (congestion)", last)
				}
				mu.Lock()
				defer mu.Unlock()
				t.Logf("%s: INVITE sent %d times before the 10 s timeout", tc.tr, invites)
				if tc.once && invites != 1 {
					t.Errorf("INVITE sent %d times over TCP, want once", invites)
				}
				if !tc.once && invites < 4 {
					t.Errorf("INVITE sent %d times over UDP in 10 s, want retransmissions", invites)
				}
			})
		})
	}
}

// A UA on a real socket takes TCP on its UDP port and answers a request on
// the connection it came on.
func TestTCPListensOnUDPPort(t *testing.T) {
	u := realUA(t)
	c, err := net.DialTimeout("tcp", u.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("no TCP on %v: %v", u.Addr(), err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	local := c.LocalAddr().String()
	req := "OPTIONS sip:" + u.Addr().String() + " SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP " + local + ";branch=z9hG4bK-tcp-1\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:" + u.Addr().String() + ">\r\n" +
		"Call-ID: tcp-probe-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "\r\n\r\n") {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no answer on the connection: %v (got %q)", err, got.String())
		}
		got.Write(buf[:n])
	}
	if !strings.HasPrefix(got.String(), "SIP/2.0 200 ") || !strings.Contains(got.String(), "tcp-probe-1") {
		t.Errorf("answer %q", got.String())
	}
}
