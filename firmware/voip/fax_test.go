package voip

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp/engine"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua"
)

// idleHighway is a highway the test never runs: the engine only queues
// the trunk's commands.
type idleHighway struct{}

func (idleHighway) Slots() int                        { return 4 }
func (idleHighway) Exchange(rx, tx []hal.Frame) error { return hal.ErrClosed }
func (idleHighway) Overruns() uint64                  { return 0 }

var loopback = netip.MustParseAddr("127.0.0.1")

// runUA starts a user agent on a loopback UDP socket (wrapped in tap when
// given) until the test ends.
func runUA(t *testing.T, ctx context.Context, tap func(net.PacketConn) net.PacketConn) *ua.UA {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	var conn net.PacketConn = c
	if tap != nil {
		conn = tap(c)
	}
	u, err := ua.New(ua.Options{Conn: conn, Unregister: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); u.Run(ctx) }()
	t.Cleanup(func() { <-done })
	return u
}

// A fax on a SIP call: the engine's Fax event makes the trunk re-INVITE
// the far end with plain G.711 (PCMA/PCMU only, no telephone-event, no
// comfort noise), the codec in use first, once.
func TestFaxReinvitesToPlainG711(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	// The far end: a user agent that answers and reports the media it
	// ends up with.
	far := runUA(t, ctx, nil)
	media := make(chan sdp.Negotiated, 8)
	farMedia := sdp.Local{Addr: loopback, Port: 40000, Codecs: []string{"PCMA", "PCMU"}, PTime: 20 * time.Millisecond, DTMF: true}
	_, err := far.AddLine(1, ua.Account{User: "far", Domain: "127.0.0.1"}, ua.Profile{}, ua.HandlerFunc(func(c *ua.Call) {
		go func() {
			c.Answer(farMedia)
			for ev := range c.Events() {
				if ev.Kind == ua.EvMedia || ev.Kind == ua.EvAnswered {
					media <- ev.Media
				}
			}
		}()
	}))
	if err != nil {
		t.Fatal(err)
	}

	// The box: its trunk over a tapped socket, pointed at the far end.
	var tap *Tap
	box := runUA(t, ctx, func(c net.PacketConn) net.PacketConn { tap = NewTap(c); return tap })
	msgs, stop := tap.Subscribe(64)
	defer stop()
	eng := engine.New(idleHighway{}, engine.Options{})
	tr := New(ctx, Options{UA: box, Engine: eng, MediaIP: loopback, Tap: tap})
	cfg := config.Default(2)
	cfg.SIP.Profiles[0].OutboundProxies = []string{far.Addr().String()}
	cfg.SIP.Profiles[0].Domain = "127.0.0.1"
	cfg.Ports[0].SIP = config.PortSIP{Enabled: true, User: "box"}
	if err := tr.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	// Dial as soon as the user agent serves.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var leg line.Leg
	for leg == nil {
		leg, err = tr.Dial(cfg.Ports[0].Index, "far")
		if err != nil && !errors.Is(err, line.ErrNotReady) {
			t.Fatal(err)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the box never got ready to dial: %v", err)
		}
	}
	for ev := range leg.Events() {
		if ev.Kind == line.LegAnswered {
			break
		}
		if ev.Kind == line.LegFailed || ev.Kind == line.LegEnded {
			t.Fatalf("the call ended: %+v", ev)
		}
	}
	first := <-media
	if first.Event == nil {
		t.Fatalf("the call was set up without telephone-event (%+v): the test cannot tell the re-INVITE's change", first)
	}

	tr.Fax(0) // the engine heard CED on the port's channel
	tr.Fax(0) // and /ANS: still one re-INVITE

	var got sdp.Negotiated
	select {
	case got = <-media:
	case <-ctx.Done():
		t.Fatal("no re-INVITE reached the far end")
	}
	if !got.Codec.Is(first.Codec.Name, 8000) || got.Event != nil {
		t.Errorf("after the fax: %+v, want %s without telephone-event", got, first.Codec.Name)
	}
	// What the box sent: two INVITEs (the call, the re-INVITE), the
	// second offering PCMA and PCMU only.
	var invites [][]byte
	for len(invites) < 2 {
		select {
		case m := <-msgs:
			if m.Sent && bytes.HasPrefix(m.Data, []byte("INVITE ")) {
				invites = append(invites, m.Data)
			}
		case <-ctx.Done():
			t.Fatalf("the box sent %d INVITEs, want 2", len(invites))
		}
	}
	_, body, _ := bytes.Cut(invites[1], []byte("\r\n\r\n"))
	off, err := sdp.Parse(body)
	if err != nil {
		t.Fatalf("re-INVITE body: %v\n%s", err, invites[1])
	}
	var pts []uint8
	for _, f := range off.Media[0].Formats {
		pts = append(pts, f.PT)
	}
	if len(pts) != 2 || pts[0] != 8 || pts[1] != 0 {
		t.Errorf("re-INVITE offers payload types %v, want [8 0] (PCMA in use first, then PCMU) and nothing else:\n%s", pts, body)
	}
	select {
	case m := <-msgs:
		if m.Sent && bytes.HasPrefix(m.Data, []byte("INVITE ")) {
			t.Errorf("a third INVITE: the fax re-INVITE must go once")
		}
	case <-time.After(200 * time.Millisecond):
	}
	leg.Hangup()
}
