package scenario

import (
	"math"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/sip/ua"
	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/signal"
)

// Issue 3: a 183 with SDP plays the carrier's early media to the phone
// before the call is answered.
func TestSIPBoxEarlyMedia(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	const answerAfter = 2500 * time.Millisecond
	far := s.sipp(t, sippXMLHead+xRecvInvite(false)+
		xReply(183, "Session Progress", true, "", sippSDPBody(1, "sendrecv"))+
		xPlay("start")+xPause(answerAfter)+
		xReply(200, "OK", true, "", sippSDPBody(1, "sendrecv"))+
		"  <recv request=\"ACK\"/>\n"+xAwaitBye(10*time.Second)+"</scenario>\n")
	p := s.dial(t, 1, sippNumber)
	took := waitHear(t, p, sippTone, 3*time.Second, "early media")
	if st := s.box.Sys.Lines[0].State(); st != line.Ringback {
		t.Fatalf("early media heard %v after dialling, but the line is %v, not ringback (answered too soon?)", took, st)
	}
	rec := p.Record(time.Second)
	if st := s.box.Sys.Lines[0].State(); st != line.Ringback {
		t.Errorf("line %v at the end of the early-media recording, want ringback", st)
	}
	ExpectClear(t, rec, sippTone, sippLevel, "early media (183)")
	t.Logf("early media heard %v after the last digit, at %.2f dBm0", took, signal.LevelAt(rec, sippTone))

	// The answer: the same audio goes on, now in the call.
	waitState(t, s, 1, line.Connected, 5*time.Second)
	p.Record(settle)
	ExpectClear(t, p.Record(time.Second), sippTone, sippLevel, "after the answer")
	must(t, p.OnHook())
	s.verdict(t, far)
}

// Issue 3: 486 from the far end gives the phone busy tone.
func TestSIPBoxBusy(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	far := s.sipp(t, peers.UASScenario(peers.UAS{Ring: 500 * time.Millisecond, Code: 486}))
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Signalling, 5*time.Second)
	p.Record(settle)
	expectToneRT(t, p.Record(3*period(&s.box.Plan.Busy)), &s.box.Plan.Busy, "busy tone after 486")
	must(t, p.OnHook())
	s.verdict(t, far)
}

// Issue 3: the softswitch challenges the box's INVITE with 407; the box
// answers the challenge and the call goes through.
func TestSIPBoxProxyAuth(t *testing.T) {
	s := newSIPBox(t, boxOpts{authCalls: true})
	far := s.sipp(t, answerXML())
	tr := traceSIP(s)
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Connected, 5*time.Second)
	waitHear(t, p, sippTone, 2*time.Second, "after the 407")
	ExpectClear(t, p.Record(time.Second), sippTone, sippLevel, "call after a 407")
	must(t, p.OnHook())
	s.verdict(t, far)
	msgs := tr.end()
	if n := count(msgs, "<- SIP/2.0 407 "); n != 1 {
		t.Errorf("the box got %d 407 challenges, want 1", n)
	}
	if n := count(msgs, "-> INVITE ", "Proxy-Authorization:"); n != 1 {
		t.Errorf("the box sent %d INVITEs with credentials, want 1", n)
	}
	if n := count(msgs, "-> INVITE "); n != 2 {
		t.Errorf("the box sent %d INVITEs, want 2 (the challenged one and the answer)", n)
	}
}

// Issue 3: the far end holds the call (re-INVITE a=inactive, its audio
// stops) and resumes it (a=sendrecv, audio again): the phone hears the
// tone stop and come back, and the call stays up.
func TestSIPBoxHoldResume(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	const talk = 1500 * time.Millisecond
	far := s.sipp(t, sippXMLHead+xRecvInvite(true)+
		xReply(200, "OK", true, "", sippSDPBody(1, "sendrecv"))+
		"  <recv request=\"ACK\"/>\n"+xPlay("start")+xPause(talk)+
		xPlay("pause")+xReinvite("inactive", 2)+xPause(talk)+
		xReinvite("sendrecv", 3)+xPlay("resume")+xPause(talk)+
		xHangup()+"</scenario>\n")
	tr := traceSIP(s)
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Connected, 5*time.Second)
	waitHear(t, p, sippTone, time.Second, "before the hold")
	held := waitQuiet(t, p, sippTone, 2*talk, "on hold")
	rec := p.Record(talk / 2)
	if l := totalLevel(rec); l > SpurMax {
		t.Errorf("on hold the phone hears %.1f dBm0, want silence below %.0f", l, SpurMax)
	}
	resumed := waitHear(t, p, sippTone, 2*talk, "after the resume")
	if st := s.box.Sys.Lines[0].State(); st != line.Connected {
		t.Errorf("line %v after the resume, want connected", st)
	}
	ExpectClear(t, p.Record(talk/2), sippTone, sippLevel, "after the resume")
	t.Logf("tone stopped %v after it was first heard; back %v after the silence was checked", held, resumed)
	waitState(t, s, 1, line.Signalling, 5*time.Second) // sipp hung up
	s.verdict(t, far)
	msgs := tr.end()
	if n := count(msgs, "-> SIP/2.0 200 ", "CSeq: ", " INVITE", "a=inactive"); n < 1 {
		t.Errorf("the box did not answer the hold with a=inactive")
	}
	if n := count(msgs, "-> SIP/2.0 200 ", " INVITE", "a=sendrecv"); n < 1 {
		t.Errorf("the box did not answer the resume with a=sendrecv")
	}
}

// Issue 3, RFC 4028: the far end makes the box the refresher of a 4 s
// session: two refreshing re-INVITEs come about 2 s apart, the audio goes
// on through them, and the far end then hangs up.
func TestSIPBoxSessionRefresh(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	se := "Session-Expires: 4;refresher=uac\nRequire: timer\n"
	refresh := "  <recv request=\"INVITE\" timeout=\"3500\"/>\n" + xReply(200, "OK", false, se, sippSDPBody(1, "sendrecv")) +
		"  <recv request=\"ACK\"/>\n"
	far := s.sipp(t, sippXMLHead+xRecvInvite(true)+
		xReply(200, "OK", true, se, sippSDPBody(1, "sendrecv"))+
		"  <recv request=\"ACK\"/>\n"+xPlay("start")+refresh+refresh+xPause(1500*time.Millisecond)+
		xHangup()+"</scenario>\n")
	tr := traceSIP(s)
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Connected, 5*time.Second)
	answered := time.Now()
	waitHear(t, p, sippTone, time.Second, "call up")
	// Through both refreshes (at about 2 s and 4 s), every 100 ms of the
	// call carries the tone.
	rec := p.Record(4500*time.Millisecond - time.Since(answered))
	for i, l := range chunks(rec, sippTone) {
		if math.Abs(l-sippLevel) > 3 {
			t.Errorf("%v into the refreshes: %.0f Hz at %.1f dBm0, want %.0f", time.Duration(i)*chunk, sippTone, l, sippLevel)
		}
	}
	waitState(t, s, 1, line.Signalling, 5*time.Second) // sipp hung up
	s.verdict(t, far)
	msgs := tr.end()
	if n := count(msgs, "-> INVITE ", "Session-Expires: 4;refresher=uac"); n != 2 {
		t.Errorf("the box sent %d refreshes, want 2", n)
	}
}

// Issue 3, RFC 4028: the far end is the refresher of a 3 s session and
// never refreshes: the box ends the call before the session expires (BYE
// at 3 s - 3 s/3 = 2 s) and the phone hears busy tone.
func TestSIPBoxSessionExpiry(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	far := s.sipp(t, sippXMLHead+xRecvInvite(false)+
		xReply(200, "OK", true, "Session-Expires: 3;refresher=uas\n", sippSDPBody(1, "sendrecv"))+
		"  <recv request=\"ACK\"/>\n"+xPlay("start")+xAwaitBye(6*time.Second)+"</scenario>\n")
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Connected, 5*time.Second)
	up := time.Now()
	waitState(t, s, 1, line.Signalling, 5*time.Second)
	if d := time.Since(up); d < 1500*time.Millisecond || d > 3*time.Second {
		t.Errorf("the box ended the session %v after the answer, want about 2 s", d)
	}
	p.Record(settle)
	expectToneRT(t, p.Record(3*period(&s.box.Plan.Busy)), &s.box.Plan.Busy, "busy after the session expired")
	must(t, p.OnHook())
	s.verdict(t, far)
}

// Issue 3: the phone hangs up while the far end rings; the box's CANCEL
// crosses the far end's 200 OK (sipp answers the INVITE only once the
// CANCEL has reached it). The box must acknowledge the 200 and end that
// dialog with a BYE, leave no call behind, and the port must work again.
func TestSIPBoxCancelCrossing(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	base := runtime.NumGoroutine()
	far := s.sipp(t, sippXMLHead+`  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="Via:[^[:cntrl:]]*([[:cntrl:]]+Via:[^[:cntrl:]]*)*" search_in="msg" assign_to="inv_via"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="inv_cseq"/>
      <ereg regexp=".*" search_in="hdr" header="Record-Route:" assign_to="inv_rr"/>
    </action>
  </recv>
`+xReply(180, "Ringing", true, "", "")+`  <recv request="CANCEL"/>
`+xReply(200, "OK", false, "", "")+`  <send><![CDATA[
SIP/2.0 200 OK
[$inv_via]
Record-Route:[$inv_rr]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
CSeq:[$inv_cseq]
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

`+sippSDPBody(1, "sendrecv")+`
]]></send>
`+
		// The box sends its ACK and BYE back to back; Kamailio's workers
		// may relay them in either order.
		`  <recv request="ACK" optional="true" next="acked"/>
`+xAwaitBye(10*time.Second)+`  <recv request="ACK"/>
  <nop next="done"/>
  <label id="acked"/>
`+xAwaitBye(10*time.Second)+`  <label id="done"/>
</scenario>
`)
	tr := traceSIP(s)
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Ringback, 5*time.Second)
	must(t, p.OnHook())
	waitState(t, s, 1, line.Idle, 5*time.Second)
	s.verdict(t, far) // sipp got the ACK and the BYE of the answered call
	msgs := tr.end()
	for _, want := range []struct {
		prefix string
		with   []string
	}{
		{"-> CANCEL ", nil},
		{"<- SIP/2.0 200 ", []string{" INVITE"}},
		{"-> ACK ", nil},
		{"-> BYE ", nil},
	} {
		if count(msgs, want.prefix, want.with...) == 0 {
			t.Errorf("the box never %q %v", want.prefix, want.with)
		}
	}

	// No call is left: the goroutines of the call and its leg (six at
	// least: the call's, the leg's, its RTP stream's four) are gone. The
	// count before the call may hold a few that end on their own (the
	// registration's last transaction), so this catches a call left
	// behind, not a stray goroutine.
	n, took := settled(s.ctx, base, 0, 40*time.Second)
	t.Logf("goroutines: %d before the call, %d %v after it ended", base, n, took)
	if n > base {
		t.Errorf("%d goroutines before the call, %d after it\n%s", base, n, goroutineDump())
	}

	// The port is usable again: dial tone, and a call that goes through.
	again := s.sipp(t, answerXML())
	must(t, p.OffHook())
	expectToneRT(t, record(p, time.Second), &s.box.Plan.Dial, "dial tone after the crossing")
	must(t, p.Dial(sippNumber))
	waitState(t, s, 1, line.Connected, 5*time.Second)
	waitHear(t, p, sippTone, 2*time.Second, "the next call")
	ExpectClear(t, p.Record(time.Second), sippTone, sippLevel, "the next call")
	must(t, p.OnHook())
	s.verdict(t, again)
}

// Issue 3: the primary registrar dies: the line registers at the secondary
// within the configured time, calls go through the secondary, and the line
// moves back to the primary when it returns.
//
// The bounds come from the configuration where it has the timer (the
// keep-alive OPTIONS every 5 s, the shortest allowed) and from the user
// agent's defaults where it has none: a request unanswered for 10 s
// (ua.Profile.Timeout) marks the server dead, and the primary is probed
// every 60 s (ua.Profile.Failback). The configuration has no fields for
// these two yet, so this test takes about 80 s.
func TestSIPBoxRegistrarFailover(t *testing.T) {
	const (
		keepAlive   = 5 * time.Second
		uaTimeout   = 4 * time.Second  // sip.profiles[0].registerTimeout
		uaFailback  = 15 * time.Second // sip.profiles[0].failback
		failoverMax = keepAlive + uaTimeout + 3*time.Second
		failbackMax = uaFailback + 5*time.Second
	)
	peers.Need(t, "kamailio", "sipp")
	k1 := peers.NewKamailio(t, peers.KamailioOptions{Users: lineUsers(1), Debug: -1})
	k2 := peers.NewKamailio(t, peers.KamailioOptions{Users: lineUsers(1), Debug: -1})
	s := newSIPBox(t, boxOpts{timeout: 3 * time.Minute, noWait: true, registrars: []*peers.Kamailio{k1, k2}, profile: func(p *config.SIPProfile) {
		p.Domain = "127.0.0.1" // the domain of both
		p.KeepAlive, p.KeepAliveEvery = "options", config.Duration(keepAlive)
		p.RegisterExpires = config.Duration(60 * time.Second)
		p.RetryMin, p.RetryMax = config.Duration(time.Second), config.Duration(5*time.Second)
		p.RegisterTimeout, p.Failback = config.Duration(uaTimeout), config.Duration(uaFailback)
	}})
	at := func(k *peers.Kamailio, path int) func(ua.RegState) bool {
		return func(st ua.RegState) bool {
			return st.Status == ua.RegRegistered && st.Server == k.Addr().String() && st.Path == path
		}
	}
	s.waitReg(t, 1, at(k1, 0))
	if cs, err := k1.Contacts(s.ctx, lineUser(1)); err != nil || len(cs) != 1 {
		t.Fatalf("primary's bindings for %s: %v, %v", lineUser(1), cs, err)
	}

	must(t, k1.Stop())
	st, took := s.waitReg(t, 1, at(k2, 1))
	t.Logf("primary stopped: registered at the secondary after %v (bound %v): %v", took, failoverMax, st)
	if took > failoverMax {
		t.Errorf("fail-over took %v, want at most %v (keep-alive %v + timeout %v)", took, failoverMax, keepAlive, uaTimeout)
	}
	if cs, err := k2.Contacts(s.ctx, lineUser(1)); err != nil || len(cs) != 1 {
		t.Errorf("secondary's bindings for %s: %v, %v", lineUser(1), cs, err)
	}

	// A call through the secondary.
	far := peers.NewSipp(t, peers.SippOptions{Scenario: answerXML(), Timeout: 40 * time.Second,
		Files: map[string][]byte{sippFile: peers.G711File(8, peers.Tone(sippTone, sippLevel, 2*time.Second))}})
	must(t, k2.SetRoute(s.ctx, sippNumber, far.Addr().String()))
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Connected, 5*time.Second)
	waitHear(t, p, sippTone, 2*time.Second, "call through the secondary")
	must(t, p.OnHook())
	s.verdict(t, far)

	restarted := time.Now()
	must(t, k1.Restart(s.ctx))
	st, _ = s.waitReg(t, 1, at(k1, 0))
	took = time.Since(restarted)
	t.Logf("primary back: registered there again after %v (bound %v): %v", took, failbackMax, st)
	if took > failbackMax {
		t.Errorf("fail-back took %v, want at most %v (probe every %v)", took, failbackMax, uaFailback)
	}
	if cs, err := k1.Contacts(s.ctx, lineUser(1)); err != nil || len(cs) != 1 {
		t.Errorf("primary's bindings after the fail-back: %v, %v", cs, err)
	}
	// The binding at the secondary is removed.
	for {
		cs, err := k2.Contacts(s.ctx, lineUser(1))
		if err == nil && len(cs) == 0 {
			break
		}
		if s.ctx.Err() != nil || time.Since(restarted) > failbackMax+5*time.Second {
			t.Errorf("the secondary still holds %v (%v) after the fail-back", cs, err)
			break
		}
		p.Record(chunk)
	}
}

// Issue 3: a line that is not registered gives the caller congestion
// tone, not silence: here its registrar refuses the password (403).
func TestSIPBoxNotRegistered(t *testing.T) {
	s := newSIPBox(t, boxOpts{noWait: true, profile: func(p *config.SIPProfile) {
		p.RetryMin, p.RetryMax = config.Duration(30*time.Second), config.Duration(60*time.Second)
	}})
	s.configure(t, func(c *config.Config) { c.Ports[0].SIP.Password = "not-the-password" })
	st, _ := s.waitReg(t, 1, func(st ua.RegState) bool { return st.Status == ua.RegFailed })
	t.Logf("FXS 1: %v", st)
	p := s.dial(t, 1, sippNumber)
	waitState(t, s, 1, line.Signalling, 2*time.Second)
	p.Record(settle)
	expectToneRT(t, p.Record(3*period(&s.box.Plan.Congestion)), &s.box.Plan.Congestion, "congestion from an unregistered line")
}

// The same in virtual time, without any peer: the registrar never answers.
func TestNotRegisteredCongestion(t *testing.T) {
	for _, country := range []string{"CN", "US"} {
		t.Run(country, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := Boot(t, country, 1)
				if _, err := b.Sys.Config.Update(config.SourceWeb, "scenario", func(c *config.Config) error {
					c.SIP.Profiles[0].Registrars = []string{"192.0.2.1:5060"}
					c.Ports[0].SIP = config.PortSIP{Enabled: true, User: "3001", Password: "pw"}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				synctest.Wait()
				p := b.Phones[0]
				must(t, p.OffHook())
				record(p, 0)
				must(t, p.Dial("23456789")) // a full number of the default digit map
				if st, ok := b.Sys.Trunk.Registration(1); !ok || st.Status == ua.RegRegistered {
					t.Fatalf("FXS 1 registration %v (%v), want not registered", st, ok)
				}
				p.Record(settle)
				ExpectTone(t, p.Record(3*period(&b.Plan.Congestion)), &b.Plan.Congestion, "congestion from an unregistered line")
			})
		})
	}
}

// The phone hangs up while the far end plays early media, and the far end
// is slow to end its side (its 487 comes 5 s after the CANCEL). Lifted
// again in that time, the phone hears dial tone and nothing of the old
// call; a new call on the port has its audio, and keeps it when the old
// call finally ends.
func TestSIPBoxHangupInEarlyMedia(t *testing.T) {
	s := newSIPBox(t, boxOpts{})
	slow := s.sipp(t, sippXMLHead+`  <recv request="INVITE" rrs="true">
    <action>
      <ereg regexp="Via:[^[:cntrl:]]*([[:cntrl:]]+Via:[^[:cntrl:]]*)*" search_in="msg" assign_to="inv_via"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" assign_to="inv_cseq"/>
    </action>
  </recv>
`+xReply(183, "Session Progress", true, "", sippSDPBody(1, "sendrecv"))+xPlay("start")+`  <recv request="CANCEL"/>
`+xReply(200, "OK", false, "", "")+xPause(5*time.Second)+`  <send><![CDATA[
SIP/2.0 487 Request Terminated
[$inv_via]
[last_From:]
[last_To:];tag=[pid]uas[call_number]
[last_Call-ID:]
CSeq:[$inv_cseq]
Content-Length: 0

]]></send>
  <recv request="ACK"/>
</scenario>
`)
	p := s.dial(t, 1, sippNumber)
	waitHear(t, p, sippTone, 3*time.Second, "early media")
	must(t, p.OnHook())
	waitState(t, s, 1, line.Idle, 5*time.Second)

	again := s.sipp(t, answerXML())
	must(t, p.OffHook())
	rec := record(p, time.Second)
	expectToneRT(t, rec, &s.box.Plan.Dial, "dial tone after hanging up in early media")
	if l := signal.LevelAt(rec, sippTone); l > SpurMax {
		t.Errorf("with dial tone the phone still hears the old call's early media: %.0f Hz at %.1f dBm0", sippTone, l)
	}
	must(t, p.Dial(sippNumber))
	waitState(t, s, 1, line.Connected, 5*time.Second)
	waitHear(t, p, sippTone, 2*time.Second, "the new call")
	s.verdict(t, slow) // the old call is over now (487, ACK)
	p.Record(settle)
	ExpectClear(t, p.Record(time.Second), sippTone, sippLevel, "the new call after the old one ended")
	must(t, p.OnHook())
	s.verdict(t, again)
}
