package ua

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

// callBench is a UA with one line whose calls go to a far end (no
// registration), and the channel its incoming calls arrive on.
type callBench struct {
	n  *memnet.Network
	f  *farEnd
	u  *UA
	l  *Line
	in chan *Call
}

func newCallBench(t *testing.T, p Profile) *callBench {
	t.Helper()
	b := &callBench{n: memnet.New(), in: make(chan *Call, 4)}
	b.f = newFarEnd(t, b.n.MustListen(farAddr))
	b.u, _ = startUA(t, b.n.MustListen(uaAddr), Options{})
	<-b.u.started
	if len(p.OutboundProxy) == 0 && len(p.Registrars) == 0 {
		p.OutboundProxy = []string{farAddr}
	}
	var err error
	b.l, err = b.u.AddLine(1, alice, p, HandlerFunc(func(c *Call) { b.in <- c }))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *callBench) dial(t *testing.T, number string) *Call {
	t.Helper()
	c, err := b.l.Call(context.Background(), number, ourMedia)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// answered brings an outgoing call up: 180, then 200 with the answer.
func (b *callBench) answered(t *testing.T, c *Call, hdrs ...sip.Header) (*srvReq, *dlg) {
	t.Helper()
	inv := b.f.next(sip.INVITE)
	inv.respond(180, "Ringing", nil)
	nextEvent(t, c, EvRinging)
	inv.respond(200, "OK", answerSDP(t, inv.req, farMedia), hdrs...)
	inv.finish()
	nextEvent(t, c, EvAnswered)
	b.f.next(sip.ACK)
	return inv, b.f.dialogOf(inv)
}

func TestCallOutAnswerAndHangup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		req := inv.req
		if got := req.Recipient.String(); got != "sip:300@openiad.test" {
			t.Errorf("Request-URI %s", got)
		}
		if f := req.From(); f.DisplayName != "Alice" || f.Address.User != "201" {
			t.Errorf("From %s", f.Value())
		}
		off, err := sdp.Parse(req.Body())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range off.Media[0].Formats {
			names = append(names, f.Name)
		}
		if strings.Join(names, ",") != "PCMA,PCMU,telephone-event" || off.Media[0].Port != 4000 {
			t.Errorf("offer m= %+v", off.Media[0])
		}
		if !hasTag(req, "Supported", "timer") || !hasTag(req, "Supported", "100rel") || headerValue(req, "Session-Expires") != "1800" {
			t.Errorf("offer headers: Supported %q Session-Expires %q", headerValue(req, "Supported"), headerValue(req, "Session-Expires"))
		}
		if r := req.Route(); r == nil || r.Address.Host != "192.0.2.30" {
			t.Errorf("no Route to the outbound proxy")
		}
		inv.respond(100, "Trying", nil)
		inv.respond(180, "Ringing", nil)
		nextEvent(t, c, EvRinging)
		inv.respond(200, "OK", answerSDP(t, req, farMedia))
		inv.finish()
		e := nextEvent(t, c, EvAnswered)
		if e.Media.Remote.String() != "192.0.2.30:6000" || e.Media.Codec.Name != "PCMA" || e.Media.Event == nil {
			t.Errorf("media %v", e.Media)
		}
		ack := b.f.next(sip.ACK)
		if ack.req.CSeq().SeqNo != req.CSeq().SeqNo || ack.req.Recipient.User != "far" {
			t.Errorf("ACK %s", ack.req.StartLine())
		}
		c.Hangup()
		bye := b.f.next(sip.BYE)
		if tag, _ := bye.req.To().Params.Get("tag"); tag != inv.tag {
			t.Errorf("BYE To tag %q, want %q", tag, inv.tag)
		}
		bye.respond(200, "OK", nil)
		bye.finish()
		e = nextEvent(t, c, EvEnded)
		if e.Cause != CauseNormal || e.Remote {
			t.Errorf("end %v", e)
		}
		closed(t, c)
	})
}

func TestCallOutProxyAuth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		chal := digest.Challenge{Realm: "openiad.test", Nonce: "abc123", Algorithm: "SHA-256", QOP: []string{"auth"}}
		inv.respond(407, "Proxy Authentication Required", nil, sip.NewHeader("Proxy-Authenticate", chal.String()))
		inv.finish()
		inv2 := b.f.next(sip.INVITE)
		h := inv2.req.GetHeader("Proxy-Authorization")
		if h == nil {
			t.Fatal("no Proxy-Authorization")
		}
		cr, _ := digest.ParseCredentials(h.Value())
		want, _ := digest.Digest(&chal, digest.Options{Method: "INVITE", URI: cr.URI, Username: "201", Password: alice.Password, Cnonce: cr.Cnonce, Count: cr.Nc})
		if cr.Response != want.Response || cr.URI != inv2.req.Recipient.String() {
			t.Errorf("credentials %+v", cr)
		}
		if inv2.req.CSeq().SeqNo != inv.req.CSeq().SeqNo+1 || inv2.req.CallID().Value() != inv.req.CallID().Value() {
			t.Error("the authenticated INVITE must keep the Call-ID and raise the CSeq")
		}
		inv2.respond(200, "OK", answerSDP(t, inv2.req, farMedia))
		inv2.finish()
		nextEvent(t, c, EvAnswered)
		b.f.next(sip.ACK)
	})
}

func TestCallOutEarlyMedia(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		ans := answerSDP(t, inv.req, farMedia)
		inv.respond(183, "Session Progress", ans)
		e := nextEvent(t, c, EvEarlyMedia)
		if e.Media.Remote.String() != "192.0.2.30:6000" {
			t.Errorf("early media %v", e.Media)
		}
		inv.respond(200, "OK", ans)
		inv.finish()
		nextEvent(t, c, EvAnswered)
	})
}

func TestCallOutFailures(t *testing.T) {
	for _, tc := range []struct {
		code  int
		cause Cause
	}{
		{486, CauseBusy},
		{600, CauseBusy},
		{404, CauseUnobtainable},
		{484, CauseUnobtainable},
		{604, CauseUnobtainable},
		{503, CauseCongestion},
		{500, CauseCongestion},
		{408, CauseCongestion},
		{480, CauseCongestion},
		{603, CauseRejected},
		{488, CauseMedia},
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newCallBench(t, Profile{})
				c := b.dial(t, "300")
				inv := b.f.next(sip.INVITE)
				inv.respond(180, "Ringing", nil)
				nextEvent(t, c, EvRinging)
				inv.respond(tc.code, "No", nil)
				inv.finish()
				e := nextEvent(t, c, EvFailed)
				if e.Code != tc.code || e.Cause != tc.cause {
					t.Errorf("%v, want %d %v", e, tc.code, tc.cause)
				}
				closed(t, c)
			})
		})
	}
}

func TestCallOutNoAnswerFromServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{Timeout: 5 * time.Second})
		b.n.SetFilter(func(p memnet.Packet) bool { return p.To.String() != farAddr })
		start := time.Now()
		c := b.dial(t, "300")
		e := nextEvent(t, c, EvFailed)
		if e.Cause != CauseCongestion || time.Since(start) != 5*time.Second {
			t.Errorf("%v after %v", e, time.Since(start))
		}
	})
}

func TestCallOutNotRegistered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		<-u.started
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}}, nil)
		if _, err := l.Call(context.Background(), "300", ourMedia); err != ErrNotRegistered {
			t.Errorf("Call: %v, want ErrNotRegistered", err)
		}
	})
}

func TestCallOutCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		canceled := make(chan struct{})
		inv.tx.OnCancel(func(*sip.Request) { close(canceled) })
		inv.respond(180, "Ringing", nil)
		nextEvent(t, c, EvRinging)
		c.Hangup()
		select {
		case <-canceled:
		case <-time.After(5 * time.Second):
			t.Fatal("no CANCEL reached the far end")
		}
		e := nextEvent(t, c, EvFailed)
		if e.Code != 487 || e.Cause != CauseCanceled {
			t.Errorf("%v", e)
		}
		inv.finish()
		closed(t, c)
	})
}

// The far end answers while our CANCEL is on its way: we must ACK the 200
// and release the call with a BYE.
func TestCallOutCancelCrossing200(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		var mu sync.Mutex
		held := 0
		b.n.SetFilter(func(p memnet.Packet) bool {
			mu.Lock()
			defer mu.Unlock()
			if strings.HasPrefix(string(p.Data), "CANCEL ") && held == 0 {
				held++
				return false // lost once: it arrives after the 200 (retransmission)
			}
			return true
		})
		c := b.dial(t, "300")
		inv := b.f.next(sip.INVITE)
		inv.respond(180, "Ringing", nil)
		nextEvent(t, c, EvRinging)
		c.Hangup()
		synctest.Wait()
		inv.respond(200, "OK", answerSDP(t, inv.req, farMedia))
		inv.finish()
		// ACK and BYE leave in that order but the far end's stack handles
		// each datagram on its own goroutine
		for range 2 {
			if r := b.f.nextOf(sip.ACK, sip.BYE); r.req.Method == sip.BYE {
				r.respond(200, "OK", nil)
				r.finish()
			}
		}
		e := nextEvent(t, c, EvFailed)
		if e.Cause != CauseCanceled {
			t.Errorf("%v", e)
		}
		closed(t, c)
	})
}

func TestCallOutRemoteBye(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		c := b.dial(t, "300")
		_, d := b.answered(t, c)
		res := d.send(d.request(sip.BYE, nil))
		if res.StatusCode != 200 {
			t.Errorf("BYE answered %d", res.StatusCode)
		}
		e := nextEvent(t, c, EvEnded)
		if !e.Remote || e.Cause != CauseNormal {
			t.Errorf("%v", e)
		}
		closed(t, c)
		// the dialog is gone: another BYE is 481
		if res := d.send(d.request(sip.BYE, nil)); res.StatusCode != 481 {
			t.Errorf("second BYE answered %d", res.StatusCode)
		}
	})
}

func TestCallInAnswerAndHangup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		off := sdp.Offer(farMedia, 55, 1).Marshal()
		d, tx := b.f.inviteUA("201", off,
			sip.NewHeader("P-Asserted-Identity", `"Bob Smith" <sip:+4930555@openiad.test>`))
		wait(t, tx, 100)
		var c *Call
		select {
		case c = <-b.in:
		case <-time.After(5 * time.Second):
			t.Fatal("no incoming call")
		}
		if p := c.Caller(); p.Number != "+4930555" || p.Name != "Bob Smith" || p.Private {
			t.Errorf("caller %+v", p)
		}
		if c.Number() != "201" || c.Outgoing() {
			t.Errorf("number %q", c.Number())
		}
		c.Ringing()
		r180 := wait(t, tx, 180)
		tag180, _ := r180.To().Params.Get("tag")
		c.Answer(ourMedia)
		ok := wait(t, tx, 200)
		if tag, _ := ok.To().Params.Get("tag"); tag != tag180 || tag == "" {
			t.Errorf("200 tag %q, 180 tag %q", tag, tag180)
		}
		ans, err := sdp.Parse(ok.Body())
		if err != nil || ans.Media[0].Port != 4000 {
			t.Fatalf("answer %v %v", ans, err)
		}
		e := nextEvent(t, c, EvAnswered)
		if e.Media.Remote.String() != "192.0.2.30:6000" {
			t.Errorf("media %v", e.Media)
		}
		d.remoteTag = tag180
		d.target = ok.Contact().Address
		ack := d.request(sip.ACK, nil)
		ack.CSeq().SeqNo = 1
		b.f.sua.TransportLayer().WriteMsg(ack)
		synctest.Wait()
		c.Hangup()
		bye := b.f.next(sip.BYE)
		bye.respond(200, "OK", nil)
		bye.finish()
		e = nextEvent(t, c, EvEnded)
		if e.Remote {
			t.Errorf("%v", e)
		}
		closed(t, c)
	})
}

// The answer is repeated until the ACK comes; none in 64·T1 ends the call.
func TestCallInNoACK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		var mu sync.Mutex
		var oks []time.Time
		b.n.Tap(func(p memnet.Packet) {
			if strings.HasPrefix(string(p.Data), "SIP/2.0 200 OK") && strings.Contains(string(p.Data), "CSeq: 1 INVITE") {
				mu.Lock()
				oks = append(oks, time.Now())
				mu.Unlock()
			}
		})
		_, tx := b.f.inviteUA("201", sdp.Offer(farMedia, 55, 1).Marshal())
		c := <-b.in
		start := time.Now()
		c.Answer(ourMedia)
		wait(t, tx, 200)
		nextEvent(t, c, EvAnswered)
		bye := b.f.next(sip.BYE)
		bye.respond(200, "OK", nil)
		bye.finish()
		e := nextEvent(t, c, EvEnded)
		if e.Cause != CauseTimeout || time.Since(start) != 32*time.Second {
			t.Errorf("%v after %v", e, time.Since(start))
		}
		mu.Lock()
		defer mu.Unlock()
		// 0, .5, 1.5, 3.5, 7.5, then every 4 s up to 32 s
		if len(oks) < 10 || oks[1].Sub(oks[0]) != 500*time.Millisecond || oks[2].Sub(oks[1]) != time.Second || oks[5].Sub(oks[4]) != 4*time.Second {
			var d []time.Duration
			for _, o := range oks {
				d = append(d, o.Sub(start))
			}
			t.Errorf("200 OK sent at %v", d)
		}
	})
}

func TestCallInReject(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		_, tx := b.f.inviteUA("201", sdp.Offer(farMedia, 55, 1).Marshal())
		c := <-b.in
		c.Reject(486)
		wait(t, tx, 486)
		e := nextEvent(t, c, EvFailed)
		if e.Cause != CauseBusy || e.Remote {
			t.Errorf("%v", e)
		}
		closed(t, c)
	})
}

func TestCallInCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		d, tx := b.f.inviteUA("201", sdp.Offer(farMedia, 55, 1).Marshal())
		c := <-b.in
		c.Ringing()
		wait(t, tx, 180)
		cancel := sip.NewRequest(sip.CANCEL, d.target)
		// CANCEL of the INVITE: same Via branch, Call-ID, From, To, CSeq number
		orig := txOrigin(t, tx)
		cancel.AppendHeader(orig.Via().Clone())
		cancel.AppendHeader(sip.HeaderClone(orig.From()))
		cancel.AppendHeader(sip.HeaderClone(orig.To()))
		cancel.AppendHeader(sip.HeaderClone(orig.CallID()))
		cancel.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.CANCEL})
		mf := sip.MaxForwardsHeader(70)
		cancel.AppendHeader(&mf)
		cancel.SetBody(nil)
		cancel.SetDestination(orig.Destination())
		cancel.Laddr = orig.Laddr
		ctx, err := b.f.sua.TransactionLayer().Request(context.Background(), cancel)
		if err != nil {
			t.Fatal(err)
		}
		wait(t, ctx, 200)
		wait(t, tx, 487)
		e := nextEvent(t, c, EvFailed)
		if e.Cause != CauseCanceled || !e.Remote {
			t.Errorf("%v", e)
		}
		closed(t, c)
	})
}

func txOrigin(t *testing.T, tx sip.ClientTransaction) *sip.Request {
	t.Helper()
	o, ok := tx.(interface{ Origin() *sip.Request })
	if !ok {
		t.Fatal("transaction without Origin")
	}
	return o.Origin()
}

func TestCallInUnknownUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		_, tx := b.f.inviteUA("999", sdp.Offer(farMedia, 55, 1).Marshal())
		wait(t, tx, 404)
	})
}

func TestCallInBadExtension(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newCallBench(t, Profile{})
		_, tx := b.f.inviteUA("201", sdp.Offer(farMedia, 55, 1).Marshal(), sip.NewHeader("Require", "foo, timer"))
		res := wait(t, tx, 420)
		if got := headerValue(res, "Unsupported"); got != "foo" {
			t.Errorf("Unsupported %q", got)
		}
	})
}

// Without registrar or proxy, calls go to the domain (DNS SRV, then A).
func TestCallToDomain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		f := newFarEnd(t, n.MustListen(farAddr))
		dns := fakeDNS{a: map[string][]netip.Addr{"openiad.test": {netip.MustParseAddr("192.0.2.30")}}}
		u, _ := startUA(t, n.MustListen(uaAddr), Options{Resolver: dns})
		<-u.started
		l, err := u.AddLine(1, alice, Profile{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := l.Call(context.Background(), "300", ourMedia)
		if err != nil {
			t.Fatal(err)
		}
		inv := f.next(sip.INVITE)
		inv.respond(486, "Busy Here", nil)
		inv.finish()
		nextEvent(t, c, EvFailed)
	})
}
