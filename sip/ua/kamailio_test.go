package ua

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/testrig/peers"
)

// These tests run against a real Kamailio (Debian package kamailio) on
// 127.0.0.1, in real time, each bounded well under 30 s.

// realUA runs a UA on a free UDP port of 127.0.0.1 until the test ends.
func realUA(t *testing.T) *UA {
	t.Helper()
	u, err := New(Options{Listen: netip.MustParseAddrPort("127.0.0.1:0"), Log: testLog(t), Unregister: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	})
	select {
	case <-u.started:
	case <-time.After(5 * time.Second):
		t.Fatal("UA did not start")
	}
	return u
}

func TestKamailioRegister(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256"} {
		t.Run(alg, func(t *testing.T) {
			k := peers.NewKamailio(t, peers.KamailioOptions{
				Users:     []peers.User{{Name: "201", Password: "pw-201"}},
				Domain:    "openiad.test",
				Algorithm: alg,
			})
			u := realUA(t)
			acc := Account{User: "201", Password: "pw-201", Domain: "openiad.test"}
			l, err := u.AddLine(1, acc, Profile{Registrars: []string{k.Addr().String()}, Expires: 120 * time.Second}, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := waitReg(t, l, RegRegistered, 10*time.Second)
			if s.Server != k.Addr().String() {
				t.Errorf("server %s, want %s", s.Server, k.Addr())
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cs, err := k.WaitRegistered(ctx, "201")
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || !strings.Contains(cs[0].Address, u.Addr().String()) || cs[0].Expires > 120 {
				t.Errorf("contacts %+v", cs)
			}
			l.Close()
			if cs, _ := k.Contacts(ctx, "201"); len(cs) != 0 {
				t.Errorf("still registered after Close: %+v", cs)
			}
		})
	}
}

func TestKamailioWrongPassword(t *testing.T) {
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: "201", Password: "pw-201"}}, Domain: "openiad.test"})
	u := realUA(t)
	acc := Account{User: "201", Password: "wrong", Domain: "openiad.test"}
	l, _ := u.AddLine(1, acc, Profile{Registrars: []string{k.Addr().String()}}, nil)
	s := waitReg(t, l, RegFailed, 10*time.Second)
	if s.Code != 401 && s.Code != 403 {
		t.Errorf("state %+v", s)
	}
}

// The primary stops answering: the line moves to the secondary within the
// configured timeout, and back when the primary answers again.
func TestKamailioFailoverFailback(t *testing.T) {
	users := []peers.User{{Name: "201", Password: "pw-201"}}
	k1 := peers.NewKamailio(t, peers.KamailioOptions{Users: users, Domain: "openiad.test"})
	k2 := peers.NewKamailio(t, peers.KamailioOptions{Users: users, Domain: "openiad.test"})
	u := realUA(t)
	acc := Account{User: "201", Password: "pw-201", Domain: "openiad.test"}
	p := Profile{
		Registrars: []string{k1.Addr().String(), k2.Addr().String()},
		Expires:    60 * time.Second, Timeout: 2 * time.Second, Failback: 2 * time.Second,
		KeepAlive: time.Second, KeepAliveMethod: KeepAliveOptions, // finds a dead server before the refresh
	}
	l, _ := u.AddLine(1, acc, p, nil)
	if s := waitReg(t, l, RegRegistered, 10*time.Second); s.Path != 0 {
		t.Fatalf("first registration at path %d", s.Path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := k1.Mute(ctx, true); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for l.Registration().Path != 1 || l.Registration().Status != RegRegistered {
		select {
		case <-l.RegChanges():
		case <-ctx.Done():
			t.Fatalf("no fail-over: %+v", l.Registration())
		}
	}
	// next keep-alive within 1 s, 2 s timeout, then the secondary at once
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("fail-over took %v", d)
	}
	if _, err := k2.WaitRegistered(ctx, "201"); err != nil {
		t.Fatal(err)
	}
	if err := k1.Mute(ctx, false); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for l.Registration().Path != 0 || l.Registration().Status != RegRegistered {
		select {
		case <-l.RegChanges():
		case <-ctx.Done():
			t.Fatalf("no fail-back: %+v", l.Registration())
		}
	}
	if d := time.Since(back); d > 6*time.Second {
		t.Errorf("fail-back took %v", d)
	}
	poll := time.NewTicker(50 * time.Millisecond) // a real peer: poll its location table
	defer poll.Stop()
	deadline := time.After(3 * time.Second)
	for {
		cs, _ := k2.Contacts(ctx, "201")
		if len(cs) == 0 {
			break
		}
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatalf("secondary keeps %+v after fail-back", cs)
		}
	}
}

// Two lines of the box call each other through Kamailio, which challenges
// the INVITE (407) and record-routes; over UDP, and over TCP (Kamailio then
// connects to our listener for the incoming call).
func TestKamailioCallBetweenLines(t *testing.T) {
	for _, tr := range []string{"udp", "tcp"} {
		t.Run(tr, func(t *testing.T) { callBetweenLines(t, tr) })
	}
}

func callBetweenLines(t *testing.T, tr string) {
	k := peers.NewKamailio(t, peers.KamailioOptions{
		Users:     []peers.User{{Name: "201", Password: "pw-201"}, {Name: "202", Password: "pw-202"}},
		Domain:    "openiad.test",
		AuthCalls: true,
	})
	u := realUA(t)
	p := Profile{Registrars: []string{k.Addr().String()}, Transport: tr}
	in := make(chan *Call, 1)
	l1, _ := u.AddLine(1, Account{User: "201", Password: "pw-201", DisplayName: "Line One", Domain: "openiad.test"}, p, nil)
	l2, _ := u.AddLine(2, Account{User: "202", Password: "pw-202", Domain: "openiad.test"}, p, HandlerFunc(func(c *Call) { in <- c }))
	waitReg(t, l1, RegRegistered, 10*time.Second)
	waitReg(t, l2, RegRegistered, 10*time.Second)
	m1 := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40000, DTMF: true}
	m2 := sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40002, DTMF: true}
	out, err := l1.Call(context.Background(), "202", m1)
	if err != nil {
		t.Fatal(err)
	}
	var c *Call
	select {
	case c = <-in:
	case <-time.After(10 * time.Second):
		t.Fatal("no incoming call on line 2")
	}
	if p := c.Caller(); p.Number != "201" || p.Name != "Line One" {
		t.Errorf("caller %+v", p)
	}
	c.Ringing()
	realEvent(t, out, EvRinging)
	c.Answer(m2)
	if e := realEvent(t, c, EvAnswered); e.Media.Remote.Port() != 40000 {
		t.Errorf("callee media %v", e.Media)
	}
	if e := realEvent(t, out, EvAnswered); e.Media.Remote.Port() != 40002 {
		t.Errorf("caller media %v", e.Media)
	}
	out.Hold()
	if e := realEvent(t, out, EvMedia); !e.LocalHold {
		t.Errorf("hold: %v", e)
	}
	if e := realEvent(t, c, EvMedia); !e.RemoteHold {
		t.Errorf("held side: %v", e)
	}
	out.Resume()
	if e := realEvent(t, out, EvMedia); e.LocalHold {
		t.Errorf("resume: %v", e)
	}
	realEvent(t, c, EvMedia)
	c.Hangup()
	if e := realEvent(t, out, EvEnded); !e.Remote {
		t.Errorf("caller end %v", e)
	}
	realEvent(t, c, EvEnded)
}

func realEvent(t *testing.T, c *Call, kind EventKind) Event {
	t.Helper()
	select {
	case e, ok := <-c.Events():
		if !ok || e.Kind != kind {
			t.Fatalf("event %v (open %v), want %v", e, ok, kind)
		}
		return e
	case <-time.After(10 * time.Second):
		t.Fatalf("no %v", kind)
		return Event{}
	}
}

// A TCP line registers with Kamailio over TCP (digest), then calls a sipp
// UAS that takes TCP only, through Kamailio, which challenges the INVITE
// (407) and record-routes: rings, answers, and our BYE ends it.
func TestKamailioTCPCall(t *testing.T) {
	s := peers.NewSipp(t, peers.SippOptions{
		Scenario:  peers.UASScenario(peers.UAS{Ring: 200 * time.Millisecond}),
		Transport: "t1",
		Timeout:   20 * time.Second,
	})
	script := fmt.Sprintf(`	xlog("L_INFO", "openiad-proto: $rm over $pr\n");
	if (is_method("INVITE") && !has_totag() && $rU == "300") {
		route(AUTH);
		record_route();
		$du = "sip:127.0.0.1:%d;transport=tcp";
		route(RELAY);
	}`, s.Addr().Port())
	k := peers.NewKamailio(t, peers.KamailioOptions{
		Users:  []peers.User{{Name: "201", Password: "pw-201"}},
		Domain: "openiad.test",
		Script: script,
	})
	u := realUA(t)
	acc := Account{User: "201", Password: "pw-201", Domain: "openiad.test"}
	l, err := u.AddLine(1, acc, Profile{Registrars: []string{k.Addr().String()}, Transport: "tcp", Expires: 120 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitReg(t, l, RegRegistered, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := k.WaitRegistered(ctx, "201")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || !strings.Contains(cs[0].Address, "transport=tcp") {
		t.Errorf("contacts %+v, want one with transport=tcp", cs)
	}
	c, err := l.Call(ctx, "300", sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40020, DTMF: true})
	if err != nil {
		t.Fatal(err)
	}
	realEvent(t, c, EvRinging)
	if e := realEvent(t, c, EvAnswered); e.Media.Remote.Port() != uint16(s.MediaPort()) {
		t.Errorf("answered with media %v, want sipp's port %d", e.Media, s.MediaPort())
	}
	c.Hangup()
	realEvent(t, c, EvEnded)
	res, err := s.Wait(ctx)
	if err != nil || res.Exit != 0 {
		t.Errorf("sipp: %v\n%v", err, res)
	}
	log := k.Log()
	for _, m := range []string{"REGISTER", "INVITE", "ACK", "BYE"} {
		if !strings.Contains(log, "openiad-proto: "+m+" over tcp") {
			t.Errorf("Kamailio saw no %s over TCP", m)
		}
		if strings.Contains(log, "openiad-proto: "+m+" over udp") { // (its launcher probes with OPTIONS over UDP)
			t.Errorf("a %s of the TCP line came over UDP", m)
		}
	}
}
