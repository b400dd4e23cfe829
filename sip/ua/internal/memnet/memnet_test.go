package memnet

import (
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestDeliveryFilterNATClose(t *testing.T) {
	n := New()
	a := n.MustListen("10.0.0.1:5060")
	b := n.MustListen("10.0.0.2:5060")
	if _, err := n.Listen(netip.MustParseAddrPort("10.0.0.1:5060")); err == nil {
		t.Error("address reused")
	}
	var tapped int
	n.Tap(func(Packet) { tapped++ })
	buf := make([]byte, 64)
	for _, tc := range []struct {
		name     string
		setup    func()
		from     string
		delivers bool
	}{
		{"plain", func() {}, "10.0.0.1:5060", true},
		{"filtered", func() { n.SetFilter(func(p Packet) bool { return string(p.Data) != "drop" }) }, "10.0.0.1:5060", true},
		{"nat", func() { a.SetPublic(netip.MustParseAddrPort("203.0.113.1:4000")) }, "203.0.113.1:4000", true},
	} {
		tc.setup()
		if _, err := a.WriteTo([]byte("hello"), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		m, from, err := b.ReadFrom(buf)
		if err != nil || string(buf[:m]) != "hello" || from.String() != tc.from {
			t.Errorf("%s: %q from %v, %v", tc.name, buf[:m], from, err)
		}
	}
	a.WriteTo([]byte("drop"), b.LocalAddr()) // filtered out
	// the NAT's public address reaches a
	b.WriteTo([]byte("back"), net.UDPAddrFromAddrPort(netip.MustParseAddrPort("203.0.113.1:4000")))
	if m, _, _ := a.ReadFrom(buf); string(buf[:m]) != "back" {
		t.Errorf("through the NAT: %q", buf[:m])
	}
	if tapped != 4 {
		t.Errorf("tap saw %d packets, want 4", tapped)
	}
	select {
	case <-b.Reading():
	default:
		t.Error("Reading not closed after a read")
	}
	b.Close()
	if _, _, err := b.ReadFrom(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("read after close: %v", err)
	}
	if _, err := a.WriteTo([]byte("x"), b.LocalAddr()); err != nil {
		t.Errorf("write to a closed peer: %v (lost like UDP)", err)
	}
	if err := a.SetReadDeadline(time.Now()); err == nil {
		t.Error("deadlines are not supported")
	}
}
