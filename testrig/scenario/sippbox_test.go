package scenario

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/sip/ua"
	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/signal"
)

// The box-level sipp scenarios: a box on the sim board whose FXS ports are
// SIP lines registered at a real Kamailio, a testrig phone on each port,
// and sipp scripting the far end behind Kamailio. Everything runs in real
// time, on 127.0.0.1, each step bounded.

// Numbers and tones of the sipp far end.
const (
	sippNumber = "1900" // Kamailio routes calls for it to the sipp of the test
	sippTone   = 800.0  // Hz, what sipp plays (rtp_stream)
	sippLevel  = -10.0  // dBm0
	sippFile   = "tone.al"
	hearThresh = -25.0 // dBm0: a tone at sippLevel is "heard" above this
)

// sipBox is a Kamailio and a box whose ports are registered at it.
type sipBox struct {
	k   *peers.Kamailio
	box *Bench
	ctx context.Context
}

// boxOpts say how to set the box and its Kamailio up.
type boxOpts struct {
	ports     int                      // FXS ports, each a SIP line (user lineUser(i)); default 1
	authCalls bool                     // Kamailio challenges the box's INVITEs (407)
	profile   func(*config.SIPProfile) // more profile settings
	timeout   time.Duration            // bound of the whole test; default 90 s
	noWait    bool                     // do not wait for the registrations
	// registrars, when set, are the Kamailios the lines register at, in
	// order (the test starts them, with the lines' users); otherwise one
	// is started.
	registrars []*peers.Kamailio
}

// lineUser is the SIP user (and number) of FXS port (from 1).
func lineUser(port int) string { return fmt.Sprintf("%d", 3000+port) }
func linePass(port int) string { return fmt.Sprintf("pw-%d-secret", 3000+port) }

// lineUsers are the subscribers of the lines of a box with ports ports.
func lineUsers(ports int) []peers.User {
	var users []peers.User
	for p := 1; p <= ports; p++ {
		users = append(users, peers.User{Name: lineUser(p), Password: linePass(p)})
	}
	return users
}

// newSIPBox starts Kamailio and a box with o.ports SIP lines registered.
func newSIPBox(t *testing.T, o boxOpts) *sipBox {
	t.Helper()
	peers.Need(t, "kamailio", "sipp")
	if o.ports == 0 {
		o.ports = 1
	}
	if o.timeout == 0 {
		o.timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(t.Context(), o.timeout)
	t.Cleanup(cancel)
	if len(o.registrars) == 0 {
		o.registrars = []*peers.Kamailio{peers.NewKamailio(t, peers.KamailioOptions{Users: lineUsers(o.ports), AuthCalls: o.authCalls, Debug: -1})}
	}
	k := o.registrars[0]
	box := BootReal(t, o.ports)
	s := &sipBox{k: k, box: box, ctx: ctx}
	s.configure(t, func(c *config.Config) {
		p := &c.SIP.Profiles[0]
		p.Registrars = nil
		for _, r := range o.registrars {
			p.Registrars = append(p.Registrars, r.Addr().String())
		}
		p.Domain = k.Addr().String() // the test Kamailio is not on 5060
		p.DigitMap = "1xxx"
		p.RTPPortMin, p.RTPPortMax = 42000, 45999
		if o.profile != nil {
			o.profile(p)
		}
		for i := range o.ports {
			c.Ports[i].SIP = config.PortSIP{Enabled: true, User: lineUser(i + 1), Password: linePass(i + 1)}
		}
	})
	if !o.noWait {
		for p := 1; p <= o.ports; p++ {
			s.waitReg(t, p, func(st ua.RegState) bool { return st.Status == ua.RegRegistered })
		}
	}
	return s
}

func (s *sipBox) configure(t *testing.T, fn func(*config.Config)) {
	t.Helper()
	if _, err := s.box.Sys.Config.Update(config.SourceWeb, "scenario", func(c *config.Config) error {
		fn(c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// waitReg polls port's registration until ok says yes or the test's time
// is up, and returns the state and how long it took.
func (s *sipBox) waitReg(t *testing.T, port int, ok func(ua.RegState) bool) (ua.RegState, time.Duration) {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, found := s.box.Sys.Trunk.Registration(port)
		if found && ok(st) {
			return st, time.Since(start)
		}
		select {
		case <-s.ctx.Done():
			t.Fatalf("FXS %d: registration still %v after %v", port, st, time.Since(start))
		case <-tick.C:
		}
	}
}

// sipp starts a sipp far end running scenario and routes sippNumber to it.
// It plays sippFile: sippTone at sippLevel, A-law.
func (s *sipBox) sipp(t *testing.T, scenario string) *peers.Sipp {
	t.Helper()
	u := peers.NewSipp(t, peers.SippOptions{
		Scenario: scenario,
		Files:    map[string][]byte{sippFile: peers.G711File(8, peers.Tone(sippTone, sippLevel, 2*time.Second))},
		Timeout:  40 * time.Second,
	})
	if err := s.k.SetRoute(s.ctx, sippNumber, u.Addr().String()); err != nil {
		t.Fatal(err)
	}
	return u
}

// verdict waits for sipp to finish its scenario and fails the test unless
// it succeeded.
func (s *sipBox) verdict(t *testing.T, u *peers.Sipp) *peers.SippResult {
	t.Helper()
	r, err := u.Wait(s.ctx)
	if err != nil {
		t.Fatalf("sipp: %v", err)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("sipp: %v\n%s", err, r)
	}
	return r
}

// dial lifts the phone on port and, once the line has seen it, dials
// number.
func (s *sipBox) dial(t *testing.T, port int, number string) *phone.Phone {
	t.Helper()
	p := s.box.Phones[port-1]
	must(t, p.OffHook())
	record(p, 0)
	must(t, p.Dial(number))
	return p
}

// chunk is the unit in which the phone's audio is watched.
const chunk = 100 * time.Millisecond

// waitHear records p in chunks until freq is heard above hearThresh, and
// returns how long that took; it fails the test after within.
func waitHear(t *testing.T, p *phone.Phone, freq float64, within time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if signal.LevelAt(p.Record(chunk), freq) > hearThresh {
			return time.Since(start)
		}
	}
	t.Fatalf("%s: %.0f Hz not heard within %v", what, freq, within)
	return 0
}

// waitQuiet records p until freq falls below hearThresh-10 dB for a whole
// chunk, and returns how long that took; it fails the test after within.
func waitQuiet(t *testing.T, p *phone.Phone, freq float64, within time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if signal.LevelAt(p.Record(chunk), freq) < hearThresh-10 {
			return time.Since(start)
		}
	}
	t.Fatalf("%s: %.0f Hz still heard after %v", what, freq, within)
	return 0
}

// chunks cuts rec into chunk-long pieces and gives the level of freq in
// each, in dBm0.
func chunks(rec []int16, freq float64) []float64 {
	n := int(dsp.Samples(chunk))
	var out []float64
	for i := 0; i+n <= len(rec); i += n {
		out = append(out, signal.LevelAt(rec[i:i+n], freq))
	}
	return out
}

// totalLevel is the level of everything in x, in dBm0 (that of a sine of
// the same power).
func totalLevel(x []int16) float64 { return dsp.RMSToDBm0(dsp.RMS(x)) }

// settled waits, at most within, until the number of goroutines is at
// most base+tol, and returns the last count and how long it took. The
// goroutines of a call that just ended take a moment to go, and SIP
// transactions may keep theirs until their timers end (Timer K, J, L: up
// to 32 s).
func settled(ctx context.Context, base, tol int, within time.Duration) (int, time.Duration) {
	start := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		n := runtime.NumGoroutine()
		if n <= base+tol || time.Since(start) > within {
			return n, time.Since(start)
		}
		select {
		case <-ctx.Done():
			return n, time.Since(start)
		case <-tick.C:
		}
	}
}

// goroutineDump is the stacks of every goroutine, for a failure report.
func goroutineDump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// ---- sipp scenario pieces for a far end that answers the box's calls
// through Kamailio (record-routed). ----

const sippXMLHead = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!-- written by testrig/scenario -->
<scenario name="openiad box far end">
`

// sippSDPBody is sipp's SDP: PCMA on its rtp_stream port, version v, with
// the direction attribute dir ("sendrecv", "inactive" ...).
func sippSDPBody(v int, dir string) string {
	return fmt.Sprintf(`v=0
o=sipp 1 %d IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtpstream_audio_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=ptime:20
a=%s
`, v, dir)
}

// xRecvInvite takes the box's INVITE and keeps From and To for requests
// sipp sends later in the dialog (only when inDialog: sipp refuses
// variables that are set but never used).
func xRecvInvite(inDialog bool) string {
	if !inDialog {
		return "  <recv request=\"INVITE\" rrs=\"true\"/>\n"
	}
	return `  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local_to"/>
    </action>
  </recv>
`
}

// xReply answers the last request. first adds sipp's To tag and the
// Record-Route (answers to the INVITE); extra are more header lines;
// sdp is a body from sippSDPBody or "".
func xReply(code int, reason string, first bool, extra, sdp string) string {
	to, rr := "[last_To:]", ""
	if first {
		to, rr = "[last_To:];tag=[pid]uas[call_number]", "[last_Record-Route:]\n"
	}
	body := "Content-Length: 0\n"
	if sdp != "" {
		body = "Content-Type: application/sdp\nContent-Length: [len]\n\n" + sdp
	}
	return fmt.Sprintf(`  <send><![CDATA[
SIP/2.0 %d %s
[last_Via:]
%s[last_From:]
%s
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
User-Agent: openiad-scenario-sipp
%s%s
]]></send>
`, code, reason, rr, to, extra, body)
}

// xPlay starts the tone file, looped, or controls it ("pause", "resume").
func xPlay(what string) string {
	if what == "start" {
		what = sippFile + ",-1,8"
	}
	return fmt.Sprintf("  <nop><action><exec rtp_stream=%q/></action></nop>\n", what)
}

func xPause(d time.Duration) string {
	return fmt.Sprintf("  <pause milliseconds=\"%d\"/>\n", d.Milliseconds())
}

// xRequest sends an in-dialog request from sipp (the called party) to the
// box through the route set; xRecvInvite(true) must have run.
func xRequest(method, extra, sdp string) string {
	body := "Content-Length: 0\n"
	if sdp != "" {
		body = "Content-Type: application/sdp\nContent-Length: [len]\n\n" + sdp
	}
	retrans := ` retrans="500"`
	if method == "ACK" {
		retrans = ""
	}
	return fmt.Sprintf(`  <send%s><![CDATA[
%s [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
[routes]
From:[$local_to];tag=[pid]uas[call_number]
To:[$remote_from]
Call-ID: [call_id]
CSeq: [cseq] %s
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
%s%s
]]></send>
`, retrans, method, method, extra, body)
}

// xReinvite holds (dir "inactive", "sendonly") or resumes ("sendrecv") the
// call from sipp's side: re-INVITE, 200, ACK. v is the SDP version.
func xReinvite(dir string, v int) string {
	return xRequest("INVITE", "", sippSDPBody(v, dir)) +
		"  <recv response=\"100\" optional=\"true\"/>\n  <recv response=\"200\"/>\n" +
		xRequest("ACK", "", "")
}

// xHangup: sipp sends BYE and takes its 200.
func xHangup() string {
	return xRequest("BYE", "", "") + "  <recv response=\"200\"/>\n"
}

// xAwaitBye: the box hangs up within wait; sipp answers the BYE.
func xAwaitBye(wait time.Duration) string {
	return fmt.Sprintf("  <recv request=\"BYE\" timeout=\"%d\"/>\n", wait.Milliseconds()) + xReply(200, "OK", false, "", "")
}

// dropoutMax is the longest gap a real-time recording may have inside a
// tone period: on a loaded test machine the sim board's 10 ms clock now
// and then misses a frame (the board counts an overrun), which a person
// would not hear but which cuts a period in two.
const dropoutMax = 20 * time.Millisecond

// expectToneRT is ExpectTone for recordings made in real time: a gap or a
// blip of at most dropoutMax inside a period is bridged (and logged).
func expectToneRT(t *testing.T, rec []int16, s *tone.Spec, what string) {
	t.Helper()
	fs, _ := freqs(s)
	periods, bridged := bridge(signal.Cadence(rec, fs, onThresh), dropoutMax)
	if bridged > 0 {
		t.Logf("%s: %d dropouts of at most %v bridged", what, bridged, dropoutMax)
	}
	expectPeriods(t, rec, s, periods, what)
}

// bridge merges every period of at most max that lies between two periods
// of the other kind into them, and returns how many it merged.
func bridge(ps []signal.Period, max time.Duration) ([]signal.Period, int) {
	var out []signal.Period
	n := 0
	for i := 0; i < len(ps); i++ {
		p := ps[i]
		if len(out) > 0 && i+1 < len(ps) && p.Dur <= max && out[len(out)-1].On != p.On {
			// p is a short interruption: it and the next period join the
			// one before.
			out[len(out)-1].Dur += p.Dur + ps[i+1].Dur
			i++
			n++
			continue
		}
		if len(out) > 0 && out[len(out)-1].On == p.On {
			out[len(out)-1].Dur += p.Dur
			continue
		}
		out = append(out, p)
	}
	return out, n
}

func TestBridge(t *testing.T) {
	on := func(ms int) signal.Period { return signal.Period{On: true, Dur: time.Duration(ms) * time.Millisecond} }
	off := func(ms int) signal.Period { return signal.Period{On: false, Dur: time.Duration(ms) * time.Millisecond} }
	for _, tc := range []struct {
		name string
		in   []signal.Period
		want []signal.Period
		n    int
	}{
		{"none", []signal.Period{off(700), on(700), off(700)}, []signal.Period{off(700), on(700), off(700)}, 0},
		{"gaps", []signal.Period{off(700), on(90), off(10), on(200), off(10), on(400), off(700)}, []signal.Period{off(700), on(710), off(700)}, 2},
		{"blip", []signal.Period{on(300), off(340), on(10), off(350), on(100)}, []signal.Period{on(300), off(700), on(100)}, 1},
		{"long gap kept", []signal.Period{on(300), off(30), on(300)}, []signal.Period{on(300), off(30), on(300)}, 0},
		{"short ends kept", []signal.Period{on(10), off(700), on(10)}, []signal.Period{on(10), off(700), on(10)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n := bridge(tc.in, dropoutMax)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || n != tc.n {
				t.Errorf("bridge(%v) = %v, %d; want %v, %d", tc.in, got, n, tc.want, tc.n)
			}
		})
	}
}

// waitState polls FXS port's line until it is in st.
func waitState(t *testing.T, s *sipBox, port int, st line.State, within time.Duration) {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.box.Sys.Lines[port-1].State() != st {
		if time.Since(start) > within {
			t.Fatalf("FXS %d is %v after %v, want %v", port, s.box.Sys.Lines[port-1].State(), within, st)
		}
		select {
		case <-s.ctx.Done():
			t.Fatal(s.ctx.Err())
		case <-tick.C:
		}
	}
}

// answerXML is a far end that answers at once, plays its tone and waits
// for the box to hang up.
func answerXML() string {
	return sippXMLHead + xRecvInvite(false) +
		xReply(200, "OK", true, "", sippSDPBody(1, "sendrecv")) +
		"  <recv request=\"ACK\"/>\n" + xPlay("start") + xAwaitBye(20*time.Second) + "</scenario>\n"
}

// sipTrace collects the box's SIP datagrams from now on.
type sipTrace struct {
	stop func()
	done chan []string
}

func traceSIP(s *sipBox) *sipTrace {
	ch, stop := s.box.Sys.SIPTap.Subscribe(1024)
	tr := &sipTrace{stop: stop, done: make(chan []string, 1)}
	go func() {
		var msgs []string
		for m := range ch {
			dir := "<- "
			if m.Sent {
				dir = "-> "
			}
			msgs = append(msgs, dir+string(m.Data))
		}
		tr.done <- msgs
	}()
	return tr
}

// end stops the trace and returns the messages, each prefixed "-> " (sent
// by the box) or "<- " (received).
func (tr *sipTrace) end() []string {
	tr.stop()
	return <-tr.done
}

// count returns how many messages start with prefix and contain every one
// of with.
func count(msgs []string, prefix string, with ...string) int {
	n := 0
next:
	for _, m := range msgs {
		if !strings.HasPrefix(m, prefix) {
			continue
		}
		for _, w := range with {
			if !strings.Contains(m, w) {
				continue next
			}
		}
		n++
	}
	return n
}
