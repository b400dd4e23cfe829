package ua

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/netip"
	"strconv"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/sdp"
)

// This file builds the messages of a dialog (RFC 3261 §12): in-dialog
// requests, ACK, CANCEL and our responses. Everything runs on the call's
// goroutine.

// newReq builds an in-dialog request with CSeq seq.
func (st *callState) newReq(method sip.RequestMethod, seq uint32) *sip.Request {
	ruri := *st.remoteTarget.Clone()
	dst := st.dest()
	req := st.u.newRequest(method, ruri, dst, st.destTr)
	from := &sip.FromHeader{DisplayName: st.localName, Address: st.localURI, Params: sip.NewParams()}
	from.Params.Add("tag", st.localTag)
	req.AppendHeader(from)
	to := &sip.ToHeader{DisplayName: st.remoteName, Address: st.remoteURI, Params: sip.NewParams()}
	if st.remoteTag != "" {
		to.Params.Add("tag", st.remoteTag)
	}
	req.AppendHeader(to)
	cid := sip.CallIDHeader(st.c.id)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	for _, r := range st.routes {
		req.AppendHeader(&sip.RouteHeader{Address: *r.Clone()})
	}
	if method == sip.INVITE || method == sip.UPDATE {
		req.AppendHeader(&sip.ContactHeader{Address: st.contact()})
	}
	return req
}

// nextCSeq is the CSeq of our next in-dialog request.
func (st *callState) nextCSeq() uint32 {
	st.cseq++
	return st.cseq
}

// contact is our Contact URI for this call.
func (st *callState) contact() sip.Uri {
	dst := st.dest()
	return st.l.contactFor(dst, st.destTr)
}

// dest is where in-dialog requests go: the first route, else the outbound
// proxy, else the remote target (resolved when it is a name). It also sets
// destTr, the transport towards it: the URI's transport parameter when it
// has one, else the call's own (the line's, or the one the INVITE came
// over).
func (st *callState) dest() netip.AddrPort {
	if st.destAddr.IsValid() {
		return st.destAddr
	}
	st.destTr = cmp.Or(st.tr, trUDP)
	var host string
	var port int
	switch {
	case len(st.routes) > 0:
		host, port = st.routes[0].Host, st.routes[0].Port
		st.destTr = uriTransport(st.routes[0], st.destTr)
	case st.target.proxy != "" && st.target.addr.IsValid():
		st.destAddr = st.target.addr
		return st.destAddr
	case st.remoteTarget.Host != "":
		host, port = st.remoteTarget.Host, st.remoteTarget.Port
		st.destTr = uriTransport(st.remoteTarget, st.destTr)
	default:
		st.destAddr = st.target.addr
		return st.destAddr
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		st.destAddr = netip.AddrPortFrom(a.Unmap(), uint16(cmpPort(port)))
		return st.destAddr
	}
	ctx, cancel := context.WithTimeout(context.Background(), st.l.prof.Timeout)
	defer cancel()
	if addrs, err := resolve(ctx, st.u.res, hostPort(host, port), strings.ToLower(st.destTr)); err == nil {
		st.destAddr = addrs[0]
		return st.destAddr
	}
	st.destAddr = st.target.addr
	return st.destAddr
}

// uriTransport is the transport a URI asks for (;transport=tcp or udp),
// def when it names none or another.
func uriTransport(u sip.Uri, def string) string {
	if u.UriParams == nil {
		return def
	}
	v, _ := u.UriParams.Get("transport")
	switch strings.ToLower(v) {
	case "tcp":
		return trTCP
	case "udp":
		return trUDP
	}
	return def
}

func cmpPort(p int) int {
	if p <= 0 || p > 65535 {
		return defaultPort
	}
	return p
}

// learnDialog takes the remote target and (once) the route set from a
// dialog-creating or target-refreshing message.
func (st *callState) learnDialog(m sip.Message, routes bool) {
	if ct := m.GetHeaders("Contact"); len(ct) > 0 {
		if c, ok := ct[0].(*sip.ContactHeader); ok && c.Address.Host != "" {
			st.remoteTarget = *c.Address.Clone()
			st.destAddr = netip.AddrPort{}
		}
	}
	if !routes {
		return
	}
	rr := m.GetHeaders("Record-Route")
	st.routes = st.routes[:0]
	for _, h := range rr {
		r, ok := h.(*sip.RecordRouteHeader)
		if !ok {
			continue
		}
		st.routes = append(st.routes, *r.Address.Clone())
	}
	if st.c.out { // a UAC reverses the Record-Route of the response
		for i, j := 0, len(st.routes)-1; i < j; i, j = i+1, j-1 {
			st.routes[i], st.routes[j] = st.routes[j], st.routes[i]
		}
	}
	st.destAddr = netip.AddrPort{}
}

// sendAck acknowledges a 2xx to our INVITE with CSeq seq, and keeps the ACK
// to repeat it on 2xx retransmissions.
func (st *callState) sendAck(seq uint32, tx sip.ClientTransaction, body []byte) {
	ack := st.newReq(sip.ACK, seq)
	st.u.finish(ack, "application/sdp", body)
	tmpl := ack.Clone()
	u := st.u
	if tx != nil {
		tag := st.remoteTag
		tx.OnRetransmission(func(r *sip.Response) {
			if t, _ := r.To().Params.Get("tag"); r.IsSuccess() && t == tag {
				u.send(tmpl.Clone())
			}
		})
	}
	if err := u.send(ack); err != nil {
		u.log.Warn("sip: ACK", "call", st.c.id, "err", err)
	}
}

// cancelFor builds the CANCEL of our INVITE inv (RFC 3261 §9.1).
func (st *callState) cancelFor(inv *sip.Request) *sip.Request {
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	req.AppendHeader(inv.Via().Clone())
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	for _, h := range inv.GetHeaders("Route") {
		req.AppendHeader(sip.HeaderClone(h))
	}
	st.u.finish(req, "", nil)
	req.SetTransport(inv.Transport())
	req.SetDestination(inv.Destination())
	req.Laddr = inv.Laddr
	return req
}

// responseTo builds our response to a request of this dialog, with Contact
// on the answers that need one and the body, if any, as SDP.
func (st *callState) responseTo(req *sip.Request, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if (req.Method == sip.INVITE || req.Method == sip.UPDATE) && code > 100 && code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: st.contact()})
	}
	res.AppendHeader(sip.NewHeader("Server", st.u.o.UserAgent))
	if req.Method == sip.INVITE || code == sip.StatusMethodNotAllowed {
		res.AppendHeader(sip.NewHeader("Allow", allowed))
	}
	if body != nil {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	res.SetBody(body)
	return res
}

// sdpOf parses the SDP body of m, nil when there is none. A body of
// another type wraps errBodyType.
func sdpOf(m sip.Message) (*sdp.Session, error) {
	b := m.Body()
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	body, err := sdpBody(headerValue(m, "Content-Type"), b)
	if err != nil {
		return nil, err
	}
	return sdp.Parse(body)
}

// sdpBody finds the session description in a body: the body itself when
// it is application/sdp (or has no type), else the first application/sdp
// part of a multipart body (carriers add ISUP parts, RFC 3204).
func sdpBody(ctype string, body []byte) ([]byte, error) {
	if strings.TrimSpace(ctype) == "" {
		return body, nil
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", errBodyType, ctype)
	}
	switch {
	case mt == "application/sdp":
		return body, nil
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for range 8 {
			part, err := r.NextPart()
			if err != nil {
				break
			}
			pt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if pt == "application/sdp" {
				return io.ReadAll(io.LimitReader(part, int64(len(body))))
			}
		}
	}
	return nil, fmt.Errorf("%w: %q", errBodyType, ctype)
}

// acceptsSDP tells whether the Accept headers of req (if any) allow an SDP
// body in our answer.
func acceptsSDP(req *sip.Request) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	for _, h := range hs {
		if strings.TrimSpace(h.Value()) == "" {
			return true
		}
		for _, r := range strings.Split(h.Value(), ",") {
			mt := strings.ToLower(strings.TrimSpace(firstTokenSemi(r)))
			if mt == "application/sdp" || mt == "application/*" || mt == "*/*" {
				return true
			}
		}
	}
	return false
}

// supportedTags is our Supported header for this line.
func (st *callState) supportedTags() string {
	tags := []string{"timer"}
	if st.l.prof.PRACK != PRACKOff {
		tags = append(tags, "100rel")
	}
	return strings.Join(tags, ", ")
}

// sessionHeaders adds Session-Expires (with refresher when given) and Min-SE.
func (st *callState) sessionHeaders(m interface{ AppendHeader(sip.Header) }, se int, refresher string) {
	v := strconv.Itoa(se)
	if refresher != "" {
		v += ";refresher=" + refresher
	}
	m.AppendHeader(sip.NewHeader("Session-Expires", v))
	m.AppendHeader(sip.NewHeader("Min-SE", strconv.Itoa(int(st.l.prof.MinSE.Seconds()))))
}
