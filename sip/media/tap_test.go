package media_test

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/sip/media"
	"github.com/openiad/openiad/sip/sdp"
)

type seen struct {
	sent, rtcp    bool
	local, remote netip.AddrPort
	n             int
}

// A tap sees the stream's RTP both ways with the right ends, and RTCP
// (the BYE report on Close); without a tap nothing is shown.
func TestTap(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	a, err := media.Listen(lo, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := media.Listen(lo, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	var got []seen
	a.SetTap(func(sent, rtcp bool, local, remote netip.AddrPort, p []byte) {
		mu.Lock()
		got = append(got, seen{sent, rtcp, local, remote, len(p)})
		mu.Unlock()
	})
	aAddr, bAddr := netip.AddrPortFrom(lo, uint16(a.Port())), netip.AddrPortFrom(lo, uint16(b.Port()))
	offer := sdp.Offer(sdp.Local{Addr: lo, Port: a.Port()}, 1, 1)
	answer, nb, err := sdp.Answer(offer, sdp.Local{Addr: lo, Port: b.Port()}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	na, err := sdp.Negotiate(offer, answer)
	if err != nil {
		t.Fatal(err)
	}
	a.Start(na.Remote, na)
	b.Start(nb.Remote, nb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	payload := make([]byte, 160)
	var p media.Packet
	a.Send(payload, 160)
	if err := b.Receive(ctx, &p); err != nil {
		t.Fatal(err)
	}
	b.Send(payload, 160)
	// a's reader shows the packet before it queues it.
	if err := a.Receive(ctx, &p); err != nil {
		t.Fatal(err)
	}
	a.Close()
	mu.Lock()
	defer mu.Unlock()
	want := []seen{
		{sent: true, local: aAddr, remote: bAddr, n: 172},
		{sent: false, local: aAddr, remote: bAddr, n: 172},
	}
	for i, w := range want {
		if i >= len(got) || got[i] != w {
			t.Fatalf("tap saw %+v, want first %+v", got, want)
		}
	}
	rtcp := false
	for _, g := range got[2:] {
		if g.rtcp && g.sent && g.local.Port() == aAddr.Port()+1 && g.remote.Port() == bAddr.Port()+1 {
			rtcp = true
		}
	}
	if !rtcp {
		t.Errorf("no RTCP report seen: %+v", got)
	}
}
