package ua

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/testrig/peers"
)

// These tests script the far end with sipp (Debian package sip-tester) on
// 127.0.0.1, in real time.

const sippHead = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="openiad-ua">
`

// sippSDP is the far end's answer.
const sippSDP = `v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
`

// sippReply answers the last request received, with extra headers and
// an optional SDP body.
func sippReply(code, reason, extra string, body bool, tag bool) string {
	to := "[last_To:]"
	if tag {
		to += ";tag=[pid]uas[call_number]"
	}
	ct := "Content-Length: 0\n"
	if body {
		ct = "Content-Type: application/sdp\nContent-Length: [len]\n\n" + sippSDP
	}
	return `  <send><![CDATA[
SIP/2.0 ` + code + ` ` + reason + `
[last_Via:]
[last_From:]
` + to + `
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
` + extra + ct + `
]]></send>
`
}

// sippCall runs the scenario as the far end of one call placed by a UA
// line, and returns the call and a function that waits for sipp's verdict.
func sippCall(t *testing.T, scenario string, p Profile) (*Call, func()) {
	t.Helper()
	s := peers.NewSipp(t, peers.SippOptions{Scenario: scenario, Timeout: 20 * time.Second})
	u := realUA(t)
	p.OutboundProxy = []string{s.Addr().String()}
	l, err := u.AddLine(1, Account{User: "201", Domain: "openiad.test"}, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Call(context.Background(), "300", sdp.Local{Addr: netip.MustParseAddr("127.0.0.1"), Port: 40010, DTMF: true})
	if err != nil {
		t.Fatal(err)
	}
	return c, func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		res, err := s.Wait(ctx)
		if err != nil || res.Exit != 0 {
			t.Errorf("sipp: %v\n%v", err, res)
		}
	}
}

// The far end requires 100rel on its 183 with early media: we PRACK it.
func TestSippPRACKRequired(t *testing.T) {
	sc := sippHead + `  <recv request="INVITE">
    <action>
      <ereg regexp=".*" search_in="hdr" header="Via:" assign_to="inv_via"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="inv_cseq"/>
    </action>
  </recv>
` + sippReply("183", "Session Progress", "Require: 100rel\nRSeq: 1\n", true, true) + `  <recv request="PRACK"/>
` + sippReply("200", "OK", "", false, false) + `  <send><![CDATA[
SIP/2.0 200 OK
Via:[$inv_via]
[last_From:]
[last_To:]
[last_Call-ID:]
CSeq:[$inv_cseq]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

` + sippSDP + `
]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
` + sippReply("200", "OK", "", false, false) + `</scenario>
`
	c, verdict := sippCall(t, sc, Profile{})
	realEvent(t, c, EvEarlyMedia)
	realEvent(t, c, EvAnswered)
	c.Hangup()
	realEvent(t, c, EvEnded)
	verdict()
}

// The far end lets us refresh (refresher=uac): a re-INVITE comes at half
// the interval; then it hangs up.
func TestSippSessionRefresh(t *testing.T) {
	sc := sippHead + `  <recv request="INVITE"/>
` + sippReply("200", "OK", "Session-Expires: 4;refresher=uac\nRequire: timer\n", true, true) + `  <recv request="ACK"/>
  <recv request="INVITE" timeout="3500"/>
` + sippReply("200", "OK", "Session-Expires: 4;refresher=uac\nRequire: timer\n", true, false) + `  <recv request="ACK"/>
  <recv request="INVITE" timeout="3500"/>
` + sippReply("200", "OK", "Session-Expires: 4;refresher=uac\nRequire: timer\n", true, false) + `  <recv request="ACK"/>
  <recv request="BYE" timeout="5000"/>
` + sippReply("200", "OK", "", false, false) + `</scenario>
`
	c, verdict := sippCall(t, sc, Profile{SessionExpires: 4 * time.Second, MinSE: 2 * time.Second})
	realEvent(t, c, EvAnswered)
	start := time.Now()
	// two refreshes, then we hang up ourselves
	time.AfterFunc(4500*time.Millisecond, func() { c.Hangup() })
	e := realEvent(t, c, EvEnded)
	if e.Cause != CauseNormal || time.Since(start) < 4*time.Second {
		t.Errorf("%v after %v", e, time.Since(start))
	}
	verdict()
}

// The far end is to refresh (refresher=uas) but never does: we hang up
// before the session expires.
func TestSippSessionExpires(t *testing.T) {
	sc := sippHead + `  <recv request="INVITE"/>
` + sippReply("200", "OK", "Session-Expires: 3;refresher=uas\n", true, true) + `  <recv request="ACK"/>
  <recv request="BYE" timeout="5000"/>
` + sippReply("200", "OK", "", false, false) + `</scenario>
`
	c, verdict := sippCall(t, sc, Profile{SessionExpires: 3 * time.Second, MinSE: 2 * time.Second})
	realEvent(t, c, EvAnswered)
	start := time.Now()
	e := realEvent(t, c, EvEnded)
	// BYE at SE - min(32 s, SE/3) = 2 s
	if d := time.Since(start); e.Cause != CauseTimeout || d < 1500*time.Millisecond || d > 3*time.Second {
		t.Errorf("%v after %v", e, d)
	}
	verdict()
}

// 486 from a real far end: busy.
func TestSippBusy(t *testing.T) {
	c, verdict := sippCall(t, peers.UASScenario(peers.UAS{Ring: 200 * time.Millisecond, Code: 486}), Profile{})
	realEvent(t, c, EvRinging)
	if e := realEvent(t, c, EvFailed); e.Cause != CauseBusy || e.Code != 486 {
		t.Errorf("%v", e)
	}
	verdict()
}

// The far end holds and resumes; we answer recvonly, then sendrecv.
func TestSippRemoteHold(t *testing.T) {
	reinvite := func(dir string) string {
		return `  <send retrans="500"><![CDATA[
INVITE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From:[$local_to];tag=[pid]uas[call_number]
To:[$remote_from]
Call-ID: [call_id]
CSeq: [cseq] INVITE
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

` + strings.Replace(sippSDP, "o=sipp 1 1", "o=sipp 1 [cseq]", 1) + "a=" + dir + `
]]></send>
  <recv response="200"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From:[$local_to];tag=[pid]uas[call_number]
To:[$remote_from]
Call-ID: [call_id]
CSeq: [cseq] ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
`
	}
	sc := sippHead + `  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local_to"/>
    </action>
  </recv>
` + sippReply("200", "OK", "", true, true) + `  <recv request="ACK"/>
  <pause milliseconds="300"/>
` + reinvite("sendonly") + `  <pause milliseconds="300"/>
` + reinvite("sendrecv") + `  <recv request="BYE" timeout="5000"/>
` + sippReply("200", "OK", "", false, false) + `</scenario>
`
	c, verdict := sippCall(t, sc, Profile{})
	realEvent(t, c, EvAnswered)
	if e := realEvent(t, c, EvMedia); !e.RemoteHold || e.Media.Dir != sdp.RecvOnly {
		t.Errorf("hold: %+v", e)
	}
	if e := realEvent(t, c, EvMedia); e.RemoteHold || e.Media.Dir != sdp.SendRecv {
		t.Errorf("resume: %+v", e)
	}
	c.Hangup()
	realEvent(t, c, EvEnded)
	verdict()
}
