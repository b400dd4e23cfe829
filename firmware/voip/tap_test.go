package voip

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestTapShowsBothDirections(t *testing.T) {
	a, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tap := NewTap(a)
	msgs, stop := tap.Subscribe(8)
	if _, err := tap.WriteTo([]byte("OPTIONS sip:x SIP/2.0\r\n\r\n"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo([]byte("SIP/2.0 200 OK\r\n\r\n"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	tap.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := tap.ReadFrom(buf); err != nil {
		t.Fatal(err)
	}
	sent, got := <-msgs, <-msgs
	if !sent.Sent || !strings.HasPrefix(string(sent.Data), "OPTIONS") || sent.Remote.String() != b.LocalAddr().String() {
		t.Errorf("sent message %+v", sent)
	}
	if got.Sent || !strings.HasPrefix(string(got.Data), "SIP/2.0 200") {
		t.Errorf("received message %+v", got)
	}
	stop()
	stop()
	// Nobody listening: nothing blocks.
	for range 100 {
		tap.WriteTo([]byte("x"), b.LocalAddr())
	}
	if _, ok := <-msgs; ok {
		t.Fatal("messages after stop")
	}
}

func TestTapDropsForASlowSubscriber(t *testing.T) {
	a, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer a.Close()
	tap := NewTap(a)
	msgs, stop := tap.Subscribe(2)
	defer stop()
	for range 50 {
		tap.WriteTo([]byte("x"), a.LocalAddr())
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages buffered, want 2 (the rest dropped, none blocking)", len(msgs))
	}
}
