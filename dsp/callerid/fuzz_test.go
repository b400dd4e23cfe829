package callerid

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the message decoder (seeds in
// testdata/fuzz/FuzzDecode and the sample messages). It must never panic;
// what it accepts must encode again to bytes that decode to the same
// message, and must pass Split.
func FuzzDecode(f *testing.F) {
	for _, s := range sample {
		b, err := s.msg.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if len(err.Error()) < len("callerid: ") || err.Error()[:10] != "callerid: " {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		if _, err := Split(b, nil); err != nil {
			t.Fatalf("decoded but Split fails: %v", err)
		}
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", m, err)
		}
		again, err := Decode(enc)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, m)
		}
		if len(enc) != len(b) {
			t.Fatalf("re-encoded to %d bytes, from %d", len(enc), len(b))
		}
	})
}

// FuzzDecodeDTMF feeds arbitrary strings to the DTMF decoder: no panic,
// and what it accepts re-encodes to a string that decodes the same.
func FuzzDecodeDTMF(f *testing.F) {
	for _, s := range []string{"A0312345678C", "D123C", "B10C", "B00C", "A12#", "", "AC", "B99C"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := DecodeDTMF(s)
		if err != nil {
			return
		}
		enc, err := m.DTMF(DTMFFormatA)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", m, err)
		}
		again, err := DecodeDTMF(enc)
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("round trip of %q via %q: %+v, %v", s, enc, again, err)
		}
	})
}

// FuzzReceiver feeds arbitrary audio (bytes as little-endian samples,
// after a valid transmission so that the state machines are deep in use)
// to the receiver: no panic, and every message it hands over has a good
// length and checksum.
func FuzzReceiver(f *testing.F) {
	f.Add([]byte{0, 0, 0x10, 0x20, 0xff, 0x7f})
	f.Add(bytes.Repeat([]byte{0x00, 0x40, 0x00, 0xc0}, 200))
	r := NewReceiver()
	raw, _ := sample[5].msg.MarshalBinary()
	lead := render(f, OnHook(Bell202, raw))
	f.Fuzz(func(t *testing.T, b []byte) {
		r.Reset()
		x := make([]int16, len(b)/2)
		for i := range x {
			x[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
		}
		for _, in := range [][]int16{lead[:len(lead)/2], x, lead, x} {
			for len(in) > 0 {
				n := min(len(in), 80)
				for _, e := range r.Process(in[:n]) {
					if e.Kind == EventMessage {
						if _, err := Split(e.Raw, nil); err != nil {
							t.Fatalf("handed over a broken message % x: %v", e.Raw, err)
						}
					}
				}
				in = in[n:]
			}
		}
	})
}
