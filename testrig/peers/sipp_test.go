package peers_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/peers"
)

// TestScenariosAreXML checks that every scenario the helpers write is
// well-formed XML with the messages in the expected order.
func TestScenariosAreXML(t *testing.T) {
	for _, tc := range []struct {
		name string
		xml  string
		want []string // send/recv elements in order: "send:INVITE", "recv:200" ...
	}{
		{"register", peers.RegisterScenario(peers.Register{}), []string{"send:REGISTER", "recv:401", "send:REGISTER", "recv:200"}},
		{"register no challenge 503", peers.RegisterScenario(peers.Register{NoChallenge: true, Expect: 503}), []string{"send:REGISTER", "recv:503"}},
		{"uac", peers.UACScenario(peers.UAC{}), []string{"send:INVITE", "recv:100", "recv:180", "recv:183", "recv:200", "send:ACK", "send:BYE", "recv:200"}},
		{"uac auth audio", peers.UACScenario(peers.UAC{Auth: true, Audio: "a.ul"}), []string{"send:INVITE", "recv:100", "recv:407", "recv:401", "send:ACK", "send:INVITE", "recv:100", "recv:180", "recv:183", "recv:200", "send:ACK", "send:BYE", "recv:200"}},
		{"uac busy", peers.UACScenario(peers.UAC{Expect: 486}), []string{"send:INVITE", "recv:100", "recv:180", "recv:183", "recv:486", "send:ACK"}},
		{"uac wait bye", peers.UACScenario(peers.UAC{WaitBYE: true}), []string{"send:INVITE", "recv:100", "recv:180", "recv:183", "recv:200", "send:ACK", "recv:BYE", "send:SIP/2.0"}},
		{"uas", peers.UASScenario(peers.UAS{}), []string{"recv:INVITE", "send:SIP/2.0", "recv:ACK", "recv:BYE", "send:SIP/2.0"}},
		{"uas ring hangup", peers.UASScenario(peers.UAS{Ring: time.Second, Hold: time.Second, Audio: "a.al", PT: 8}), []string{"recv:INVITE", "send:SIP/2.0", "send:SIP/2.0", "recv:ACK", "send:BYE", "recv:200"}},
		{"uas reject", peers.UASScenario(peers.UAS{Code: 486}), []string{"recv:INVITE", "send:SIP/2.0", "recv:ACK"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := xml.NewDecoder(strings.NewReader(tc.xml))
			d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
			var got []string
			var inSend bool
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%v\n%s", err, tc.xml)
				}
				switch tok := tok.(type) {
				case xml.StartElement:
					switch tok.Name.Local {
					case "recv":
						for _, a := range tok.Attr {
							if a.Name.Local == "response" || a.Name.Local == "request" {
								got = append(got, "recv:"+a.Value)
							}
						}
					case "send":
						inSend = true
					}
				case xml.CharData:
					if inSend {
						first := strings.Fields(strings.TrimSpace(string(tok)))
						if len(first) > 0 {
							got = append(got, "send:"+first[0])
						}
						inSend = false
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("messages %v, want %v\n%s", got, tc.want, tc.xml)
			}
		})
	}
}

func TestParseSippStats(t *testing.T) {
	for _, tc := range []struct {
		name, csv string
		want      map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"header only", "A;B;\n", map[string]string{}},
		{"last row wins", "StartTime;SuccessfulCall(C);FailedCall(C);\n2026-01-01\t10:00:00.1\t1.1;0;0;\n2026-01-01\t10:00:01.1\t2.1;3;1;\n",
			map[string]string{"StartTime": "2026-01-01\t10:00:01.1\t2.1", "SuccessfulCall(C)": "3", "FailedCall(C)": "1"}},
		{"short row", "A;B;C\n1;2\n", map[string]string{"A": "1", "B": "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := peers.ParseSippStats(tc.csv)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSippThroughKamailio runs the UAC and UAS helpers against each other
// through a record-routing Kamailio: both ends must complete their
// scenario (exit 0), whoever hangs up.
func TestSippThroughKamailio(t *testing.T) {
	peers.Need(t, "kamailio", "sipp")
	for _, tc := range []struct {
		name string
		uac  peers.UAC
		uas  peers.UAS
		auth bool // Kamailio challenges the INVITE (407)
	}{
		{"caller hangs up", peers.UAC{Hold: 500 * time.Millisecond}, peers.UAS{}, false},
		{"callee rings then hangs up", peers.UAC{WaitBYE: true}, peers.UAS{Ring: 300 * time.Millisecond, Hold: 500 * time.Millisecond}, false},
		{"busy", peers.UAC{Expect: 486}, peers.UAS{Code: 486}, false},
		{"a-law audio both ways", peers.UAC{Audio: "tone.al", PT: 8, Hold: 700 * time.Millisecond}, peers.UAS{Audio: "tone.al", PT: 8}, false},
		{"407 on INVITE", peers.UAC{Auth: true, Hold: 300 * time.Millisecond}, peers.UAS{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			files := map[string][]byte{"tone.al": peers.G711File(8, peers.Tone(1004, -10, time.Second))}
			uas := peers.NewSipp(t, peers.SippOptions{Scenario: peers.UASScenario(tc.uas), Files: files, Timeout: 20 * time.Second})
			k := peers.NewKamailio(t, peers.KamailioOptions{AuthCalls: tc.auth, Users: []peers.User{{"sipp", "pw"}},
				Routes: map[string]string{"uas": uas.Addr().String()}})
			r, err := peers.RunSipp(ctx, peers.SippOptions{Scenario: peers.UACScenario(tc.uac), Files: files,
				Target: k.Addr().String(), Service: "uas", AuthUser: "sipp", Password: "pw", Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Err(); err != nil || r.Successful != 1 {
				t.Fatalf("uac: %v, %d successful\n%s", err, r.Successful, r)
			}
			ur, err := uas.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := ur.Err(); err != nil || ur.Successful != 1 {
				t.Fatalf("uas: %v, %d successful\n%s", err, ur.Successful, ur)
			}
			if got := strings.Contains(r.Messages, "SIP/2.0 407 "); got != tc.auth {
				t.Errorf("407 challenge seen %v, want %v\n%s", got, tc.auth, r.Messages)
			}
			if tc.uac.Expect == 0 && !strings.Contains(r.Messages, "Record-Route:") {
				t.Errorf("uac saw no Record-Route\n%s", r.Messages)
			}
		})
	}
}
