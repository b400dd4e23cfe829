package peers

import (
	"fmt"
	"strings"
	"time"
)

// Scenarios for sipp, for the common cases; a test with an edge case
// writes its own XML. They use sipp's keywords: [service] is the called
// user (SippOptions.Service), [authentication] the digest answer computed
// from SippOptions.AuthUser/Password.

// Register describes [RegisterScenario].
type Register struct {
	// Domain of the AOR and Request-URI; default the target's address.
	Domain string
	// Expires asked for; default 60.
	Expires int
	// NoChallenge expects the final response at once instead of after a
	// 401 challenge.
	NoChallenge bool
	// Expect is the final response expected; default 200 (403 for a
	// wrong password, 503 from a failing registrar ...).
	Expect int
}

// RegisterScenario registers [service]: REGISTER, a 401 challenge, REGISTER
// with the digest answer, 200 (or r.Expect).
func RegisterScenario(r Register) string {
	dom := r.Domain
	if dom == "" {
		dom = "[remote_ip]:[remote_port]"
	}
	if r.Expires == 0 {
		r.Expires = 60
	}
	reg := func(cseq int, auth string) string {
		return fmt.Sprintf(`  <send retrans="500"><![CDATA[
REGISTER sip:%[1]s SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:[service]@%[1]s>;tag=[pid]reg[call_number]
To: <sip:[service]@%[1]s>
Call-ID: [call_id]
CSeq: %[2]d REGISTER
Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
%[4]sMax-Forwards: 70
Expires: %[3]d
User-Agent: openiad-testrig-sipp
Content-Length: 0

]]></send>
`, dom, cseq, r.Expires, auth)
	}
	var b strings.Builder
	b.WriteString(xmlHead("register [service]"))
	if r.NoChallenge {
		b.WriteString(reg(1, ""))
	} else {
		b.WriteString(reg(1, ""))
		b.WriteString("  <recv response=\"401\" auth=\"true\"/>\n")
		b.WriteString(reg(2, "[authentication]\n"))
	}
	if r.Expect == 0 {
		r.Expect = 200
	}
	fmt.Fprintf(&b, "  <recv response=\"%d\"/>\n</scenario>\n", r.Expect)
	return b.String()
}

// UAC describes [UACScenario].
type UAC struct {
	// Domain of the Request-URI and To; default the target's address.
	Domain string
	// From is the caller's user; default "sipp".
	From string
	// Auth expects a 407 (or 401) challenge to the INVITE and answers it.
	Auth bool
	// Audio names a file of raw G.711 bytes (no WAV header: sipp 3.6.1
	// plays a WAV header as audio) for rtp_stream, sent once after the
	// answer; see [G711File]. Empty: no audio.
	Audio string
	// PT is the payload type offered and sent: 0 PCMU (default) or 8 PCMA.
	PT int
	// Hold is the time between ACK and BYE; default 1 s.
	Hold time.Duration
	// WaitBYE waits for the far end to hang up (and answers its BYE)
	// instead of sending a BYE after Hold.
	WaitBYE bool
	// Expect is the final response expected; default 200. Any other is
	// acknowledged and ends the call (486, 404 ...).
	Expect int
}

// UACScenario places one call to [service]: INVITE with an SDP offer,
// optional 100/180/183, the final response; on 200 ACK, audio, and a BYE
// either way.
func UACScenario(u UAC) string {
	dom := u.Domain
	if dom == "" {
		dom = "[remote_ip]:[remote_port]"
	}
	if u.From == "" {
		u.From = "sipp"
	}
	if u.Hold == 0 {
		u.Hold = time.Second
	}
	if u.Expect == 0 {
		u.Expect = 200
	}
	invite := func(cseq int, auth string) string {
		return fmt.Sprintf(`  <send retrans="500"><![CDATA[
INVITE sip:[service]@%[1]s SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: <sip:%[2]s@[local_ip]:[local_port]>;tag=[pid]uac[call_number]
To: <sip:[service]@%[1]s>
Call-ID: [call_id]
CSeq: %[3]d INVITE
Contact: <sip:%[2]s@[local_ip]:[local_port];transport=[transport]>
%[4]sMax-Forwards: 70
User-Agent: openiad-testrig-sipp
Content-Type: application/sdp
Content-Length: [len]

%[5]s
]]></send>
`, dom, u.From, cseq, auth, sdpBody(u.PT, u.Audio != ""))
	}
	ack := func(cseq int, uri, via, routes string) string {
		return fmt.Sprintf(`  <send><![CDATA[
ACK %s SIP/2.0
%s
%sFrom: <sip:%s@[local_ip]:[local_port]>;tag=[pid]uac[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: %d ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
`, uri, via, routes, u.From, cseq)
	}
	provisional := "  <recv response=\"100\" optional=\"true\"/>\n  <recv response=\"180\" optional=\"true\"/>\n  <recv response=\"183\" optional=\"true\"/>\n"
	var b strings.Builder
	b.WriteString(xmlHead("call [service]"))
	cseq := 1
	b.WriteString(invite(cseq, ""))
	if u.Auth {
		b.WriteString("  <recv response=\"100\" optional=\"true\"/>\n")
		b.WriteString("  <recv response=\"407\" auth=\"true\" optional=\"true\" next=\"challenged\"/>\n")
		b.WriteString("  <recv response=\"401\" auth=\"true\"/>\n")
		b.WriteString("  <label id=\"challenged\"/>\n")
		b.WriteString(ack(cseq, "sip:[service]@"+dom, "[last_Via:]", ""))
		cseq++
		b.WriteString(invite(cseq, "[authentication]\n"))
	}
	b.WriteString(provisional)
	if u.Expect != 200 {
		fmt.Fprintf(&b, "  <recv response=\"%d\"/>\n", u.Expect)
		b.WriteString(ack(cseq, "sip:[service]@"+dom, "[last_Via:]", ""))
		b.WriteString("</scenario>\n")
		return b.String()
	}
	b.WriteString("  <recv response=\"200\" rrs=\"true\"/>\n")
	b.WriteString(ack(cseq, "[next_url]", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport", "[routes]\n"))
	if u.Audio != "" {
		fmt.Fprintf(&b, "  <nop><action><exec rtp_stream=\"%s,1,%d\"/></action></nop>\n", u.Audio, u.PT)
	}
	if u.WaitBYE {
		b.WriteString(`  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
`)
		return b.String()
	}
	fmt.Fprintf(&b, "  <pause milliseconds=\"%d\"/>\n", u.Hold.Milliseconds())
	fmt.Fprintf(&b, `  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
[routes]
From: <sip:%s@[local_ip]:[local_port]>;tag=[pid]uac[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: %d BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
`, u.From, cseq+1)
	return b.String()
}

// UAS describes [UASScenario].
type UAS struct {
	// Ring is how long the UAS rings (180) before its final answer; 0
	// answers at once, without 180.
	Ring time.Duration
	// Code is the final answer; default 200. 300-699 rejects the call.
	Code int
	// Audio and PT as for [UAC]: played once after the ACK.
	Audio string
	PT    int
	// Hold > 0 makes the UAS hang up (BYE) after that time; 0 waits for
	// the caller's BYE.
	Hold time.Duration
}

// UASScenario answers one call, behind a record-routing proxy too (unlike
// sipp 3.6.1's built-in uas): INVITE, optional 180, the final answer; on
// 200 the ACK, audio, and a BYE either way.
func UASScenario(u UAS) string {
	if u.Code == 0 {
		u.Code = 200
	}
	var b strings.Builder
	b.WriteString(xmlHead("answer"))
	if u.Hold > 0 && u.Code == 200 {
		// Keep From and To for our BYE (sipp refuses variables that are
		// set but never used, so only here).
		b.WriteString(`  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote_from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local_to"/>
    </action>
  </recv>
`)
	} else {
		b.WriteString("  <recv request=\"INVITE\" rrs=\"true\"/>\n")
	}
	reply := func(code int, reason, sdp string) string {
		ct := "Content-Length: 0\n"
		if sdp != "" {
			ct = "Content-Type: application/sdp\nContent-Length: [len]\n\n" + sdp
		}
		return fmt.Sprintf(`  <send><![CDATA[
SIP/2.0 %d %s
[last_Via:]
[last_Record-Route:]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
User-Agent: openiad-testrig-sipp
%s
]]></send>
`, code, reason, ct)
	}
	if u.Ring > 0 {
		b.WriteString(reply(180, "Ringing", ""))
		fmt.Fprintf(&b, "  <pause milliseconds=\"%d\"/>\n", u.Ring.Milliseconds())
	}
	if u.Code != 200 {
		b.WriteString(reply(u.Code, "Rejected", ""))
		b.WriteString("  <recv request=\"ACK\"/>\n</scenario>\n")
		return b.String()
	}
	b.WriteString(reply(200, "OK", sdpBody(u.PT, u.Audio != "")))
	b.WriteString("  <recv request=\"ACK\"/>\n")
	if u.Audio != "" {
		fmt.Fprintf(&b, "  <nop><action><exec rtp_stream=\"%s,1,%d\"/></action></nop>\n", u.Audio, u.PT)
	}
	if u.Hold > 0 {
		fmt.Fprintf(&b, "  <pause milliseconds=\"%d\"/>\n", u.Hold.Milliseconds())
		b.WriteString(`  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
[routes]
From:[$local_to];tag=[pid]uas[call_number]
To:[$remote_from]
Call-ID: [call_id]
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
`)
		return b.String()
	}
	b.WriteString("  <recv request=\"BYE\"/>\n")
	b.WriteString(reply(200, "OK", ""))
	b.WriteString("</scenario>\n")
	return b.String()
}

func xmlHead(name string) string {
	return "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" ?>\n<!-- written by testrig/peers -->\n<scenario name=\"" + name + "\">\n"
}

// sdpBody is an audio offer or answer for payload type pt (0 or 8), on
// the rtp_stream port when audio is played, on the echo port otherwise.
func sdpBody(pt int, audio bool) string {
	enc := "PCMU"
	if pt == 8 {
		enc = "PCMA"
	}
	port := "[media_port]"
	if audio {
		port = "[rtpstream_audio_port]"
	}
	return fmt.Sprintf("v=0\no=sipp 1 1 IN IP[local_ip_type] [local_ip]\ns=-\nc=IN IP[media_ip_type] [media_ip]\nt=0 0\nm=audio %s RTP/AVP %d\na=rtpmap:%d %s/8000\na=ptime:20\na=sendrecv\n", port, pt, pt, enc)
}
