package callerid

import (
	"fmt"
	"strings"
)

// DTMFFormat is a layout of DTMF caller ID (ETSI EN 300 659-1 Annex B).
type DTMFFormat uint8

const (
	// DTMFFormatA sends A<number>C (Belgium, Brazil, Denmark, Finland,
	// India, the Netherlands, Sweden ...).
	DTMFFormatA DTMFFormat = iota
	// DTMFFormatD sends D<number>C (Taiwan, Kuwait ...).
	DTMFFormatD
)

// The B codes of EN 300 659-1 Annex B for a number that is not sent.
const (
	dtmfUnavailable = "00"
	dtmfPrivate     = "10"
)

// DTMF returns the digit string that sends m (Type DTMFMessage, or any
// type: only the number or its absence is used) in format f: the number
// between the start code and 'C', or B00C when it is unavailable and B10C
// when it is private.
func (m *Message) DTMF(f DTMFFormat) (string, error) {
	d := Message{Type: DTMFMessage, Number: m.Number, NumberAbsent: m.NumberAbsent}
	if err := d.Validate(); err != nil {
		return "", err
	}
	switch {
	case d.NumberAbsent == Unavailable:
		return "B" + dtmfUnavailable + "C", nil
	case d.NumberAbsent == Private:
		return "B" + dtmfPrivate + "C", nil
	case f == DTMFFormatA:
		return "A" + d.Number + "C", nil
	case f == DTMFFormatD:
		return "D" + d.Number + "C", nil
	}
	return "", fmt.Errorf("callerid: DTMF format %d: %w", f, errType)
}

// DecodeDTMF decodes a DTMF caller-ID string: A<digits>C (or A<digits>#),
// D<digits>C, or B<code>C with code 00 (unavailable) or 10 (private).
func DecodeDTMF(s string) (Message, error) {
	m := Message{Type: DTMFMessage}
	if len(s) < 3 {
		return m, fmt.Errorf("callerid: DTMF %q: %w", s, errShort)
	}
	start, end, body := s[0], s[len(s)-1], s[1:len(s)-1]
	if end != 'C' && !(end == '#' && start == 'A') {
		return m, fmt.Errorf("callerid: DTMF %q does not end in C: %w", s, errField)
	}
	if strings.Trim(body, "0123456789") != "" {
		return m, fmt.Errorf("callerid: DTMF %q: only digits may stand between %c and %c: %w", s, start, end, errField)
	}
	switch start {
	case 'A', 'D':
		m.Number = body
	case 'B':
		switch body {
		case dtmfUnavailable:
			m.NumberAbsent = Unavailable
		case dtmfPrivate:
			m.NumberAbsent = Private
		default:
			return m, fmt.Errorf("callerid: DTMF %q: code B%s is neither 00 (unavailable) nor 10 (private): %w", s, body, errField)
		}
	default:
		return m, fmt.Errorf("callerid: DTMF %q starts with %q, not A, B or D: %w", s, start, errField)
	}
	return m, m.Validate()
}
