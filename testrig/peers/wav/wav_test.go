package wav_test

import (
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/testrig/peers/wav"
	"github.com/openiad/openiad/testrig/signal"
)

// header builds a RIFF/WAVE file with a fmt chunk of the given fields and
// a data chunk claiming dataSize bytes, followed by data.
func header(format, channels uint16, rate uint32, bits uint16, dataSize uint32, data []byte) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, format)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(channels)*uint32(bits)/8)
	b = binary.LittleEndian.AppendUint16(b, channels*bits/8)
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, dataSize)
	b = append(b, data...)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(b)-8))
	return b
}

func TestRoundTrip(t *testing.T) {
	x := make([]int16, 8000)
	signal.Sine(x, 1004, -10, nil)
	x[0], x[1] = math.MaxInt16, math.MinInt16
	path := filepath.Join(t.TempDir(), "t.wav")
	if err := wav.WriteFile(path, wav.Mono8k(x)); err != nil {
		t.Fatal(err)
	}
	s, err := wav.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 8000 || s.Channels != 1 || s.Encoding != wav.PCM || !slices.Equal(s.Samples, x) {
		t.Fatalf("read back %d Hz %d ch enc %d, %d samples; want the 8000 written", s.Rate, s.Channels, s.Encoding, len(s.Samples))
	}
	if s.Duration() != time.Second {
		t.Fatalf("duration %v, want 1s", s.Duration())
	}
}

func TestDecode(t *testing.T) {
	pcm := func(v ...int16) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, uint16(x))
		}
		return b
	}
	ulaw := make([]byte, 4)
	g711.Encode(g711.ULaw, ulaw, []int16{1000, -1000, 8000, 0})
	wantU := make([]int16, 4)
	g711.Decode(g711.ULaw, wantU, ulaw)
	alaw := make([]byte, 2)
	g711.Encode(g711.ALaw, alaw, []int16{3000, -3000})
	wantA := make([]int16, 2)
	g711.Decode(g711.ALaw, wantA, alaw)
	ext := header(0xFFFE, 1, 8000, 16, 4, pcm(7, -7))
	// Grow fmt to 40 bytes: cbSize 22, valid bits, mask, GUID starting with 1 (PCM).
	{
		fmtExt := append(slices.Clone(ext[20:36]), 22, 0, 16, 0, 4, 0, 0, 0, 1, 0)
		fmtExt = append(fmtExt, make([]byte, 14)...)
		b := append([]byte("RIFF\x00\x00\x00\x00WAVEfmt "), binary.LittleEndian.AppendUint32(nil, uint32(len(fmtExt)))...)
		b = append(b, fmtExt...)
		b = append(b, ext[36:]...)
		ext = b
	}
	withList := header(1, 1, 8000, 16, 4, pcm(5, 6))
	// Insert an odd-sized LIST chunk (padded) before data.
	withList = slices.Concat(withList[:36], []byte("LIST\x03\x00\x00\x00abc\x00"), withList[36:])

	for _, tc := range []struct {
		name     string
		in       []byte
		samples  []int16
		channels int
		err      error
		errText  string
	}{
		{"pcm mono", header(1, 1, 8000, 16, 6, pcm(1, -2, 3)), []int16{1, -2, 3}, 1, nil, ""},
		{"pcm stereo", header(1, 2, 16000, 16, 8, pcm(1, 2, 3, 4)), []int16{1, 2, 3, 4}, 2, nil, ""},
		{"ulaw", header(7, 1, 8000, 8, 4, ulaw), wantU, 1, nil, ""},
		{"alaw", header(6, 1, 8000, 8, 2, alaw), wantA, 1, nil, ""},
		{"extensible pcm", ext, []int16{7, -7}, 1, nil, ""},
		{"padded chunk before data", withList, []int16{5, 6}, 1, nil, ""},
		{"writer still open: size 0", header(1, 1, 8000, 16, 0, pcm(9, 8)), []int16{9, 8}, 1, nil, ""},
		{"writer still open: size too big", header(1, 1, 8000, 16, 1000, pcm(9, 8, 7)), []int16{9, 8, 7}, 1, nil, ""},
		{"half sample at the end", header(1, 1, 8000, 16, 5, append(pcm(9, 8), 1)), []int16{9, 8}, 1, nil, ""},
		{"not riff", []byte("RIFX0000WAVE"), nil, 0, errors.New(""), "no RIFF/WAVE header"},
		{"short", []byte("RIFF"), nil, 0, errors.New(""), "no RIFF/WAVE header"},
		{"no data", header(1, 1, 8000, 16, 0, nil)[:36], nil, 0, errors.New(""), "no data chunk"},
		{"data before fmt", []byte("RIFF\x10\x00\x00\x00WAVEdata\x02\x00\x00\x00\x01\x02"), nil, 0, errors.New(""), "data chunk before fmt"},
		{"float", header(3, 1, 8000, 32, 4, pcm(0, 0)), nil, 0, errors.New(""), "unsupported encoding: format 3 with 32 bits"},
		{"8-bit pcm", header(1, 1, 8000, 8, 2, []byte{1, 2}), nil, 0, errors.New(""), "format 1 with 8 bits"},
		{"zero channels", header(1, 0, 8000, 16, 2, pcm(1)), nil, 0, errors.New(""), "0 channels"},
		{"zero rate", header(1, 1, 0, 16, 2, pcm(1)), nil, 0, errors.New(""), "at 0 Hz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := wav.Decode(tc.in)
			if tc.err != nil {
				if err == nil || !strings.Contains(err.Error(), tc.errText) || !strings.HasPrefix(err.Error(), "wav: ") {
					t.Fatalf("error %v, want one with %q", err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Samples, tc.samples) || s.Channels != tc.channels {
				t.Fatalf("samples %v (%d ch), want %v (%d ch)", s.Samples, s.Channels, tc.samples, tc.channels)
			}
		})
	}
}

func TestChannel(t *testing.T) {
	s := &wav.Sound{Rate: 8000, Channels: 2, Samples: []int16{1, 2, 3, 4, 5, 6}}
	if got := s.Channel(1); !slices.Equal(got, []int16{2, 4, 6}) {
		t.Fatalf("channel 1: %v", got)
	}
	m := wav.Mono8k([]int16{1, 2})
	if got := m.Channel(0); !slices.Equal(got, []int16{1, 2}) {
		t.Fatalf("mono channel 0: %v", got)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(wav.Encode(wav.Mono8k([]int16{1, 2, 3})))
	f.Add(header(7, 1, 8000, 8, 0, []byte{1, 2, 3}))
	f.Add(header(0xFFFE, 2, 8000, 16, 4, []byte{1, 2, 3, 4}))
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := wav.Decode(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "wav: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		if s.Channels < 1 || len(s.Samples)%s.Channels != 0 {
			t.Fatalf("%d samples for %d channels", len(s.Samples), s.Channels)
		}
		// Whatever decoded re-encodes as PCM and decodes to the same.
		again, err := wav.Decode(wav.Encode(s))
		if err != nil || !slices.Equal(again.Samples, s.Samples) || again.Rate != s.Rate || again.Channels != s.Channels {
			t.Fatalf("re-encode: %v", err)
		}
	})
}
