package media_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/openiad/openiad/sip/media"
	"github.com/openiad/openiad/sip/sdp"
)

// Two streams on the loopback address: after the offer/answer each is
// started towards the other, and a packet of PCMA goes across.
func Example() {
	lo := netip.MustParseAddr("127.0.0.1")
	a, err := media.Listen(lo, 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := media.Listen(lo, 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	offer := sdp.Offer(sdp.Local{Addr: lo, Port: a.Port(), DTMF: true}, 1, 1)
	answer, nb, err := sdp.Answer(offer, sdp.Local{Addr: lo, Port: b.Port(), DTMF: true}, 2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	na, err := sdp.Negotiate(offer, answer)
	if err != nil {
		fmt.Println(err)
		return
	}
	a.Start(na.Remote, na)
	b.Start(nb.Remote, nb)

	if err := a.Send([]byte{0xd5, 0xd5, 0xd5, 0xd5}, 4); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var p media.Packet
	if err := b.Receive(ctx, &p); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("pt %d marker %v payload % x\n", p.PT, p.Marker, p.Payload)
	// Output: pt 8 marker true payload d5 d5 d5 d5
}
