package callerid

import (
	"errors"
	"fmt"
	"time"
)

// Type is the message type, the first byte of an FSK message.
type Type byte

// The message types this package builds and reads in full (GR-30-CORE,
// ETSI EN 300 659-3). Decode also reads other MDMF-shaped types (bit 7
// set), keeping their parameters in Message.Extra.
const (
	// DTMFMessage marks a Message that came from, or is meant for, DTMF
	// signalling; it has no type byte on the wire.
	DTMFMessage Type = 0x00
	// SDMF is the single data message: date, time and number (or the
	// reason it is absent).
	SDMF Type = 0x04
	// SDMFWaiting is the single data message for visual message-waiting
	// indication.
	SDMFWaiting Type = 0x06
	// MDMF is the multiple data message for call set-up: date and time,
	// number, name, or their reasons for absence.
	MDMF Type = 0x80
	// MDMFWaiting is the multiple data message for visual message-waiting
	// indication.
	MDMFWaiting Type = 0x82
)

func (t Type) String() string {
	switch t {
	case DTMFMessage:
		return "DTMF"
	case SDMF:
		return "SDMF"
	case SDMFWaiting:
		return "SDMF-MWI"
	case MDMF:
		return "MDMF"
	case MDMFWaiting:
		return "MDMF-MWI"
	}
	return fmt.Sprintf("type %#02x", byte(t))
}

// MDMF parameter types.
const (
	ParamDateTime     = 0x01 // MMDDHHMM, 8 ASCII digits
	ParamNumber       = 0x02 // calling line identity
	ParamNumberAbsent = 0x04 // 'O' unavailable or 'P' private
	ParamName         = 0x07 // calling party name
	ParamNameAbsent   = 0x08 // 'O' unavailable or 'P' private
	ParamIndicator    = 0x0B // visual indicator: 0xFF on, 0x00 off
)

// Limits of the fields (ETSI EN 300 659-3: up to 20 digits of number, 50
// characters of name; GR-30 keeps within them).
const (
	MaxNumber = 20
	MaxName   = 50
	// MaxMessage is the longest message on the wire: type, length, 255
	// bytes of body and the checksum.
	MaxMessage = 258
)

// DateTime is the date and time field: month, day, hour and minute (no
// year, no seconds). The zero value means "not sent".
type DateTime struct {
	Month, Day, Hour, Minute int
}

// IsZero reports whether d is the zero value (no date and time).
func (d DateTime) IsZero() bool { return d == DateTime{} }

// At returns the date and time of t (in t's location).
func At(t time.Time) DateTime {
	return DateTime{Month: int(t.Month()), Day: t.Day(), Hour: t.Hour(), Minute: t.Minute()}
}

func (d DateTime) String() string {
	return fmt.Sprintf("%02d-%02d %02d:%02d", d.Month, d.Day, d.Hour, d.Minute)
}

func (d DateTime) valid() bool {
	return d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= 31 &&
		d.Hour >= 0 && d.Hour <= 23 && d.Minute >= 0 && d.Minute <= 59
}

// Absence is why a number or name is not sent.
type Absence byte

const (
	Present     Absence = 0   // the field is sent (or simply not asked for)
	Private     Absence = 'P' // withheld by the caller ("private", "restricted")
	Unavailable Absence = 'O' // not available ("out of area")
)

func (a Absence) String() string {
	switch a {
	case Present:
		return "present"
	case Private:
		return "private"
	case Unavailable:
		return "unavailable"
	}
	return fmt.Sprintf("absence %q", byte(a))
}

// Indicator is a visual message-waiting indication.
type Indicator uint8

const (
	NoIndicator  Indicator = iota // not sent
	IndicatorOn                   // messages are waiting: light the lamp
	IndicatorOff                  // no more messages: put the lamp out
)

func (i Indicator) String() string {
	switch i {
	case NoIndicator:
		return "none"
	case IndicatorOn:
		return "on"
	case IndicatorOff:
		return "off"
	}
	return fmt.Sprintf("indicator %d", uint8(i))
}

// Param is one parameter of an MDMF message (type, body), or with Type 0
// the whole body of an SDMF message.
type Param struct {
	Type byte
	Body []byte
}

// Message is one caller-ID message.
//
// Which fields a type carries: SDMF needs Time and a Number or a
// NumberAbsent reason. SDMFWaiting carries only Waiting. MDMF carries any
// of Time, Number or NumberAbsent, Name or NameAbsent, Waiting and Extra
// (at least one), and so does MDMFWaiting (normally Waiting, perhaps with
// Time); other types with bit 7 set are read the same way. A DTMFMessage
// carries a Number (digits only) or a NumberAbsent reason. Number and
// NumberAbsent exclude each other, as do Name and NameAbsent.
type Message struct {
	Type         Type
	Time         DateTime
	Number       string  // digits, '*', '#', '+'
	NumberAbsent Absence // why Number is empty
	Name         string  // printable characters (bytes 0x20-0x7E and 0x80-0xFF)
	NameAbsent   Absence // why Name is empty
	Waiting      Indicator
	// Extra holds MDMF parameters of other types (dialled number,
	// redirection, call type ...), in the order received, sent after the
	// others.
	Extra []Param
}

var (
	errShort     = errors.New("message too short")
	errLength    = errors.New("length byte does not match")
	errChecksum  = errors.New("checksum does not match")
	errType      = errors.New("unsupported message type")
	errField     = errors.New("bad field")
	errDuplicate = errors.New("parameter repeated")
	errMissing   = errors.New("required field missing")
	errNotAllow  = errors.New("field not allowed in this message type")
	errTooLong   = errors.New("message too long")
)

// Checksum returns the checksum of a message whose type, length and body
// are b: the two's complement of their sum modulo 256.
func Checksum(b []byte) byte {
	var s byte
	for _, v := range b {
		s += v
	}
	return -s
}

func validNumber(s string) bool {
	if len(s) == 0 || len(s) > MaxNumber {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '*' && c != '#' && c != '+' {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > MaxName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7F {
			return false
		}
	}
	return true
}

func validAbsence(a Absence) bool { return a == Present || a == Private || a == Unavailable }

// known reports whether an MDMF parameter type has its own Message field.
func known(t byte) bool {
	switch t {
	case ParamDateTime, ParamNumber, ParamNumberAbsent, ParamName, ParamNameAbsent, ParamIndicator:
		return true
	}
	return false
}

// Validate checks that the message can be sent: its fields fit its type
// and hold valid values. The error names the first problem.
func (m *Message) Validate() error {
	fail := func(field string, err error, format string, args ...any) error {
		return fmt.Errorf("callerid: %v: %s %s: %w", m.Type, field, fmt.Sprintf(format, args...), err)
	}
	if !m.Time.IsZero() && !m.Time.valid() {
		return fail("time", errField, "%v is not a date and time", m.Time)
	}
	if m.Number != "" && !validNumber(m.Number) {
		return fail("number", errField, "%q is not 1-%d of 0-9 * # +", m.Number, MaxNumber)
	}
	if !validAbsence(m.NumberAbsent) {
		return fail("number absence", errField, "%v is not 'P' or 'O'", m.NumberAbsent)
	}
	if m.Number != "" && m.NumberAbsent != Present {
		return fail("number", errField, "%q given with absence reason %v", m.Number, m.NumberAbsent)
	}
	if m.Name != "" && !validName(m.Name) {
		return fail("name", errField, "%q is not 1-%d printable characters", m.Name, MaxName)
	}
	if !validAbsence(m.NameAbsent) {
		return fail("name absence", errField, "%v is not 'P' or 'O'", m.NameAbsent)
	}
	if m.Name != "" && m.NameAbsent != Present {
		return fail("name", errField, "%q given with absence reason %v", m.Name, m.NameAbsent)
	}
	if m.Waiting > IndicatorOff {
		return fail("indicator", errField, "%v", m.Waiting)
	}
	hasNumber := m.Number != "" || m.NumberAbsent != Present
	hasName := m.Name != "" || m.NameAbsent != Present
	switch m.Type {
	case SDMF, DTMFMessage:
		if m.Type == SDMF && m.Time.IsZero() {
			return fail("time", errMissing, "(SDMF always carries date and time)")
		}
		if m.Type == DTMFMessage && !m.Time.IsZero() {
			return fail("time", errNotAllow, "%v", m.Time)
		}
		if !hasNumber {
			return fail("number", errMissing, "(or its absence reason)")
		}
		if hasName {
			return fail("name", errNotAllow, "(use MDMF)")
		}
		if m.Waiting != NoIndicator {
			return fail("indicator", errNotAllow, "(use a message-waiting type)")
		}
		if m.Type == DTMFMessage {
			for i := 0; i < len(m.Number); i++ {
				if c := m.Number[i]; c < '0' || c > '9' {
					return fail("number", errField, "%q: DTMF caller ID sends digits only", m.Number)
				}
			}
		}
	case SDMFWaiting:
		if m.Waiting == NoIndicator {
			return fail("indicator", errMissing, "")
		}
		if !m.Time.IsZero() || hasNumber || hasName {
			return fail("fields", errNotAllow, "(SDMF message waiting carries only the indicator)")
		}
	default:
		if m.Type&0x80 == 0 {
			return fail("type", errType, "")
		}
		if m.Time.IsZero() && !hasNumber && !hasName && m.Waiting == NoIndicator && len(m.Extra) == 0 {
			return fail("fields", errMissing, "(an MDMF message needs at least one parameter)")
		}
	}
	if len(m.Extra) > 0 && m.Type&0x80 == 0 {
		return fail("extra parameters", errNotAllow, "(only MDMF has parameters)")
	}
	for _, p := range m.Extra {
		if known(p.Type) {
			return fail("extra parameter", errNotAllow, "type %#02x has its own field", p.Type)
		}
		if len(p.Body) > 255 {
			return fail("extra parameter", errTooLong, "type %#02x: %d bytes", p.Type, len(p.Body))
		}
	}
	return nil
}

// AppendBinary appends the message as sent on the wire (type, length,
// body, checksum) to b. It checks the message first (see Validate).
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return b, err
	}
	if m.Type == DTMFMessage {
		return b, fmt.Errorf("callerid: a DTMF message has no binary form (use Message.DTMF): %w", errType)
	}
	start := len(b)
	b = append(b, byte(m.Type), 0)
	dt := func(b []byte) []byte {
		d := m.Time
		return append(b, byte('0'+d.Month/10), byte('0'+d.Month%10), byte('0'+d.Day/10), byte('0'+d.Day%10),
			byte('0'+d.Hour/10), byte('0'+d.Hour%10), byte('0'+d.Minute/10), byte('0'+d.Minute%10))
	}
	param := func(b []byte, t byte, body string) []byte {
		b = append(b, t, byte(len(body)))
		return append(b, body...)
	}
	switch m.Type {
	case SDMF:
		b = dt(b)
		if m.NumberAbsent != Present {
			b = append(b, byte(m.NumberAbsent))
		} else {
			b = append(b, m.Number...)
		}
	case SDMFWaiting:
		c := byte(0x42) // on: three 'B's
		if m.Waiting == IndicatorOff {
			c = 0x6F // off: three 'o's
		}
		b = append(b, c, c, c)
	default:
		if !m.Time.IsZero() {
			b = append(b, ParamDateTime, 8)
			b = dt(b)
		}
		if m.Number != "" {
			b = param(b, ParamNumber, m.Number)
		} else if m.NumberAbsent != Present {
			b = append(b, ParamNumberAbsent, 1, byte(m.NumberAbsent))
		}
		if m.Name != "" {
			b = param(b, ParamName, m.Name)
		} else if m.NameAbsent != Present {
			b = append(b, ParamNameAbsent, 1, byte(m.NameAbsent))
		}
		if m.Waiting != NoIndicator {
			v := byte(0xFF)
			if m.Waiting == IndicatorOff {
				v = 0
			}
			b = append(b, ParamIndicator, 1, v)
		}
		for _, p := range m.Extra {
			b = append(b, p.Type, byte(len(p.Body)))
			b = append(b, p.Body...)
		}
	}
	n := len(b) - start - 2
	if n > 255 {
		return b[:start], fmt.Errorf("callerid: %v: %d bytes of body: %w", m.Type, n, errTooLong)
	}
	b[start+1] = byte(n)
	return append(b, Checksum(b[start:])), nil
}

// MarshalBinary returns the message as sent on the wire.
func (m *Message) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// Split checks the framing of a message on the wire (length and checksum)
// and appends its parameters to dst: for MDMF-shaped types (bit 7 set) each
// parameter, for other types one Param of Type 0 holding the whole body.
// Bodies alias b.
func Split(b []byte, dst []Param) ([]Param, error) {
	if len(b) < 3 {
		return dst, fmt.Errorf("callerid: %d bytes: %w", len(b), errShort)
	}
	if int(b[1])+3 != len(b) {
		return dst, fmt.Errorf("callerid: length byte %d needs %d bytes, have %d: %w", b[1], int(b[1])+3, len(b), errLength)
	}
	if c := Checksum(b[:len(b)-1]); c != b[len(b)-1] {
		return dst, fmt.Errorf("callerid: checksum %#02x, computed %#02x: %w", b[len(b)-1], c, errChecksum)
	}
	body := b[2 : len(b)-1]
	if b[0]&0x80 == 0 {
		return append(dst, Param{Type: 0, Body: body}), nil
	}
	for i := 0; i < len(body); {
		if i+2 > len(body) || i+2+int(body[i+1]) > len(body) {
			return dst, fmt.Errorf("callerid: parameter at body offset %d runs past the end: %w", i, errLength)
		}
		n := int(body[i+1])
		dst = append(dst, Param{Type: body[i], Body: body[i+2 : i+2+n]})
		i += 2 + n
	}
	return dst, nil
}

func parseDateTime(b []byte) (DateTime, bool) {
	if len(b) != 8 {
		return DateTime{}, false
	}
	var v [4]int
	for i := range v {
		h, l := b[2*i], b[2*i+1]
		if h < '0' || h > '9' || l < '0' || l > '9' {
			return DateTime{}, false
		}
		v[i] = int(h-'0')*10 + int(l-'0')
	}
	d := DateTime{Month: v[0], Day: v[1], Hour: v[2], Minute: v[3]}
	return d, d.valid()
}

// UnmarshalBinary decodes a message as received on the wire (type, length,
// body, checksum). The error says what is wrong; m is then unspecified.
func (m *Message) UnmarshalBinary(b []byte) error {
	*m = Message{}
	var ps [32]Param
	params, err := Split(b, ps[:0])
	if err != nil {
		return err
	}
	m.Type = Type(b[0])
	bad := func(what string, body []byte) error {
		return fmt.Errorf("callerid: %v: %s %q: %w", m.Type, what, body, errField)
	}
	switch {
	case m.Type == SDMF:
		body := params[0].Body
		if len(body) < 9 {
			return fmt.Errorf("callerid: SDMF body of %d bytes (date and time take 8, then the number): %w", len(body), errShort)
		}
		d, ok := parseDateTime(body[:8])
		if !ok {
			return bad("date and time", body[:8])
		}
		m.Time = d
		if n := body[8:]; len(n) == 1 && (n[0] == 'P' || n[0] == 'O') {
			m.NumberAbsent = Absence(n[0])
		} else {
			m.Number = string(n)
		}
	case m.Type == SDMFWaiting:
		switch string(params[0].Body) {
		case "\x42\x42\x42":
			m.Waiting = IndicatorOn
		case "\x6f\x6f\x6f":
			m.Waiting = IndicatorOff
		default:
			return bad("indicator", params[0].Body)
		}
	case m.Type&0x80 != 0:
		var seen [256]bool
		for _, p := range params {
			if known(p.Type) {
				if seen[p.Type] {
					return fmt.Errorf("callerid: %v: parameter %#02x: %w", m.Type, p.Type, errDuplicate)
				}
				seen[p.Type] = true
			}
			switch p.Type {
			case ParamDateTime:
				d, ok := parseDateTime(p.Body)
				if !ok {
					return bad("date and time", p.Body)
				}
				m.Time = d
			case ParamNumber:
				m.Number = string(p.Body)
			case ParamName:
				m.Name = string(p.Body)
			case ParamNumberAbsent, ParamNameAbsent:
				if len(p.Body) != 1 {
					return bad("absence reason", p.Body)
				}
				if p.Type == ParamNumberAbsent {
					m.NumberAbsent = Absence(p.Body[0])
				} else {
					m.NameAbsent = Absence(p.Body[0])
				}
			case ParamIndicator:
				switch {
				case len(p.Body) == 1 && p.Body[0] == 0xFF:
					m.Waiting = IndicatorOn
				case len(p.Body) == 1 && p.Body[0] == 0x00:
					m.Waiting = IndicatorOff
				default:
					return bad("indicator", p.Body)
				}
			default:
				m.Extra = append(m.Extra, Param{Type: p.Type, Body: append([]byte(nil), p.Body...)})
			}
		}
	default:
		return fmt.Errorf("callerid: %v: %w", m.Type, errType)
	}
	return m.Validate()
}

// Decode decodes a message as received on the wire (see UnmarshalBinary).
func Decode(b []byte) (Message, error) {
	var m Message
	err := m.UnmarshalBinary(b)
	return m, err
}
