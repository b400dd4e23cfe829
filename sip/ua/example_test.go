package ua_test

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua"
)

// A line registers at a softswitch and places a call; the line's goroutine
// follows the call by selecting on its events.
func Example() {
	u, err := ua.New(ua.Options{Listen: netip.MustParseAddrPort("0.0.0.0:5060"), Log: slog.Default()})
	if err != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go u.Run(ctx)

	incoming := make(chan *ua.Call, 1)
	l, err := u.AddLine(1,
		ua.Account{User: "201", Password: "secret", DisplayName: "Reception", Domain: "voip.example.net"},
		ua.Profile{Registrars: []string{"sbc1.example.net", "sbc2.example.net"}, KeepAlive: 25 * time.Second},
		ua.HandlerFunc(func(c *ua.Call) {
			select {
			case incoming <- c: // the line's goroutine rings the port, then c.Ringing()
			default:
				c.Reject(486) // busy
			}
		}))
	if err != nil {
		return
	}
	<-l.RegChanges() // registration progress; l.Registration() any time

	media := sdp.Local{Addr: netip.MustParseAddr("192.0.2.1"), Port: 10000, PTime: 20 * time.Millisecond, DTMF: true}
	call, err := l.Call(ctx, "5551234", media)
	if err != nil {
		return // ua.ErrNotRegistered: congestion tone
	}
	for ev := range call.Events() {
		switch ev.Kind {
		case ua.EvRinging: // local ringback
		case ua.EvEarlyMedia, ua.EvAnswered, ua.EvMedia:
			_ = ev.Media // (re)start the RTP stream towards ev.Media.Remote
		case ua.EvFailed, ua.EvEnded:
			_ = ev.Cause // the tone to play; the channel closes next
		}
	}
}
