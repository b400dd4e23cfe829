package sdp

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

const (
	// EventPT is the dynamic payload type the box offers for
	// telephone-event/8000.
	EventPT = 101
	// EventFmtp is the event range the box offers and accepts: DTMF 0-15
	// and hook-flash 16.
	EventFmtp = "0-16"
	// DefaultPTime is used when Local.PTime is not one of 10, 20, 30 ms.
	DefaultPTime = 20 * time.Millisecond
)

// The codecs the box speaks, by the names used in Local.Codecs.
var codecFormats = map[string]Format{
	"PCMA": {PT: 8, Name: "PCMA", Rate: 8000},
	"PCMU": {PT: 0, Name: "PCMU", Rate: 8000},
}

// DefaultCodecs is the codec order used when Local.Codecs is empty.
var DefaultCodecs = []string{"PCMA", "PCMU"}

// Local is what this side of a call can and wants to do.
type Local struct {
	Addr   netip.Addr    // where the box receives RTP
	Port   int           // its RTP port (RTCP is Port+1)
	Codecs []string      // "PCMA", "PCMU" in preference order; empty = DefaultCodecs; unknown names are ignored
	PTime  time.Duration // 10, 20 or 30 ms; anything else = DefaultPTime
	DTMF   bool          // offer / accept telephone-event/8000 (PT 101 in offers, events 0-16)
	Dir    Direction     // empty = sendrecv; sendonly or inactive put the far end on hold
	// LegacyHold also writes c=0.0.0.0 when Dir does not receive, the
	// RFC 2543 way of putting a call on hold that old equipment expects.
	LegacyHold bool
}

func (l *Local) codecs() []Format {
	names := l.Codecs
	if len(names) == 0 {
		names = DefaultCodecs
	}
	var fs []Format
	for _, n := range names {
		f, ok := codecFormats[strings.ToUpper(n)]
		if !ok {
			continue
		}
		dup := false
		for _, o := range fs {
			dup = dup || o.PT == f.PT
		}
		if !dup {
			fs = append(fs, f)
		}
	}
	return fs
}

func (l *Local) ptime() time.Duration {
	if validPTime(l.PTime) {
		return l.PTime
	}
	return DefaultPTime
}

func (l *Local) dir() Direction {
	if l.Dir == "" {
		return SendRecv
	}
	return l.Dir
}

func validPTime(d time.Duration) bool {
	return d == 10*time.Millisecond || d == 20*time.Millisecond || d == 30*time.Millisecond
}

// clampPTime maps a packet time the far end asks for onto the ones the box
// sends: the longest of 10/20/30 ms not above it (10 ms below that).
func clampPTime(d time.Duration) time.Duration {
	switch {
	case d >= 30*time.Millisecond:
		return 30 * time.Millisecond
	case d >= 20*time.Millisecond:
		return 20 * time.Millisecond
	}
	return 10 * time.Millisecond
}

// Negotiated is the outcome of an offer/answer exchange, seen from this side.
type Negotiated struct {
	Codec Format  // the codec to send, with the far end's payload type
	Event *Format // telephone-event/8000 to send with, nil when not agreed
	// RecvEventPT is the payload type the far end sends events with: the
	// one in this side's description (it differs from Event.PT only when an
	// answer renumbered it). Meaningless when Event is nil.
	RecvEventPT uint8
	PTime       time.Duration  // packet time to send: 10, 20 or 30 ms
	Remote      netip.AddrPort // where to send RTP; the address is unspecified when the far end holds with c=0.0.0.0
	RTCP        netip.AddrPort // where to send RTCP when a=rtcp says; zero = Remote port + 1
	Dir         Direction      // this side's direction
	Media       int            // index of the audio m= line in both descriptions
}

// CanSendEvent reports whether the far end accepts telephone-event code
// (0-15 DTMF, 16 flash): the events parameter of its fmtp, RFC 4733
// section 2.4.1 (0-15 when absent).
func (n Negotiated) CanSendEvent(code int) bool {
	if n.Event == nil {
		return false
	}
	return eventListed(n.Event.Fmtp, code)
}

func eventListed(fmtp string, code int) bool {
	list := strings.TrimSpace(fmtp)
	if list == "" {
		return code >= 0 && code <= 15
	}
	if k, v, ok := strings.Cut(list, "="); ok && strings.TrimSpace(k) == "events" {
		list = v
	}
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, ok1 := digits(lo)
		b, ok2 := a, true
		if isRange {
			b, ok2 = digits(hi)
		}
		if ok1 && ok2 && code >= a && code <= b {
			return true
		}
	}
	return false
}

// NewSessionID returns a random session id for o= lines (below 2^31, which
// the oldest parsers also read).
func NewSessionID() uint64 { return 1 + rand.Uint64N(1<<31-1) }

func newSession(addr netip.Addr, sessID, version uint64) *Session {
	o := Origin{Username: "-", SessionID: sessID, Version: version, NetType: "IN", AddrType: "IP4", Address: "0.0.0.0"}
	if addr.IsValid() {
		o.Address = addr.String()
		if !addr.Is4() {
			o.AddrType = "IP6"
		}
	}
	return &Session{Origin: o, Name: "-", Lines: []Line{{'t', "0 0"}}}
}

// connAddr is the address written in c=: the unspecified address of the
// family for a legacy hold.
func (l *Local) connAddr(dir Direction) netip.Addr {
	if l.LegacyHold && !dir.Receives() {
		if l.Addr.Is6() {
			return netip.IPv6Unspecified()
		}
		return netip.IPv4Unspecified()
	}
	if !l.Addr.IsValid() {
		return netip.IPv4Unspecified()
	}
	return l.Addr
}

func (l *Local) audio(codecs []Format, ev *Format, pt time.Duration, dir Direction) Media {
	m := Media{Type: "audio", Port: l.Port, Proto: "RTP/AVP", PTime: pt, Dir: dir}
	m.Formats = append(m.Formats, codecs...)
	if ev != nil {
		m.Formats = append(m.Formats, *ev)
	}
	return m
}

// Offer builds this side's offer: one audio stream with the codecs in
// order, telephone-event when l.DTMF, ptime and direction. A re-offer in
// the same dialog keeps sessID and passes the previous version + 1 (see
// Reoffer).
func Offer(l Local, sessID, version uint64) *Session {
	s := newSession(l.Addr, sessID, version)
	dir := l.dir()
	s.Addr = l.connAddr(dir)
	var ev *Format
	if l.DTMF {
		ev = &Format{PT: EventPT, Name: "telephone-event", Rate: 8000, Fmtp: EventFmtp}
	}
	s.Media = []Media{l.audio(l.codecs(), ev, l.ptime(), dir)}
	return s
}

// Reoffer builds a new offer for a dialog whose last description from this
// side was prev (an offer or an answer): same session id, version + 1, and
// the same m= lines in the same order (RFC 3264 section 8) with the audio
// stream rebuilt from l and every other stream left disabled.
func Reoffer(prev *Session, l Local) *Session {
	s := Offer(l, prev.Origin.SessionID, prev.Origin.Version+1)
	if len(prev.Media) == 0 {
		return s
	}
	at := -1
	for i, m := range prev.Media {
		if m.Type == "audio" && (at < 0 || prev.Media[at].Port == 0 && m.Port != 0) {
			at = i
		}
	}
	audio := s.Media[0]
	s.Media = make([]Media, len(prev.Media))
	for i, m := range prev.Media {
		if i == at {
			s.Media[i] = audio
			continue
		}
		s.Media[i] = disabled(m)
	}
	if at < 0 {
		s.Media = append(s.Media, audio)
	}
	return s
}

// disabled is m turned off: port 0, the format list kept (SDP wants one).
func disabled(m Media) Media {
	d := Media{Type: m.Type, Proto: m.Proto, Tokens: append([]string(nil), m.Tokens...)}
	for _, f := range m.Formats {
		d.Formats = append(d.Formats, Format{PT: f.PT})
	}
	if len(d.Formats) == 0 && len(d.Tokens) == 0 {
		if isRTP(d.Proto) {
			d.Formats = []Format{{PT: 0}}
		} else {
			d.Tokens = []string{"0"}
		}
	}
	return d
}

func usableProto(p string) bool {
	return strings.EqualFold(p, "RTP/AVP") || strings.EqualFold(p, "RTP/AVPF")
}

// remoteDir is the far end's direction for media i, counting a c=0.0.0.0
// (or ::) as "do not send to me".
func remoteDir(s *Session, i int) Direction {
	d := s.MediaDir(i)
	if a := s.MediaAddr(i); a.IsValid() && a.IsUnspecified() {
		d = dirOf(d.Sends(), false)
	}
	return d
}

// rtcpAddr reads a=rtcp (RFC 3605): "port [IN IP4 addr]".
func rtcpAddr(m *Media, def netip.Addr) netip.AddrPort {
	v, ok := m.Attr("rtcp")
	if !ok {
		return netip.AddrPort{}
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return netip.AddrPort{}
	}
	port, ok := digits(f[0])
	if !ok || port == 0 || port > 65535 {
		return netip.AddrPort{}
	}
	addr := def
	if len(f) == 4 {
		if a, ok := parseConn(strings.Join(f[1:], " ")); ok {
			addr = a
		}
	}
	return netip.AddrPortFrom(addr, uint16(port))
}

func findFormat(fs []Format, name string, rate int) (Format, bool) {
	for _, f := range fs {
		if f.Is(name, rate) && f.Channels <= 1 {
			return f, true
		}
	}
	return Format{}, false
}

func maxPTimeOf(m *Media) time.Duration {
	v, ok := m.Attr("maxptime")
	if !ok {
		return 0
	}
	d, _ := parsePTime(strings.TrimSpace(v))
	return d
}

// Answer answers an offer as RFC 3264 section 6 says: one m= line per
// offered line, in order; the first audio stream on RTP/AVP(F) that has a
// usable address and a codec in common is accepted with the first codec of
// l.Codecs the offer lists (under the offer's payload type) and
// telephone-event when both want it; every other stream is rejected with
// port 0. Without such a stream it returns an error wrapping
// ErrNotAcceptable (answer 488). The packet time follows the offer's ptime
// (clamped to 10/20/30 ms and to its maxptime) or else l.PTime; the
// direction is what both sides allow.
func Answer(offer *Session, l Local, sessID, version uint64) (*Session, Negotiated, error) {
	ans := newSession(l.Addr, sessID, version)
	var (
		neg      Negotiated
		accepted = -1
		reason   = "no audio stream"
	)
	ans.Media = make([]Media, len(offer.Media))
	for i := range offer.Media {
		om := &offer.Media[i]
		ans.Media[i] = disabled(*om)
		if accepted >= 0 || om.Type != "audio" || om.Port == 0 {
			continue
		}
		if !usableProto(om.Proto) {
			reason = "no RTP/AVP audio stream (" + om.Proto + ")"
			continue
		}
		raddr := offer.MediaAddr(i)
		if !raddr.IsValid() || l.Addr.IsValid() && !l.Addr.IsUnspecified() && !raddr.IsUnspecified() && raddr.Is4() != l.Addr.Is4() {
			reason = "no usable connection address"
			continue
		}
		var (
			codec Format
			ok    bool
		)
		for _, c := range l.codecs() {
			if codec, ok = findFormat(om.Formats, c.Name, c.Rate); ok {
				break
			}
		}
		if !ok {
			reason = "no codec in common"
			continue
		}
		neg = Negotiated{Codec: codec, Media: i, Remote: netip.AddrPortFrom(raddr, uint16(om.Port))}
		neg.RTCP = rtcpAddr(om, raddr)
		var mine *Format
		if ev, ok := findFormat(om.Formats, "telephone-event", 8000); ok && l.DTMF {
			neg.Event = &ev
			neg.RecvEventPT = ev.PT
			mine = &Format{PT: ev.PT, Name: ev.Name, Rate: 8000, Fmtp: EventFmtp}
		}
		neg.PTime = l.ptime()
		if om.PTime > 0 {
			neg.PTime = clampPTime(om.PTime)
		}
		if mp := maxPTimeOf(om); mp > 0 && neg.PTime > mp {
			neg.PTime = clampPTime(mp)
		}
		rd, ld := remoteDir(offer, i), l.dir()
		neg.Dir = dirOf(ld.Sends() && rd.Receives(), ld.Receives() && rd.Sends())
		ans.Media[i] = l.audio([]Format{codec}, mine, neg.PTime, neg.Dir)
		ans.Addr = l.connAddr(neg.Dir)
		accepted = i
	}
	if accepted < 0 {
		return nil, Negotiated{}, fmt.Errorf("%w: %s", ErrNotAcceptable, reason)
	}
	return ans, neg, nil
}

// Negotiate reads the answer to this side's offer (RFC 3264 section 7):
// the first audio stream the answer accepted, the first codec in the
// answer's order that the offer listed, telephone-event when both listed
// it, the answer's ptime (clamped) or else the offer's, and the direction
// both allow. An answer that accepted nothing usable wraps ErrNotAcceptable.
func Negotiate(offer, answer *Session) (Negotiated, error) {
	n := min(len(offer.Media), len(answer.Media))
	if len(offer.Media) != len(answer.Media) {
		return Negotiated{}, fmt.Errorf("%w: answer has %d m= lines, offer %d", ErrNotAcceptable, len(answer.Media), len(offer.Media))
	}
	for i := 0; i < n; i++ {
		om, am := &offer.Media[i], &answer.Media[i]
		if om.Type != "audio" || am.Type != "audio" || om.Port == 0 || am.Port == 0 || !usableProto(am.Proto) {
			continue
		}
		raddr := answer.MediaAddr(i)
		if !raddr.IsValid() {
			continue
		}
		var (
			codec Format
			ok    bool
		)
		for _, f := range am.Formats {
			if _, known := codecFormats[strings.ToUpper(f.Name)]; !known || f.Rate != 8000 || f.Channels > 1 {
				continue
			}
			if _, offered := findFormat(om.Formats, f.Name, f.Rate); offered {
				codec, ok = f, true
				break
			}
		}
		if !ok {
			continue
		}
		neg := Negotiated{Codec: codec, Media: i, Remote: netip.AddrPortFrom(raddr, uint16(am.Port))}
		neg.RTCP = rtcpAddr(am, raddr)
		if mine, ok := findFormat(om.Formats, "telephone-event", 8000); ok {
			if theirs, ok := findFormat(am.Formats, "telephone-event", 8000); ok {
				neg.Event = &theirs
				neg.RecvEventPT = mine.PT
			}
		}
		switch {
		case am.PTime > 0:
			neg.PTime = clampPTime(am.PTime)
		case validPTime(om.PTime):
			neg.PTime = om.PTime
		default:
			neg.PTime = DefaultPTime
		}
		if mp := maxPTimeOf(am); mp > 0 && neg.PTime > mp {
			neg.PTime = clampPTime(mp)
		}
		od, rd := offer.MediaDir(i), remoteDir(answer, i)
		neg.Dir = dirOf(od.Sends() && rd.Receives(), od.Receives() && rd.Sends())
		return neg, nil
	}
	return Negotiated{}, fmt.Errorf("%w: the answer accepted no audio stream with PCMA or PCMU", ErrNotAcceptable)
}

// String is a short summary for logs: "PCMA/8000 pt 8 20ms sendrecv -> 192.0.2.1:4000 (events pt 101)".
func (n Negotiated) String() string {
	s := n.Codec.Name + "/" + strconv.Itoa(n.Codec.Rate) + " pt " + strconv.Itoa(int(n.Codec.PT)) + " " +
		n.PTime.String() + " " + string(n.Dir) + " -> " + n.Remote.String()
	if n.Event != nil {
		s += " (events pt " + strconv.Itoa(int(n.Event.PT)) + ")"
	}
	return s
}
