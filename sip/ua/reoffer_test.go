package ua

import (
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/sdp"
)

// Reoffer (a fax moving to plain G.711) sends a re-INVITE with the new
// codecs and without telephone-event, keeping the address, the port and
// the session; EvMedia follows with what was negotiated.
func TestReoffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv, _ := b.answered(t, c)
		prev, _ := sdp.Parse(inv.req.Body())
		l := ourMedia
		l.Addr, l.Port = netip.MustParseAddr("192.0.2.99"), 1 // ignored: the call keeps its own
		l.Codecs, l.DTMF = []string{"PCMU", "PCMA"}, false
		if err := c.Reoffer(l); err != nil {
			t.Fatal(err)
		}
		re := b.f.next(sip.INVITE)
		off, err := sdp.Parse(re.req.Body())
		if err != nil {
			t.Fatal(err)
		}
		if off.Origin.SessionID != prev.Origin.SessionID || off.Origin.Version != prev.Origin.Version+1 {
			t.Errorf("o= %+v after %+v: same session, version+1", off.Origin, prev.Origin)
		}
		m, pm := off.Media[0], prev.Media[0]
		if m.Port != pm.Port || off.Addr != prev.Addr || m.Addr != pm.Addr {
			t.Errorf("re-offer at %v/%v port %d, the call's media is at %v/%v port %d", off.Addr, m.Addr, m.Port, prev.Addr, pm.Addr, pm.Port)
		}
		var pts []int
		for _, f := range m.Formats {
			pts = append(pts, int(f.PT))
		}
		if len(pts) != 2 || pts[0] != 0 || pts[1] != 8 {
			t.Errorf("re-offer formats %v, want [0 8] (PCMU, PCMA) and nothing else", pts)
		}
		re.respond(200, "OK", answerSDP(t, re.req, farMedia))
		re.finish()
		b.f.next(sip.ACK)
		e := nextEvent(t, c, EvMedia)
		if g711 := e.Media.Codec.Is("PCMU", 8000) || e.Media.Codec.Is("PCMA", 8000); !g711 || e.Media.Event != nil {
			t.Errorf("negotiated %+v, want G.711 without telephone-event", e.Media)
		}
	})
}
