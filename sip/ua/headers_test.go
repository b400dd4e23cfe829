package ua

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

func inviteWith(t *testing.T, hdrs ...string) *sip.Request {
	t.Helper()
	raw := "INVITE sip:201@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n" +
		"To: <sip:201@example.com>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n" +
		strings.Join(hdrs, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	return m.(*sip.Request)
}

func TestCallerOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdrs []string
		want Party
	}{
		{"from only", []string{`From: "Bob" <sip:5551234@example.com>;tag=1`}, Party{Number: "5551234", Name: "Bob"}},
		{"pai wins over from", []string{`From: "Anybody" <sip:999@example.com>;tag=1`, `P-Asserted-Identity: "Bob Smith" <sip:+4930555@example.com>`},
			Party{Number: "+4930555", Name: "Bob Smith"}},
		{"pai sip and tel", []string{`From: <sip:x@example.com>;tag=1`, `P-Asserted-Identity: <sip:bob@example.com>, <tel:+1-555-123-4567>`},
			Party{Number: "+15551234567"}},
		{"pai without name takes from's", []string{`From: "Carol" <sip:777@example.com>;tag=1`, `P-Asserted-Identity: <sip:777@example.com>`},
			Party{Number: "777", Name: "Carol"}},
		{"privacy id", []string{`From: "Bob" <sip:5551234@example.com>;tag=1`, `P-Asserted-Identity: <sip:5551234@example.com>`, `Privacy: id`},
			Party{Private: true}},
		{"privacy header;user", []string{`From: "Bob" <sip:5551234@example.com>;tag=1`, `Privacy: header;user`}, Party{Private: true}},
		{"privacy none", []string{`From: "Bob" <sip:5551234@example.com>;tag=1`, `Privacy: none`}, Party{Number: "5551234", Name: "Bob"}},
		{"anonymous from", []string{`From: "Anonymous" <sip:anonymous@anonymous.invalid>;tag=1`}, Party{Private: true}},
		{"rpid privacy", []string{`From: <sip:x@example.com>;tag=1`, `Remote-Party-ID: "Dan" <sip:123@example.com>;party=calling;privacy=full`},
			Party{Private: true}},
		{"rpid", []string{`From: <sip:x@example.com>;tag=1`, `Remote-Party-ID: "Dan" <sip:123@example.com>;party=calling;screen=yes`},
			Party{Number: "123", Name: "Dan"}},
		{"escaped quotes in name", []string{`From: "J \"Jr\" Doe" <sip:42@example.com>;tag=1`}, Party{Number: "42", Name: `J "Jr" Doe`}},
		{"user part is a name", []string{`From: "Eve" <sip:eve@example.com>;tag=1`}, Party{Name: "Eve"}},
		{"escaped hash", []string{`From: <sip:%2A31%23123@example.com>;tag=1`}, Party{Number: "*31#123"}},
		{"name equal to number dropped", []string{`From: "555" <sip:555@example.com>;tag=1`}, Party{Number: "555"}},
		{"bad pai falls back to from", []string{`From: "Bob" <sip:1@example.com>;tag=1`, `P-Asserted-Identity: <sip:broken`}, Party{Number: "1", Name: "Bob"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := callerOf(inviteWith(t, tc.hdrs...)); got != tc.want {
				t.Errorf("callerOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSessionExpiresHeader(t *testing.T) {
	for _, tc := range []struct {
		in  string
		d   time.Duration
		ref string
		err bool
	}{
		{"1800", 1800 * time.Second, "", false},
		{"90;refresher=uac", 90 * time.Second, "uac", false},
		{" 120 ; refresher = UAS ", 120 * time.Second, "uas", false},
		{"0", 0, "", true},
		{"-5", 0, "", true},
		{"abc", 0, "", true},
		{"99999999999", 0, "", true},
		{"100;refresher=both", 0, "", true},
	} {
		d, ref, err := sessionExpires(tc.in)
		if (err != nil) != tc.err || d != tc.d || ref != tc.ref {
			t.Errorf("sessionExpires(%q) = %v %q %v", tc.in, d, ref, err)
		}
	}
}

func TestRAck(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want rack
		err  bool
	}{
		{"776656 1 INVITE", rack{776656, 1, "INVITE"}, false},
		{"  1   2  invite ", rack{1, 2, "INVITE"}, false},
		{"0 1 INVITE", rack{}, true},
		{"1 INVITE", rack{}, true},
		{"x 1 INVITE", rack{}, true},
		{"1 4294967296 INVITE", rack{}, true},
	} {
		got, err := parseRAck(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseRAck(%q) = %+v %v", tc.in, got, err)
		}
	}
}

func TestInfoBodies(t *testing.T) {
	for _, tc := range []struct {
		ctype, body string
		digit       byte
		dur         time.Duration
		err         bool
	}{
		{"application/dtmf-relay", "Signal=1\r\nDuration=100", '1', 100 * time.Millisecond, false},
		{"Application/DTMF-Relay; charset=x", "signal=A\nduration=40\n", 'A', 40 * time.Millisecond, false},
		{"application/dtmf-relay", "Signal=11\r\nDuration=90", '#', 90 * time.Millisecond, false},
		{"application/dtmf-relay", "Signal=16\r\n", Flash, 0, false},
		{"application/dtmf-relay", "Signal=hf", Flash, 0, false},
		{"application/dtmf", "d", 'D', 0, false},
		{"application/hook-flash", "signal=hf", Flash, 0, false},
		{"application/dtmf-relay", "Signal=17", 0, 0, true},
		{"application/dtmf-relay", "Duration=100", 0, 0, true},
		{"text/plain", "1", 0, 0, true},
	} {
		d, dur, err := infoDTMF(tc.ctype, []byte(tc.body))
		if (err != nil) != tc.err || d != tc.digit || dur != tc.dur {
			t.Errorf("infoDTMF(%q, %q) = %q %v %v", tc.ctype, tc.body, d, dur, err)
		}
	}
}

func TestSplitList(t *testing.T) {
	got := splitList(`"A, B" <sip:a@x>, <sip:b@y;p=1,2>,  , <tel:+1>`)
	want := []string{`"A, B" <sip:a@x>`, `<sip:b@y;p=1,2>`, `<tel:+1>`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitList = %q", got)
	}
}

func TestSDPBody(t *testing.T) {
	mp := "--b1\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n\x01\x02\r\n" +
		"--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--b1--\r\n"
	for _, tc := range []struct {
		ctype, body, want string
		err               bool
	}{
		{"application/sdp", "v=0", "v=0", false},
		{"", "v=0", "v=0", false},
		{`multipart/mixed;boundary=b1`, mp, "v=0\r\n", false},
		{"application/isup", "xx", "", true},
		{"multipart/mixed", mp, "", true},
		{"bad type;;", "x", "", true},
	} {
		got, err := sdpBody(tc.ctype, []byte(tc.body))
		if (err != nil) != tc.err || string(got) != tc.want {
			t.Errorf("sdpBody(%q) = %q %v", tc.ctype, got, err)
		}
	}
}

func TestRawReject(t *testing.T) {
	from := &net.UDPAddr{IP: net.ParseIP("192.0.2.9"), Port: 5060}
	for _, tc := range []struct {
		in   string
		code int
		none bool
	}{
		{"INVITE  sip:a@b  SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n", 400, false},
		{"OPTIONS sip:a@b SIP/3.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n", 505, false},
		{"OPTIONS soap.beep://h:1 SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", 416, false},
		{"SIP/2.0 999999 x\r\nVia: SIP/2.0/UDP h\r\n\r\n", 0, true},
		{"ACK sip:a@b SIP/2.0 x\r\nVia: SIP/2.0/UDP h\r\n\r\n", 0, true},
		{"INVITE sip:a@b\r\nTo: a\r\n\r\n", 400, true},
		{"", 0, true},
	} {
		code, res := rawReject([]byte(tc.in), from)
		if code != tc.code || (res == nil) != tc.none {
			t.Errorf("rawReject(%q) = %d %q", tc.in, code, res)
			continue
		}
		if res == nil {
			continue
		}
		m, err := sip.ParseMessage(res)
		if err != nil {
			t.Errorf("answer does not parse: %v\n%s", err, res)
			continue
		}
		r := m.(*sip.Response)
		tagged := true
		if to := r.To(); to != nil {
			_, tagged = to.Params.Get("tag")
		}
		if r.StatusCode != tc.code || !tagged {
			t.Errorf("answer %s", res)
		}
		if rec, _ := r.Via().Params.Get("received"); rec != "192.0.2.9" {
			t.Errorf("Via %s", r.Via().Value())
		}
	}
}

// FuzzHeaders feeds our header parsers hostile text: they may refuse it,
// never crash, and what they accept keeps its invariants.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{
		`"Bob" <sip:+4930555@example.com>;tag=1`, `<tel:+1-555-123>, "x, y" <sip:a@b>`, `sip:a@b;x=1`,
		"1800;refresher=uac", "776656 1 INVITE", "Signal=5\r\nDuration=160", "%23%2A1-2.3", `"\"<>`, "<", "tel:;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range splitList(s) {
			if na, err := parseNameAddr(v); err == nil {
				if n := na.number(); strings.Trim(n, "0123456789*#ABCD+") != "" {
					t.Fatalf("number %q of %q", n, v)
				}
			}
		}
		if d, ref, err := sessionExpires(s); err == nil && (d <= 0 || (ref != "" && ref != "uac" && ref != "uas")) {
			t.Fatalf("sessionExpires(%q) = %v %q", s, d, ref)
		}
		if r, err := parseRAck(s); err == nil && r.rseq == 0 {
			t.Fatalf("parseRAck(%q) = %+v", s, r)
		}
		for _, ct := range []string{"application/dtmf-relay", "application/dtmf"} {
			if d, _, err := infoDTMF(ct, []byte(s)); err == nil && !strings.ContainsRune("0123456789*#ABCD!", rune(d)) {
				t.Fatalf("infoDTMF(%q) = %q", s, d)
			}
		}
		digitsOf(s)
		unquote(s)
		firstToken(s)
		deltaSeconds(s)
		sdpBody("multipart/mixed;boundary=b", []byte(s))
	})
}

// FuzzDatagram feeds whole datagrams to what we do before and instead of
// sipgo's handling: the raw 400 answer and the parameter clean-up. Seeds:
// the RFC 4475 messages.
func FuzzDatagram(f *testing.F) {
	if files, err := filepath.Glob(filepath.Join(tortureDir(f), "*", "*.dat")); err == nil {
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("\r\n\r\n"))
	from := &net.UDPAddr{IP: net.ParseIP("192.0.2.9"), Port: 5060}
	p := sip.NewParser()
	f.Fuzz(func(t *testing.T, b []byte) {
		if code, res := rawReject(b, from); res != nil {
			if !strings.HasPrefix(string(res), "SIP/2.0 ") || !strings.HasSuffix(string(res), "\r\n\r\n") || code < 400 {
				t.Fatalf("answer %q", res)
			}
		}
		out, err := prepare(p, b)
		if err != nil {
			return
		}
		m, err := p.ParseSIP(out)
		if err != nil {
			t.Fatalf("prepare made %q unparsable: %v", out, err)
		}
		{
			if r, ok := m.(*sip.Request); ok {
				check(r)
				callerOf(r)
				acceptsSDP(r)
				sdpOf(r)
			}
		}
	})
}
