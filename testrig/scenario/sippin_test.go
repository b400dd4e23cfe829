package scenario

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/testrig/peers"
)

// The remaining sipp cases of issue 3: a far end that requires reliable
// provisional responses, and calls into the box that are cancelled while
// the phone rings or find the port busy.

// xKeepInvite takes the box's INVITE and keeps its Via and CSeq, so that
// the INVITE can still be answered after another request (PRACK, CANCEL)
// came in between.
const xKeepInvite = `  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="Via:[^[:cntrl:]]*([[:cntrl:]]+Via:[^[:cntrl:]]*)*" search_in="msg" assign_to="inv_via"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="inv_cseq"/>
    </action>
  </recv>
`

// xReplyInvite answers the INVITE kept by xKeepInvite.
func xReplyInvite(code int, reason, sdp string) string {
	body := "Content-Length: 0\n"
	if sdp != "" {
		body = "Content-Type: application/sdp\nContent-Length: [len]\n\n" + sdp
	}
	return fmt.Sprintf(`  <send><![CDATA[
SIP/2.0 %d %s
[$inv_via]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
CSeq:[$inv_cseq]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
%s
]]></send>
`, code, reason, body)
}

// Issue 3: a far end that answers with a reliable 180 (Require: 100rel)
// gets its PRACK; the phone hears ringback, then the far end's audio.
func TestSIPBoxPRACKRequired(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	tr := traceSIP(s)
	far := s.sipp(t, sippXMLHead+xKeepInvite+
		xReply(180, "Ringing", true, "Require: 100rel\nRSeq: 1\n", "")+
		`  <recv request="PRACK" timeout="4000"/>
`+xReply(200, "OK", false, "", "")+xPause(1500*time.Millisecond)+
		xReplyInvite(200, "OK", sippSDPBody(1, "sendrecv"))+
		"  <recv request=\"ACK\"/>\n"+xPlay("start")+xAwaitBye(10*time.Second)+"</scenario>\n")
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Ringback, 5*time.Second)
	rb, _ := freqs(&s.box.Plan.Ringback)
	waitHear(t, p, rb[0], 2*time.Second, "ringback after a reliable 180")

	waitState(t, s, 1, line.Connected, 5*time.Second)
	waitHear(t, p, sippTone, 2*time.Second, "the answered call")
	p.Record(settle)
	ExpectClear(t, p.Record(time.Second), sippTone, sippLevel, "after the PRACKed 180 and the answer")
	must(t, p.OnHook())
	s.verdict(t, far)

	msgs := tr.end()
	if n := count(msgs, "-> PRACK "); n != 1 {
		t.Errorf("the box sent %d PRACKs, want 1", n)
	}
	if count(msgs, "-> INVITE ", "100rel") == 0 {
		t.Errorf("the box's INVITE does not offer 100rel")
	}
}

// sippCaller is a sipp UAC that calls FXS 1's number through the box's
// Kamailio with scenario.
func (s *sipBox) sippCaller(t *testing.T, scenario string) *peers.Sipp {
	t.Helper()
	return peers.NewSipp(t, peers.SippOptions{
		Scenario: scenario,
		Target:   s.k.Addr().String(),
		Service:  lineUser(1),
		Timeout:  40 * time.Second,
	})
}

// xInviteBox is sipp's INVITE to the line, PCMA offered, with its own
// number and name as the caller.
const xInviteBox = `  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Sipp Caller" <sip:1900@[local_ip]:[local_port]>;tag=[pid]uac[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:1900@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtpstream_audio_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=ptime:20
]]></send>
  <recv response="100" optional="true"/>
`

// xAckFailure acknowledges a final failure to the INVITE: the ACK has the
// INVITE's branch. sipp numbers branches by the position of the message in
// the scenario, so back is how many messages ago the INVITE was sent.
func xAckFailure(back int) string {
	return strings.Replace(xAckFailureAt, "[branch-N]", fmt.Sprintf("[branch-%d]", back), 1)
}

const xAckFailureAt = `  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-N];rport
From: "Sipp Caller" <sip:1900@[local_ip]:[local_port]>;tag=[pid]uac[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
`

// Issue 3: a call into the box rings the port; the caller gives up
// (CANCEL) and the ringing stops at once; the box answers 487. (Kamailio
// answers the CANCEL itself; its 200 and the box's 487 are two
// transactions and may reach sipp in either order.)
func TestSIPBoxIncomingCancel(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	tr := traceSIP(s)
	defer func() {
		if t.Failed() {
			t.Logf("SIP at the box:\n%s", strings.Join(tr.end(), "\n"))
		}
	}()
	caller := s.sippCaller(t, sippXMLHead+xInviteBox+
		`  <recv response="180" timeout="5000"/>
`+xPause(3*time.Second)+`  <send retrans="500"><![CDATA[
CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4];rport
From: "Sipp Caller" <sip:1900@[local_ip]:[local_port]>;tag=[pid]uac[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" optional="true"/>
  <recv response="487"/>
`+xAckFailure(7)+"</scenario>\n")
	ph := s.box.Phones[0]
	if err := ph.WaitRing(s.ctx); err != nil {
		t.Fatalf("the port never rang: %v", err)
	}
	if c := s.box.Sys.Lines[0].Caller(); c.Number != "1900" || c.Name != "Sipp Caller" {
		t.Errorf("caller ID at the line = %+v, want 1900 \"Sipp Caller\"", c)
	}
	waitState(t, s, 1, line.Idle, 8*time.Second)
	cancelled := time.Now()
	// The ring voltage is off at once, and no ring burst starts later.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Since(cancelled) < 5*time.Second {
		<-tick.C
		if ph.Ringing() && time.Since(cancelled) > 200*time.Millisecond {
			t.Fatalf("ring voltage still on %v after the CANCEL", time.Since(cancelled))
		}
	}
	for _, e := range ph.RingLog() {
		if e.On && e.At.After(cancelled) {
			t.Errorf("the phone rang again %v after the call was cancelled", e.At.Sub(cancelled))
		}
	}
	s.verdict(t, caller)
}

// Issue 3: a call to a port that is in use (the phone is off hook) is
// refused with 486 Busy Here, and the phone hears nothing of it.
func TestSIPBoxIncomingBusy(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	ph := s.box.Phones[0]
	must(t, ph.OffHook())
	waitState(t, s, 1, line.DialTone, 5*time.Second)
	caller := s.sippCaller(t, sippXMLHead+xInviteBox+
		`  <recv response="180" optional="true"/>
  <recv response="486" timeout="5000"/>
`+xAckFailure(4)+"</scenario>\n")
	s.verdict(t, caller)
	if st := s.box.Sys.Lines[0].State(); st != line.DialTone {
		t.Errorf("the busy port's line is %v after the refused call, want still dial tone", st)
	}
	if ph.Ringing() {
		t.Error("a busy port rang")
	}
	must(t, ph.OnHook())
}
