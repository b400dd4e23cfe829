package ua

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

// tortureDir is RFC 4475's messages as sipgo ships them.
func tortureDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/emiago/sipgo").Output()
	if err != nil {
		t.Fatalf("locating sipgo: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "sip", "testdata", "torture")
}

// The expected answer of the UA to each RFC 4475 message (sent as one UDP
// datagram to a UA with a line for "user" whose handler rejects calls with
// 486): the status of its first answer, 0 for none (dropped), and whether
// the call reached the line.
var tortureTable = []struct {
	file string
	code int
	call bool
	why  string
}{
	// 3.1.1 valid messages: all processed
	{"valid/wsinv.dat", 481, false, "parsed (white space everywhere); in-dialog INVITE for an unknown dialog"},
	{"valid/intmeth.dat", 501, false, "unknown method"},
	{"valid/esc01.dat", 404, false, "escaped Request-URI user is not a line"},
	{"valid/escnull.dat", 405, false, "REGISTER: a UA is no registrar"},
	{"valid/esc02.dat", 501, false, "RE%47IST%45R is not REGISTER"},
	{"valid/lwsdisp.dat", 200, false, "OPTIONS"},
	{"valid/longreq.dat", 486, true, "long headers: the call is offered and its answer sent (IP fragments)"},
	{"valid/dblreq.dat", 405, false, "REGISTER"},
	{"valid/semiuri.dat", 200, false, "OPTIONS"},
	{"valid/transports.dat", 200, false, "OPTIONS"},
	{"valid/mpart01.dat", 405, false, "MESSAGE"},
	{"valid/unreason.dat", 0, false, "a response matching no transaction"},
	{"valid/noreason.dat", 0, false, "a response matching no transaction"},
	// 3.1.2 invalid messages
	{"invalid/badinv01.dat", 400, false, "extraneous header field separators"},
	{"invalid/clerr.dat", 400, false, "Content-Length larger than the datagram"},
	{"invalid/ncl.dat", 400, false, "negative Content-Length"},
	{"invalid/scalar02.dat", 400, false, "overlarge scalar values"},
	{"invalid/scalarlg.dat", 0, false, "a response: dropped"},
	{"invalid/quotbal.dat", 400, false, "unterminated quoted string"},
	{"invalid/ltgtruri.dat", 400, false, "<> around the Request-URI"},
	{"invalid/lwsruri.dat", 400, false, "white space in the Request-URI"},
	{"invalid/lwsstart.dat", 400, false, "several spaces in the request line"},
	{"invalid/trws.dat", 400, false, "trailing space on the request line"},
	{"invalid/escruri.dat", 486, true, "escaped headers in the Request-URI: ignored, as the RFC allows"},
	{"invalid/baddate.dat", 486, true, "bad Date: not needed, the call is processed"},
	{"invalid/regbadct.dat", 405, false, "REGISTER"},
	{"invalid/badaspec.dat", 400, false, "spaces in the addr-spec"},
	{"invalid/baddn.dat", 400, false, "non-token display name"},
	{"invalid/badvers.dat", 505, false, "SIP/7.0"},
	{"invalid/mismatch01.dat", 400, false, "CSeq method differs"},
	{"invalid/mismatch02.dat", 400, false, "unknown method, CSeq method differs"},
	{"invalid/bigcode.dat", 0, false, "a response: dropped"},
	// 3.2 transaction layer
	{"invalid/badbranch.dat", 200, false, "branch without the magic cookie: an RFC 2543 transaction"},
	// 3.3 application layer
	{"invalid/insuf.dat", 400, false, "required headers missing"},
	{"invalid/unkscm.dat", 416, false, "unknown Request-URI scheme"},
	{"invalid/novelsc.dat", 416, false, "soap.beep scheme"},
	{"invalid/unksm2.dat", 405, false, "REGISTER"},
	{"invalid/bext01.dat", 420, false, "Require of an unknown extension"},
	{"invalid/invut.dat", 415, false, "body type we cannot take"},
	{"invalid/regaut01.dat", 405, false, "REGISTER"},
	{"invalid/multi01.dat", 400, false, "several Call-ID, To, From"},
	{"invalid/mcl01.dat", 400, false, "two Content-Length"},
	{"invalid/bcast.dat", 0, false, "a response: dropped"},
	{"invalid/zeromf.dat", 200, false, "Max-Forwards 0 reaching its target"},
	{"invalid/cparam01.dat", 405, false, "REGISTER"},
	{"invalid/cparam02.dat", 405, false, "REGISTER"},
	{"invalid/regescrt.dat", 405, false, "REGISTER"},
	{"invalid/sdp01.dat", 406, false, "Accept without application/sdp"},
	// 3.4 backward compatibility
	{"invalid/inv2543.dat", 400, false, "RFC 2543 INVITE without From tag: sipgo cannot key its transaction (limitation)"},
	// not in RFC 4475: a message without Via cannot be answered
	{"invalid/test.dat", 0, false, "no Via, no SIP version: dropped"},
}

func TestTorture(t *testing.T) {
	dir := tortureDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.dat"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no torture files in %s: %v", dir, err)
	}
	listed := map[string]bool{}
	for _, tc := range tortureTable {
		listed[tc.file] = true
	}
	for _, f := range files {
		rel := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		if !listed[rel] {
			t.Errorf("%s has no expected result in the table", rel)
		}
	}
	for _, tc := range tortureTable {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				src := n.MustListen("192.0.2.2:5060")
				defer src.Close()
				var mu sync.Mutex
				var answers []string
				n.Tap(func(p memnet.Packet) {
					if p.From.String() == uaAddr {
						mu.Lock()
						answers = append(answers, string(p.Data))
						mu.Unlock()
					}
				})
				u, stop := startUA(t, n.MustListen(uaAddr), Options{})
				<-u.started
				calls := make(chan *Call, 1)
				u.AddLine(1, Account{User: "user", Domain: "example.com"}, Profile{OutboundProxy: []string{"192.0.2.2"}},
					HandlerFunc(func(c *Call) { calls <- c; c.Reject(486) }))
				src.WriteTo(data, udpAddr(uaAddr))
				advance(time.Second)
				// the UA still serves: an OPTIONS is answered
				ping := "OPTIONS sip:user@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK-ping\r\n" +
					"From: <sip:t@example.com>;tag=p\r\nTo: <sip:user@10.0.0.2>\r\nCall-ID: ping@x\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
				src.WriteTo([]byte(ping), udpAddr(uaAddr))
				advance(time.Second)
				// transactions end on their timers: 64·T1 and a margin
				advance(40 * time.Second)
				stop()
				mu.Lock()
				defer mu.Unlock()
				var got []string
				pinged := false
				for _, a := range answers {
					if strings.Contains(a, "Call-ID: ping@x") {
						pinged = strings.HasPrefix(a, "SIP/2.0 200 ")
						continue
					}
					got = append(got, strings.SplitN(a, "\r\n", 2)[0])
				}
				if !pinged {
					t.Error("the UA no longer answers after this message")
				}
				first := 0
				for _, l := range got {
					if !strings.HasPrefix(l, "SIP/2.0 100 ") {
						var code int
						if f := strings.Fields(l); len(f) > 1 {
							code = atoiOr(f[1])
						}
						first = code
						break
					}
				}
				if first != tc.code {
					t.Errorf("answered %v, want %d (%s)", got, tc.code, tc.why)
				}
				if (len(calls) > 0) != tc.call {
					t.Errorf("call offered: %v, want %v (%s)", len(calls) > 0, tc.call, tc.why)
				}
				for _, l := range got {
					if !strings.HasPrefix(l, "SIP/2.0 ") {
						t.Errorf("answer with a bad status line %q", l)
					}
				}
			})
		})
	}
}

func atoiOr(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
