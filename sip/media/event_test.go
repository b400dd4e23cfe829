package media

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestEventCode(t *testing.T) {
	for i, d := range []byte("0123456789*#ABCD!") {
		c, ok := EventCode(d)
		if !ok || int(c) != i {
			t.Errorf("EventCode(%q) = %d, %v; want %d", d, c, ok, i)
		}
		back, ok := EventDigit(c)
		if !ok || back != d {
			t.Errorf("EventDigit(%d) = %q, %v; want %q", c, back, ok, d)
		}
	}
	if c, ok := EventCode('b'); !ok || c != 13 {
		t.Errorf("EventCode('b') = %d, %v", c, ok)
	}
	for _, d := range []byte("EeF?x \x00") {
		if _, ok := EventCode(d); ok {
			t.Errorf("EventCode(%q) accepted", d)
		}
	}
	if _, ok := EventDigit(17); ok {
		t.Error("EventDigit(17) accepted")
	}
}

func TestEventPayload(t *testing.T) {
	tests := []struct {
		hex string
		e   EventPayload
	}{
		{"05 0a 0190", EventPayload{Event: 5, Volume: 10, Duration: 400}},
		{"0b 8a 0320", EventPayload{Event: 11, End: true, Volume: 10, Duration: 800}},
		{"10 3f ffff", EventPayload{Event: 16, Volume: 63, Duration: 65535}},
		{"00 80 0000", EventPayload{End: true}},
	}
	for _, tt := range tests {
		want, _ := hex.DecodeString(stripSpaces(tt.hex))
		var b [EventPayloadLen]byte
		n, err := tt.e.MarshalTo(b[:])
		if err != nil || !bytes.Equal(b[:n], want) {
			t.Errorf("%+v marshals to % x, %v; want % x", tt.e, b[:n], err, want)
		}
		var got EventPayload
		if err := got.Unmarshal(want); err != nil || got != tt.e {
			t.Errorf("% x unmarshals to %+v, %v", want, got, err)
		}
	}
	// The reserved bit is ignored; extra bytes (a second event) too.
	var got EventPayload
	if err := got.Unmarshal([]byte{1, 0x4a, 0, 160, 9, 9, 9, 9}); err != nil || got != (EventPayload{Event: 1, Volume: 10, Duration: 160}) {
		t.Errorf("got %+v, %v", got, err)
	}
	if err := got.Unmarshal([]byte{1, 2, 3}); !errors.Is(err, errShortEvent) {
		t.Errorf("short payload: %v", err)
	}
	if _, err := (EventPayload{Volume: 64}).MarshalTo(make([]byte, 4)); !errors.Is(err, errVolume) {
		t.Errorf("volume 64: %v", err)
	}
	if _, err := (EventPayload{}).MarshalTo(make([]byte, 3)); !errors.Is(err, errShortEvent) {
		t.Errorf("short buffer: %v", err)
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

// rx is one step of an eventRx script.
type rx struct {
	kind byte // 'e' event packet, 'a' audio, 'f' flush
	ts   uint32
	code uint8
	end  bool
	dur  uint16
}

func ev(ts uint32, code uint8, dur uint16) rx { return rx{kind: 'e', ts: ts, code: code, dur: dur} }
func end(ts uint32, code uint8, dur uint16) rx {
	return rx{kind: 'e', ts: ts, code: code, dur: dur, end: true}
}
func audio(ts uint32) rx { return rx{kind: 'a', ts: ts} }

var flush = rx{kind: 'f'}

func runRx(r *eventRx, steps []rx) []string {
	var got []string
	for _, s := range steps {
		switch s.kind {
		case 'e':
			evs, n := r.packet(s.ts, EventPayload{Event: s.code, End: s.end, Volume: 10, Duration: s.dur})
			for _, e := range evs[:n] {
				got = append(got, fmt.Sprintf("%c/%v", e.Digit, e.Dur))
			}
		case 'a':
			if e, ok := r.audio(s.ts); ok {
				got = append(got, fmt.Sprintf("%c/%v", e.Digit, e.Dur))
			}
		case 'f':
			if e, ok := r.flush(); ok {
				got = append(got, fmt.Sprintf("%c/%v", e.Digit, e.Dur))
			}
		}
	}
	return got
}

func TestEventReceiver(t *testing.T) {
	tests := []struct {
		name  string
		steps []rx
		want  string
	}{
		{"start, update, three ends", []rx{ev(1000, 5, 400), ev(1000, 5, 800), end(1000, 5, 800), end(1000, 5, 800), end(1000, 5, 800), flush}, "5/100ms"},
		{"lost start", []rx{ev(1000, 1, 800), end(1000, 1, 960), end(1000, 1, 960)}, "1/120ms"},
		{"only one end arrives", []rx{end(1000, 2, 800)}, "2/100ms"},
		{"ends all lost, next event", []rx{ev(1000, 3, 400), ev(1000, 3, 800), ev(5000, 4, 400), end(5000, 4, 800), end(5000, 4, 800)}, "3/100ms 4/100ms"},
		{"ends all lost, next event is a single end", []rx{ev(1000, 3, 400), end(5000, 4, 800)}, "3/50ms 4/100ms"},
		{"ends all lost, audio long after", []rx{ev(1000, 6, 400), ev(1000, 6, 800), audio(1000 + 800 + 960), audio(1000 + 800 + 961), audio(4000), flush}, "6/100ms"},
		{"audio during the event does not end it", []rx{ev(1000, 6, 400), audio(1160), audio(1320), ev(1000, 6, 800), audio(1800), end(1000, 6, 1040)}, "6/130ms"},
		{"late update after the end", []rx{ev(1000, 7, 400), end(1000, 7, 800), ev(1000, 7, 400), end(1000, 7, 800)}, "7/100ms"},
		{"late end of the previous event", []rx{end(1000, 8, 800), ev(3000, 9, 400), end(1000, 8, 800), end(3000, 9, 800)}, "8/100ms 9/100ms"},
		{"same digit twice", []rx{ev(1000, 0, 400), end(1000, 0, 800), end(1000, 0, 800), ev(2600, 0, 400), end(2600, 0, 800), end(2600, 0, 800)}, "0/100ms 0/100ms"},
		{"duration never shrinks", []rx{ev(1000, 10, 800), end(1000, 10, 400)}, "*/100ms"},
		{"flash", []rx{ev(1000, 16, 400), ev(1000, 16, 800), ev(1000, 16, 1200), end(1000, 16, 4000)}, "!/500ms"},
		{"unknown events ignored", []rx{ev(1000, 20, 400), end(1000, 20, 800), ev(1000, 32, 400), flush}, ""},
		{"unknown event does not end a known one", []rx{ev(1000, 11, 400), end(1200, 40, 800), end(1000, 11, 800)}, "#/100ms"},
		{"timestamp wraps", []rx{ev(0xffffff00, 12, 400), end(0xffffff00, 12, 800), ev(0x100, 13, 400), end(0x100, 13, 800)}, "A/100ms B/100ms"},
		{"sender jumped back far", []rx{end(900000, 14, 800), end(1000, 15, 800)}, "C/100ms D/100ms"},
		{"flush an open event once", []rx{ev(1000, 1, 400), flush, flush, end(1000, 1, 800)}, "1/50ms"},
		{"same timestamp, other event after the end", []rx{end(1000, 1, 800), end(1000, 2, 800), end(1000, 1, 800), end(1000, 2, 800)}, "1/100ms 2/100ms"},
		{"nothing", []rx{audio(5), flush}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r eventRx
			got := fmt.Sprint(runRx(&r, tt.steps))
			if want := "[" + tt.want + "]"; got != want {
				t.Errorf("delivered %s, want %s", got, want)
			}
		})
	}
}

// FuzzEvent fuzzes the RFC 4733 payload decoder and the receiver behind
// it. The input is a script of 7-byte steps: a 16-bit timestamp offset,
// the 4-byte payload and a kind byte (bit 0: audio instead of an event).
// Decoding never fails on 4 bytes and re-encodes to the same bytes (less
// the reserved bit); a packet repeated at once never delivers again (end
// retransmissions); every
// delivered event is a known digit.
func FuzzEvent(f *testing.F) {
	step := func(ts uint16, code, flags byte, dur uint16, kind byte) []byte {
		return []byte{byte(ts >> 8), byte(ts), code, flags, byte(dur >> 8), byte(dur), kind}
	}
	var digit []byte
	digit = append(digit, step(100, 5, 10, 400, 0)...)
	digit = append(digit, step(100, 5, 10, 800, 0)...)
	for range 3 {
		digit = append(digit, step(100, 5, 0x8a, 800, 0)...)
	}
	digit = append(digit, step(2000, 0, 0, 0, 1)...)
	f.Add(digit)
	f.Add(append(step(0xfff0, 16, 0x3f, 0xffff, 0), step(5, 11, 0xca, 1, 0)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, script []byte) {
		var r eventRx
		for len(script) >= 7 {
			s := script[:7]
			script = script[7:]
			ts := uint32(s[0])<<8 | uint32(s[1])
			var e EventPayload
			if err := e.Unmarshal(s[2:6]); err != nil {
				t.Fatal(err)
			}
			var b [4]byte
			if _, err := e.MarshalTo(b[:]); err != nil {
				t.Fatal(err)
			}
			if want := [4]byte{s[2], s[3] &^ 0x40, s[4], s[5]}; b != want {
				t.Fatalf("% x re-encodes to % x", s[2:6], b)
			}
			if s[6]&1 == 1 {
				if e, ok := r.audio(ts); ok {
					checkEvent(t, e)
				}
				continue
			}
			evs, n := r.packet(ts, e)
			for _, e := range evs[:n] {
				checkEvent(t, e)
			}
			if _, n := r.packet(ts, e); n != 0 {
				t.Fatalf("a repeated packet (ts %d, %+v) delivered again", ts, e)
			}
		}
		if e, ok := r.flush(); ok {
			checkEvent(t, e)
		}
		if _, ok := r.flush(); ok {
			t.Fatal("second flush delivered")
		}
	})
}

func checkEvent(t *testing.T, e Event) {
	t.Helper()
	if _, ok := EventCode(e.Digit); !ok || e.Dur < 0 || e.Dur > MaxEventDuration {
		t.Fatalf("delivered %+v", e)
	}
}

func TestMaxEventDuration(t *testing.T) {
	if got := samplesOf(MaxEventDuration); got != 0xffff {
		t.Errorf("MaxEventDuration is %d samples", got)
	}
	if MaxEventDuration < 8*time.Second {
		t.Errorf("MaxEventDuration %v", MaxEventDuration)
	}
}
