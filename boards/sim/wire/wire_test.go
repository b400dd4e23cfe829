package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func audioMsg() Msg {
	m := Msg{Type: Audio}
	for i := range m.Audio {
		m.Audio[i] = int16(math.Round(20000 * math.Sin(2*math.Pi*1004*float64(i)/8000)))
	}
	m.Audio[0], m.Audio[1] = math.MaxInt16, math.MinInt16
	return m
}

// samples is one valid message of every type, as used by the golden file
// and the fuzz seeds.
func samples() []Msg {
	return []Msg{
		{Type: Hello, Version: Version, Port: 1, Name: "testrig phone"},
		{Type: Hello, Version: Version, Port: 64},
		{Type: Welcome, Version: Version, Port: 2},
		{Type: Hook, OffHook: true},
		{Type: Hook},
		{Type: Flash, Dur: 300 * time.Millisecond},
		{Type: Flash, Dur: MaxFlash},
		{Type: Ring, Ringing: true},
		{Type: Ring},
		{Type: Feed, Feed: FeedActive},
		{Type: Feed, Feed: FeedOnHookTx, Reversed: true},
		{Type: Feed, Feed: FeedRinging},
		{Type: Feed, Feed: FeedOpen},
		audioMsg(),
		{Type: Error, Text: "sim: port 2 is busy"},
		{Type: Bye},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range samples() {
		t.Run(m.String(), func(t *testing.T) {
			b, err := m.Append(nil)
			if err != nil {
				t.Fatal(err)
			}
			var got Msg
			n, err := got.Unmarshal(append(b, 0xEE)) // trailing bytes belong to the next frame
			if err != nil {
				t.Fatal(err)
			}
			if n != len(b) {
				t.Errorf("used %d bytes, want %d", n, len(b))
			}
			if got != m {
				t.Errorf("got %v, want %v", &got, &m)
			}
		})
	}
}

// TestGolden pins the bytes of version 1: a change here breaks every phone
// in the field and needs a new Version.
func TestGolden(t *testing.T) {
	var out strings.Builder
	for _, m := range samples() {
		b, err := m.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s\n%s\n", m.String(), hex.EncodeToString(b))
	}
	path := filepath.Join("testdata", "v1.golden")
	if *update {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("encoding changed (run with -update if intended):\n%s", out.String())
	}
}

func TestUnmarshalErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, errShort},
		{"header only half", []byte{3, 1}, errShort},
		{"type 0", []byte{0, 0, 0}, errType},
		{"type 200", []byte{200, 0, 0}, errType},
		{"oversize", []byte{byte(Audio), 0xff, 0xff}, errSize},
		{"payload missing", []byte{byte(Hook), 1, 0}, errShort},
		{"hook long", []byte{byte(Hook), 2, 0, 1, 0}, errLen},
		{"hook value 2", []byte{byte(Hook), 1, 0, 2}, errValue},
		{"ring value", []byte{byte(Ring), 1, 0, 7}, errValue},
		{"flash 0", []byte{byte(Flash), 2, 0, 0, 0}, errValue},
		{"flash short", []byte{byte(Flash), 1, 0, 5}, errLen},
		{"feed state", []byte{byte(Feed), 2, 0, 9, 0}, errValue},
		{"feed polarity", []byte{byte(Feed), 2, 0, 1, 3}, errValue},
		{"audio 159", append([]byte{byte(Audio), 159, 0}, make([]byte, 159)...), errLen},
		{"audio 162", append([]byte{byte(Audio), 162, 0}, make([]byte, 162)...), errLen},
		{"hello short", []byte{byte(Hello), 2, 0, 1, 1}, errLen},
		{"hello port 0", []byte{byte(Hello), 3, 0, 1, 0, 0}, errValue},
		{"hello bad utf8", []byte{byte(Hello), 4, 0, 1, 1, 0, 0xff}, errText},
		{"hello name long", append([]byte{byte(Hello), 3 + MaxName + 1, 0, 1, 1, 0}, bytes.Repeat([]byte("a"), MaxName+1)...), errLen},
		{"welcome long", []byte{byte(Welcome), 4, 0, 1, 1, 0, 0}, errLen},
		{"error empty", []byte{byte(Error), 0, 0}, errLen},
		{"error bad utf8", []byte{byte(Error), 1, 0, 0xc3}, errText},
		{"bye with payload", []byte{byte(Bye), 1, 0, 0}, errLen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m Msg
			_, err := m.Unmarshal(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !IsMalformed(err) {
				t.Errorf("IsMalformed(%v) = false", err)
			}
			if !strings.HasPrefix(err.Error(), "wire: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestAppendErrors(t *testing.T) {
	cases := []struct {
		name string
		m    Msg
		want error
	}{
		{"type", Msg{Type: 42}, errType},
		{"hello port 0", Msg{Type: Hello, Version: 1}, errValue},
		{"hello port big", Msg{Type: Hello, Version: 1, Port: MaxPort + 1}, errValue},
		{"hello name", Msg{Type: Hello, Version: 1, Port: 1, Name: strings.Repeat("x", MaxName+1)}, errText},
		{"flash 0", Msg{Type: Flash}, errValue},
		{"flash fraction", Msg{Type: Flash, Dur: 1500 * time.Microsecond}, errValue},
		{"flash long", Msg{Type: Flash, Dur: MaxFlash + time.Millisecond}, errValue},
		{"feed", Msg{Type: Feed, Feed: 4}, errValue},
		{"error empty", Msg{Type: Error}, errText},
		{"error long", Msg{Type: Error, Text: strings.Repeat("x", MaxText+1)}, errText},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.m.Append(nil)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if len(b) != 0 {
				t.Errorf("appended %d bytes on error", len(b))
			}
		})
	}
}

func TestReaderWriter(t *testing.T) {
	var stream bytes.Buffer
	w := NewWriter(&stream)
	for _, m := range samples() {
		if err := w.Write(&m); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&stream)
	for _, want := range samples() {
		var got Msg
		if err := r.Read(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("got %v, want %v", &got, &want)
		}
	}
	var m Msg
	if err := r.Read(&m); err != io.EOF {
		t.Fatalf("end of stream: %v, want io.EOF", err)
	}
	// A frame cut short is an unexpected EOF, not a clean end.
	r = NewReader(bytes.NewReader([]byte{byte(Audio), AudioLen, 0, 1, 2}))
	if err := r.Read(&m); err != io.ErrUnexpectedEOF {
		t.Fatalf("cut frame: %v, want io.ErrUnexpectedEOF", err)
	}
	if IsMalformed(io.ErrUnexpectedEOF) {
		t.Error("an I/O error counted as malformed")
	}
}

// countingReader counts the bytes a Reader pulls from the stream.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReaderRejectsOversizeBeforePayload(t *testing.T) {
	hostile := append([]byte{byte(Audio), 0xff, 0xff}, make([]byte, 0xffff)...)
	cr := &countingReader{r: bytes.NewReader(hostile)}
	var m Msg
	err := NewReader(cr).Read(&m)
	if !errors.Is(err, errSize) {
		t.Fatalf("got %v, want errSize", err)
	}
	if cr.n != HeaderLen {
		t.Errorf("read %d bytes of a hostile frame, want only the %d header bytes", cr.n, HeaderLen)
	}
}

func TestCheckVersion(t *testing.T) {
	if err := CheckVersion(Version); err != nil {
		t.Fatal(err)
	}
	err := CheckVersion(7)
	if !errors.Is(err, errVersion) || !strings.Contains(err.Error(), "7") {
		t.Fatalf("CheckVersion(7) = %v", err)
	}
}

func TestDirections(t *testing.T) {
	for ty := Type(0); ty < 12; ty++ {
		both := ty == Audio || ty == Error || ty == Bye
		if both && !(ty.FromPhone() && ty.FromBoard()) {
			t.Errorf("%s must go both ways", ty)
		}
		if (ty == Hello || ty == Hook || ty == Flash) && (!ty.FromPhone() || ty.FromBoard()) {
			t.Errorf("%s goes phone to board only", ty)
		}
		if (ty == Welcome || ty == Ring || ty == Feed) && (ty.FromPhone() || !ty.FromBoard()) {
			t.Errorf("%s goes board to phone only", ty)
		}
		if (ty == 0 || ty > Bye) && (ty.FromPhone() || ty.FromBoard()) {
			t.Errorf("%s is not a message", ty)
		}
	}
}

// TestAudioZeroAlloc: audio goes every 10 ms in both directions.
func TestAudioZeroAlloc(t *testing.T) {
	m := audioMsg()
	buf := make([]byte, 0, MaxFrame)
	var got Msg
	allocs := testing.AllocsPerRun(100, func() {
		b, err := m.Append(buf[:0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := got.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per audio frame, want 0", allocs)
	}
	var stream bytes.Buffer
	w, r := NewWriter(&stream), NewReader(&stream)
	allocs = testing.AllocsPerRun(100, func() {
		if err := w.Write(&m); err != nil {
			t.Fatal(err)
		}
		if err := r.Read(&got); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per audio frame through Writer/Reader, want 0", allocs)
	}
}

// FuzzUnmarshal: any input either fails cleanly or decodes to a message
// that encodes back to exactly the bytes it came from.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range samples() {
		b, err := m.Append(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var m Msg
		n, err := m.Unmarshal(in)
		if err != nil {
			if !IsMalformed(err) {
				t.Fatalf("error %v is not classed as malformed", err)
			}
			return
		}
		if n < HeaderLen || n > len(in) || n > MaxFrame {
			t.Fatalf("used %d of %d bytes", n, len(in))
		}
		out, err := m.Append(nil)
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", &m, err)
		}
		if !bytes.Equal(out, in[:n]) {
			t.Fatalf("round trip changed bytes:\n in %x\nout %x", in[:n], out)
		}
		// The stream reader agrees with Unmarshal.
		var m2 Msg
		if err := NewReader(bytes.NewReader(in)).Read(&m2); err != nil || m2 != m {
			t.Fatalf("Reader: %v, %v; Unmarshal: %v", err, &m2, &m)
		}
	})
}
