package ua

import (
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

func TestHoldResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv, _ := b.answered(t, c)
		prev, _ := sdp.Parse(inv.req.Body())
		for _, tc := range []struct {
			act      func() error
			dir      sdp.Direction
			hold     bool
			farReply sdp.Direction
		}{
			{c.Hold, sdp.SendOnly, true, sdp.RecvOnly},
			{c.Resume, sdp.SendRecv, false, sdp.SendRecv},
		} {
			tc.act()
			re := b.f.next(sip.INVITE)
			off, err := sdp.Parse(re.req.Body())
			if err != nil {
				t.Fatal(err)
			}
			if got := off.MediaDir(0); got != tc.dir {
				t.Errorf("re-offer direction %v, want %v", got, tc.dir)
			}
			if off.Origin.SessionID != prev.Origin.SessionID || off.Origin.Version != prev.Origin.Version+1 {
				t.Errorf("o= %+v after %+v: same session, version+1", off.Origin, prev.Origin)
			}
			prev = off
			if re.req.CSeq().SeqNo <= inv.req.CSeq().SeqNo {
				t.Error("re-INVITE CSeq must grow")
			}
			re.respond(200, "OK", answerSDP(t, re.req, farMedia))
			re.finish()
			b.f.next(sip.ACK)
			e := nextEvent(t, c, EvMedia)
			if e.LocalHold != tc.hold || e.RemoteHold || e.Media.Dir != tc.dir {
				t.Errorf("event %+v", e)
			}
		}
	})
}

func TestRemoteHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		_, d := b.answered(t, c)
		held := farMedia
		held.Dir = sdp.SendOnly
		res := d.send(d.request(sip.INVITE, sdp.Offer(held, 77, 2).Marshal()))
		if res.StatusCode != 200 {
			t.Fatalf("re-INVITE answered %d", res.StatusCode)
		}
		ans, _ := sdp.Parse(res.Body())
		if ans.MediaDir(0) != sdp.RecvOnly {
			t.Errorf("answer direction %v, want recvonly", ans.MediaDir(0))
		}
		e := nextEvent(t, c, EvMedia)
		if !e.RemoteHold || e.LocalHold || e.Media.Dir != sdp.RecvOnly {
			t.Errorf("event %+v", e)
		}
		res = d.send(d.request(sip.INVITE, sdp.Offer(farMedia, 77, 3).Marshal()))
		e = nextEvent(t, c, EvMedia)
		if e.RemoteHold || e.Media.Dir != sdp.SendRecv || res.StatusCode != 200 {
			t.Errorf("resume event %+v", e)
		}
	})
}

// A re-INVITE without SDP asks for our offer; the answer comes in the ACK.
func TestReinviteWithoutOffer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		_, d := b.answered(t, c)
		req := d.request(sip.INVITE, nil)
		tx, err := b.f.sua.TransactionLayer().Request(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		res := wait(t, tx, 200)
		ans := answerSDP(t, res, sdp.Local{Addr: farMedia.Addr, Port: 6100, Codecs: []string{"PCMU"}})
		ack := d.request(sip.ACK, ans)
		ack.CSeq().SeqNo = req.CSeq().SeqNo
		b.f.sua.TransportLayer().WriteMsg(ack)
		e := nextEvent(t, c, EvMedia)
		if e.Media.Remote.Port() != 6100 || e.Media.Codec.Name != "PCMU" {
			t.Errorf("media %v", e.Media)
		}
	})
}

func TestGlareRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		b.answered(t, c)
		c.Hold()
		re := b.f.next(sip.INVITE)
		first := time.Now()
		re.respond(491, "Request Pending", nil)
		re.finish()
		re = b.f.next(sip.INVITE)
		// we own the Call-ID: 2.1 to 4 s
		if d := time.Since(first); d < 2100*time.Millisecond || d > 4*time.Second {
			t.Errorf("retry after %v", d)
		}
		re.respond(200, "OK", answerSDP(t, re.req, farMedia))
		re.finish()
		if e := nextEvent(t, c, EvMedia); !e.LocalHold {
			t.Errorf("%+v", e)
		}
	})
}

func TestSessionTimerWeRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv, _ := b.answered(t, c, sip.NewHeader("Session-Expires", "120;refresher=uac"), sip.NewHeader("Require", "timer"))
		start := time.Now()
		for i := 1; i <= 3; i++ {
			re := b.f.next(sip.INVITE)
			if d := time.Since(start); d != time.Duration(i)*60*time.Second {
				t.Errorf("refresh %d at %v, want every 60 s", i, d)
			}
			if got := headerValue(re.req, "Session-Expires"); got != "120;refresher=uac" {
				t.Errorf("refresh Session-Expires %q", got)
			}
			if !strings.Contains(string(re.req.Body()), "o=- ") || string(re.req.Body()) == "" {
				t.Error("refresh without SDP")
			}
			if o1, o2 := mustSDP(t, inv.req.Body()).Origin, mustSDP(t, re.req.Body()).Origin; o1 != o2 {
				t.Errorf("refresh changed o= %+v -> %+v", o1, o2)
			}
			re.respond(200, "OK", answerSDP(t, re.req, farMedia), sip.NewHeader("Session-Expires", "120;refresher=uac"))
			re.finish()
			b.f.next(sip.ACK)
		}
		// the refresh goes unanswered: BYE and the call ends
		b.n.SetFilter(func(p memnet.Packet) bool { return !strings.HasPrefix(string(p.Data), "INVITE ") })
		bye := b.f.next(sip.BYE)
		if d := time.Since(start); d != 240*time.Second+10*time.Second {
			t.Errorf("BYE at %v, want the 10 s timeout after the refresh at 240 s", d)
		}
		bye.respond(200, "OK", nil)
		bye.finish()
		e := nextEvent(t, c, EvEnded)
		if e.Cause != CauseTimeout {
			t.Errorf("%v", e)
		}
	})
}

func TestSessionTimerTheyRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		_, d := b.answered(t, c, sip.NewHeader("Session-Expires", "120;refresher=uas"))
		start := time.Now()
		// the far end refreshes at 50 s: the session lives on
		advance(50 * time.Second)
		res := d.send(d.request(sip.UPDATE, nil, sip.NewHeader("Session-Expires", "120;refresher=uac"), sip.NewHeader("Supported", "timer")))
		if res.StatusCode != 200 || !strings.HasPrefix(headerValue(res, "Session-Expires"), "120") {
			t.Fatalf("UPDATE answered %d %q", res.StatusCode, headerValue(res, "Session-Expires"))
		}
		// then stops: we hang up at 120 - 32 s after the last refresh
		bye := b.f.next(sip.BYE)
		if got := time.Since(start); got != 50*time.Second+88*time.Second {
			t.Errorf("BYE at %v, want 138s", got)
		}
		bye.respond(200, "OK", nil)
		bye.finish()
		if e := nextEvent(t, c, EvEnded); e.Cause != CauseTimeout {
			t.Errorf("%v", e)
		}
	})
}

func TestSessionIntervalTooSmall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{SessionExpires: 100 * time.Second, MinSE: 90 * time.Second})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		inv.respond(422, "Session Interval Too Small", nil, sip.NewHeader("Min-SE", "600"))
		inv.finish()
		inv = b.f.next(sip.INVITE)
		if got := headerValue(inv.req, "Session-Expires"); got != "600" {
			t.Errorf("retry Session-Expires %q, want 600", got)
		}
		inv.respond(200, "OK", answerSDP(t, inv.req, farMedia))
		inv.finish()
		nextEvent(t, c, EvAnswered)
	})
}

func TestPRACKForReliableProvisional(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		ans := answerSDP(t, inv.req, farMedia)
		inv.respond(183, "Session Progress", ans, sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", "7"))
		pr := b.f.next(sip.PRACK)
		if got, want := headerValue(pr.req, "RAck"), "7 "+itoa(inv.req.CSeq().SeqNo)+" INVITE"; got != want {
			t.Errorf("RAck %q, want %q", got, want)
		}
		if tag, _ := pr.req.To().Params.Get("tag"); tag != inv.tag || pr.req.Recipient.User != "far" {
			t.Errorf("PRACK outside the early dialog: %s tag %s", pr.req.StartLine(), tag)
		}
		pr.respond(200, "OK", nil)
		pr.finish()
		nextEvent(t, c, EvEarlyMedia)
		// a retransmission of the same 183 is not reported again
		inv.respond(183, "Session Progress", ans, sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", "7"))
		inv.respond(180, "Ringing", nil, sip.NewHeader("Require", "100rel"), sip.NewHeader("RSeq", "8"))
		pr = b.f.next(sip.PRACK)
		if got := headerValue(pr.req, "RAck"); !strings.HasPrefix(got, "8 ") {
			t.Errorf("RAck %q", got)
		}
		pr.respond(200, "OK", nil)
		pr.finish()
		nextEvent(t, c, EvRinging)
		inv.respond(200, "OK", ans)
		inv.finish()
		nextEvent(t, c, EvAnswered)
	})
}

func TestPRACKRequiredByUs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{PRACK: PRACKRequired})
		b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		if !hasTag(inv.req, "Require", "100rel") {
			t.Errorf("Require %q", headerValue(inv.req, "Require"))
		}
		inv.finish()
	})
}

// An incoming INVITE that requires 100rel gets a reliable 180, repeated
// until the PRACK.
func TestReliableRinging(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		d, tx := b.f.inviteUA("201", sdp.Offer(farMedia, 55, 1).Marshal(), sip.NewHeader("Require", "100rel"), sip.NewHeader("Supported", "100rel"))
		c := <-b.in
		c.Ringing()
		r1 := wait(t, tx, 180)
		rseq := headerValue(r1, "RSeq")
		if !hasTag(r1, "Require", "100rel") || rseq == "" {
			t.Fatalf("180 not reliable: Require %q RSeq %q", headerValue(r1, "Require"), rseq)
		}
		// not acknowledged: it comes again after T1
		start := time.Now()
		r2 := wait(t, tx, 180)
		if headerValue(r2, "RSeq") != rseq || time.Since(start) != 500*time.Millisecond {
			t.Errorf("retransmission after %v RSeq %s", time.Since(start), headerValue(r2, "RSeq"))
		}
		d.remoteTag, _ = r1.To().Params.Get("tag")
		d.target = r1.Contact().Address
		res := d.send(d.request(sip.PRACK, nil, sip.NewHeader("RAck", rseq+" 1 INVITE")))
		if res.StatusCode != 200 {
			t.Fatalf("PRACK answered %d", res.StatusCode)
		}
		// acknowledged: no more 180s
		select {
		case r := <-tx.Responses():
			t.Fatalf("got %d after PRACK", r.StatusCode)
		case <-time.After(5 * time.Second):
		}
		c.Answer(ourMedia)
		wait(t, tx, 200)
	})
}

func TestInfoDTMF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		_, d := b.answered(t, c)
		for _, tc := range []struct {
			ctype, body string
			digit       byte
			dur         time.Duration
		}{
			{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', 160 * time.Millisecond},
			{"application/dtmf-relay", "Signal= #\r\nDuration= 250", '#', 250 * time.Millisecond},
			{"application/dtmf", "*", '*', 0},
			{"application/hook-flash", "signal=hf", Flash, 0},
		} {
			req := d.request(sip.INFO, nil)
			req.AppendHeader(sip.NewHeader("Content-Type", tc.ctype))
			req.SetBody([]byte(tc.body))
			if res := d.send(req); res.StatusCode != 200 {
				t.Errorf("INFO %q answered %d", tc.body, res.StatusCode)
			}
			e := nextEvent(t, c, EvDTMF)
			if e.Digit != tc.digit || e.Duration != tc.dur {
				t.Errorf("INFO %q: %c %v", tc.body, e.Digit, e.Duration)
			}
		}
		req := d.request(sip.INFO, nil)
		req.AppendHeader(sip.NewHeader("Content-Type", "application/x-unknown"))
		req.SetBody([]byte("x"))
		if res := d.send(req); res.StatusCode != 415 {
			t.Errorf("unknown INFO answered %d", res.StatusCode)
		}
	})
}

func TestFlashInfo(t *testing.T) {
	for _, tc := range []struct {
		mode, ctype, body string
	}{
		{FlashDTMFRelay, "application/dtmf-relay", "Signal=16"},
		{FlashHookFlash, "application/hook-flash", "signal=hf"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newCallBench(t, Profile{FlashInfo: tc.mode})
				c := b.dial(t, "300")
				b.answered(t, c)
				c.Flash()
				info := b.f.next(sip.INFO)
				if got := headerValue(info.req, "Content-Type"); got != tc.ctype || !strings.Contains(string(info.req.Body()), tc.body) {
					t.Errorf("INFO %s %q", got, info.req.Body())
				}
				info.respond(200, "OK", nil)
				info.finish()
			})
		})
	}
}

func TestCommandsAfterEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		inv.respond(486, "Busy Here", nil)
		inv.finish()
		nextEvent(t, c, EvFailed)
		closed(t, c)
		<-c.Done()
		for _, f := range []func() error{c.Hangup, c.Hold, c.Resume, c.Flash, c.Ringing} {
			if err := f(); err != ErrCallEnded {
				t.Errorf("command after the end: %v", err)
			}
		}
	})
}

func mustSDP(t *testing.T, b []byte) *sdp.Session {
	t.Helper()
	s, err := sdp.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
