package ua

import (
	"bytes"
	"net"
	"strings"

	"github.com/emiago/sipgo/sip"
)

func init() {
	// sipgo refuses to send a UDP datagram over 1300 bytes. Our answers
	// copy the request's Via, From, To and Record-Route, so a valid but
	// long request (RFC 4475 longreq) would go unanswered: let IP
	// fragment such datagrams instead, as other user agents do.
	if sip.UDPMTUSize < 65507 {
		sip.UDPMTUSize = 65507
	}
}

// readFilter sees every datagram before sipgo parses it. A request sipgo
// cannot parse would be dropped without a word; RFC 4475 wants most of
// them answered (400, 505 or 416), so we answer them here, statelessly,
// and drop them. It runs on sipgo's read goroutine and never fails.
func (u *UA) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if p.Transport != trUDP {
		return data, nil // a stream: sipgo frames it, and a chunk is not a message
	}
	if len(bytes.Trim(data, "\r\n\x00 \t")) == 0 {
		return data, nil // keep-alive: sipgo ignores it
	}
	out, err := prepare(u.parser, data)
	if err == nil {
		return out, nil
	}
	{
		code, res := rawReject(data, p.RemoteAddr)
		u.log.Debug("sip: unparsable datagram", "from", p.RemoteAddr, "err", err, "answer", code)
		if res != nil {
			if _, werr := u.conn.WriteTo(res, p.RemoteAddr); werr != nil {
				u.log.Debug("sip: answer unparsable", "err", werr)
			}
		}
		return nil, nil
	}
}

// prepare parses a datagram and returns what sipgo should see: the
// datagram itself, or a rewrite without white space around parameters
// when that still parses. An error means sipgo cannot parse it either.
func prepare(p *sip.Parser, data []byte) ([]byte, error) {
	msg, err := p.ParseSIP(data)
	if err != nil {
		return nil, err
	}
	if !normalizeParams(msg) {
		return data, nil
	}
	out := []byte(msg.String())
	if _, err := p.ParseSIP(out); err != nil {
		return data, nil // sipgo cannot read back what it wrote: leave it be
	}
	return out, nil
}

// normalizeParams removes the white space sipgo leaves around header
// parameter names and values ("tag = 1918181833n", RFC 4475 wsinv), so
// that tags are found and transactions matched. It reports whether it
// changed anything.
func normalizeParams(m sip.Message) bool {
	changed := false
	trim := func(p sip.HeaderParams) {
		for i := range p {
			k, v := strings.TrimSpace(p[i].K), strings.TrimSpace(p[i].V)
			if k != p[i].K || v != p[i].V {
				p[i].K, p[i].V = k, v
				changed = true
			}
		}
	}
	if f := m.From(); f != nil {
		trim(f.Params)
	}
	if t := m.To(); t != nil {
		trim(t.Params)
	}
	for _, h := range m.GetHeaders("Via") {
		if v, ok := h.(*sip.ViaHeader); ok {
			trim(v.Params)
		}
	}
	return changed
}

// rawReject builds a stateless answer to a request sipgo could not parse,
// from the raw text: the status line, the Via, From, To (tagged), Call-ID
// and CSeq lines copied as they came. It returns no answer for responses,
// ACKs and datagrams without a Via. The status is 505 for another SIP
// version, 416 for a Request-URI scheme other than sip, sips or tel, and
// 400 otherwise.
func rawReject(data []byte, from net.Addr) (int, []byte) {
	const maxLen = 8192
	if len(data) > 65507 {
		data = data[:65507]
	}
	text := string(data)
	if i := strings.Index(text, "\r\n\r\n"); i >= 0 {
		text = text[:i]
	} else if i := strings.Index(text, "\n\n"); i >= 0 {
		text = text[:i]
	}
	lines := unfold(strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n"))
	if len(lines) == 0 {
		return 0, nil
	}
	start := strings.Fields(lines[0])
	if len(start) == 0 || strings.HasPrefix(strings.ToUpper(start[0]), "SIP/") || strings.EqualFold(start[0], "ACK") {
		return 0, nil
	}
	code, reason, version := 400, "Bad Request", "SIP/2.0"
	switch {
	case len(start) == 3 && strings.HasPrefix(strings.ToUpper(start[2]), "SIP/") && start[2] != "SIP/2.0":
		code, reason = 505, "Version Not Supported"
	case len(start) == 3 && !knownScheme(start[1]):
		code, reason = 416, "Unsupported URI Scheme"
	}
	var b strings.Builder
	b.WriteString(version + " ")
	b.WriteString(itoa3(code) + " " + reason + "\r\n")
	vias, tagged := 0, false
	for _, l := range lines[1:] {
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		name = canonical(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		switch name {
		case "Via":
			if vias == 0 && from != nil {
				if h, _, err := net.SplitHostPort(from.String()); err == nil {
					value += ";received=" + h
				}
			}
			vias++
		case "To":
			if !strings.Contains(strings.ToLower(value), "tag") && !tagged {
				value += ";tag=" + sip.GenerateTagN(8)
			}
			tagged = true
		case "From", "Call-ID", "CSeq":
		default:
			continue
		}
		b.WriteString(name + ": " + value + "\r\n")
		if b.Len() > maxLen {
			return code, nil
		}
	}
	if vias == 0 {
		return code, nil
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return code, []byte(b.String())
}

// unfold joins header continuation lines (RFC 3261 §7.3.1).
func unfold(lines []string) []string {
	var out []string
	for _, l := range lines {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out
}

// canonical maps a header name (any case, compact form) to the one we copy.
func canonical(name string) string {
	switch strings.ToLower(name) {
	case "via", "v":
		return "Via"
	case "from", "f":
		return "From"
	case "to", "t":
		return "To"
	case "call-id", "i":
		return "Call-ID"
	case "cseq":
		return "CSeq"
	}
	return ""
}

// knownScheme tells a Request-URI we can route: sip, sips or tel.
func knownScheme(uri string) bool {
	s, _, ok := strings.Cut(uri, ":")
	if !ok {
		return true // not a URI at all: a plain 400
	}
	switch strings.ToLower(s) {
	case "sip", "sips", "tel":
		return true
	}
	return strings.HasPrefix(s, "<") // <sip:...>: a syntax error, not a scheme
}

func itoa3(n int) string {
	return string([]byte{byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}
