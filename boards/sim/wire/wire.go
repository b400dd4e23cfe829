// Package wire is the line protocol of the virtual board (boards/sim): how a
// simulated phone (testrig/phone, the phone CLI, a PSTN or E1 simulator later)
// plugs into one port of the board over a byte stream — a TCP connection
// for `make run`, or an in-memory pipe in tests.
//
// # Framing
//
// Every message is one frame:
//
//	+--------+----------------+---------------------+
//	| type   | length         | payload             |
//	| 1 byte | 2 bytes, LE    | length bytes        |
//	+--------+----------------+---------------------+
//
// All multi-byte numbers are little-endian. A payload is at most MaxPayload
// bytes; a receiver rejects a larger length before reading the payload. The
// framing never changes between protocol versions, so a peer of any version
// can always read a Hello and answer with an Error.
//
// # Protocol version 1
//
// Messages, their payloads and their direction (P = phone, S = sim board):
//
//	type  name     dir    payload
//	1     Hello    P→S    version u8, port u16 (1-based), name (0-64 bytes UTF-8)
//	2     Welcome  S→P    version u8, port u16
//	3     Hook     P→S    u8: 1 off-hook (loop closed), 0 on-hook
//	4     Flash    P→S    u16: milliseconds the loop is opened, 1-65535
//	5     Ring     S→P    u8: 1 ring voltage on the line now, 0 off
//	6     Feed     S→P    state u8 (FeedState), reversed u8 (1 = reversed polarity)
//	7     Audio    both   80 x int16 LE: 10 ms of 8 kHz linear PCM (hal.Frame)
//	8     Error    both   1-256 bytes UTF-8 text: why the sender gives up
//	9     Bye      both   empty: orderly close
//
// A session: the phone sends Hello with Version and the port it plugs into;
// the board answers Welcome, or Error and closes (wrong version, no such port,
// port busy). From then on the board sends the line state as it changes
// (Feed, Ring; the first ones describe the line as it is) and one Audio frame
// every 10 ms tick: what the earpiece hears (silence when no audio passes).
// The phone answers each with one Audio frame: what its microphone picks up
// during the next tick. Hook and Flash go from the phone whenever the user
// acts. Either side may end with Bye, or with Error when the other side broke
// the protocol.
//
// Levels: a sine with a peak of 32767 is +3.14 dBm0 (0 dBm0 is a peak of
// 22788), as everywhere in the box; the board passes audio at 0 dB gain.
//
// # Use
//
// Msg is the decoded form of every message (only the fields of its Type are
// used). Msg.Append encodes into a caller-owned buffer and Msg.Unmarshal
// decodes from one, so per-frame traffic allocates nothing. Reader reads one
// frame at a time from a stream; Writer writes them. A Reader or a Writer
// belongs to one goroutine; Msg methods are pure.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/openiad/openiad/hal"
)

// Version is the protocol version this package speaks.
const Version = 1

// Limits of the framing.
const (
	HeaderLen  = 3                // type byte + length
	MaxPayload = 512              // largest payload accepted
	AudioLen   = hal.FrameLen * 2 // payload of an Audio message
	MaxName    = 64               // longest Hello name
	MaxText    = 256              // longest Error text
	MaxFrame   = HeaderLen + MaxPayload
	MaxFlash   = 65535 * time.Millisecond // longest Flash
	MaxPort    = 65535                    // largest port number on the wire
)

// Type says what a message is.
type Type uint8

// Message types of version 1.
const (
	Hello   Type = 1
	Welcome Type = 2
	Hook    Type = 3
	Flash   Type = 4
	Ring    Type = 5
	Feed    Type = 6
	Audio   Type = 7
	Error   Type = 8
	Bye     Type = 9
)

var typeNames = [...]string{"", "hello", "welcome", "hook", "flash", "ring", "feed", "audio", "error", "bye"}

func (t Type) String() string {
	if t >= Hello && t <= Bye {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// FromPhone reports whether a phone may send messages of this type.
func (t Type) FromPhone() bool {
	switch t {
	case Hello, Hook, Flash, Audio, Error, Bye:
		return true
	}
	return false
}

// FromBoard reports whether the board may send messages of this type.
func (t Type) FromBoard() bool {
	switch t {
	case Welcome, Ring, Feed, Audio, Error, Bye:
		return true
	}
	return false
}

// FeedState is what the line feed gives the phone, as a phone can tell.
type FeedState uint8

const (
	FeedOpen     FeedState = 0 // no battery: a dead line
	FeedActive   FeedState = 1 // battery and loop current available: talk
	FeedOnHookTx FeedState = 2 // battery with audio while on-hook (caller ID)
	FeedRinging  FeedState = 3 // the ring generator is connected (Ring says when its voltage is on)
	feedStates             = 4
)

var feedNames = [...]string{"open", "active", "onhook-tx", "ringing"}

func (f FeedState) String() string {
	if f < feedStates {
		return feedNames[f]
	}
	return fmt.Sprintf("feed(%d)", uint8(f))
}

// Msg is one message. Only the fields listed for its Type are encoded; the
// others are ignored by Append and zeroed by Unmarshal.
type Msg struct {
	Type     Type
	Version  uint8         // Hello, Welcome
	Port     int           // Hello, Welcome: 1-based port number
	Name     string        // Hello: who the phone is, for logs
	OffHook  bool          // Hook
	Dur      time.Duration // Flash: whole milliseconds
	Ringing  bool          // Ring
	Feed     FeedState     // Feed
	Reversed bool          // Feed
	Audio    hal.Frame     // Audio
	Text     string        // Error
}

func (m *Msg) String() string {
	switch m.Type {
	case Hello:
		return fmt.Sprintf("hello v%d port %d %q", m.Version, m.Port, m.Name)
	case Welcome:
		return fmt.Sprintf("welcome v%d port %d", m.Version, m.Port)
	case Hook:
		if m.OffHook {
			return "hook off-hook"
		}
		return "hook on-hook"
	case Flash:
		return "flash " + m.Dur.String()
	case Ring:
		if m.Ringing {
			return "ring on"
		}
		return "ring off"
	case Feed:
		pol := "normal"
		if m.Reversed {
			pol = "reversed"
		}
		return fmt.Sprintf("feed %s %s", m.Feed, pol)
	case Audio:
		return "audio"
	case Error:
		return fmt.Sprintf("error %q", m.Text)
	}
	return m.Type.String()
}

var (
	errType    = errors.New("wire: unknown message type")
	errShort   = errors.New("wire: short frame")
	errLen     = errors.New("wire: wrong payload length")
	errSize    = errors.New("wire: payload too large")
	errValue   = errors.New("wire: bad field value")
	errText    = errors.New("wire: bad text")
	errVersion = errors.New("wire: unsupported version")
)

// IsMalformed reports whether err says that bytes received broke the
// framing or the message formats (as opposed to an I/O error).
func IsMalformed(err error) bool {
	for _, e := range []error{errType, errShort, errLen, errSize, errValue, errText, errVersion} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// CheckVersion returns an error naming both versions unless v is Version.
func CheckVersion(v uint8) error {
	if v != Version {
		return fmt.Errorf("%w: peer speaks %d, this side %d", errVersion, v, Version)
	}
	return nil
}

// payloadLen is the payload length m will have, or an error.
func (m *Msg) payloadLen() (int, error) {
	switch m.Type {
	case Hello:
		if len(m.Name) > MaxName || !utf8.ValidString(m.Name) {
			return 0, fmt.Errorf("%w: hello name of %d bytes (max %d, UTF-8)", errText, len(m.Name), MaxName)
		}
		if m.Port < 1 || m.Port > MaxPort {
			return 0, fmt.Errorf("%w: port %d", errValue, m.Port)
		}
		return 3 + len(m.Name), nil
	case Welcome:
		if m.Port < 1 || m.Port > MaxPort {
			return 0, fmt.Errorf("%w: port %d", errValue, m.Port)
		}
		return 3, nil
	case Hook, Ring:
		return 1, nil
	case Flash:
		if m.Dur < time.Millisecond || m.Dur > MaxFlash || m.Dur%time.Millisecond != 0 {
			return 0, fmt.Errorf("%w: flash of %s (1ms-%s, whole ms)", errValue, m.Dur, MaxFlash)
		}
		return 2, nil
	case Feed:
		if m.Feed >= feedStates {
			return 0, fmt.Errorf("%w: %s", errValue, m.Feed)
		}
		return 2, nil
	case Audio:
		return AudioLen, nil
	case Error:
		if len(m.Text) == 0 || len(m.Text) > MaxText || !utf8.ValidString(m.Text) {
			return 0, fmt.Errorf("%w: error text of %d bytes (1-%d, UTF-8)", errText, len(m.Text), MaxText)
		}
		return len(m.Text), nil
	case Bye:
		return 0, nil
	}
	return 0, fmt.Errorf("%w: %d", errType, uint8(m.Type))
}

// Append appends the encoded message to b. It allocates only when b has too
// little capacity (MaxFrame is always enough).
func (m *Msg) Append(b []byte) ([]byte, error) {
	n, err := m.payloadLen()
	if err != nil {
		return b, err
	}
	b = append(b, byte(m.Type), byte(n), byte(n>>8))
	switch m.Type {
	case Hello:
		b = append(b, m.Version, byte(m.Port), byte(m.Port>>8))
		b = append(b, m.Name...)
	case Welcome:
		b = append(b, m.Version, byte(m.Port), byte(m.Port>>8))
	case Hook:
		b = append(b, b2u(m.OffHook))
	case Ring:
		b = append(b, b2u(m.Ringing))
	case Flash:
		ms := m.Dur / time.Millisecond
		b = append(b, byte(ms), byte(ms>>8))
	case Feed:
		b = append(b, byte(m.Feed), b2u(m.Reversed))
	case Audio:
		for _, s := range m.Audio {
			b = append(b, byte(s), byte(uint16(s)>>8))
		}
	case Error:
		b = append(b, m.Text...)
	}
	return b, nil
}

func b2u(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// u2b decodes a strict boolean byte.
func u2b(c byte, what string) (bool, error) {
	switch c {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("%w: %s byte %d (want 0 or 1)", errValue, what, c)
}

// ParseHeader decodes a frame header: the message type and payload length.
// It rejects unknown types and lengths above MaxPayload, so a reader never
// reads the payload of a hostile frame.
func ParseHeader(h []byte) (Type, int, error) {
	if len(h) < HeaderLen {
		return 0, 0, fmt.Errorf("%w: %d header bytes", errShort, len(h))
	}
	t := Type(h[0])
	n := int(binary.LittleEndian.Uint16(h[1:3]))
	if t < Hello || t > Bye {
		return t, n, fmt.Errorf("%w: %d", errType, h[0])
	}
	if n > MaxPayload {
		return t, n, fmt.Errorf("%w: %s of %d bytes (max %d)", errSize, t, n, MaxPayload)
	}
	return t, n, nil
}

// Unmarshal decodes the message at the start of b into m and returns the
// number of bytes it used. Strings (Hello name, Error text) are copied;
// everything else decodes without allocating.
func (m *Msg) Unmarshal(b []byte) (int, error) {
	t, n, err := ParseHeader(b)
	if err != nil {
		return 0, err
	}
	if len(b) < HeaderLen+n {
		return 0, fmt.Errorf("%w: %s needs %d payload bytes, have %d", errShort, t, n, len(b)-HeaderLen)
	}
	if err := m.decode(t, b[HeaderLen:HeaderLen+n]); err != nil {
		return 0, err
	}
	return HeaderLen + n, nil
}

func wantLen(t Type, p []byte, n int) error {
	if len(p) != n {
		return fmt.Errorf("%w: %s payload of %d bytes, want %d", errLen, t, len(p), n)
	}
	return nil
}

func (m *Msg) decode(t Type, p []byte) error {
	*m = Msg{Type: t}
	var err error
	switch t {
	case Hello:
		if len(p) < 3 || len(p) > 3+MaxName {
			return fmt.Errorf("%w: hello payload of %d bytes, want 3-%d", errLen, len(p), 3+MaxName)
		}
		if !utf8.Valid(p[3:]) {
			return fmt.Errorf("%w: hello name is not UTF-8", errText)
		}
		m.Version, m.Port = p[0], int(binary.LittleEndian.Uint16(p[1:3]))
		if m.Port == 0 {
			return fmt.Errorf("%w: port 0 (ports count from 1)", errValue)
		}
		m.Name = string(p[3:])
	case Welcome:
		if err := wantLen(t, p, 3); err != nil {
			return err
		}
		m.Version, m.Port = p[0], int(binary.LittleEndian.Uint16(p[1:3]))
		if m.Port == 0 {
			return fmt.Errorf("%w: port 0 (ports count from 1)", errValue)
		}
	case Hook:
		if err := wantLen(t, p, 1); err != nil {
			return err
		}
		m.OffHook, err = u2b(p[0], "hook")
	case Ring:
		if err := wantLen(t, p, 1); err != nil {
			return err
		}
		m.Ringing, err = u2b(p[0], "ring")
	case Flash:
		if err := wantLen(t, p, 2); err != nil {
			return err
		}
		ms := binary.LittleEndian.Uint16(p)
		if ms == 0 {
			return fmt.Errorf("%w: flash of 0 ms", errValue)
		}
		m.Dur = time.Duration(ms) * time.Millisecond
	case Feed:
		if err := wantLen(t, p, 2); err != nil {
			return err
		}
		if FeedState(p[0]) >= feedStates {
			return fmt.Errorf("%w: feed state %d", errValue, p[0])
		}
		m.Feed = FeedState(p[0])
		m.Reversed, err = u2b(p[1], "polarity")
	case Audio:
		if err := wantLen(t, p, AudioLen); err != nil {
			return err
		}
		for i := range m.Audio {
			m.Audio[i] = int16(binary.LittleEndian.Uint16(p[2*i:]))
		}
	case Error:
		if len(p) == 0 || len(p) > MaxText {
			return fmt.Errorf("%w: error payload of %d bytes, want 1-%d", errLen, len(p), MaxText)
		}
		if !utf8.Valid(p) {
			return fmt.Errorf("%w: error text is not UTF-8", errText)
		}
		m.Text = string(p)
	case Bye:
		err = wantLen(t, p, 0)
	default:
		return fmt.Errorf("%w: %d", errType, uint8(t))
	}
	return err
}

// Reader reads messages from a stream, one frame per Read. It owns a
// MaxFrame buffer; it never reads past the frame it decodes.
type Reader struct {
	r   io.Reader
	buf [MaxFrame]byte
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Read reads the next frame into m. It returns io.EOF when the stream ends
// cleanly between frames, io.ErrUnexpectedEOF inside one, and an error for
// which IsMalformed is true when the bytes break the protocol.
func (r *Reader) Read(m *Msg) error {
	if _, err := io.ReadFull(r.r, r.buf[:HeaderLen]); err != nil {
		return err
	}
	t, n, err := ParseHeader(r.buf[:HeaderLen])
	if err != nil {
		return err
	}
	if _, err := io.ReadFull(r.r, r.buf[HeaderLen:HeaderLen+n]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return m.decode(t, r.buf[HeaderLen:HeaderLen+n])
}

// Writer writes messages to a stream, one Write call per frame.
type Writer struct {
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, buf: make([]byte, 0, MaxFrame)} }

// Write encodes m and writes it in one call.
func (w *Writer) Write(m *Msg) error {
	b, err := m.Append(w.buf[:0])
	if err != nil {
		return err
	}
	w.buf = b
	_, err = w.w.Write(b)
	return err
}
