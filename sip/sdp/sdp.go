// Package sdp reads and writes session descriptions (RFC 4566) and runs the
// offer/answer model (RFC 3264) for the box's one audio stream: G.711 PCMA
// and PCMU (static payload types 8 and 0), telephone-event/8000 on a dynamic
// payload type (events 0-16), ptime 10/20/30 ms and the direction
// attributes used for hold and resume (including the old c=0.0.0.0 hold of
// RFC 2543).
//
// Parse keeps everything it does not interpret: unknown attributes stay in
// Attrs in their order, and lines the model has no field for (i=, u=, e=,
// p=, b=, t=, r=, z=, k=, unusable c=) stay in Lines, so Marshal writes a
// description that says what the original said. Marshal writes lines in the
// order RFC 4566 requires, CRLF terminated.
//
// Everything here is plain data and pure functions: a *Session is not safe
// for concurrent mutation, but any number of goroutines may Parse, Marshal,
// Offer, Answer and Negotiate at once.
package sdp

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrSyntax is wrapped by every Parse error; the message names the line.
	// A SIP user agent answers it with 400 (or 488 for a re-INVITE).
	ErrSyntax = errors.New("sdp: syntax error")
	// ErrNotAcceptable is wrapped when an offer or answer has nothing the
	// box can use: the user agent answers 488 Not Acceptable Here.
	ErrNotAcceptable = errors.New("sdp: not acceptable")
)

// Direction is a stream's direction attribute (RFC 3264 section 5.1), seen
// from the side that wrote the description.
type Direction string

const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// Sends reports whether the direction lets its writer send media.
// The empty direction means the default, sendrecv.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly || d == "" }

// Receives reports whether the direction lets its writer receive media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly || d == "" }

// Reverse is the direction as seen from the other side: sendonly becomes
// recvonly and the other way round.
func (d Direction) Reverse() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case "":
		return SendRecv
	}
	return d
}

// dirOf builds a direction from its two halves.
func dirOf(send, recv bool) Direction {
	switch {
	case send && recv:
		return SendRecv
	case send:
		return SendOnly
	case recv:
		return RecvOnly
	}
	return Inactive
}

func parseDirection(s string) (Direction, bool) {
	switch d := Direction(s); d {
	case SendRecv, SendOnly, RecvOnly, Inactive:
		return d, true
	}
	return "", false
}

// Format is one payload format of an RTP media line with its rtpmap and
// fmtp attributes. Name is empty for a dynamic payload type without rtpmap.
// Channels is 0 when the rtpmap does not give it (one channel for audio).
type Format struct {
	PT       uint8
	Name     string
	Rate     int
	Channels int
	Fmtp     string
}

// Is reports whether the format is the named encoding at the given clock
// rate (names compare case-insensitively, as RFC 4855 says).
func (f Format) Is(name string, rate int) bool {
	return strings.EqualFold(f.Name, name) && f.Rate == rate
}

// Attr is one a= line: a=Key:Value, or a=Key for a property attribute
// (Value empty).
type Attr struct{ Key, Value string }

// Line is a line the model keeps verbatim: Type is its letter, Value what
// follows the '='.
type Line struct {
	Type  byte
	Value string
}

// Origin is the o= line. Address is kept as text: RFC 4566 allows a domain
// name there.
type Origin struct {
	Username  string // "-" when the writer has none
	SessionID uint64
	Version   uint64 // bumped by every new offer or answer of a session
	NetType   string // "IN"
	AddrType  string // "IP4" or "IP6"
	Address   string
}

// Media is one m= section.
type Media struct {
	Type    string // "audio", "video", "image" ...
	Port    int    // 0 = stream rejected or disabled
	Ports   int    // number of ports after a '/', 0 when absent
	Proto   string // "RTP/AVP", "udptl" ...
	Formats []Format
	// Tokens holds the format list of a non-RTP media line ("t38"), whose
	// rtpmap and fmtp attributes stay in Attrs.
	Tokens []string
	Dir    Direction     // empty when the section has no direction attribute
	PTime  time.Duration // a=ptime, 0 when absent
	Addr   netip.Addr    // media-level c=, zero if none
	Lines  []Line        // i=, b=, k= and further or unusable c= lines
	Attrs  []Attr        // every other attribute, in order
}

// Session is a parsed session description.
type Session struct {
	Origin Origin
	Name   string     // s=
	Addr   netip.Addr // session-level c=, zero if none
	Dir    Direction  // session-level direction attribute, empty if none
	Lines  []Line     // i=, u=, e=, p=, b=, t=, r=, z=, k= and unusable c= lines
	Media  []Media
	Attrs  []Attr // every other session-level attribute, in order
}

// MediaDir is the direction that applies to media i: its own attribute,
// else the session's, else sendrecv.
func (s *Session) MediaDir(i int) Direction {
	if d := s.Media[i].Dir; d != "" {
		return d
	}
	if s.Dir != "" {
		return s.Dir
	}
	return SendRecv
}

// MediaAddr is the connection address that applies to media i: its own c=,
// else the session's. It is the zero Addr when neither is usable.
func (s *Session) MediaAddr(i int) netip.Addr {
	if a := s.Media[i].Addr; a.IsValid() {
		return a
	}
	return s.Addr
}

// Attr returns the value of the first attribute named key in a, and whether
// there is one.
func (m *Media) Attr(key string) (string, bool) { return findAttr(m.Attrs, key) }

// Attr returns the value of the first session-level attribute named key.
func (s *Session) Attr(key string) (string, bool) { return findAttr(s.Attrs, key) }

func findAttr(as []Attr, key string) (string, bool) {
	for _, a := range as {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// staticPT is the RFC 3551 table of static audio payload types, used to
// name formats that come without an rtpmap.
var staticPT = map[uint8]Format{
	0:  {PT: 0, Name: "PCMU", Rate: 8000},
	3:  {PT: 3, Name: "GSM", Rate: 8000},
	4:  {PT: 4, Name: "G723", Rate: 8000},
	5:  {PT: 5, Name: "DVI4", Rate: 8000},
	6:  {PT: 6, Name: "DVI4", Rate: 16000},
	7:  {PT: 7, Name: "LPC", Rate: 8000},
	8:  {PT: 8, Name: "PCMA", Rate: 8000},
	9:  {PT: 9, Name: "G722", Rate: 8000},
	10: {PT: 10, Name: "L16", Rate: 44100, Channels: 2},
	11: {PT: 11, Name: "L16", Rate: 44100},
	12: {PT: 12, Name: "QCELP", Rate: 8000},
	13: {PT: 13, Name: "CN", Rate: 8000},
	14: {PT: 14, Name: "MPA", Rate: 90000},
	15: {PT: 15, Name: "G728", Rate: 8000},
	16: {PT: 16, Name: "DVI4", Rate: 11025},
	17: {PT: 17, Name: "DVI4", Rate: 22050},
	18: {PT: 18, Name: "G729", Rate: 8000},
}

// maxPTime bounds a=ptime: anything longer is not a packet time.
const maxPTime = 10 * time.Second

// parser carries the state of one Parse.
type parser struct {
	line int
	text string
}

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf("%w: line %d %q: %s", ErrSyntax, p.line, clip(p.text), fmt.Sprintf(format, a...))
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// Parse reads a session description. Lines may end in CRLF or LF; blank
// lines are ignored. v=0 must come first and o= and s= must be present;
// every error wraps ErrSyntax and names the line.
func Parse(b []byte) (*Session, error) {
	s := &Session{}
	p := &parser{}
	var (
		seenV, seenO, seenS bool
		m                   *Media
		st                  *mediaState
	)
	for len(b) > 0 {
		p.line++
		var raw []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			raw, b = b[:i], b[i+1:]
		} else {
			raw, b = b, nil
		}
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		p.text = string(raw)
		if len(raw) < 2 || raw[1] != '=' {
			return nil, p.errf("not a type=value line")
		}
		typ, val := raw[0], string(raw[2:])
		if !seenV {
			if typ != 'v' {
				return nil, p.errf("the description must start with v=")
			}
			if strings.TrimSpace(val) != "0" {
				return nil, p.errf("unsupported version")
			}
			seenV = true
			continue
		}
		if typ != 'o' && !seenO || typ != 'o' && typ != 's' && !seenS {
			return nil, p.errf("o= and s= must follow v=")
		}
		switch typ {
		case 'v':
			return nil, p.errf("second v= line")
		case 'o':
			if seenO || m != nil {
				return nil, p.errf("misplaced o= line")
			}
			o, err := parseOrigin(val)
			if err != nil {
				return nil, p.errf("%v", err)
			}
			s.Origin, seenO = o, true
		case 's':
			if seenS || m != nil {
				return nil, p.errf("misplaced s= line")
			}
			s.Name, seenS = val, true
		case 'm':
			if m != nil {
				st.finish(m)
			}
			s.Media = append(s.Media, Media{})
			m = &s.Media[len(s.Media)-1]
			var err error
			if st, err = parseMediaLine(m, val); err != nil {
				return nil, p.errf("%v", err)
			}
		case 'c':
			a, ok := parseConn(val)
			switch {
			case m == nil && ok && !s.Addr.IsValid():
				s.Addr = a
			case m == nil:
				s.Lines = append(s.Lines, Line{typ, val})
			case ok && !m.Addr.IsValid():
				m.Addr = a
			default:
				m.Lines = append(m.Lines, Line{typ, val})
			}
		case 'a':
			key, value, _ := strings.Cut(val, ":")
			if m == nil {
				if d, ok := parseDirection(key); ok && value == "" && s.Dir == "" {
					s.Dir = d
					continue
				}
				s.Attrs = append(s.Attrs, Attr{key, value})
				continue
			}
			st.attr(m, key, value)
		case 'i', 'b', 'k':
			if m != nil {
				m.Lines = append(m.Lines, Line{typ, val})
				continue
			}
			s.Lines = append(s.Lines, Line{typ, val})
		case 'u', 'e', 'p', 't', 'r', 'z':
			if m != nil {
				return nil, p.errf("%c= is not allowed in a media section", typ)
			}
			s.Lines = append(s.Lines, Line{typ, val})
		default:
			if typ < 'a' || typ > 'z' {
				return nil, p.errf("bad line type")
			}
			// RFC 4566 section 5: unknown types are ignored. Keep them.
			if m != nil {
				m.Lines = append(m.Lines, Line{typ, val})
			} else {
				s.Lines = append(s.Lines, Line{typ, val})
			}
		}
	}
	if m != nil {
		st.finish(m)
	}
	switch {
	case !seenV:
		return nil, fmt.Errorf("%w: empty description", ErrSyntax)
	case !seenO:
		return nil, fmt.Errorf("%w: no o= line", ErrSyntax)
	case !seenS:
		return nil, fmt.Errorf("%w: no s= line", ErrSyntax)
	}
	return s, nil
}

func parseOrigin(v string) (Origin, error) {
	f := strings.Fields(v)
	if len(f) != 6 {
		return Origin{}, fmt.Errorf("o= needs 6 fields, has %d", len(f))
	}
	id, ok := digits64(f[1])
	if !ok {
		return Origin{}, fmt.Errorf("bad session id %q", f[1])
	}
	ver, ok := digits64(f[2])
	if !ok {
		return Origin{}, fmt.Errorf("bad session version %q", f[2])
	}
	return Origin{Username: f[0], SessionID: id, Version: ver, NetType: f[3], AddrType: f[4], Address: f[5]}, nil
}

// parseConn reads "IN IP4 a.b.c.d" or "IN IP6 addr". ok is false for
// anything Media cannot hold (domain names, multicast TTLs, zones,
// mismatched address types); such lines are kept verbatim.
func parseConn(v string) (netip.Addr, bool) {
	f := strings.Fields(v)
	if len(f) != 3 || f[0] != "IN" {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(f[2])
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	switch f[1] {
	case "IP4":
		return a, a.Is4()
	case "IP6":
		return a, a.Is6()
	}
	return netip.Addr{}, false
}

// mediaState tracks which formats already took their rtpmap and fmtp.
type mediaState struct {
	rtp    bool
	mapped []bool
	fmtp   []bool
	ptime  bool
	dir    bool
}

func isRTP(proto string) bool { return strings.Contains(strings.ToUpper(proto), "RTP/") }

func parseMediaLine(m *Media, v string) (*mediaState, error) {
	f := strings.Fields(v)
	if len(f) < 3 {
		return nil, errors.New("m= needs media, port and proto")
	}
	m.Type, m.Proto = f[0], f[2]
	port, n, hasN := strings.Cut(f[1], "/")
	var ok bool
	if m.Port, ok = digits(port); !ok || m.Port > 65535 {
		return nil, fmt.Errorf("bad port %q", f[1])
	}
	if hasN {
		if m.Ports, ok = digits(n); !ok || m.Ports == 0 {
			return nil, fmt.Errorf("bad port count %q", f[1])
		}
	}
	st := &mediaState{rtp: isRTP(m.Proto)}
	if !st.rtp {
		m.Tokens = f[3:]
		return st, nil
	}
	for _, t := range f[3:] {
		pt, ok := digits(t)
		if !ok || pt > 127 {
			return nil, fmt.Errorf("bad payload type %q", t)
		}
		for _, o := range m.Formats {
			if int(o.PT) == pt {
				return nil, fmt.Errorf("payload type %d listed twice", pt)
			}
		}
		m.Formats = append(m.Formats, Format{PT: uint8(pt)})
	}
	st.mapped = make([]bool, len(m.Formats))
	st.fmtp = make([]bool, len(m.Formats))
	return st, nil
}

func (st *mediaState) index(m *Media, pt string) int {
	n, ok := digits(pt)
	if !ok {
		return -1
	}
	for i, f := range m.Formats {
		if int(f.PT) == n {
			return i
		}
	}
	return -1
}

// attr takes one media-level attribute: the ones the model interprets go
// into their fields (the first of each kind), everything else into Attrs.
func (st *mediaState) attr(m *Media, key, value string) {
	switch key {
	case "rtpmap":
		if !st.rtp {
			break
		}
		ptStr, enc, _ := strings.Cut(value, " ")
		i := st.index(m, ptStr)
		if i < 0 || st.mapped[i] {
			break
		}
		name, rate, ch, ok := parseRTPMap(strings.TrimSpace(enc))
		if !ok {
			break
		}
		f := &m.Formats[i]
		f.Name, f.Rate, f.Channels = name, rate, ch
		st.mapped[i] = true
		return
	case "fmtp":
		if !st.rtp {
			break
		}
		ptStr, params, _ := strings.Cut(value, " ")
		i := st.index(m, ptStr)
		if i < 0 || st.fmtp[i] {
			break
		}
		params = strings.TrimSpace(params)
		if params == "" {
			return // says nothing; a later fmtp for the format may
		}
		m.Formats[i].Fmtp = params
		st.fmtp[i] = true
		return
	case "ptime":
		if st.ptime {
			break
		}
		if d, ok := parsePTime(value); ok {
			m.PTime, st.ptime = d, true
			return
		}
	default:
		if d, ok := parseDirection(key); ok && value == "" && !st.dir {
			m.Dir, st.dir = d, true
			return
		}
	}
	m.Attrs = append(m.Attrs, Attr{key, value})
}

// finish names the static payload types that came without rtpmap.
func (st *mediaState) finish(m *Media) {
	for i := range m.Formats {
		if st.mapped[i] {
			continue
		}
		if f, ok := staticPT[m.Formats[i].PT]; ok {
			m.Formats[i].Name, m.Formats[i].Rate, m.Formats[i].Channels = f.Name, f.Rate, f.Channels
		}
	}
}

// parseRTPMap reads "name/rate[/channels]".
func parseRTPMap(s string) (name string, rate, ch int, ok bool) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || strings.ContainsAny(parts[0], " \t") {
		return "", 0, 0, false
	}
	if rate, ok = digits(parts[1]); !ok || rate == 0 {
		return "", 0, 0, false
	}
	if len(parts) == 3 {
		if ch, ok = digits(parts[2]); !ok || ch == 0 {
			return "", 0, 0, false
		}
	}
	return parts[0], rate, ch, true
}

// parsePTime reads milliseconds, possibly fractional.
func parsePTime(s string) (time.Duration, bool) {
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
		return 0, false
	}
	ms, err := strconv.ParseFloat(s, 64)
	if err != nil || ms <= 0 || math.IsInf(ms, 0) {
		return 0, false
	}
	d := time.Duration(math.Round(ms * float64(time.Millisecond)))
	if d <= 0 || d > maxPTime {
		return 0, false
	}
	return d, true
}

func formatPTime(d time.Duration) string {
	if d%time.Millisecond == 0 {
		return strconv.FormatInt(int64(d/time.Millisecond), 10)
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
}

// digits parses a short unsigned decimal number made of ASCII digits only.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func digits64(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// Marshal writes the description, lines in RFC 4566 order, each ending in
// CRLF. Within a media section the rtpmap and fmtp lines of the formats come
// first, then ptime, the direction and the kept attributes.
func (s *Session) Marshal() []byte {
	b := make([]byte, 0, 512)
	return s.AppendTo(b)
}

// AppendTo appends the marshalled description to b.
func (s *Session) AppendTo(b []byte) []byte {
	line := func(t byte, parts ...string) {
		b = append(b, t, '=')
		for _, p := range parts {
			b = append(b, p...)
		}
		b = append(b, '\r', '\n')
	}
	kept := func(ls []Line, types string) {
		for _, l := range ls {
			if strings.IndexByte(types, l.Type) >= 0 {
				line(l.Type, l.Value)
			}
		}
	}
	line('v', "0")
	o := s.Origin
	line('o', orDash(o.Username), " ", strconv.FormatUint(o.SessionID, 10), " ",
		strconv.FormatUint(o.Version, 10), " ", orDefault(o.NetType, "IN"), " ",
		orDefault(o.AddrType, "IP4"), " ", orDefault(o.Address, "0.0.0.0"))
	line('s', orDash(s.Name))
	for _, t := range "iuep" {
		kept(s.Lines, string(t))
	}
	if s.Addr.IsValid() {
		line('c', connValue(s.Addr))
	}
	kept(s.Lines, "c")
	kept(s.Lines, "b")
	if hasType(s.Lines, 't') {
		kept(s.Lines, "tr")
	} else {
		line('t', "0 0")
		kept(s.Lines, "r")
	}
	kept(s.Lines, "z")
	kept(s.Lines, "k")
	if s.Dir != "" {
		line('a', string(s.Dir))
	}
	for _, a := range s.Attrs {
		b = appendAttr(b, a)
	}
	kept(s.Lines, otherTypes)
	for i := range s.Media {
		b = s.Media[i].appendTo(b)
	}
	return b
}

// otherTypes are the line letters RFC 4566 does not define; they are kept
// and written at the end of their section.
const otherTypes = "dfghjlnqwxy"

func hasType(ls []Line, t byte) bool {
	for _, l := range ls {
		if l.Type == t {
			return true
		}
	}
	return false
}

func (m *Media) appendTo(b []byte) []byte {
	b = append(b, "m="...)
	b = append(b, orDefault(m.Type, "audio")...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(m.Port), 10)
	if m.Ports > 0 {
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(m.Ports), 10)
	}
	b = append(b, ' ')
	b = append(b, orDefault(m.Proto, "RTP/AVP")...)
	for _, f := range m.Formats {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(f.PT), 10)
	}
	for _, t := range m.Tokens {
		b = append(b, ' ')
		b = append(b, t...)
	}
	b = append(b, '\r', '\n')
	for _, l := range m.Lines {
		if l.Type == 'i' {
			b = appendLine(b, l)
		}
	}
	if m.Addr.IsValid() {
		b = append(b, "c="...)
		b = append(b, connValue(m.Addr)...)
		b = append(b, '\r', '\n')
	}
	for _, t := range "cbk" {
		for _, l := range m.Lines {
			if l.Type == byte(t) {
				b = appendLine(b, l)
			}
		}
	}
	for _, f := range m.Formats {
		if f.Name == "" {
			continue
		}
		b = append(b, "a=rtpmap:"...)
		b = strconv.AppendUint(b, uint64(f.PT), 10)
		b = append(b, ' ')
		b = append(b, f.Name...)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(f.Rate), 10)
		if f.Channels > 0 {
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(f.Channels), 10)
		}
		b = append(b, '\r', '\n')
	}
	for _, f := range m.Formats {
		if f.Fmtp == "" {
			continue
		}
		b = append(b, "a=fmtp:"...)
		b = strconv.AppendUint(b, uint64(f.PT), 10)
		b = append(b, ' ')
		b = append(b, f.Fmtp...)
		b = append(b, '\r', '\n')
	}
	if m.PTime > 0 {
		b = append(b, "a=ptime:"...)
		b = append(b, formatPTime(m.PTime)...)
		b = append(b, '\r', '\n')
	}
	if m.Dir != "" {
		b = append(b, "a="...)
		b = append(b, m.Dir...)
		b = append(b, '\r', '\n')
	}
	for _, a := range m.Attrs {
		b = appendAttr(b, a)
	}
	for _, l := range m.Lines {
		if strings.IndexByte(otherTypes, l.Type) >= 0 {
			b = appendLine(b, l)
		}
	}
	return b
}

func appendLine(b []byte, l Line) []byte {
	b = append(b, l.Type, '=')
	b = append(b, l.Value...)
	return append(b, '\r', '\n')
}

func appendAttr(b []byte, a Attr) []byte {
	b = append(b, "a="...)
	b = append(b, a.Key...)
	if a.Value != "" {
		b = append(b, ':')
		b = append(b, a.Value...)
	}
	return append(b, '\r', '\n')
}

func connValue(a netip.Addr) string {
	if a.Is4() {
		return "IN IP4 " + a.String()
	}
	return "IN IP6 " + a.String()
}

func orDash(s string) string { return orDefault(s, "-") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// String is the marshalled description.
func (s *Session) String() string { return string(s.Marshal()) }
