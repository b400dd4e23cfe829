package voip

import (
	"net"
	"net/netip"
	"testing"
)

// RTP and RTCP reach only the subscribers that asked for media; SIP
// reaches both kinds, with the box's own address as Local.
func TestTapMedia(t *testing.T) {
	a, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tap := NewTap(a)
	local, remote := netip.MustParseAddrPort("127.0.0.1:16384"), netip.MustParseAddrPort("192.0.2.7:4000")
	tap.Media(true, false, local, remote, []byte{0x80}) // nobody listens: dropped
	sipOnly, stop1 := tap.Subscribe(8)
	defer stop1()
	all, stop2 := tap.SubscribeAll(8)
	defer stop2()
	tap.Media(true, false, local, remote, []byte{0x80, 8})
	tap.Media(false, true, local, remote, []byte{0x81, 200})
	if _, err := tap.WriteTo([]byte("OPTIONS sip:x SIP/2.0\r\n\r\n"), a.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	rtp, rtcp, sip := <-all, <-all, <-all
	if rtp.Kind != KindRTP || !rtp.Sent || rtp.Local != local || rtp.Remote != remote || len(rtp.Data) != 2 {
		t.Errorf("rtp %+v", rtp)
	}
	if rtcp.Kind != KindRTCP || rtcp.Sent {
		t.Errorf("rtcp %+v", rtcp)
	}
	if sip.Kind != KindSIP || sip.Local.String() != a.LocalAddr().String() {
		t.Errorf("sip %+v", sip)
	}
	if m := <-sipOnly; m.Kind != KindSIP {
		t.Errorf("the SIP-only subscriber got %v", m.Kind)
	}
	if len(sipOnly) != 0 {
		t.Errorf("the SIP-only subscriber has %d more", len(sipOnly))
	}
	stop2()
	if allocs := testing.AllocsPerRun(100, func() { tap.Media(true, false, local, remote, []byte{1}) }); allocs != 0 {
		t.Errorf("Media allocates %v times with no media subscriber", allocs)
	}
}
