package ua

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// This file holds the header handling we do on top of sipgo's parser:
// identities (P-Asserted-Identity, Remote-Party-ID, From, Privacy), option
// tags, session timers, reliable provisional responses and INFO bodies.
// sipgo hands these headers over as raw text; every function here takes
// hostile input (they are fuzzed) and fails with errMalformed.

// Party is a caller as the line shows it on caller ID.
type Party struct {
	Number string // digits (and + * #) of the caller, "" when unknown or withheld
	Name   string // display name, "" when none or withheld
	// Private: the caller asked for privacy (Privacy: id/header/user,
	// RPID privacy, or an anonymous From). Number and Name are then empty
	// and caller ID shows "private" rather than "unavailable".
	Private bool
}

// firstToken is v up to the first ';', ',' or blank, trimmed.
func firstToken(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexAny(v, ";, \t"); i >= 0 {
		v = v[:i]
	}
	return v
}

// splitList splits a header value at commas that are outside quotes and
// angle brackets.
func splitList(v string) []string {
	var out []string
	depth, quoted, esc, start := 0, false, false, 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case quoted && c == '\\':
			esc = true
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			if depth > 0 {
				depth--
			}
		case c == ',' && depth == 0:
			if s := strings.TrimSpace(v[start:i]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// optionTags parses Supported / Require / Proxy-Require values (all the
// headers of that name in m), lower-cased.
func optionTags(m sip.Message, name string) []string {
	var out []string
	for _, h := range m.GetHeaders(name) {
		for _, t := range strings.Split(h.Value(), ",") {
			if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
				out = append(out, t)
			}
		}
	}
	if name == "Supported" { // compact form k
		for _, h := range m.GetHeaders("k") {
			for _, t := range strings.Split(h.Value(), ",") {
				if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
					out = append(out, t)
				}
			}
		}
	}
	return out
}

func hasTag(m sip.Message, name, tag string) bool {
	for _, t := range optionTags(m, name) {
		if t == tag {
			return true
		}
	}
	return false
}

// nameAddr is one parsed name-addr / addr-spec.
type nameAddr struct {
	name   string
	uri    sip.Uri
	params sip.HeaderParams
	tel    string // the number of a tel: URI
}

// parseNameAddr parses `"Name" <uri>;params`, `Name <uri>` or `uri;params`.
// tel: URIs are kept as their number.
func parseNameAddr(v string) (nameAddr, error) {
	var na nameAddr
	v = strings.TrimSpace(v)
	if v == "" {
		return na, fmt.Errorf("%w: empty address", errMalformed)
	}
	// sipgo parses sip: and sips: URIs; tel: we handle ourselves.
	if lt := strings.IndexByte(v, '<'); lt >= 0 {
		gt := strings.IndexByte(v[lt:], '>')
		if gt < 0 {
			return na, fmt.Errorf("%w: unclosed <", errMalformed)
		}
		inner := v[lt+1 : lt+gt]
		if isTel(inner) {
			na.name = unquote(strings.TrimSpace(v[:lt]))
			na.tel = telNumber(inner)
			na.params = parseParams(v[lt+gt+1:])
			return na, nil
		}
	} else if isTel(v) {
		tel, rest, _ := strings.Cut(v, ";")
		na.tel = telNumber(tel)
		na.params = parseParams(rest)
		return na, nil
	}
	na.params = sip.NewParams()
	name, err := sip.ParseAddressValue(v, &na.uri, &na.params)
	if err != nil {
		return na, fmt.Errorf("%w: %w", errMalformed, err)
	}
	na.name = unquote(name)
	return na, nil
}

func isTel(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "tel:")
}

// telNumber takes the global or local number of a tel: URI, without
// visual separators (RFC 3966).
func telNumber(s string) string {
	s = s[4:]
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return digitsOf(s)
}

// digitsOf keeps the dialable characters of a user part or number: 0-9 + *
// # and A-D, after percent-decoding; visual separators (-.() ) go. A user
// part with other characters (a name, "anonymous") has no number.
func digitsOf(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '*', c == '#', c == '+' && b.Len() == 0:
			b.WriteByte(c)
		case c >= 'A' && c <= 'D':
			b.WriteByte(c)
		case c == '-' || c == '.' || c == '(' || c == ')' || c == ' ':
		default:
			return ""
		}
	}
	return b.String()
}

// unquote removes the quotes and backslash escapes of a display name.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseParams parses ";a=b;c" into params (values unquoted).
func parseParams(s string) sip.HeaderParams {
	p := sip.NewParams()
	for _, kv := range strings.Split(s, ";") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		p.Add(strings.ToLower(strings.TrimSpace(k)), unquote(v))
	}
	return p
}

// number is the caller number of an address: a tel: URI, else the user
// part of a sip URI when it is dialable.
func (na nameAddr) number() string {
	if na.tel != "" {
		return na.tel
	}
	return digitsOf(na.uri.User)
}

func (na nameAddr) anonymous() bool {
	if strings.EqualFold(na.uri.Host, "anonymous.invalid") || strings.EqualFold(na.uri.User, "anonymous") {
		return true
	}
	return strings.EqualFold(strings.TrimSpace(na.name), "anonymous")
}

// callerOf works out who is calling, from (in order) P-Asserted-Identity,
// Remote-Party-ID and From, honouring Privacy (RFC 3323/3325).
func callerOf(req *sip.Request) Party {
	var p Party
	for _, h := range req.GetHeaders("Privacy") {
		for _, v := range strings.Split(h.Value(), ";") {
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "id", "header", "user":
				p.Private = true
			}
		}
	}
	var best *nameAddr
	for _, name := range []string{"P-Asserted-Identity", "Remote-Party-ID"} {
		for _, h := range req.GetHeaders(name) {
			for _, v := range splitList(h.Value()) {
				na, err := parseNameAddr(v)
				if err != nil {
					continue
				}
				if name == "Remote-Party-ID" {
					if pv, _ := na.params.Get("privacy"); pv != "" && !strings.EqualFold(pv, "off") {
						p.Private = true
					}
				}
				if best == nil || (best.number() == "" && na.number() != "") {
					n := na
					best = &n
				}
				if best.name == "" && na.name != "" {
					best.name = na.name
				}
			}
		}
		if best != nil {
			break
		}
	}
	if f := req.From(); f != nil {
		from := nameAddr{name: unquote(f.DisplayName), uri: f.Address}
		if from.anonymous() && best == nil {
			p.Private = true
		}
		if best == nil {
			best = &from
		} else if best.name == "" && !from.anonymous() {
			best.name = from.name
		}
	}
	if p.Private || best == nil {
		return Party{Private: p.Private}
	}
	if best.anonymous() {
		return Party{Private: true}
	}
	p.Number = best.number()
	p.Name = best.name
	if p.Name == p.Number {
		p.Name = ""
	}
	return p
}

// sessionExpires parses Session-Expires (or x): "delta[;refresher=uac|uas]".
func sessionExpires(v string) (time.Duration, string, error) {
	d, params, _ := strings.Cut(v, ";")
	n, err := strconv.ParseUint(strings.TrimSpace(d), 10, 32)
	if err != nil || n == 0 {
		return 0, "", fmt.Errorf("%w: Session-Expires %q", errMalformed, v)
	}
	ref, _ := parseParams(params).Get("refresher")
	ref = strings.ToLower(ref)
	if ref != "" && ref != "uac" && ref != "uas" {
		return 0, "", fmt.Errorf("%w: refresher %q", errMalformed, ref)
	}
	return time.Duration(n) * time.Second, ref, nil
}

// deltaSeconds parses Min-SE, Min-Expires and the like.
func deltaSeconds(v string) (time.Duration, error) {
	n, err := strconv.ParseUint(firstToken(v), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: delta-seconds %q", errMalformed, v)
	}
	return time.Duration(n) * time.Second, nil
}

// rack is a parsed RAck header (RFC 3262): "rseq cseq method".
type rack struct {
	rseq, cseq uint32
	method     string
}

func parseRAck(v string) (rack, error) {
	f := strings.Fields(v)
	if len(f) != 3 {
		return rack{}, fmt.Errorf("%w: RAck %q", errMalformed, v)
	}
	rs, err1 := strconv.ParseUint(f[0], 10, 32)
	cs, err2 := strconv.ParseUint(f[1], 10, 32)
	if err1 != nil || err2 != nil || rs == 0 {
		return rack{}, fmt.Errorf("%w: RAck %q", errMalformed, v)
	}
	return rack{rseq: uint32(rs), cseq: uint32(cs), method: strings.ToUpper(f[2])}, nil
}

func parseRSeq(v string) (uint32, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%w: RSeq %q", errMalformed, v)
	}
	return uint32(n), nil
}

// Flash is the digit value of a hook-flash received in an INFO (event 16).
const Flash byte = '!'

// infoDTMF decodes the body of an INFO carrying a DTMF digit or a
// hook-flash: application/dtmf-relay ("Signal=5\r\nDuration=160"),
// application/dtmf ("5") or application/hook-flash ("signal=hf"). A flash
// is returned as Flash.
func infoDTMF(ctype string, body []byte) (digit byte, dur time.Duration, err error) {
	ct := strings.ToLower(strings.TrimSpace(firstTokenSemi(ctype)))
	text := strings.TrimSpace(string(body))
	switch ct {
	case "application/dtmf-relay", "application/hook-flash":
		var sig, durS string
		for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "signal":
				sig = strings.TrimSpace(v)
			case "duration":
				durS = strings.TrimSpace(v)
			}
		}
		if durS != "" {
			if n, err := strconv.ParseUint(durS, 10, 31); err == nil {
				dur = time.Duration(n) * time.Millisecond
			}
		}
		if digit, err = dtmfSignal(sig); err != nil {
			return 0, 0, err
		}
		return digit, dur, nil
	case "application/dtmf":
		digit, err = dtmfSignal(text)
		return digit, 0, err
	}
	return 0, 0, fmt.Errorf("%w: INFO content type %q", errMalformed, ctype)
}

// firstTokenSemi is v up to the first ';'.
func firstTokenSemi(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		return v[:i]
	}
	return v
}

// dtmfSignal maps a Signal value to a digit: 0-9 * # A-D, their event
// numbers 10-15, and 16 / "hf" / "flash" for a hook-flash.
func dtmfSignal(s string) (byte, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "hf", "flash", "16":
		return Flash, nil
	case "10":
		return '*', nil
	case "11":
		return '#', nil
	case "12", "13", "14", "15":
		return "ABCD"[s[1]-'2'], nil
	}
	if len(s) == 1 {
		c := s[0]
		switch {
		case c >= '0' && c <= '9', c == '*', c == '#':
			return c, nil
		case c >= 'A' && c <= 'D':
			return c, nil
		case c >= 'a' && c <= 'd':
			return c - 'a' + 'A', nil
		}
	}
	return 0, fmt.Errorf("%w: DTMF signal %q", errMalformed, s)
}
