package sdp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	testAddrA = netip.MustParseAddr("192.0.2.1")
	testAddrB = netip.MustParseAddr("198.51.100.7")
	testAddr6 = netip.MustParseAddr("2001:db8::1")
)

// box is the Local of a typical line: PCMA first, 20 ms, RFC 4733 events.
func box() Local {
	return Local{Addr: testAddrA, Port: 16384, Codecs: []string{"PCMA", "PCMU"}, PTime: 20 * time.Millisecond, DTMF: true}
}

func TestOffer(t *testing.T) {
	tests := []struct {
		name string
		l    Local
	}{
		{"offer-default", box()},
		{"offer-pcmu-10ms", Local{Addr: testAddrA, Port: 20000, Codecs: []string{"pcmu", "G729", "PCMA", "PCMU"}, PTime: 10 * time.Millisecond, DTMF: true}},
		{"offer-no-dtmf-30ms", Local{Addr: testAddrA, Port: 20002, PTime: 30 * time.Millisecond}},
		{"offer-bad-ptime", Local{Addr: testAddrA, Port: 20004, PTime: 25 * time.Millisecond}},
		{"offer-hold", Local{Addr: testAddrA, Port: 20006, DTMF: true, Dir: SendOnly}},
		{"offer-legacy-hold", Local{Addr: testAddrA, Port: 20006, DTMF: true, Dir: Inactive, LegacyHold: true}},
		{"offer-ipv6", Local{Addr: testAddr6, Port: 20008, DTMF: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Offer(tt.l, 3735928559, 1)
			golden(t, tt.name+".sdp", s.Marshal())
			if _, err := Parse(s.Marshal()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAnswer(t *testing.T) {
	pcmu := box()
	pcmu.Codecs = []string{"PCMU"}
	noDTMF := box()
	noDTMF.DTMF = false
	v6 := box()
	v6.Addr = testAddr6
	ptime30 := box()
	ptime30.PTime = 30 * time.Millisecond
	holding := box()
	holding.Dir = SendOnly
	tests := []struct {
		offer  string // a file in testdata/sdp, or a description
		l      Local
		want   string // Negotiated.String(), or the error text
		rtcp   string
		flash  bool // the far end accepts event 16
		golden string
	}{
		{offer: "asterisk-offer", l: box(), want: "PCMA/8000 pt 8 20ms sendrecv -> 203.0.113.10:14652 (events pt 101)", flash: true, golden: "answer-asterisk"},
		{offer: "asterisk-offer", l: pcmu, want: "PCMU/8000 pt 0 20ms sendrecv -> 203.0.113.10:14652 (events pt 101)", flash: true},
		{offer: "asterisk-offer", l: noDTMF, want: "PCMA/8000 pt 8 20ms sendrecv -> 203.0.113.10:14652", golden: "answer-asterisk-nodtmf"},
		{offer: "asterisk-hold", l: box(), want: "PCMA/8000 pt 8 20ms recvonly -> 203.0.113.10:14652 (events pt 101)", flash: true, golden: "answer-asterisk-hold"},
		{offer: "asterisk-hold", l: holding, want: "PCMA/8000 pt 8 20ms inactive -> 203.0.113.10:14652 (events pt 101)", flash: true},
		{offer: "freeswitch-offer", l: box(), want: "PCMA/8000 pt 8 20ms sendrecv -> 198.51.100.20:25074 (events pt 101)", rtcp: "198.51.100.20:25075", flash: true, golden: "answer-freeswitch"},
		{offer: "rtpengine-ice", l: box(), want: "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.50:30002 (events pt 101)", rtcp: "192.0.2.50:30003", flash: true, golden: "answer-rtpengine-ice"},
		{offer: "baresip-offer", l: box(), want: "PCMA/8000 pt 8 20ms sendrecv -> 127.0.0.1:10004 (events pt 101)", golden: "answer-baresip"},
		{offer: "baresip-offer", l: ptime30, want: "PCMA/8000 pt 8 20ms sendrecv -> 127.0.0.1:10004 (events pt 101)"},
		{offer: "cisco-offer", l: box(), want: "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.77:16434 (events pt 101)", flash: true, golden: "answer-cisco"},
		{offer: "cisco-legacy-hold", l: box(), want: "PCMU/8000 pt 0 20ms recvonly -> 0.0.0.0:16434 (events pt 101)", flash: true, golden: "answer-cisco-legacy-hold"},
		{offer: "static-only", l: box(), want: "PCMU/8000 pt 0 20ms sendonly -> 192.0.2.9:49170", golden: "answer-static-only"},
		{offer: "ipv6-inactive", l: box(), want: "sdp: not acceptable: no usable connection address"},
		{offer: "ipv6-inactive", l: v6, want: "PCMA/8000 pt 8 10ms inactive -> [2001:db8::10]:5004 (events pt 101)", flash: true, golden: "answer-ipv6-inactive"},
		{offer: "crlf-session", l: box(), want: "PCMA/8000 pt 8 30ms sendrecv -> 192.0.2.30:7078 (events pt 97)"},
		{offer: "rfc4475-torture", l: box(), want: "PCMU/8000 pt 0 20ms sendrecv -> 192.0.2.198:49217", golden: "answer-rfc4475"},
		{offer: "odd-but-legal", l: box(), want: "PCMA/8000 pt 8 20ms inactive -> 192.0.2.44:8000 (events pt 96)", flash: true},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 18\n", l: box(), want: "sdp: not acceptable: no codec in common"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/SAVP 8\n", l: box(), want: "sdp: not acceptable: no RTP/AVP audio stream (RTP/SAVP)"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 8\n", l: box(), want: "sdp: not acceptable: no usable connection address"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 0 RTP/AVP 8\nm=video 4000 RTP/AVP 31\n", l: box(), want: "sdp: not acceptable: no audio stream"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 8\na=ptime:40\n", l: box(), want: "PCMA/8000 pt 8 30ms sendrecv -> 192.0.2.5:4000"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 8\na=ptime:5\n", l: box(), want: "PCMA/8000 pt 8 10ms sendrecv -> 192.0.2.5:4000"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 8\na=maxptime:20\n", l: ptime30, want: "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.5:4000"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 8 0\nm=audio 4002 RTP/AVP 0\n", l: pcmu, want: "PCMU/8000 pt 0 20ms sendrecv -> 192.0.2.5:4000"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 96 97\na=rtpmap:96 PCMA/8000/2\na=rtpmap:97 pcma/8000\n", l: box(), want: "pcma/8000 pt 97 20ms sendrecv -> 192.0.2.5:4000"},
		{offer: "v=0\no=- 1 1 IN IP4 192.0.2.5\ns=-\nc=IN IP4 192.0.2.5\nt=0 0\nm=audio 4000 RTP/AVP 8 101\na=rtpmap:101 telephone-event/16000\n", l: box(), want: "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.5:4000"},
	}
	for _, tt := range tests {
		name := tt.offer
		if strings.Contains(name, "\n") {
			name = "inline"
		}
		t.Run(name, func(t *testing.T) {
			var in []byte
			if strings.Contains(tt.offer, "\n") {
				in = []byte(tt.offer)
			} else {
				in = load(t, tt.offer)
			}
			offer, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			ans, n, err := Answer(offer, tt.l, 77, 1)
			if err != nil {
				if !errors.Is(err, ErrNotAcceptable) {
					t.Errorf("error %v does not wrap ErrNotAcceptable", err)
				}
				if err.Error() != tt.want {
					t.Errorf("error %q, want %q", err, tt.want)
				}
				return
			}
			if got := n.String(); got != tt.want {
				t.Errorf("negotiated %s\nwant       %s", got, tt.want)
			}
			if got := n.RTCP; tt.rtcp == "" && got.IsValid() || tt.rtcp != "" && got.String() != tt.rtcp {
				t.Errorf("RTCP %v, want %q", got, tt.rtcp)
			}
			if n.CanSendEvent(16) != tt.flash {
				t.Errorf("CanSendEvent(16) = %v", !tt.flash)
			}
			if n.Event != nil && (n.RecvEventPT != n.Event.PT || !n.CanSendEvent(5)) {
				t.Errorf("event pt %d, receive pt %d, can send 5 %v", n.Event.PT, n.RecvEventPT, n.CanSendEvent(5))
			}
			if len(ans.Media) != len(offer.Media) {
				t.Fatalf("answer has %d m= lines, offer %d", len(ans.Media), len(offer.Media))
			}
			for i, m := range ans.Media {
				if i != n.Media && m.Port != 0 {
					t.Errorf("m= line %d not rejected: %+v", i, m)
				}
				if m.Type != offer.Media[i].Type {
					t.Errorf("m= line %d is %s, offered %s", i, m.Type, offer.Media[i].Type)
				}
			}
			if ans.Media[n.Media].Dir != n.Dir || ans.Media[n.Media].PTime != n.PTime {
				t.Errorf("answer says %s %v, negotiated %s %v", ans.Media[n.Media].Dir, ans.Media[n.Media].PTime, n.Dir, n.PTime)
			}
			if ans.Origin.SessionID != 77 || ans.Origin.Version != 1 {
				t.Errorf("origin %+v", ans.Origin)
			}
			// The offerer's view of this answer mirrors the answerer's.
			back, err := Negotiate(offer, ans)
			if err != nil {
				t.Fatal(err)
			}
			if back.Codec.PT != n.Codec.PT || back.PTime != n.PTime || back.Remote.Port() != uint16(tt.l.Port) {
				t.Errorf("offerer sees %v", back)
			}
			if !offer.MediaAddr(n.Media).IsUnspecified() && back.Dir != n.Dir.Reverse() {
				t.Errorf("offerer direction %s, answerer %s", back.Dir, n.Dir)
			}
			if tt.golden != "" {
				golden(t, tt.golden+".sdp", ans.Marshal())
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	offer := Offer(box(), 1000, 1)
	hold := box()
	hold.Dir = SendOnly
	holdOffer := Offer(hold, 1000, 2)
	const ans = "v=0\no=- 9 9 IN IP4 192.0.2.50\ns=-\nc=IN IP4 192.0.2.50\nt=0 0\n"
	tests := []struct {
		name   string
		offer  *Session
		answer string
		want   string
		recvEv uint8
		rtcp   string
	}{
		{"rtpengine", offer, string(load(t, "rtpengine-answer")), "PCMA/8000 pt 8 30ms sendrecv -> 192.0.2.50:30000 (events pt 96)", 101, "192.0.2.50:30001"},
		{"answer prefers PCMU", offer, ans + "m=audio 5000 RTP/AVP 0 8 101\na=rtpmap:101 telephone-event/8000\n", "PCMU/8000 pt 0 20ms sendrecv -> 192.0.2.50:5000 (events pt 101)", 101, ""},
		{"answer without events", offer, ans + "m=audio 5000 RTP/AVP 8\n", "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.50:5000", 0, ""},
		{"answer sendonly", offer, ans + "m=audio 5000 RTP/AVP 8\na=sendonly\n", "PCMA/8000 pt 8 20ms recvonly -> 192.0.2.50:5000", 0, ""},
		{"answer session inactive", offer, ans + "a=inactive\nm=audio 5000 RTP/AVP 8\n", "PCMA/8000 pt 8 20ms inactive -> 192.0.2.50:5000", 0, ""},
		{"answer c=0.0.0.0", offer, "v=0\no=- 9 9 IN IP4 192.0.2.50\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 5000 RTP/AVP 8\n", "PCMA/8000 pt 8 20ms recvonly -> 0.0.0.0:5000", 0, ""},
		{"answer media-level c=", offer, "v=0\no=- 9 9 IN IP4 192.0.2.50\ns=-\nt=0 0\nm=audio 5000 RTP/AVP 8\nc=IN IP4 192.0.2.51\na=rtcp:6001 IN IP4 192.0.2.52\n", "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.51:5000", 0, "192.0.2.52:6001"},
		{"answer ptime 10", offer, ans + "m=audio 5000 RTP/AVP 8\na=ptime:10\n", "PCMA/8000 pt 8 10ms sendrecv -> 192.0.2.50:5000", 0, ""},
		{"answer maxptime 10", offer, ans + "m=audio 5000 RTP/AVP 8\na=maxptime:10\n", "PCMA/8000 pt 8 10ms sendrecv -> 192.0.2.50:5000", 0, ""},
		{"hold answered recvonly", holdOffer, ans + "m=audio 5000 RTP/AVP 8 101\na=rtpmap:101 telephone-event/8000\na=recvonly\n", "PCMA/8000 pt 8 20ms sendonly -> 192.0.2.50:5000 (events pt 101)", 101, ""},
		{"hold answered sendrecv", holdOffer, ans + "m=audio 5000 RTP/AVP 8\n", "PCMA/8000 pt 8 20ms sendonly -> 192.0.2.50:5000", 0, ""},
		{"hold answered inactive", holdOffer, ans + "m=audio 5000 RTP/AVP 8\na=inactive\n", "PCMA/8000 pt 8 20ms inactive -> 192.0.2.50:5000", 0, ""},
		{"rejected", offer, ans + "m=audio 0 RTP/AVP 8\n", "sdp: not acceptable: the answer accepted no audio stream with PCMA or PCMU", 0, ""},
		{"codec not offered", offer, ans + "m=audio 5000 RTP/AVP 18 9\n", "sdp: not acceptable: the answer accepted no audio stream with PCMA or PCMU", 0, ""},
		{"wrong rate", offer, ans + "m=audio 5000 RTP/AVP 96\na=rtpmap:96 PCMA/16000\n", "sdp: not acceptable: the answer accepted no audio stream with PCMA or PCMU", 0, ""},
		{"no address", offer, "v=0\no=- 9 9 IN IP4 192.0.2.50\ns=-\nt=0 0\nm=audio 5000 RTP/AVP 8\n", "sdp: not acceptable: the answer accepted no audio stream with PCMA or PCMU", 0, ""},
		{"extra m= line", offer, ans + "m=audio 5000 RTP/AVP 8\nm=video 0 RTP/AVP 31\n", "sdp: not acceptable: answer has 2 m= lines, offer 1", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.answer))
			if err != nil {
				t.Fatal(err)
			}
			n, err := Negotiate(tt.offer, a)
			if err != nil {
				if !errors.Is(err, ErrNotAcceptable) || err.Error() != tt.want {
					t.Errorf("error %q, want %q wrapping ErrNotAcceptable", err, tt.want)
				}
				return
			}
			if got := n.String(); got != tt.want {
				t.Errorf("negotiated %s\nwant       %s", got, tt.want)
			}
			if n.Event != nil && n.RecvEventPT != tt.recvEv {
				t.Errorf("receive event pt %d, want %d", n.RecvEventPT, tt.recvEv)
			}
			if got := n.RTCP; tt.rtcp == "" && got.IsValid() || tt.rtcp != "" && got.String() != tt.rtcp {
				t.Errorf("RTCP %v, want %q", got, tt.rtcp)
			}
		})
	}
}

// TestHoldResume walks a call through hold and resume by re-INVITE: each
// side bumps its own version, keeps its session id, and both agree on the
// directions; then the same with the RFC 2543 c=0.0.0.0 hold.
func TestHoldResume(t *testing.T) {
	a := box()
	b := Local{Addr: testAddrB, Port: 30000, Codecs: []string{"PCMU", "PCMA"}, PTime: 20 * time.Millisecond, DTMF: true}
	idA, idB := NewSessionID(), NewSessionID()
	if idA == 0 || idA >= 1<<31 {
		t.Fatalf("session id %d out of range", idA)
	}
	lastA := Offer(a, idA, 1)
	lastB, nb, err := Answer(lastA, b, idB, 1)
	if err != nil {
		t.Fatal(err)
	}
	verB := uint64(1)
	steps := []struct {
		name       string
		dir        Direction
		legacy     bool
		wantA      Direction
		wantB      Direction
		wantRemote string // what B sends to
	}{
		{"hold", SendOnly, false, SendOnly, RecvOnly, "192.0.2.1:16384"},
		{"resume", SendRecv, false, SendRecv, SendRecv, "192.0.2.1:16384"},
		{"both on hold", Inactive, false, Inactive, Inactive, "192.0.2.1:16384"},
		{"legacy hold", SendOnly, true, SendOnly, RecvOnly, "0.0.0.0:16384"},
		{"resume from legacy hold", SendRecv, true, SendRecv, SendRecv, "192.0.2.1:16384"},
	}
	if nb.Dir != SendRecv || nb.Codec.Name != "PCMU" {
		t.Fatalf("initial answer %v", nb)
	}
	for i, st := range steps {
		a.Dir, a.LegacyHold = st.dir, st.legacy
		offer := Reoffer(lastA, a)
		if offer.Origin.SessionID != idA || offer.Origin.Version != uint64(i+2) {
			t.Fatalf("%s: origin %+v, want id %d version %d", st.name, offer.Origin, idA, i+2)
		}
		parsed, err := Parse(offer.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		verB++
		ans, nb, err := Answer(parsed, b, lastB.Origin.SessionID, verB)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		na, err := Negotiate(offer, ans)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if na.Dir != st.wantA || nb.Dir != st.wantB {
			t.Errorf("%s: A %s, B %s; want %s, %s", st.name, na.Dir, nb.Dir, st.wantA, st.wantB)
		}
		if got := nb.Remote.String(); got != st.wantRemote {
			t.Errorf("%s: B sends to %s, want %s", st.name, got, st.wantRemote)
		}
		if ans.Origin.SessionID != idB || ans.Origin.Version != verB {
			t.Errorf("%s: answer origin %+v", st.name, ans.Origin)
		}
		lastA, lastB = offer, ans
	}
}

func TestReoffer(t *testing.T) {
	offer, err := Parse(load(t, "rtpengine-ice"))
	if err != nil {
		t.Fatal(err)
	}
	ans, _, err := Answer(offer, box(), 500, 4)
	if err != nil {
		t.Fatal(err)
	}
	l := box()
	l.Dir = SendOnly
	re := Reoffer(ans, l)
	golden(t, "reoffer-after-answer.sdp", re.Marshal())
	if re.Origin.SessionID != 500 || re.Origin.Version != 5 {
		t.Errorf("origin %+v", re.Origin)
	}
	if len(re.Media) != 2 || re.Media[0].Port != 0 || re.Media[0].Proto != "RTP/SAVPF" || re.Media[1].Port != 16384 || re.Media[1].Dir != SendOnly {
		t.Errorf("m= lines %s", summary(re))
	}
	// A description without audio gets one appended.
	prev, err := Parse([]byte("v=0\no=- 7 7 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=image 0 udptl\n"))
	if err != nil {
		t.Fatal(err)
	}
	re = Reoffer(prev, box())
	if len(re.Media) != 2 || re.Media[0].Type != "image" || re.Media[0].Port != 0 || len(re.Media[0].Tokens) != 1 || re.Media[1].Type != "audio" {
		t.Errorf("m= lines %s", summary(re))
	}
	if _, err := Parse(re.Marshal()); err != nil {
		t.Error(err)
	}
	// No m= lines at all: a plain offer with the next version.
	re = Reoffer(&Session{Origin: Origin{SessionID: 3, Version: 9}}, box())
	if len(re.Media) != 1 || re.Origin.Version != 10 {
		t.Errorf("m= lines %s", summary(re))
	}
}

func TestCanSendEvent(t *testing.T) {
	tests := []struct {
		fmtp string
		yes  []int
		no   []int
	}{
		{"", []int{0, 9, 15}, []int{16, -1}},
		{"0-16", []int{0, 11, 16}, []int{17}},
		{"0-15", []int{0, 15}, []int{16}},
		{"0-11,16", []int{0, 11, 16}, []int{12, 15}},
		{" 0-9, 10 ,11, 16-16 ", []int{0, 10, 11, 16}, []int{12}},
		{"events=0-16", []int{16}, []int{17}},
		{"junk", nil, []int{0, 16}},
		{"16-0", nil, []int{0, 16}},
	}
	for _, tt := range tests {
		n := Negotiated{Event: &Format{PT: 101, Name: "telephone-event", Rate: 8000, Fmtp: tt.fmtp}}
		for _, c := range tt.yes {
			if !n.CanSendEvent(c) {
				t.Errorf("fmtp %q: event %d refused", tt.fmtp, c)
			}
		}
		for _, c := range tt.no {
			if n.CanSendEvent(c) {
				t.Errorf("fmtp %q: event %d accepted", tt.fmtp, c)
			}
		}
	}
	if (Negotiated{}).CanSendEvent(1) {
		t.Error("events accepted without telephone-event")
	}
}
