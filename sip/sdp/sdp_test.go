package sdp

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func load(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdp", name+".sdp"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// summary is a compact, readable rendering of what Parse understood.
func summary(s *Session) string {
	var b strings.Builder
	o := s.Origin
	fmt.Fprintf(&b, "o=%s %d %d %s %s %s c=%v dir=%s", o.Username, o.SessionID, o.Version, o.NetType, o.AddrType, o.Address, s.Addr, s.Dir)
	writeLines(&b, s.Lines)
	writeAttrs(&b, s.Attrs)
	for _, m := range s.Media {
		fmt.Fprintf(&b, "\nm=%s %d", m.Type, m.Port)
		if m.Ports > 0 {
			fmt.Fprintf(&b, "/%d", m.Ports)
		}
		fmt.Fprintf(&b, " %s c=%v dir=%s ptime=%v", m.Proto, m.Addr, m.Dir, m.PTime)
		for _, f := range m.Formats {
			fmt.Fprintf(&b, " [%d %s/%d", f.PT, f.Name, f.Rate)
			if f.Channels > 0 {
				fmt.Fprintf(&b, "/%d", f.Channels)
			}
			if f.Fmtp != "" {
				fmt.Fprintf(&b, " %q", f.Fmtp)
			}
			b.WriteString("]")
		}
		if len(m.Tokens) > 0 {
			fmt.Fprintf(&b, " tokens=%v", m.Tokens)
		}
		writeLines(&b, m.Lines)
		writeAttrs(&b, m.Attrs)
	}
	return b.String()
}

func writeLines(b *strings.Builder, ls []Line) {
	for _, l := range ls {
		fmt.Fprintf(b, " %c=%q", l.Type, l.Value)
	}
}

func writeAttrs(b *strings.Builder, as []Attr) {
	for _, a := range as {
		if a.Value == "" {
			fmt.Fprintf(b, " a=%s", a.Key)
			continue
		}
		fmt.Fprintf(b, " a=%s:%q", a.Key, a.Value)
	}
}

// TestParseRealWorld parses descriptions written the way Asterisk,
// FreeSWITCH, Kamailio with rtpengine, baresip and Cisco gateways write
// them, checks what the model understood, and that Marshal writes what the
// golden file holds.
func TestParseRealWorld(t *testing.T) {
	tests := []struct{ name, want string }{
		{"asterisk-offer", `o=- 1848306148 1848306148 IN IP4 203.0.113.10 c=203.0.113.10 dir= t="0 0"
m=audio 14652 RTP/AVP c=invalid IP dir=sendrecv ptime=20ms [8 PCMA/8000] [0 PCMU/8000] [3 GSM/8000] [101 telephone-event/8000 "0-16"] a=maxptime:"150"`},
		{"asterisk-hold", `o=- 1848306148 1848306150 IN IP4 203.0.113.10 c=203.0.113.10 dir= t="0 0"
m=audio 14652 RTP/AVP c=invalid IP dir=sendonly ptime=20ms [8 PCMA/8000] [101 telephone-event/8000 "0-16"] a=maxptime:"150"`},
		{"freeswitch-offer", `o=FreeSWITCH 1712345678 1712345679 IN IP4 198.51.100.20 c=198.51.100.20 dir= t="0 0"
m=audio 25074 RTP/AVP c=invalid IP dir=sendrecv ptime=20ms [0 PCMU/8000] [8 PCMA/8000] [9 G722/8000] [102 opus/48000/2 "useinbandfec=1; maxaveragebitrate=30000; maxplaybackrate=48000; ptime=20; minptime=10; maxptime=40"] [101 telephone-event/8000 "0-16"] [13 CN/8000] a=rtcp:"25075 IN IP4 198.51.100.20"`},
		{"rtpengine-answer", `o=- 3948573921 3948573922 IN IP4 10.0.0.5 c=192.0.2.50 dir= t="0 0"
m=audio 30000 RTP/AVP c=invalid IP dir=sendrecv ptime=30ms [8 PCMA/8000] [96 telephone-event/8000 "0-15"] a=rtcp:"30001"`},
		{"rtpengine-ice", `o=- 3948573921 3948573921 IN IP4 10.0.0.5 c=invalid IP dir= t="0 0" a=group:"BUNDLE 0" a=msid-semantic:" WMS *"
m=audio 30000 RTP/SAVPF c=192.0.2.50 dir=sendrecv ptime=0s [111 opus/48000/2 "minptime=10;useinbandfec=1"] [8 PCMA/8000] [0 PCMU/8000] [101 telephone-event/8000] a=mid:"0" a=rtcp:"30001" a=rtcp-mux a=setup:"actpass" a=fingerprint:"sha-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF" a=ice-ufrag:"Xf3a" a=ice-pwd:"uQ1bb6nR2kKxK8MdHcM9YxNf" a=candidate:"1 1 UDP 2130706431 192.0.2.50 30000 typ host" a=end-of-candidates
m=audio 30002 RTP/AVP c=192.0.2.50 dir=sendrecv ptime=20ms [8 PCMA/8000] [0 PCMU/8000] [101 telephone-event/8000 "0-16"] a=rtcp:"30003"`},
		{"baresip-offer", `o=- 1951732906 3012457011 IN IP4 127.0.0.1 c=127.0.0.1 dir= t="0 0" a=tool:"baresip 3.10.1"
m=audio 10004 RTP/AVP c=invalid IP dir=sendrecv ptime=20ms [96 opus/48000/2 "stereo=1;sprop-stereo=1"] [9 G722/8000/1] [0 PCMU/8000/1] [8 PCMA/8000/1] [101 telephone-event/8000 "0-15"] b="AS:128" a=label:"1" a=ssrc:"2915482349 cname:2f2e3b1c-8f0d-4c53-9b0c-6e3e1f2b6d88" a=rtcp-rsize`},
		{"cisco-offer", `o=CiscoSystemsSIP-GW-UserAgent 4133 7431 IN IP4 192.0.2.77 c=192.0.2.77 dir= t="0 0"
m=audio 16434 RTP/AVP c=192.0.2.77 dir= ptime=20ms [18 G729/8000 "annexb=no"] [0 PCMU/8000] [8 PCMA/8000] [101 telephone-event/8000 "0-16"] [19 CN/8000]`},
		{"cisco-legacy-hold", `o=CiscoSystemsSIP-GW-UserAgent 4133 7432 IN IP4 192.0.2.77 c=0.0.0.0 dir= t="0 0"
m=audio 16434 RTP/AVP c=invalid IP dir= ptime=20ms [0 PCMU/8000] [101 telephone-event/8000 "0-16"]`},
		{"static-only", `o=user 2890844526 2890842807 IN IP4 192.0.2.9 c=192.0.2.9 dir=recvonly i="A call from an old phone" u="http://www.example.com/seminars/sdp.pdf" e="j.doe@example.com (Jane Doe)" p="+1 617 555-6011" b="CT:64" t="2873397496 2873404696" r="7d 1h 0 25h" z="2882844526 -1h 2898848070 0" k="prompt"
m=audio 49170 RTP/AVP c=invalid IP dir= ptime=0s [0 PCMU/8000] i="voice"
m=video 51372 RTP/AVP c=invalid IP dir= ptime=0s [99 h263-1998/90000]
m=image 49172 udptl c=invalid IP dir= ptime=0s tokens=[t38] a=T38FaxVersion:"0" a=T38FaxRateManagement:"transferredTCF"`},
		{"ipv6-inactive", `o=- 20518 0 IN IP6 2001:db8::10 c=2001:db8::10 dir= t="0 0"
m=audio 5004 RTP/AVP c=invalid IP dir=inactive ptime=10ms [8 PCMA/8000] [101 telephone-event/8000 "0-16"]`},
		{"crlf-session", `o=- 42 7 IN IP4 192.0.2.30 c=192.0.2.30 dir= t="0 0"
m=audio 7078 RTP/AVP c=invalid IP dir= ptime=30ms [0 PCMU/8000] [8 PCMA/8000] [97 telephone-event/8000] a=x-vendor:"private data"`},
		{"rfc4475-torture", `o=mhandley 29739 7272939 IN IP4 192.0.2.198 c=192.0.2.198 dir= t="0 0"
m=audio 49217 RTP/AVP c=invalid IP dir= ptime=0s [0 PCMU/8000] [12 QCELP/8000]
m=video 3227 RTP/AVP c=invalid IP dir= ptime=0s [31 /0] a=rtpmap:"31 LPC"`},
		{"odd-but-legal", `o=- 1 1 IN IP4 gw.example.net c=invalid IP dir=recvonly c="IN IP4 media.example.net" c="IN IP4 224.2.36.42/127" t="0 0" y="an unknown line type is ignored but kept" a=sendrecv a=X-custom
m=audio 8000/2 RTP/AVP c=192.0.2.44 dir=inactive ptime=20.5ms [0 PCMU/8000] [96 telephone-event/8000 "0-11,16"] [8 PCMA/8000] c="IN IP6 fe80::1%eth0" b="AS:80" a=rtpmap:"96 telephone-event/16000" a=rtpmap:"0 PCMU" a=fmtp:"77 junk" a=ptime:"0" a=ptime:"30" a=sendonly a=sendonly:"bad"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(load(t, tt.name))
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(s); got != tt.want {
				t.Errorf("parsed as\n%s\nwant\n%s", got, tt.want)
			}
			out := s.Marshal()
			golden(t, tt.name+".sdp", out)
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("marshalled description does not parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(s, again) {
				t.Errorf("parse → marshal → parse changed the session:\n%s\n%s", summary(s), summary(again))
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const head = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty description"},
		{"blank lines only", "\r\n\n", "empty description"},
		{"no version first", "o=- 1 1 IN IP4 192.0.2.1\n", "line 1"},
		{"version 1", "v=1\n", "unsupported version"},
		{"second v", head + "v=0\n", "line 6 \"v=0\": second v= line"},
		{"no origin", "v=0\ns=-\n", "line 2 \"s=-\": o= and s= must follow v="},
		{"attribute before origin", "v=0\na=sendrecv\no=- 1 1 IN IP4 192.0.2.1\ns=-\n", "line 2"},
		{"no session name", "v=0\no=- 1 1 IN IP4 192.0.2.1\n", "no s= line"},
		{"origin short", "v=0\no=- 1 IN IP4 192.0.2.1\ns=-\n", "line 2 \"o=- 1 IN IP4 192.0.2.1\": o= needs 6 fields, has 5"},
		{"origin id not a number", "v=0\no=- abc 1 IN IP4 192.0.2.1\ns=-\n", "bad session id \"abc\""},
		{"origin id overflow", "v=0\no=- 99999999999999999999 1 IN IP4 192.0.2.1\ns=-\n", "bad session id"},
		{"origin version signed", "v=0\no=- 1 -1 IN IP4 192.0.2.1\ns=-\n", "bad session version"},
		{"second origin", "v=0\no=- 1 1 IN IP4 192.0.2.1\no=- 1 1 IN IP4 192.0.2.1\n", "line 3"},
		{"not type=value", head + "garbage\n", "line 6 \"garbage\": not a type=value line"},
		{"space before =", head + "m =audio 1 RTP/AVP 0\n", "line 6"},
		{"upper-case type", head + "A=foo\n", "bad line type"},
		{"media short", head + "m=audio 4000\n", "m= needs media, port and proto"},
		{"port too big", head + "m=audio 70000 RTP/AVP 0\n", "bad port \"70000\""},
		{"port negative", head + "m=audio -1 RTP/AVP 0\n", "bad port"},
		{"port count zero", head + "m=audio 4000/0 RTP/AVP 0\n", "bad port count"},
		{"payload type word", head + "m=audio 4000 RTP/AVP PCMU\n", "bad payload type \"PCMU\""},
		{"payload type 128", head + "m=audio 4000 RTP/AVP 128\n", "bad payload type \"128\""},
		{"payload type twice", head + "m=audio 4000 RTP/AVP 0 8 0\n", "payload type 0 listed twice"},
		{"t= in media", head + "m=audio 4000 RTP/AVP 0\nt=0 0\n", "line 7 \"t=0 0\": t= is not allowed in a media section"},
		{"s= in media", head + "m=audio 4000 RTP/AVP 0\ns=x\n", "misplaced s= line"},
		{"long line clipped", head + strings.Repeat("x", 200) + "\n", "xxx...\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("parsed without error: %s", summary(s))
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			if !strings.HasPrefix(err.Error(), "sdp: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestDirection(t *testing.T) {
	tests := []struct {
		d          Direction
		send, recv bool
		rev        Direction
	}{
		{SendRecv, true, true, SendRecv},
		{"", true, true, SendRecv},
		{SendOnly, true, false, RecvOnly},
		{RecvOnly, false, true, SendOnly},
		{Inactive, false, false, Inactive},
	}
	for _, tt := range tests {
		if tt.d.Sends() != tt.send || tt.d.Receives() != tt.recv || tt.d.Reverse() != tt.rev {
			t.Errorf("%q: sends %v receives %v reverse %q", tt.d, tt.d.Sends(), tt.d.Receives(), tt.d.Reverse())
		}
		if got := dirOf(tt.send, tt.recv); tt.d != "" && got != tt.d {
			t.Errorf("dirOf(%v, %v) = %q, want %q", tt.send, tt.recv, got, tt.d)
		}
	}
}

func TestMediaHelpers(t *testing.T) {
	s, err := Parse(load(t, "cisco-legacy-hold"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MediaDir(0); got != SendRecv {
		t.Errorf("MediaDir = %q, want the sendrecv default", got)
	}
	if got := s.MediaAddr(0).String(); got != "0.0.0.0" {
		t.Errorf("MediaAddr = %s, want the session address 0.0.0.0", got)
	}
	if got := remoteDir(s, 0); got != SendOnly {
		t.Errorf("c=0.0.0.0 hold read as %q, want sendonly", got)
	}
	s, err = Parse(load(t, "static-only"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.MediaDir(0); got != RecvOnly {
		t.Errorf("MediaDir = %q, want the session-level recvonly", got)
	}
	s, err = Parse(load(t, "asterisk-offer"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := s.Media[0].Attr("maxptime"); !ok || v != "150" {
		t.Errorf("Attr(maxptime) = %q, %v", v, ok)
	}
	if _, ok := s.Attr("tool"); ok {
		t.Error("Attr(tool) found on a session without it")
	}
}

func TestPTimeText(t *testing.T) {
	tests := []struct {
		in string
		d  time.Duration
		ok bool
	}{
		{"20", 20 * time.Millisecond, true},
		{"0.125", 125 * time.Microsecond, true},
		{"20.", 20 * time.Millisecond, true},
		{"10000", 10 * time.Second, true},
		{"10001", 0, false},
		{"0", 0, false},
		{"", 0, false},
		{"-20", 0, false},
		{"1e3", 0, false},
		{".", 0, false},
		{"0.0000001", 0, false},
		{" 20", 0, false},
	}
	for _, tt := range tests {
		d, ok := parsePTime(tt.in)
		if d != tt.d || ok != tt.ok {
			t.Errorf("parsePTime(%q) = %v, %v; want %v, %v", tt.in, d, ok, tt.d, tt.ok)
		}
		if ok {
			if back, _ := parsePTime(formatPTime(d)); back != d {
				t.Errorf("formatPTime(%v) = %q reads back as %v", d, formatPTime(d), back)
			}
		}
	}
}

// FuzzParse checks that anything Parse accepts marshals into a description
// that parses back to the same session and marshals to the same bytes, and
// that answering it never breaks: an answer Answer produces is one
// Negotiate agrees with.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "sdp", "*.sdp"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\n"))
	f.Add([]byte("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=\nr=1\nm=audio 1 RTP/AVP 0\na=fmtp:0\na=fmtp:0 x\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			return
		}
		m1 := s.Marshal()
		s2, err := Parse(m1)
		if err != nil {
			t.Fatalf("Marshal wrote what Parse refuses: %v\n%q", err, m1)
		}
		m2 := s2.Marshal()
		if !bytes.Equal(m1, m2) {
			t.Fatalf("marshal not stable:\n%q\n%q", m1, m2)
		}
		s3, err := Parse(m2)
		if err != nil || !reflect.DeepEqual(s2, s3) {
			t.Fatalf("parse → marshal → parse changed the session: %v\n%s\n%s", err, summary(s2), summary(s3))
		}
		l := Local{Addr: s.Addr, Port: 4000, DTMF: true}
		if !l.Addr.IsValid() {
			l.Addr = testAddrA
		}
		ans, neg, err := Answer(s, l, 1, 1)
		if err != nil {
			if !errors.Is(err, ErrNotAcceptable) {
				t.Fatalf("Answer error %v does not wrap ErrNotAcceptable", err)
			}
			return
		}
		back, err := Parse(ans.Marshal())
		if err != nil {
			t.Fatalf("answer does not parse: %v\n%s", err, ans.Marshal())
		}
		n, err := Negotiate(s, back)
		if err != nil {
			t.Fatalf("Negotiate refuses Answer's answer: %v\noffer:\n%s\nanswer:\n%s", err, m1, ans.Marshal())
		}
		if n.Codec.PT != neg.Codec.PT || (n.Event == nil) != (neg.Event == nil) || n.Media != neg.Media {
			t.Fatalf("the two sides disagree: offerer %v, answerer %v", n, neg)
		}
		if a := s.MediaAddr(neg.Media); !a.IsUnspecified() && n.Dir != neg.Dir.Reverse() {
			t.Fatalf("directions do not mirror: offerer %q, answerer %q", n.Dir, neg.Dir)
		}
	})
}
