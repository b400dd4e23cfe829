package ua

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/sdp"
)

type phase uint8

const (
	phCalling phase = iota // out: INVITE sent; in: INVITE received, not answered
	phEarly                // out: a provisional answer with a tag came
	phUp                   // 2xx sent or received
	phEnding               // BYE or CANCEL sent, waiting for it to finish
	phOver                 // the last event is queued
)

// reqRef names one of our client requests in txEvents.
type reqRef struct {
	method sip.RequestMethod
	op     reinviteOp // for re-INVITEs
	offer  *sdp.Session
	used   []string
	fresh  bool
}

type reinviteOp uint8

const (
	opHold reinviteOp = iota + 1
	opResume
	opRefresh
)

// answerWait is a 2xx of ours to an INVITE waiting for its ACK, repeated at
// T1, 2·T1 ... T2 until it comes, for at most 64·T1 (RFC 3261 §13.3.1.4).
type answerWait struct {
	tx       sip.ServerTransaction
	res      *sip.Response
	seq      uint32
	offer    *sdp.Session // our offer in the 2xx when the INVITE had none
	interval time.Duration
	sent     time.Time // last transmission
	until    time.Time
	initial  bool
}

// callState is everything a call knows; only its goroutine touches it.
type callState struct {
	c   *Call
	u   *UA
	l   *Line
	txc chan txEvent
	// dead closes when the goroutine ends; transaction reports stop then.
	dead chan struct{}

	phase    phase
	target   target
	tr       string // the call's transport: the line's (outgoing), the INVITE's (incoming)
	destAddr netip.AddrPort
	destTr   string // transport towards destAddr (see dest)

	localTag, remoteTag   string
	localURI, remoteURI   sip.Uri
	localName, remoteName string
	remoteTarget          sip.Uri
	routes                []sip.Uri
	cseq                  uint32
	remoteCSeq            uint32
	auth                  authCache

	// outgoing INVITE
	inv        *sip.Request
	invTx      sip.ClientTransaction
	invRef     *reqRef
	authTries  int
	provisonal bool // any 1xx came (CANCEL allowed)
	cancelWant bool
	cancelRef  *reqRef
	rseqSeen   uint32
	sessionTry int // 422 retries

	// incoming INVITE
	srvTx    sip.ServerTransaction
	srvInv   *sip.Request
	answered bool
	byeWant  bool // hang up once the ACK comes
	reliable bool // our provisional answers use 100rel
	rseq     uint32
	unacked  *sip.Response // reliable provisional waiting for PRACK
	prackIv  time.Duration
	prackEnd time.Time

	// media
	local       sdp.Local
	sessID      uint64
	lastLocal   *sdp.Session // the last description we sent
	remoteOffer *sdp.Session // incoming INVITE's offer
	media       sdp.Negotiated
	haveMedia   bool
	localHold   bool
	remoteHold  bool
	wantHold    bool
	wantOffer   bool // Reoffer changed local: a re-INVITE is due

	// re-INVITEs
	reinvRef   *reqRef
	reinv      *sip.Request
	reinvTx    sip.ClientTransaction
	waits      []*answerWait
	srvPending bool // a re-INVITE of theirs is not yet answered

	// session timer (RFC 4028)
	se        time.Duration
	refresher bool // we refresh

	events   []Event
	shutting bool

	tAnswer  *time.Timer // 2xx retransmission
	tPrack   *time.Timer // reliable 1xx retransmission
	tSession *time.Timer // refresh (ours) or expiry (theirs)
	tWait    *time.Timer // 487 after our CANCEL
	tGlare   *time.Timer // 491 retry
	tDrain   *time.Timer // last event unread for too long
}

func newCallState(c *Call) *callState {
	st := &callState{
		c: c, u: c.u, l: c.l,
		txc:    make(chan txEvent, 16),
		dead:   make(chan struct{}),
		sessID: sdp.NewSessionID(),
	}
	st.cseq = uint32(c.u.rnd()*10000) + 1
	for _, t := range []**time.Timer{&st.tAnswer, &st.tPrack, &st.tSession, &st.tWait, &st.tGlare, &st.tDrain} {
		*t = stoppedTimer()
	}
	return st
}

// run is the call's goroutine.
func (c *Call) run(start func()) {
	st := c.st
	defer func() {
		for _, t := range []*time.Timer{st.tAnswer, st.tPrack, st.tSession, st.tWait, st.tGlare, st.tDrain} {
			t.Stop()
		}
		c.u.dropCall(c)
		close(st.dead)
		close(c.events)
		close(c.done)
	}()
	start()
	for {
		if st.phase == phOver && len(st.events) == 0 {
			return
		}
		var out chan<- Event
		var next Event
		if len(st.events) > 0 {
			out, next = c.events, st.events[0]
		}
		select {
		case out <- next:
			st.events = st.events[1:]
		case m := <-c.inbox:
			st.handle(m)
		case ev := <-st.txc:
			st.onTx(ev)
		case <-st.tAnswer.C:
			st.retransmitAnswer()
		case <-st.tPrack.C:
			st.retransmitReliable()
		case <-st.tSession.C:
			st.sessionTimer()
		case <-st.tWait.C:
			st.waitOver()
		case <-st.tGlare.C:
			st.syncHold()
		case <-st.tDrain.C:
			c.u.log.Warn("sip: call events not read, dropping them", "call", c.id, "left", len(st.events))
			return
		}
	}
}

// maxPending bounds the events waiting for the line: past it, digits and
// media changes are dropped (a far end flooding INFOs must not grow us).
const maxPending = 64

func (st *callState) emit(e Event) {
	if st.phase == phOver {
		return
	}
	if len(st.events) >= maxPending && (e.Kind == EvDTMF || e.Kind == EvMedia || e.Kind == EvProgress) {
		st.u.log.Warn("sip: call events not read, dropping", "call", st.c.id, "event", e.Kind)
		return
	}
	st.events = append(st.events, e)
}

// end queues the last event and lets the goroutine finish.
func (st *callState) end(e Event) {
	if st.phase == phOver {
		return
	}
	st.events = append(st.events, e)
	st.phase = phOver
	for _, t := range []*time.Timer{st.tAnswer, st.tPrack, st.tSession, st.tWait, st.tGlare} {
		t.Stop()
	}
	if st.shutting {
		// nobody may be reading: keep what fits in the channel, drop the rest
		for len(st.events) > 0 {
			select {
			case st.c.events <- st.events[0]:
				st.events = st.events[1:]
			default:
				st.events = nil
			}
		}
		return
	}
	resetTimer(st.tDrain, time.Minute)
	st.u.log.Info("sip: call over", "line", st.l.id, "call", st.c.id, "event", e.String())
}

func (st *callState) ended() bool { return st.phase == phOver }

func (st *callState) handle(m any) {
	switch m := m.(type) {
	case command:
		st.onCommand(m)
	case inDialog:
		st.onRequest(m.req, m.tx)
	case canceled:
		if !st.c.out && !st.answered && !st.ended() {
			st.tPrack.Stop()
			st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTerminated, Reason: "caller canceled", Cause: CauseCanceled, Remote: true})
		}
	case stray2xx:
		st.killFork(m.res)
	}
}

// canceled is posted by the INVITE server transaction on CANCEL.
type canceled struct{}

// stray2xx is a 2xx from another fork of our INVITE.
type stray2xx struct{ res *sip.Response }

func (st *callState) onCommand(cmd command) {
	if st.ended() {
		return
	}
	switch cmd.kind {
	case cmdRinging:
		if !st.c.out && !st.answered {
			st.provisional(sip.StatusRinging, "Ringing")
		}
	case cmdAnswer:
		if !st.c.out && !st.answered {
			st.answer(cmd.media)
		}
	case cmdReject:
		if !st.c.out && !st.answered {
			st.finalFail(cmd.code, reasonFor(cmd.code), false)
		}
	case cmdHangup:
		st.hangup()
	case cmdShutdown:
		st.shutting = true
		up := st.phase == phUp
		if !st.c.out && st.waitingACK() {
			st.sendBye() // no time to wait for the ACK
		} else {
			st.hangup()
		}
		switch {
		case st.ended():
		case st.phase == phEnding: // CANCEL sent: wait a little for the 487
			resetTimer(st.tWait, st.u.o.Unregister)
		case up:
			st.end(Event{Kind: EvEnded, Cause: CauseShutdown, Reason: "shutting down"})
		default:
			st.end(Event{Kind: EvFailed, Code: sip.StatusServiceUnavailable, Cause: CauseShutdown, Reason: "shutting down"})
		}
	case cmdHold, cmdResume:
		st.wantHold = cmd.kind == cmdHold
		st.syncHold()
	case cmdOffer:
		l := cmd.media
		l.Addr, l.Port, l.Dir = st.local.Addr, st.local.Port, st.local.Dir
		st.local = l
		st.wantOffer = true
		st.syncHold()
	case cmdFlash:
		if st.phase == phUp {
			st.sendFlash()
		}
	}
}

func reasonFor(code int) string {
	switch code {
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Rejected"
}

// hangup ends the call the way its state asks for.
func (st *callState) hangup() {
	switch {
	case st.ended() || st.phase == phEnding:
	case st.c.out && st.phase != phUp:
		st.cancelWant = true
		if st.provisonal {
			st.sendCancel()
		}
	case !st.c.out && !st.answered:
		st.finalFail(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable", false)
	case !st.c.out && st.waitingACK():
		st.byeWant = true // RFC 3261 §15: no BYE before the ACK
	default:
		st.sendBye()
		st.end(Event{Kind: EvEnded, Cause: CauseNormal, Reason: "hung up"})
	}
}

func (st *callState) waitingACK() bool {
	for _, w := range st.waits {
		if w.initial {
			return true
		}
	}
	return false
}

// ---- outgoing calls ----

func (st *callState) startOutgoing(c *Call) {
	l := st.l
	st.localURI = l.aor()
	st.localName = l.acc.DisplayName
	st.remoteTarget = st.remoteURI
	st.se = l.prof.SessionExpires
	offer := sdp.Offer(st.local, st.sessID, 1)
	st.lastLocal = offer
	st.invRef = &reqRef{method: sip.INVITE, offer: offer}
	st.sendInvite()
}

// sendInvite sends (or re-sends, after a challenge or 422) the INVITE.
func (st *callState) sendInvite() {
	l := st.l
	t := st.target
	req := st.u.newRequest(sip.INVITE, *st.remoteURI.Clone(), t.addr, t.tr)
	from := &sip.FromHeader{DisplayName: st.localName, Address: st.localURI, Params: sip.NewParams()}
	from.Params.Add("tag", st.localTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: st.remoteURI, Params: sip.NewParams()})
	cid := sip.CallIDHeader(st.c.id)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: st.nextCSeq(), MethodName: sip.INVITE})
	addRoute(req, t)
	req.AppendHeader(&sip.ContactHeader{Address: l.contactFor(t.addr, t.tr)})
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Supported", st.supportedTags()))
	if l.prof.PRACK == PRACKRequired {
		req.AppendHeader(sip.NewHeader("Require", "100rel"))
	}
	if st.se > 0 {
		st.sessionHeaders(req, int(st.se/time.Second), "")
	}
	st.u.finish(req, "application/sdp", st.invRef.offer.Marshal())
	st.invRef.used = st.auth.apply(req, l.acc.authUser(), l.acc.Password)
	st.inv = req
	tx, err := st.u.start(req, l.prof.Timeout, st.invRef, st.txc, st.dead)
	if err != nil {
		st.end(Event{Kind: EvFailed, Code: 503, Reason: err.Error(), Cause: CauseCongestion})
		return
	}
	st.invTx = tx
	c := st.c
	tx.OnRetransmission(func(r *sip.Response) {
		if r.IsSuccess() {
			c.post(stray2xx{res: r}) // the call goroutine tells another fork's 2xx apart
		}
	})
}

func (st *callState) onTx(ev txEvent) {
	ref, _ := ev.ref.(*reqRef)
	switch {
	case ref == nil:
	case ref == st.invRef:
		st.onInviteResponse(ev)
	case ref == st.cancelRef:
		if ev.err != nil && !st.ended() { // CANCEL unanswered: the INVITE is as good as dead
			st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTerminated, Reason: "canceled", Cause: CauseCanceled})
		}
	case ref == st.reinvRef:
		st.onReinviteResponse(ref, ev)
	}
}

func (st *callState) onInviteResponse(ev txEvent) {
	if ev.err != nil {
		if st.phase == phUp || st.ended() {
			return
		}
		st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTimeout, Reason: "no answer from " + st.target.String(), Cause: CauseCongestion})
		return
	}
	res := ev.res
	switch {
	case res.IsProvisional():
		st.onProvisional(res)
	case res.IsSuccess():
		st.onAnswer(res)
	default:
		st.onInviteFailure(res)
	}
}

func (st *callState) onProvisional(res *sip.Response) {
	st.provisonal = true
	if st.ended() {
		return
	}
	if res.StatusCode > 100 {
		tag, _ := res.To().Params.Get("tag")
		if tag != "" && st.phase == phCalling {
			st.phase = phEarly
			st.remoteTag = tag
			st.learnDialog(res, true)
		}
		fresh := true
		if hasTag(res, "Require", "100rel") {
			rs, err := parseRSeq(headerValue(res, "RSeq"))
			switch {
			case err != nil:
			case rs <= st.rseqSeen && st.rseqSeen != 0:
				fresh = false // a retransmission: already acknowledged
			default:
				st.rseqSeen = rs
				st.sendPrack(res, rs)
			}
		}
		if fresh && !st.cancelWant {
			st.onEarlyMedia(res)
		}
	}
	if st.cancelWant && st.cancelRef == nil {
		st.sendCancel()
	}
}

// onEarlyMedia reports a provisional answer: with SDP, early media.
func (st *callState) onEarlyMedia(res *sip.Response) {
	answer, err := sdpOf(res)
	if err == nil && answer != nil {
		if n, err := sdp.Negotiate(st.invRef.offer, answer); err == nil {
			st.media, st.haveMedia = n, true
			st.emit(Event{Kind: EvEarlyMedia, Code: res.StatusCode, Reason: res.Reason, Media: n})
			return
		}
	}
	if res.StatusCode == sip.StatusRinging {
		st.emit(Event{Kind: EvRinging, Code: res.StatusCode, Reason: res.Reason})
		return
	}
	st.emit(Event{Kind: EvProgress, Code: res.StatusCode, Reason: res.Reason})
}

// sendPrack acknowledges a reliable provisional answer (RFC 3262 §4).
func (st *callState) sendPrack(res *sip.Response, rseq uint32) {
	saveTag, saveTarget, saveRoutes := st.remoteTag, st.remoteTarget, st.routes
	// PRACK goes in the early dialog of that very response
	st.remoteTag, _ = res.To().Params.Get("tag")
	st.learnDialog(res, true)
	req := st.newReq(sip.PRACK, st.nextCSeq())
	req.AppendHeader(sip.NewHeader("RAck", strconv.FormatUint(uint64(rseq), 10)+" "+strconv.FormatUint(uint64(st.inv.CSeq().SeqNo), 10)+" INVITE"))
	st.u.finish(req, "", nil)
	st.detached(req)
	if st.phase == phEarly && saveTag != "" {
		st.remoteTag, st.remoteTarget, st.routes = saveTag, saveTarget, saveRoutes
		st.destAddr = netip.AddrPort{}
	}
}

// onAnswer handles a 2xx to our INVITE.
func (st *callState) onAnswer(res *sip.Response) {
	tag, _ := res.To().Params.Get("tag")
	if st.ended() || st.phase == phEnding {
		// the CANCEL crossed the 2xx: confirm the dialog, then leave it
		st.remoteTag = tag
		st.learnDialog(res, true)
		st.sendAck(res.CSeq().SeqNo, st.invTx, nil)
		st.sendBye()
		st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTerminated, Reason: "canceled", Cause: CauseCanceled})
		return
	}
	st.tWait.Stop()
	st.remoteTag = tag
	st.learnDialog(res, true)
	st.phase = phUp
	st.sendAck(res.CSeq().SeqNo, st.invTx, nil)
	answer, err := sdpOf(res)
	if err == nil && answer != nil {
		n, nerr := sdp.Negotiate(st.invRef.offer, answer)
		err = nerr
		if nerr == nil {
			st.media, st.haveMedia = n, true
		}
	}
	if !st.haveMedia {
		st.u.log.Warn("sip: answer without usable SDP", "call", st.c.id, "err", err)
		st.sendBye()
		st.end(Event{Kind: EvFailed, Code: sip.StatusNotAcceptableHere, Reason: "no usable media in the answer", Cause: CauseMedia})
		return
	}
	st.remoteHold = !st.media.Dir.Sends() && st.local.Dir != sdp.SendOnly && st.local.Dir != sdp.Inactive
	st.startSessionTimer(res, true)
	st.emit(Event{Kind: EvAnswered, Code: res.StatusCode, Reason: res.Reason, Media: st.media})
	if st.cancelWant {
		st.sendBye()
		st.end(Event{Kind: EvEnded, Cause: CauseNormal, Reason: "hung up"})
	}
}

func (st *callState) onInviteFailure(res *sip.Response) {
	if st.ended() {
		return
	}
	code := res.StatusCode
	switch {
	case (code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired) && !st.cancelWant:
		if err := st.auth.update(res, st.invRef.used, st.invRef.fresh); err == nil && st.authTries < 3 {
			st.authTries++
			st.invRef = &reqRef{method: sip.INVITE, offer: st.invRef.offer, fresh: true}
			st.provisonal = false
			st.sendInvite()
			return
		}
	case code == 422 && !st.cancelWant && st.sessionTry < 2:
		if min, err := deltaSeconds(headerValue(res, "Min-SE")); err == nil && min > st.se {
			st.sessionTry++
			st.se = min
			st.invRef = &reqRef{method: sip.INVITE, offer: st.invRef.offer}
			st.provisonal = false
			st.sendInvite()
			return
		}
	}
	cause := CauseOf(code)
	if st.cancelWant {
		cause = CauseCanceled
	}
	st.end(Event{Kind: EvFailed, Code: code, Reason: res.Reason, Cause: cause})
}

func (st *callState) sendCancel() {
	if st.cancelRef != nil || st.inv == nil {
		return
	}
	st.phase = phEnding
	st.cancelRef = &reqRef{method: sip.CANCEL}
	req := st.cancelFor(st.inv)
	if _, err := st.u.start(req, st.l.prof.Timeout, st.cancelRef, st.txc, st.dead); err != nil {
		st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTerminated, Reason: "canceled", Cause: CauseCanceled})
		return
	}
	resetTimer(st.tWait, 64*sip.T1)
}

// killFork acknowledges and ends the dialog of a 2xx from another fork.
func (st *callState) killFork(res *sip.Response) {
	tag, _ := res.To().Params.Get("tag")
	if tag == st.remoteTag {
		return
	}
	saveTag, saveTarget, saveRoutes := st.remoteTag, st.remoteTarget, st.routes
	st.remoteTag = tag
	st.learnDialog(res, true)
	st.sendAck(res.CSeq().SeqNo, nil, nil)
	bye := st.newReq(sip.BYE, st.nextCSeq())
	st.u.finish(bye, "", nil)
	st.detached(bye)
	st.remoteTag, st.remoteTarget, st.routes = saveTag, saveTarget, saveRoutes
	st.destAddr = netip.AddrPort{}
}

// sendBye sends a BYE that runs to its end on its own: the call does not
// wait for it.
func (st *callState) sendBye() {
	st.tAnswer.Stop()
	st.tSession.Stop()
	req := st.newReq(sip.BYE, st.nextCSeq())
	st.u.finish(req, "", nil)
	st.auth.apply(req, st.l.acc.authUser(), st.l.acc.Password)
	st.detached(req)
}

// detached sends an in-dialog request whose outcome does not matter to
// the call (BYE, PRACK, INFO); it finishes even after the call is over.
func (st *callState) detached(req *sip.Request) {
	if _, err := st.u.start(req, st.l.prof.Timeout, nil, nil, st.u.stopping()); err != nil {
		st.u.log.Warn("sip: send", "call", st.c.id, "method", req.Method, "err", err)
	}
}

// waitOver: no 487 came after our CANCEL (or the UA stops meanwhile).
func (st *callState) waitOver() {
	cause := CauseCanceled
	if st.shutting {
		cause = CauseShutdown
	}
	st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTerminated, Reason: "canceled", Cause: cause})
}

// ---- incoming calls ----

// incoming takes a new INVITE (sipgo's request goroutine).
func (u *UA) incoming(req *sip.Request, tx *sip.ServerTx) {
	reject := func(code int, reason string, hdrs ...sip.Header) {
		u.respond(tx, req, code, reason, hdrs...)
		tx.TerminateGracefully()
	}
	l := u.lineFor(req)
	if l == nil {
		reject(sip.StatusNotFound, "Not Found")
		return
	}
	if req.Contact() == nil {
		reject(sip.StatusBadRequest, "Missing Contact")
		return
	}
	if hasTag(req, "Require", "100rel") && l.prof.PRACK == PRACKOff {
		reject(sip.StatusBadExtension, "Bad Extension", sip.NewHeader("Unsupported", "100rel"))
		return
	}
	if !acceptsSDP(req) { // RFC 4475 sdp01
		reject(sip.StatusNotAcceptable, "Not Acceptable", sip.NewHeader("Accept", "application/sdp"))
		return
	}
	offer, err := sdpOf(req)
	switch {
	case errors.Is(err, errBodyType): // RFC 4475 invut
		reject(sip.StatusUnsupportedMediaType, "Unsupported Media Type", sip.NewHeader("Accept", "application/sdp"))
		return
	case err != nil:
		reject(sip.StatusBadRequest, "Bad SDP")
		return
	}
	var se time.Duration
	refresher := ""
	if v := headerValue(req, "Session-Expires"); v != "" {
		se, refresher, err = sessionExpires(v)
		if err != nil {
			reject(sip.StatusBadRequest, "Bad Session-Expires")
			return
		}
		if se < l.prof.MinSE {
			reject(422, "Session Interval Too Small", sip.NewHeader("Min-SE", strconv.Itoa(int(l.prof.MinSE/time.Second))))
			return
		}
	}
	if l.h == nil {
		reject(sip.StatusTemporarilyUnavailable, "Temporarily Unavailable")
		return
	}

	c := newCall(l, false)
	st := c.st
	c.id = req.CallID().Value()
	c.number = digitsOrUser(req.Recipient.User)
	c.caller = callerOf(req)
	st.localTag = sip.GenerateTagN(10)
	// our tag on every response, 100 Trying and sipgo's own 487 included
	req.To().Params.Add("tag", st.localTag)
	c.key = dialogKey(c.id, st.localTag)
	st.srvTx, st.srvInv = tx, req
	st.tr = trUDP
	if sip.IsReliable(req.Transport()) {
		st.tr = trTCP // the only reliable transport we serve
	}
	st.remoteOffer = offer
	from := req.From()
	st.remoteTag, _ = from.Params.Get("tag")
	st.remoteURI, st.remoteName = *from.Address.Clone(), from.DisplayName
	st.localURI, st.localName = *req.To().Address.Clone(), req.To().DisplayName
	st.remoteCSeq = req.CSeq().SeqNo
	st.learnDialog(req, false)
	for _, h := range req.GetHeaders("Record-Route") {
		if r, ok := h.(*sip.RecordRouteHeader); ok {
			st.routes = append(st.routes, *r.Address.Clone())
		}
	}
	if t, ok := l.route(); ok {
		st.target = t
	}
	st.reliable = l.prof.PRACK != PRACKOff && (hasTag(req, "Require", "100rel") ||
		(l.prof.PRACK == PRACKRequired && hasTag(req, "Supported", "100rel")))
	st.se, st.refresher = 0, false
	switch {
	case se > 0:
		st.se = se
		if refresher == "" {
			refresher = "uas"
			if hasTag(req, "Supported", "timer") {
				refresher = "uac"
			}
		}
		st.refresher = refresher == "uas"
	case hasTag(req, "Supported", "timer") && l.prof.SessionExpires > 0:
		st.se = l.prof.SessionExpires
	}
	if err := u.addCall(c); err != nil {
		reject(sip.StatusServiceUnavailable, "Shutting Down")
		return
	}
	u.respond(tx, req, sip.StatusTrying, "Trying")
	if !tx.OnCancel(func(*sip.Request) { c.post(canceled{}) }) {
		c.post(canceled{})
	}
	u.log.Info("sip: incoming call", "line", l.id, "call", c.id, "from", c.caller.Number, "name", c.caller.Name, "private", c.caller.Private)
	go c.run(func() {})
	l.h.Incoming(c)
}

// digitsOrUser is the dialable form of a user part, or the part itself.
func digitsOrUser(u string) string {
	if d := digitsOf(u); d != "" {
		return d
	}
	return u
}

// provisional sends 180/183 for the incoming INVITE, reliably with 100rel.
func (st *callState) provisional(code int, reason string) {
	if st.unacked != nil {
		return // RFC 3262: one unacknowledged reliable answer at a time
	}
	res := st.responseTo(st.srvInv, code, reason, nil)
	res.AppendHeader(sip.NewHeader("Supported", st.supportedTags()))
	if st.reliable {
		st.rseq++
		if st.rseq == 1 {
			st.rseq = uint32(st.u.rnd()*1000) + 1
		}
		res.AppendHeader(sip.NewHeader("Require", "100rel"))
		res.AppendHeader(sip.NewHeader("RSeq", strconv.FormatUint(uint64(st.rseq), 10)))
		st.unacked = res
		st.prackIv = sip.T1
		st.prackEnd = time.Now().Add(64 * sip.T1)
		resetTimer(st.tPrack, st.prackIv)
	}
	if err := st.srvTx.Respond(res); err != nil {
		st.u.log.Debug("sip: provisional", "call", st.c.id, "err", err)
	}
}

func (st *callState) retransmitReliable() {
	if st.unacked == nil || st.answered || st.ended() {
		return
	}
	if !time.Now().Before(st.prackEnd) {
		st.unacked = nil
		st.finalFail(sip.StatusInternalServerError, "No PRACK", false)
		return
	}
	st.srvTx.Respond(st.unacked)
	st.prackIv = min(2*st.prackIv, sip.T2)
	resetTimer(st.tPrack, st.prackIv)
}

// answer sends the 200 to the incoming INVITE.
func (st *callState) answer(local sdp.Local) {
	st.local = local
	var body []byte
	var ourOffer *sdp.Session
	if st.remoteOffer != nil {
		ans, n, err := sdp.Answer(st.remoteOffer, local, st.sessID, 1)
		if err != nil {
			st.finalFail(sip.StatusNotAcceptableHere, "Not Acceptable Here", false)
			return
		}
		st.lastLocal = ans
		st.media, st.haveMedia = n, true
		body = ans.Marshal()
	} else {
		ourOffer = sdp.Offer(local, st.sessID, 1) // late offer: the answer comes in the ACK
		st.lastLocal = ourOffer
		body = ourOffer.Marshal()
	}
	res := st.responseTo(st.srvInv, sip.StatusOK, "OK", body)
	res.AppendHeader(sip.NewHeader("Supported", st.supportedTags()))
	if st.se > 0 {
		ref := "uac"
		if st.refresher {
			ref = "uas"
		}
		st.sessionHeaders(res, int(st.se/time.Second), ref)
		if ref == "uac" {
			res.AppendHeader(sip.NewHeader("Require", "timer"))
		}
	}
	st.answered = true
	st.tPrack.Stop()
	st.unacked = nil
	st.phase = phUp
	if err := st.srvTx.Respond(res); err != nil {
		st.u.log.Warn("sip: 200 OK", "call", st.c.id, "err", err)
	}
	st.waitACK(&answerWait{tx: st.srvTx, res: res, seq: st.srvInv.CSeq().SeqNo, offer: ourOffer, initial: true})
	if st.se > 0 {
		st.armSession()
	}
	if ourOffer == nil {
		st.remoteHold = !st.media.Dir.Sends() && !st.localHold
		st.emit(Event{Kind: EvAnswered, Code: sip.StatusOK, Media: st.media})
	}
}

// finalFail answers the incoming INVITE with a failure and ends the call.
func (st *callState) finalFail(code int, reason string, remote bool) {
	st.tPrack.Stop()
	st.unacked = nil
	res := st.responseTo(st.srvInv, code, reason, nil)
	st.srvTx.Respond(res)
	st.end(Event{Kind: EvFailed, Code: code, Reason: reason, Cause: CauseOf(code), Remote: remote})
}

func (st *callState) waitACK(w *answerWait) {
	w.interval = sip.T1
	w.sent = time.Now()
	w.until = w.sent.Add(64 * sip.T1)
	st.waits = append(st.waits, w)
	resetTimer(st.tAnswer, w.interval)
}

// retransmitAnswer repeats unacknowledged 2xx answers.
func (st *callState) retransmitAnswer() {
	now := time.Now()
	next := time.Duration(0)
	keep := st.waits[:0]
	// next is the earliest of the retransmissions and the deadlines
	for _, w := range st.waits {
		if !now.Before(w.until) {
			st.u.log.Warn("sip: no ACK for our 2xx", "call", st.c.id)
			if w.initial {
				st.waits = nil
				st.sendBye()
				st.end(Event{Kind: EvEnded, Cause: CauseTimeout, Reason: "no ACK"})
				return
			}
			continue
		}
		if now.Sub(w.sent) >= w.interval {
			w.tx.Respond(w.res)
			w.sent = now
			w.interval = min(2*w.interval, sip.T2)
		}
		d := min(w.sent.Add(w.interval).Sub(now), w.until.Sub(now))
		if next == 0 || d < next {
			next = d
		}
		keep = append(keep, w)
	}
	st.waits = keep
	if len(st.waits) > 0 {
		resetTimer(st.tAnswer, next)
	}
}

// ---- requests inside the dialog ----

func (st *callState) onRequest(req *sip.Request, tx sip.ServerTransaction) {
	if st.ended() {
		if req.Method == sip.BYE {
			st.u.respond(tx, req, sip.StatusOK, "OK")
		} else if req.Method != sip.ACK {
			st.u.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		}
		tx.Terminate()
		return
	}
	seq := req.CSeq().SeqNo
	if req.Method != sip.ACK && req.Method != sip.CANCEL {
		if st.remoteCSeq != 0 && seq < st.remoteCSeq {
			st.u.respond(tx, req, sip.StatusInternalServerError, "CSeq Out Of Order")
			return
		}
		st.remoteCSeq = seq
	}
	switch req.Method {
	case sip.ACK:
		st.onAck(req)
		tx.Terminate()
	case sip.BYE:
		st.u.respond(tx, req, sip.StatusOK, "OK")
		if !st.c.out && !st.answered {
			st.srvTx.Respond(st.responseTo(st.srvInv, sip.StatusRequestTerminated, "Request Terminated", nil))
			st.end(Event{Kind: EvFailed, Code: sip.StatusRequestTerminated, Reason: "caller hung up", Cause: CauseCanceled, Remote: true})
			return
		}
		st.end(Event{Kind: EvEnded, Cause: CauseNormal, Reason: "far end hung up", Remote: true})
	case sip.INVITE, sip.UPDATE:
		st.onOffer(req, tx)
	case sip.INFO:
		st.onInfo(req, tx)
	case sip.PRACK:
		st.onPrack(req, tx)
	case sip.OPTIONS, sip.NOTIFY:
		st.u.respond(tx, req, sip.StatusOK, "OK")
	default:
		st.u.respond(tx, req, sip.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

func (st *callState) onAck(req *sip.Request) {
	seq := req.CSeq().SeqNo
	for i, w := range st.waits {
		if w.seq != seq {
			continue
		}
		st.waits = slices.Delete(st.waits, i, i+1)
		if len(st.waits) == 0 {
			st.tAnswer.Stop()
		}
		if w.offer != nil { // late offer: the answer is in the ACK
			ans, err := sdpOf(req)
			var n sdp.Negotiated
			if err == nil && ans != nil {
				n, err = sdp.Negotiate(w.offer, ans)
			}
			if err != nil || ans == nil {
				st.u.log.Warn("sip: ACK without usable answer", "call", st.c.id, "err", err)
				st.sendBye()
				st.end(Event{Kind: EvEnded, Code: sip.StatusNotAcceptableHere, Reason: "no usable media in the ACK", Cause: CauseMedia})
				return
			}
			st.media, st.haveMedia = n, true
			st.remoteHold = !n.Dir.Sends() && !st.localHold
			kind := EvMedia
			if w.initial {
				kind = EvAnswered
			}
			st.emit(Event{Kind: kind, Code: sip.StatusOK, Media: n, LocalHold: st.localHold, RemoteHold: st.remoteHold})
		}
		if w.initial && st.byeWant {
			st.sendBye()
			st.end(Event{Kind: EvEnded, Cause: CauseNormal, Reason: "hung up"})
		}
		if !w.initial {
			st.srvPending = false
			st.syncHold()
		}
		return
	}
}

// onOffer handles a re-INVITE or an UPDATE: a session refresh, an offer
// to answer (hold, resume, new address), or a request for our offer.
func (st *callState) onOffer(req *sip.Request, tx sip.ServerTransaction) {
	isInvite := req.Method == sip.INVITE
	if isInvite && st.srvPending {
		// a new INVITE means the far end sent the ACK of its last one,
		// which may still be on its way to us (RFC 3261 §14.2)
		st.ackedBy(req.CSeq().SeqNo)
	}
	if isInvite && (st.reinvRef != nil || st.srvPending) {
		st.u.respond(tx, req, sip.StatusRequestPending, "Request Pending", sip.NewHeader("Retry-After", "2"))
		return
	}
	if isInvite && st.phase != phUp {
		st.u.respond(tx, req, sip.StatusRequestPending, "Request Pending")
		return
	}
	offer, err := sdpOf(req)
	if err != nil {
		st.u.respond(tx, req, sip.StatusBadRequest, "Bad SDP")
		return
	}
	if v := headerValue(req, "Session-Expires"); v != "" {
		se, ref, err := sessionExpires(v)
		if err != nil {
			st.u.respond(tx, req, sip.StatusBadRequest, "Bad Session-Expires")
			return
		}
		if se < st.l.prof.MinSE {
			st.u.respond(tx, req, 422, "Session Interval Too Small", sip.NewHeader("Min-SE", strconv.Itoa(int(st.l.prof.MinSE/time.Second))))
			return
		}
		if ref == "" {
			ref = "uas"
			if hasTag(req, "Supported", "timer") {
				ref = "uac"
			}
		}
		st.se, st.refresher = se, ref == "uas"
	}
	st.learnDialog(req, false)
	var body []byte
	var ourOffer *sdp.Session
	var changed bool
	if offer != nil {
		local := st.currentLocal()
		ans, n, err := sdp.Answer(offer, local, st.sessID, st.lastLocal.Origin.Version)
		if err != nil {
			st.u.respond(tx, req, sip.StatusNotAcceptableHere, "Not Acceptable Here")
			return
		}
		if !bytes.Equal(ans.Marshal(), st.lastLocal.Marshal()) {
			ans.Origin.Version = st.lastLocal.Origin.Version + 1
		}
		st.lastLocal = ans
		changed = !st.haveMedia || !sameMedia(n, st.media)
		st.media, st.haveMedia = n, true
		st.remoteHold = !n.Dir.Sends() && !st.localHold
		body = ans.Marshal()
	} else if isInvite {
		ourOffer = sdp.Reoffer(st.lastLocal, st.currentLocal())
		st.lastLocal = ourOffer
		body = ourOffer.Marshal()
	}
	res := st.responseTo(req, sip.StatusOK, "OK", body)
	res.AppendHeader(sip.NewHeader("Supported", st.supportedTags()))
	if st.se > 0 {
		ref := "uac"
		if st.refresher {
			ref = "uas"
		}
		st.sessionHeaders(res, int(st.se/time.Second), ref)
		if ref == "uac" {
			res.AppendHeader(sip.NewHeader("Require", "timer"))
		}
		st.armSession()
	}
	if err := tx.Respond(res); err != nil {
		st.u.log.Debug("sip: answer re-INVITE", "call", st.c.id, "err", err)
	}
	if isInvite {
		st.srvPending = true
		st.waitACK(&answerWait{tx: tx, res: res, seq: req.CSeq().SeqNo, offer: ourOffer})
	}
	if changed {
		st.emit(Event{Kind: EvMedia, Code: sip.StatusOK, Media: st.media, LocalHold: st.localHold, RemoteHold: st.remoteHold})
	}
}

// ackedBy forgets the 2xx answers to re-INVITEs older than seq.
func (st *callState) ackedBy(seq uint32) {
	keep := st.waits[:0]
	for _, w := range st.waits {
		if w.initial || w.seq >= seq {
			keep = append(keep, w)
		}
	}
	st.waits = keep
	st.srvPending = false
	for _, w := range st.waits {
		if !w.initial {
			st.srvPending = true
		}
	}
	if len(st.waits) == 0 {
		st.tAnswer.Stop()
	}
}

// currentLocal is our media with the direction our hold state asks for.
func (st *callState) currentLocal() sdp.Local {
	l := st.local
	if st.localHold {
		l.Dir = sdp.SendOnly
	} else {
		l.Dir = sdp.SendRecv
	}
	return l
}

func (st *callState) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	ct := headerValue(req, "Content-Type")
	if len(req.Body()) == 0 {
		st.u.respond(tx, req, sip.StatusOK, "OK") // a keep-alive INFO
		return
	}
	d, dur, err := infoDTMF(ct, req.Body())
	if err != nil {
		st.u.respond(tx, req, sip.StatusUnsupportedMediaType, "Unsupported Media Type",
			sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf, application/hook-flash"))
		return
	}
	st.u.respond(tx, req, sip.StatusOK, "OK")
	st.emit(Event{Kind: EvDTMF, Digit: d, Duration: dur})
}

func (st *callState) onPrack(req *sip.Request, tx sip.ServerTransaction) {
	ra, err := parseRAck(headerValue(req, "RAck"))
	if err != nil || st.unacked == nil || ra.rseq != st.rseq || ra.cseq != st.srvInv.CSeq().SeqNo || ra.method != "INVITE" {
		st.u.respond(tx, req, sip.StatusCallTransactionDoesNotExists, "No Matching Provisional Response")
		return
	}
	st.unacked = nil
	st.tPrack.Stop()
	st.u.respond(tx, req, sip.StatusOK, "OK")
}

// ---- hold, resume, session refresh ----

// syncHold sends a re-INVITE when the hold state wanted differs from the
// one in force, once nothing else is in flight.
func (st *callState) syncHold() {
	if st.phase != phUp || st.reinvRef != nil || st.srvPending || (st.wantHold == st.localHold && !st.wantOffer) {
		return
	}
	op := opResume
	if st.wantHold {
		op = opHold
	}
	st.wantOffer = false // every re-INVITE offers st.local as it is now
	st.sendReinvite(op)
}

func (st *callState) sendReinvite(op reinviteOp) {
	local := st.currentLocal()
	switch op {
	case opHold:
		local.Dir = sdp.SendOnly
	case opResume:
		local.Dir = sdp.SendRecv
	}
	var offer *sdp.Session
	if op == opRefresh {
		offer = st.lastLocal // unchanged: same version (RFC 3264 §8)
	} else {
		offer = sdp.Reoffer(st.lastLocal, local)
	}
	st.reinvRef = &reqRef{method: sip.INVITE, op: op, offer: offer}
	st.sendReinviteReq()
}

func (st *callState) sendReinviteReq() {
	ref := st.reinvRef
	req := st.newReq(sip.INVITE, st.nextCSeq())
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Supported", st.supportedTags()))
	if st.se > 0 {
		st.sessionHeaders(req, int(st.se/time.Second), "uac")
	}
	st.u.finish(req, "application/sdp", ref.offer.Marshal())
	ref.used = st.auth.apply(req, st.l.acc.authUser(), st.l.acc.Password)
	st.reinv = req
	tx, err := st.u.start(req, st.l.prof.Timeout, ref, st.txc, st.dead)
	if err != nil {
		st.reinvRef = nil
		return
	}
	st.reinvTx = tx
}

func (st *callState) onReinviteResponse(ref *reqRef, ev txEvent) {
	if ev.res != nil && ev.res.IsProvisional() {
		return
	}
	st.reinvRef = nil
	if ev.err != nil {
		st.u.log.Warn("sip: re-INVITE unanswered", "call", st.c.id, "err", ev.err)
		st.sendBye()
		cause := CauseNormal
		if ref.op == opRefresh {
			cause = CauseTimeout
		}
		st.end(Event{Kind: EvEnded, Code: sip.StatusRequestTimeout, Cause: cause, Reason: "re-INVITE unanswered"})
		return
	}
	res := ev.res
	code := res.StatusCode
	switch {
	case res.IsSuccess():
		st.sendAck(res.CSeq().SeqNo, st.reinvTx, nil)
		st.learnDialog(res, false)
		st.lastLocal = ref.offer
		if ans, err := sdpOf(res); err == nil && ans != nil {
			if n, err := sdp.Negotiate(ref.offer, ans); err == nil {
				changed := !sameMedia(n, st.media)
				st.media, st.haveMedia = n, true
				switch ref.op {
				case opHold:
					st.localHold = true
				case opResume:
					st.localHold = false
				}
				st.remoteHold = !n.Dir.Sends() && !st.localHold
				if changed || ref.op != opRefresh {
					st.emit(Event{Kind: EvMedia, Code: code, Media: n, LocalHold: st.localHold, RemoteHold: st.remoteHold})
				}
			}
		}
		st.startSessionTimer(res, false)
		st.syncHold()
	case code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired:
		if err := st.auth.update(res, ref.used, ref.fresh); err == nil {
			ref.fresh = true
			st.reinvRef = ref
			st.sendReinviteReq()
			return
		}
		st.reinviteFailed(ref, res)
	case code == sip.StatusRequestPending:
		// glare (RFC 3261 §14.1): the Call-ID owner waits 2.1-4 s, the other 0-2 s
		d := time.Duration(st.u.rnd() * float64(2*time.Second))
		if st.c.out {
			d = 2100*time.Millisecond + time.Duration(st.u.rnd()*float64(1900*time.Millisecond))
		}
		if ref.op == opRefresh {
			resetTimer(st.tSession, d)
		} else {
			resetTimer(st.tGlare, d)
		}
	case code == 422:
		if min, err := deltaSeconds(headerValue(res, "Min-SE")); err == nil && min > st.se {
			st.se = min
			st.reinvRef = ref
			st.sendReinviteReq()
			return
		}
		st.reinviteFailed(ref, res)
	case code == sip.StatusCallTransactionDoesNotExists || code == sip.StatusRequestTimeout:
		st.sendBye() // RFC 3261 §14.1: the dialog is gone
		cause := CauseNormal
		if ref.op == opRefresh {
			cause = CauseTimeout
		}
		st.end(Event{Kind: EvEnded, Code: code, Reason: res.Reason, Cause: cause, Remote: true})
	default:
		st.reinviteFailed(ref, res)
	}
}

// reinviteFailed keeps the session as it was (RFC 3261 §14.1).
func (st *callState) reinviteFailed(ref *reqRef, res *sip.Response) {
	st.u.log.Info("sip: re-INVITE refused", "call", st.c.id, "code", res.StatusCode)
	if ref.op != opRefresh {
		st.wantHold = st.localHold
		st.emit(Event{Kind: EvMedia, Code: res.StatusCode, Reason: res.Reason, Media: st.media, LocalHold: st.localHold, RemoteHold: st.remoteHold})
	}
	if ref.op == opRefresh && st.se > 0 {
		st.armSession()
	}
}

// startSessionTimer reads the session timer a 2xx settled (RFC 4028 §7.2).
func (st *callState) startSessionTimer(res *sip.Response, initial bool) {
	v := headerValue(res, "Session-Expires")
	if v == "" {
		if initial && st.se > 0 {
			st.refresher = true // the far end does without: we refresh ourselves
			st.armSession()
		}
		return
	}
	se, ref, err := sessionExpires(v)
	if err != nil {
		return
	}
	st.se = se
	st.refresher = ref != "uas"
	st.armSession()
}

// armSession starts the refresh (at half the interval) or, when the far
// end refreshes, the expiry (RFC 4028 §10: BYE at SE minus min(32 s, SE/3)).
func (st *callState) armSession() {
	if st.se <= 0 || st.ended() {
		return
	}
	if st.refresher {
		resetTimer(st.tSession, st.se/2)
		return
	}
	resetTimer(st.tSession, st.se-min(32*time.Second, st.se/3))
}

func (st *callState) sessionTimer() {
	if st.phase != phUp {
		return
	}
	if !st.refresher {
		st.u.log.Warn("sip: session expired", "call", st.c.id)
		st.sendBye()
		st.end(Event{Kind: EvEnded, Cause: CauseTimeout, Reason: "session timer expired"})
		return
	}
	if st.reinvRef != nil || st.srvPending {
		resetTimer(st.tSession, 2*time.Second)
		return
	}
	st.sendReinvite(opRefresh)
}

// sendFlash sends a hook-flash INFO.
func (st *callState) sendFlash() {
	req := st.newReq(sip.INFO, st.nextCSeq())
	ctype, body := "application/dtmf-relay", "Signal=16\r\nDuration=100\r\n"
	if st.l.prof.FlashInfo == FlashHookFlash {
		ctype, body = "application/hook-flash", "signal=hf\r\n"
	}
	st.u.finish(req, ctype, []byte(body))
	st.auth.apply(req, st.l.acc.authUser(), st.l.acc.Password)
	st.detached(req)
}

// sameMedia compares two negotiations by value (Event is a pointer).
func sameMedia(a, b sdp.Negotiated) bool {
	ae, be := a.Event, b.Event
	a.Event, b.Event = nil, nil
	if a != b || (ae == nil) != (be == nil) {
		return false
	}
	return ae == nil || *ae == *be
}
