package memnet

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"
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

func TestStream(t *testing.T) {
	n := New()
	ln := n.MustListenStream("10.0.0.1:5060")
	var seen []string
	n.TapStream(func(p Packet) { seen = append(seen, p.From.String()+">"+p.To.String()+":"+string(p.Data)) })
	ctx := context.Background()
	if _, err := n.Dial(ctx, netip.MustParseAddr("10.0.0.2"), netip.MustParseAddrPort("10.0.0.9:5060")); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial to nobody: %v", err)
	}
	a, err := n.Dial(ctx, netip.MustParseAddr("10.0.0.2"), netip.MustParseAddrPort("10.0.0.1:5060"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if b.RemoteAddr().String() != a.LocalAddr().String() || a.RemoteAddr().String() != "10.0.0.1:5060" {
		t.Errorf("addresses %v-%v, %v-%v", a.LocalAddr(), a.RemoteAddr(), b.LocalAddr(), b.RemoteAddr())
	}
	a.Write([]byte("hello "))
	a.Write([]byte("world"))
	buf := make([]byte, 4)
	var got []byte
	for len(got) < 11 {
		m, err := b.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:m]...)
	}
	if string(got) != "hello world" {
		t.Errorf("read %q", got)
	}
	n.SetStreamFilter(func(p Packet) bool { return string(p.Data) != "lost" })
	b.Write([]byte("lost"))
	b.Write([]byte("kept"))
	ln.Drop() // the server end closes: a reads what was sent, then EOF
	if m, err := a.Read(buf); string(buf[:m]) != "kept" || err != nil {
		t.Errorf("read %q, %v", buf[:m], err)
	}
	if _, err := a.Read(buf); !errors.Is(err, io.EOF) {
		t.Errorf("read after the peer closed: %v", err)
	}
	if _, err := a.Write([]byte("x")); err == nil {
		t.Error("write to a closed peer succeeded")
	}
	if len(seen) != 3 {
		t.Errorf("tap saw %q", seen)
	}
	ln.Close()
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("accept after close: %v", err)
	}
}
