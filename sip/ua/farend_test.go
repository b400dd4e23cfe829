package ua

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

// farEnd is an in-process SIP phone/softswitch on sipgo that the test
// scripts message by message.
type farEnd struct {
	t    *testing.T
	conn *memnet.Conn
	sua  *sipgo.UserAgent
	reqs chan *srvReq
	stop chan struct{} // closed at the end of the test: handlers return
}

// srvReq is a request the far end received; the test answers it and then
// calls finish (sipgo ends the transaction when its handler returns).
type srvReq struct {
	req  *sip.Request
	tx   sip.ServerTransaction
	tag  string
	done chan struct{}
}

const farAddr = "192.0.2.30:5060"

var farMedia = sdp.Local{Addr: netip.MustParseAddr("192.0.2.30"), Port: 6000, Codecs: []string{"PCMA", "PCMU"}, PTime: 20 * time.Millisecond, DTMF: true}

var ourMedia = sdp.Local{Addr: netip.MustParseAddr("10.0.0.2"), Port: 4000, Codecs: []string{"PCMA", "PCMU"}, PTime: 20 * time.Millisecond, DTMF: true}

func newFarEnd(t *testing.T, conn *memnet.Conn) *farEnd {
	t.Helper()
	f := &farEnd{t: t, conn: conn, reqs: make(chan *srvReq, 16), stop: make(chan struct{})}
	sua, err := sipgo.NewUA(sipgo.WithUserAgent("far-end"))
	if err != nil {
		t.Fatal(err)
	}
	f.sua = sua
	srv, err := sipgo.NewServer(sua)
	if err != nil {
		t.Fatal(err)
	}
	handler := func(req *sip.Request, tx sip.ServerTransaction) {
		r := &srvReq{req: req, tx: tx, done: make(chan struct{})}
		if req.Method == sip.INVITE {
			if tag, ok := req.To().Params.Get("tag"); ok {
				r.tag = tag
			} else {
				r.tag = sip.GenerateTagN(8)
				req.To().Params.Add("tag", r.tag) // one tag for every response
			}
		}
		select {
		case f.reqs <- r:
		case <-f.stop:
			return
		}
		if req.Method == sip.ACK {
			return
		}
		select {
		case <-r.done:
		case <-f.stop:
		}
	}
	for _, m := range []sip.RequestMethod{sip.INVITE, sip.ACK, sip.BYE, sip.CANCEL, sip.INFO, sip.PRACK, sip.UPDATE, sip.OPTIONS, sip.REGISTER} {
		srv.OnRequest(m, handler)
	}
	served := make(chan struct{})
	go func() {
		srv.ServeUDP(conn)
		close(served)
	}()
	<-conn.Reading()
	t.Cleanup(func() {
		synctest.Wait() // nothing in flight: sipgo must not open a real socket to answer late
		close(f.stop)
		conn.Close()
		<-served
		sua.Close()
	})
	return f
}

// next waits for the next request, which must have the given method.
func (f *farEnd) next(method sip.RequestMethod) *srvReq {
	f.t.Helper()
	select {
	case r := <-f.reqs:
		if r.req.Method != method {
			f.t.Fatalf("far end got %s, want %s:\n%s", r.req.Method, method, r.req)
		}
		return r
	case <-time.After(5 * time.Minute):
		f.t.Fatalf("far end: no %s", method)
		return nil
	}
}

// nextOf waits for the next request, which must have one of the methods.
func (f *farEnd) nextOf(methods ...sip.RequestMethod) *srvReq {
	f.t.Helper()
	select {
	case r := <-f.reqs:
		for _, m := range methods {
			if r.req.Method == m {
				return r
			}
		}
		f.t.Fatalf("far end got %s, want one of %v:\n%s", r.req.Method, methods, r.req)
		return r
	case <-time.After(5 * time.Minute):
		f.t.Fatalf("far end: none of %v", methods)
		return nil
	}
}

// respond answers the request; hdrs are added, body is SDP when not nil.
func (r *srvReq) respond(code int, reason string, body []byte, hdrs ...sip.Header) *sip.Response {
	res := sip.NewResponseFromRequest(r.req, code, reason, nil)
	if r.req.Method == sip.INVITE && code > 100 && code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "far", Host: "192.0.2.30", Port: 5060}})
	}
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.SetBody(body)
	if err := r.tx.Respond(res); err != nil {
		panic(err)
	}
	return res
}

func (r *srvReq) finish() { close(r.done) }

// answerSDP is the far end's answer to the SDP of m.
func answerSDP(t *testing.T, m sip.Message, local sdp.Local) []byte {
	t.Helper()
	off, err := sdp.Parse(m.Body())
	if err != nil {
		t.Fatalf("offer: %v\n%s", err, m.Body())
	}
	ans, _, err := sdp.Answer(off, local, 77, 1)
	if err != nil {
		t.Fatal(err)
	}
	return ans.Marshal()
}

// dlg is the far end's view of a dialog, for its own requests.
type dlg struct {
	f                   *farEnd
	callID              string
	localTag, remoteTag string
	local, remote       sip.Uri
	target              sip.Uri
	cseq                uint32
}

// dialogOf builds the far end's dialog from an INVITE the UA sent.
func (f *farEnd) dialogOf(r *srvReq) *dlg {
	inv := r.req
	ft, _ := inv.From().Params.Get("tag")
	return &dlg{
		f: f, callID: inv.CallID().Value(), localTag: r.tag, remoteTag: ft,
		local: inv.To().Address, remote: inv.From().Address, target: inv.Contact().Address, cseq: 100,
	}
}

// request builds a request of the far end to the UA.
func (d *dlg) request(method sip.RequestMethod, body []byte, hdrs ...sip.Header) *sip.Request {
	req := sip.NewRequest(method, d.target)
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "192.0.2.30", Port: 5060, Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranch())
	req.AppendHeader(via)
	from := &sip.FromHeader{Address: d.local, Params: sip.NewParams()}
	from.Params.Add("tag", d.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{Address: d.remote, Params: sip.NewParams()}
	if d.remoteTag != "" {
		to.Params.Add("tag", d.remoteTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	if method != sip.ACK {
		d.cseq++
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "far", Host: "192.0.2.30", Port: 5060}})
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	req.SetBody(body)
	req.SetDestination(net.JoinHostPort(d.target.Host, strconv.Itoa(cmpPort(d.target.Port))))
	fa := netip.MustParseAddrPort(farAddr)
	req.Laddr = sip.Addr{IP: net.IP(fa.Addr().AsSlice()), Port: int(fa.Port())}
	return req
}

// send sends a request in a client transaction and returns its final
// response (provisional ones are skipped).
func (d *dlg) send(req *sip.Request) *sip.Response {
	d.f.t.Helper()
	tx, err := d.f.sua.TransactionLayer().Request(context.Background(), req)
	if err != nil {
		d.f.t.Fatal(err)
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res.IsProvisional() {
				continue
			}
			if req.Method == sip.INVITE && res.IsSuccess() {
				ack := d.request(sip.ACK, nil)
				ack.CSeq().SeqNo = req.CSeq().SeqNo
				d.f.sua.TransportLayer().WriteMsg(ack)
			}
			return res
		case <-tx.Done():
			d.f.t.Fatalf("%s: %v", req.Method, tx.Err())
			return nil
		}
	}
}

// inviteUA starts a call from the far end to user at the UA; it returns
// the dialog and the client transaction of the INVITE.
func (f *farEnd) inviteUA(user string, body []byte, hdrs ...sip.Header) (*dlg, sip.ClientTransaction) {
	f.t.Helper()
	d := &dlg{
		f: f, callID: sip.GenerateTagN(16), localTag: sip.GenerateTagN(8),
		local:  sip.Uri{Scheme: "sip", User: "+4930555", Host: "openiad.test"},
		remote: sip.Uri{Scheme: "sip", User: user, Host: "openiad.test"},
		target: sip.Uri{Scheme: "sip", User: user, Host: "10.0.0.2", Port: 5060},
		cseq:   1,
	}
	req := d.request(sip.INVITE, body, hdrs...)
	req.CSeq().SeqNo = 1
	d.cseq = 1
	tx, err := f.sua.TransactionLayer().Request(context.Background(), req)
	if err != nil {
		f.t.Fatal(err)
	}
	return d, tx
}

// wait reads responses of an INVITE client transaction until one with code.
func wait(t *testing.T, tx sip.ClientTransaction, code int) *sip.Response {
	t.Helper()
	for {
		select {
		case res := <-tx.Responses():
			if res.StatusCode == code {
				return res
			}
			if res.StatusCode >= 200 {
				t.Fatalf("got %d %s, want %d", res.StatusCode, res.Reason, code)
			}
		case <-tx.Done():
			t.Fatalf("transaction over (%v) waiting for %d", tx.Err(), code)
		case <-time.After(40 * time.Second):
			t.Fatalf("no %d", code)
		}
	}
}

// nextEvent waits for the call's next event, which must be of kind.
func nextEvent(t *testing.T, c *Call, kind EventKind) Event {
	t.Helper()
	select {
	case e, ok := <-c.Events():
		if !ok {
			t.Fatalf("events closed waiting for %v", kind)
		}
		if e.Kind != kind {
			t.Fatalf("event %v, want %v", e, kind)
		}
		return e
	case <-time.After(60 * time.Second):
		t.Fatalf("no %v event", kind)
		return Event{}
	}
}

// closed checks that the call's events end now.
func closed(t *testing.T, c *Call) {
	t.Helper()
	select {
	case e, ok := <-c.Events():
		if ok {
			t.Fatalf("extra event %v", e)
		}
	case <-time.After(time.Minute):
		t.Fatal("events not closed")
	}
}
