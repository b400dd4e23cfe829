package callerid

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (run go test -update after checking):\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// sample is every kind of message the package generates.
var sample = []struct {
	name string
	msg  Message
}{
	{"sdmf-number", Message{Type: SDMF, Time: DateTime{12, 31, 23, 59}, Number: "13800138000"}},
	{"sdmf-private", Message{Type: SDMF, Time: DateTime{1, 2, 3, 4}, NumberAbsent: Private}},
	{"sdmf-unavailable", Message{Type: SDMF, Time: DateTime{6, 15, 12, 0}, NumberAbsent: Unavailable}},
	{"sdmf-mwi-on", Message{Type: SDMFWaiting, Waiting: IndicatorOn}},
	{"sdmf-mwi-off", Message{Type: SDMFWaiting, Waiting: IndicatorOff}},
	{"mdmf-full", Message{Type: MDMF, Time: DateTime{3, 14, 15, 9}, Number: "4930123456789", Name: "Erika Mustermann"}},
	{"mdmf-private", Message{Type: MDMF, Time: DateTime{7, 4, 9, 30}, NumberAbsent: Private, NameAbsent: Private}},
	{"mdmf-unavailable", Message{Type: MDMF, Time: DateTime{2, 29, 0, 1}, NumberAbsent: Unavailable, NameAbsent: Unavailable}},
	{"mdmf-number-name-private", Message{Type: MDMF, Number: "2025550143", NameAbsent: Private}},
	{"mdmf-mwi-on", Message{Type: MDMFWaiting, Time: DateTime{11, 11, 11, 11}, Waiting: IndicatorOn}},
	{"mdmf-mwi-off", Message{Type: MDMFWaiting, Waiting: IndicatorOff}},
	{"mdmf-extra", Message{Type: MDMF, Number: "12345", Extra: []Param{{Type: 0x03, Body: []byte("5550000")}, {Type: 0x06, Body: []byte("L")}}}},
}

// TestEncodeGolden encodes every sample message and compares the bytes
// with testdata/messages.golden; each must decode back to itself.
func TestEncodeGolden(t *testing.T) {
	var out strings.Builder
	for _, s := range sample {
		b, err := s.msg.MarshalBinary()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		fmt.Fprintf(&out, "%-26s %s\n", s.name, hex.EncodeToString(b))
		got, err := Decode(b)
		if err != nil || !reflect.DeepEqual(got, s.msg) {
			t.Errorf("%s: decoded %+v, %v; want %+v", s.name, got, err, s.msg)
		}
	}
	golden(t, "messages.golden", out.String())
}

// TestDecodeKnown decodes vectors that come from outside this package.
func TestDecodeKnown(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want Message
	}{
		// The SDMF example of GR-30-CORE: 30 September 12:24, 609 555 1212.
		{"gr30-sdmf", "04 12 30 39 33 30 31 32 32 34 36 30 39 35 35 35 31 32 31 32 51", Message{Type: SDMF, Time: DateTime{9, 30, 12, 24}, Number: "6095551212"}},
		// Length and checksum computed outside Go.
		{"mdmf", "80 20 01 08 30 39 33 30 31 32 32 34 02 0a 36 30 39 35 35 35 31 32 31 32 07 08 4a 4f 48 4e 20 44 4f 45 7c",
			Message{Type: MDMF, Time: DateTime{9, 30, 12, 24}, Number: "6095551212", Name: "JOHN DOE"}},
		{"mdmf-mwi", "82 03 0b 01 ff 70", Message{Type: MDMFWaiting, Waiting: IndicatorOn}},
		{"sdmf-mwi", "06 03 42 42 42 31", Message{Type: SDMFWaiting, Waiting: IndicatorOn}},
	}
	for _, tt := range tests {
		b, err := hex.DecodeString(strings.ReplaceAll(tt.hex, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
		enc, err := got.MarshalBinary()
		if err != nil || hex.EncodeToString(enc) != hex.EncodeToString(b) {
			t.Errorf("%s: re-encoded %x, %v; want %x", tt.name, enc, err, b)
		}
	}
}

// TestDecodeErrors feeds broken messages: each must fail with an error
// that names the problem.
func TestDecodeErrors(t *testing.T) {
	withSum := func(h string) string {
		b, _ := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
		return hex.EncodeToString(append(b, Checksum(b)))
	}
	tests := []struct {
		name string
		hex  string
		err  error
		text string
	}{
		{"empty", "", errShort, "0 bytes"},
		{"short", "0400", errShort, "2 bytes"},
		{"length", "040512", errLength, "length byte 5"},
		{"checksum", "0401ff00", errChecksum, "checksum 0x00"},
		{"sdmf-short", withSum("04 03 30 39 33"), errShort, "SDMF body of 3 bytes"},
		{"sdmf-date", withSum("04 09 31 33 33 30 31 32 32 34 35"), errField, "date and time \"13301224\""},
		{"sdmf-number", withSum("04 0a 30 39 33 30 31 32 32 34 35 41"), errField, "number \"5A\""},
		{"sdmf-mwi", withSum("06 03 42 42 6f"), errField, "indicator"},
		{"type", withSum("05 01 00"), errType, "type 0x05"},
		{"param-past-end", withSum("80 03 02 05 31"), errLength, "runs past the end"},
		{"duplicate", withSum("80 06 02 01 31 02 01 32"), errDuplicate, "parameter 0x02"},
		{"absence", withSum("80 03 04 01 58"), errField, "number absence"},
		{"absence-len", withSum("80 04 04 02 50 50"), errField, "absence reason"},
		{"both", withSum("80 06 02 01 31 04 01 50"), errField, "given with absence reason"},
		{"indicator", withSum("82 03 0b 01 01"), errField, "indicator"},
		{"name-control", withSum("80 04 07 02 41 07"), errField, "name"},
		{"empty-mdmf", withSum("80 00"), errMissing, "at least one parameter"},
	}
	for _, tt := range tests {
		b, err := hex.DecodeString(tt.hex)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, err = Decode(b)
		if !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), "callerid: ") || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: error %v, want %v mentioning %q", tt.name, err, tt.err, tt.text)
		}
	}
}

// TestEncodeErrors checks that Validate refuses what cannot be sent.
func TestEncodeErrors(t *testing.T) {
	long := strings.Repeat("x", MaxName+1)
	tests := []struct {
		name string
		msg  Message
		err  error
		text string
	}{
		{"sdmf-no-time", Message{Type: SDMF, Number: "1"}, errMissing, "time"},
		{"sdmf-no-number", Message{Type: SDMF, Time: DateTime{1, 1, 0, 0}}, errMissing, "number"},
		{"sdmf-name", Message{Type: SDMF, Time: DateTime{1, 1, 0, 0}, Number: "1", Name: "A"}, errNotAllow, "use MDMF"},
		{"sdmf-mwi", Message{Type: SDMF, Time: DateTime{1, 1, 0, 0}, Number: "1", Waiting: IndicatorOn}, errNotAllow, "indicator"},
		{"bad-time", Message{Type: MDMF, Time: DateTime{13, 1, 0, 0}}, errField, "13-01 00:00"},
		{"bad-number", Message{Type: MDMF, Number: "12-34"}, errField, "\"12-34\""},
		{"long-number", Message{Type: MDMF, Number: strings.Repeat("1", MaxNumber+1)}, errField, "number"},
		{"long-name", Message{Type: MDMF, Name: long}, errField, "name"},
		{"both", Message{Type: MDMF, Number: "1", NumberAbsent: Private}, errField, "absence reason private"},
		{"bad-absence", Message{Type: MDMF, NameAbsent: 'X'}, errField, "'P' or 'O'"},
		{"mwi-none", Message{Type: SDMFWaiting}, errMissing, "indicator"},
		{"mwi-number", Message{Type: SDMFWaiting, Waiting: IndicatorOn, Number: "1"}, errNotAllow, "only the indicator"},
		{"empty", Message{Type: MDMF}, errMissing, "at least one"},
		{"type", Message{Type: 0x07, Number: "1"}, errType, "type 0x07"},
		{"extra-known", Message{Type: MDMF, Extra: []Param{{Type: ParamName, Body: []byte("x")}}}, errNotAllow, "own field"},
		{"extra-sdmf", Message{Type: SDMF, Time: DateTime{1, 1, 0, 0}, Number: "1", Extra: []Param{{Type: 3}}}, errNotAllow, "only MDMF"},
		{"dtmf-star", Message{Type: DTMFMessage, Number: "12*"}, errField, "digits only"},
		{"dtmf-time", Message{Type: DTMFMessage, Number: "12", Time: DateTime{1, 1, 1, 1}}, errNotAllow, "time"},
		{"too-long", Message{Type: MDMF, Name: strings.Repeat("n", 50), Extra: []Param{{Type: 0x20, Body: make([]byte, 210)}}}, errTooLong, "bytes of body"},
	}
	for _, tt := range tests {
		_, err := tt.msg.MarshalBinary()
		if !errors.Is(err, tt.err) || !strings.HasPrefix(err.Error(), "callerid: ") || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: error %v, want %v mentioning %q", tt.name, err, tt.err, tt.text)
		}
	}
	var b []byte
	b, err := (&Message{Type: DTMFMessage, Number: "1"}).AppendBinary(b)
	if !errors.Is(err, errType) || len(b) != 0 {
		t.Errorf("DTMF message encoded to %x, %v", b, err)
	}
}

// TestDTMFFormat covers the DTMF layouts both ways.
func TestDTMFFormat(t *testing.T) {
	tests := []struct {
		msg    Message
		format DTMFFormat
		want   string
	}{
		{Message{Number: "0312345678"}, DTMFFormatA, "A0312345678C"},
		{Message{Number: "0312345678"}, DTMFFormatD, "D0312345678C"},
		{Message{NumberAbsent: Private}, DTMFFormatA, "B10C"},
		{Message{NumberAbsent: Unavailable}, DTMFFormatD, "B00C"},
	}
	for _, tt := range tests {
		got, err := tt.msg.DTMF(tt.format)
		if err != nil || got != tt.want {
			t.Errorf("%+v in format %d: %q, %v; want %q", tt.msg, tt.format, got, err, tt.want)
			continue
		}
		back, err := DecodeDTMF(got)
		want := Message{Type: DTMFMessage, Number: tt.msg.Number, NumberAbsent: tt.msg.NumberAbsent}
		if err != nil || !reflect.DeepEqual(back, want) {
			t.Errorf("DecodeDTMF(%q) = %+v, %v; want %+v", got, back, err, want)
		}
	}
	if m, err := DecodeDTMF("A123#"); err != nil || m.Number != "123" {
		t.Errorf("A123#: %+v, %v", m, err)
	}
	bad := []struct{ in, text string }{
		{"AC", "too short"},
		{"A12", "does not end in C"},
		{"D12#", "does not end in C"},
		{"A1*2C", "only digits"},
		{"B11C", "neither 00"},
		{"C12C", "not A, B or D"},
		{"A" + strings.Repeat("1", MaxNumber+1) + "C", "number"},
	}
	for _, b := range bad {
		if _, err := DecodeDTMF(b.in); err == nil || !strings.Contains(err.Error(), b.text) || !strings.HasPrefix(err.Error(), "callerid: ") {
			t.Errorf("DecodeDTMF(%q): %v, want an error mentioning %q", b.in, err, b.text)
		}
	}
	if _, err := (&Message{}).DTMF(DTMFFormatA); !errors.Is(err, errMissing) {
		t.Errorf("empty message: %v", err)
	}
	if _, err := (&Message{Number: "1"}).DTMF(7); !errors.Is(err, errType) {
		t.Errorf("format 7: %v", err)
	}
}

// TestAt converts a time.
func TestAt(t *testing.T) {
	d := At(time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC))
	if d != (DateTime{2, 3, 4, 5}) || d.String() != "02-03 04:05" {
		t.Errorf("At = %+v %q", d, d)
	}
}
