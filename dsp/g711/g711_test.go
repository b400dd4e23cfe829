package g711

import (
	"math"
	"testing"
)

// Values from the G.711 tables (A-law with even-bit inversion, µ-law with
// all bits inverted), 16-bit linear scale.
func TestKnownValues(t *testing.T) {
	tests := []struct {
		law  Law
		lin  int16
		code byte
		back int16
	}{
		{ALaw, 0, 0xD5, 8},
		{ALaw, -1, 0x55, -8},
		{ALaw, 1000, 0xFA, 1008},
		{ALaw, -1000, 0x7A, -1008},
		{ALaw, 32767, 0xAA, 32256},
		{ALaw, -32768, 0x2A, -32256},
		{ULaw, 0, 0xFF, 0},
		{ULaw, 8, 0xFE, 8},
		{ULaw, -8, 0x7E, -8},
		{ULaw, 1000, 0xCE, 988},
		{ULaw, -1000, 0x4E, -988},
		{ULaw, 32767, 0x80, 32124},
		{ULaw, -32768, 0x00, -32124},
	}
	for _, tc := range tests {
		var c [1]byte
		var l [1]int16
		if n := Encode(tc.law, c[:], []int16{tc.lin}); n != 1 || c[0] != tc.code {
			t.Errorf("%v Encode(%d) = %#02x (n=%d), want %#02x", tc.law, tc.lin, c[0], n, tc.code)
		}
		if n := Decode(tc.law, l[:], []byte{tc.code}); n != 1 || l[0] != tc.back {
			t.Errorf("%v Decode(%#02x) = %d (n=%d), want %d", tc.law, tc.code, l[0], n, tc.back)
		}
	}
}

func TestSilence(t *testing.T) {
	for _, law := range []Law{ALaw, ULaw} {
		var c [1]byte
		Encode(law, c[:], []int16{0})
		if c[0] != law.Silence() {
			t.Errorf("%v: Silence() = %#02x, encoding 0 gives %#02x", law, law.Silence(), c[0])
		}
	}
}

// Every code decodes to a value that encodes back to the same code (µ-law's
// negative zero 0x7F is the only code that maps onto another, 0xFF).
func TestCodeRoundTrip(t *testing.T) {
	for _, law := range []Law{ALaw, ULaw} {
		var codes [256]byte
		var lin [256]int16
		var back [256]byte
		for i := range codes {
			codes[i] = byte(i)
		}
		Decode(law, lin[:], codes[:])
		Encode(law, back[:], lin[:])
		for i := range codes {
			want := codes[i]
			if law == ULaw && want == 0x7F {
				want = 0xFF
			}
			if back[i] != want {
				t.Errorf("%v: code %#02x -> %d -> %#02x", law, codes[i], lin[i], back[i])
			}
		}
	}
}

// Every linear value survives a round trip within the quantisation step of
// its segment, and decoding is monotonic in the input.
func TestLinearRoundTrip(t *testing.T) {
	src := make([]int16, 65536)
	for i := range src {
		src[i] = int16(i - 32768)
	}
	codes := make([]byte, len(src))
	back := make([]int16, len(src))
	for _, law := range []Law{ALaw, ULaw} {
		Encode(law, codes, src)
		Decode(law, back, codes)
		prev := int16(math.MinInt16)
		for i, x := range src {
			err := math.Abs(float64(back[i]) - float64(x))
			if limit := math.Abs(float64(x))/32 + 16; err > limit {
				t.Fatalf("%v: %d -> %d, error %.0f > %.0f", law, x, back[i], err, limit)
			}
			if back[i] < prev {
				t.Fatalf("%v: not monotonic at %d: %d after %d", law, x, back[i], prev)
			}
			prev = back[i]
		}
	}
}

// A -10 dBm0 1004 Hz sine keeps the G.711 signal-to-quantisation ratio
// (about 38 dB; G.712 asks for at least 35 dB at this level).
func TestSineSNR(t *testing.T) {
	const n = 8000
	src := make([]int16, n)
	amp := 32767 * math.Pow(10, (-10-3.14)/20)
	for i := range src {
		src[i] = int16(math.Round(amp * math.Sin(2*math.Pi*1004*float64(i)/8000)))
	}
	codes := make([]byte, n)
	back := make([]int16, n)
	for _, law := range []Law{ALaw, ULaw} {
		Encode(law, codes, src)
		Decode(law, back, codes)
		var sig, noise float64
		for i := range src {
			s := float64(src[i])
			d := float64(back[i]) - s
			sig += s * s
			noise += d * d
		}
		if snr := 10 * math.Log10(sig/noise); snr < 35 {
			t.Errorf("%v: SNR %.1f dB, want >= 35", law, snr)
		}
	}
}

func TestShortBuffers(t *testing.T) {
	src := []int16{1, 2, 3, 4}
	dst := make([]byte, 2)
	if n := Encode(ALaw, dst, src); n != 2 {
		t.Errorf("Encode into 2 bytes = %d, want 2", n)
	}
	lin := make([]int16, 8)
	if n := Decode(ULaw, lin, dst); n != 2 {
		t.Errorf("Decode of 2 bytes = %d, want 2", n)
	}
}

func TestZeroAllocs(t *testing.T) {
	var pcm [80]int16
	var code [80]byte
	for i := range pcm {
		pcm[i] = int16(i * 300)
	}
	for _, law := range []Law{ALaw, ULaw} {
		if a := testing.AllocsPerRun(100, func() {
			Encode(law, code[:], pcm[:])
			Decode(law, pcm[:], code[:])
		}); a != 0 {
			t.Errorf("%v: %v allocations per frame, want 0", law, a)
		}
	}
}

func BenchmarkEncodeFrame(b *testing.B) {
	var pcm [80]int16
	var code [80]byte
	for b.Loop() {
		Encode(ALaw, code[:], pcm[:])
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	var pcm [80]int16
	var code [80]byte
	for b.Loop() {
		Decode(ALaw, pcm[:], code[:])
	}
}
