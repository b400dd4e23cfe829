package sdp_test

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/openiad/openiad/sip/sdp"
)

func ExampleOffer() {
	l := sdp.Local{Addr: netip.MustParseAddr("192.0.2.1"), Port: 16384, PTime: 20 * time.Millisecond, DTMF: true}
	fmt.Print(strings.ReplaceAll(sdp.Offer(l, 42, 1).String(), "\r\n", "\n"))
	// Output:
	// v=0
	// o=- 42 1 IN IP4 192.0.2.1
	// s=-
	// c=IN IP4 192.0.2.1
	// t=0 0
	// m=audio 16384 RTP/AVP 8 0 101
	// a=rtpmap:8 PCMA/8000
	// a=rtpmap:0 PCMU/8000
	// a=rtpmap:101 telephone-event/8000
	// a=fmtp:101 0-16
	// a=ptime:20
	// a=sendrecv
}

func ExampleAnswer() {
	offer, err := sdp.Parse([]byte("v=0\r\no=- 7 7 IN IP4 203.0.113.10\r\ns=-\r\nc=IN IP4 203.0.113.10\r\nt=0 0\r\n" +
		"m=audio 14652 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=sendonly\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	l := sdp.Local{Addr: netip.MustParseAddr("192.0.2.1"), Port: 16384, Codecs: []string{"PCMA", "PCMU"}, DTMF: true}
	_, n, err := sdp.Answer(offer, l, 42, 1)
	fmt.Println(n, err)
	// Output: PCMA/8000 pt 8 20ms recvonly -> 203.0.113.10:14652 (events pt 101) <nil>
}
