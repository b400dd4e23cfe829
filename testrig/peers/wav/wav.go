// Package wav reads and writes the WAV files the lab bench exchanges with
// real peers: baresip plays a WAV into a call and records what it receives
// into another, and tests analyse the recordings with testrig/signal.
//
// Decode reads RIFF/WAVE files of 16-bit linear PCM, A-law or µ-law
// (plain or WAVE_FORMAT_EXTENSIBLE), any rate and channel count, into
// linear samples. It tolerates a file still being written (a data chunk
// size of 0 or larger than the file, as libsndfile leaves it until it
// closes the file). Encode writes 16-bit linear PCM.
//
// This is test equipment: it allocates freely. Functions are safe for
// concurrent use; a Sound is not.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/openiad/openiad/dsp/g711"
)

// Encoding of the samples in a file (the WAVE format tag).
type Encoding uint16

// The encodings Decode understands.
const (
	PCM  Encoding = 1 // linear, 16 bits per sample
	ALaw Encoding = 6 // G.711 A-law, 8 bits per sample
	ULaw Encoding = 7 // G.711 µ-law, 8 bits per sample

	extensible Encoding = 0xFFFE
)

var (
	errFormat = errors.New("wav: not a WAV file")
	errCodec  = errors.New("wav: unsupported encoding")
)

// Sound is decoded audio: linear 16-bit samples, channels interleaved.
type Sound struct {
	Rate     int // samples per second per channel
	Channels int
	Samples  []int16
	Encoding Encoding // how the file stored them (Encode always writes PCM)
}

// Duration is the length of the sound.
func (s *Sound) Duration() time.Duration {
	if s.Rate <= 0 || s.Channels <= 0 {
		return 0
	}
	return time.Duration(len(s.Samples)/s.Channels) * time.Second / time.Duration(s.Rate)
}

// Channel returns the samples of channel c (0-based), a copy for
// multi-channel sounds.
func (s *Sound) Channel(c int) []int16 {
	if s.Channels <= 1 {
		return s.Samples
	}
	out := make([]int16, 0, len(s.Samples)/s.Channels)
	for i := c; i < len(s.Samples); i += s.Channels {
		out = append(out, s.Samples[i])
	}
	return out
}

// Decode parses a WAV file.
func Decode(b []byte) (*Sound, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF/WAVE header", errFormat)
	}
	var (
		s       Sound
		bits    int
		haveFmt bool
	)
	p := b[12:]
	for len(p) >= 8 {
		id, size := string(p[0:4]), binary.LittleEndian.Uint32(p[4:8])
		p = p[8:]
		if id == "data" {
			if !haveFmt {
				return nil, fmt.Errorf("%w: data chunk before fmt chunk", errFormat)
			}
			// A writer that has not closed the file leaves 0 (or a size
			// beyond the end): take what is there.
			if size == 0 || uint64(size) > uint64(len(p)) {
				size = uint32(len(p))
			}
			return decodeData(&s, bits, p[:size])
		}
		if uint64(size) > uint64(len(p)) {
			return nil, fmt.Errorf("%w: chunk %q of %d bytes beyond the end", errFormat, id, size)
		}
		if id == "fmt " {
			if err := parseFmt(&s, &bits, p[:size]); err != nil {
				return nil, err
			}
			haveFmt = true
		}
		skip := int(size) + int(size&1) // chunks are padded to even sizes
		if skip > len(p) {
			skip = len(p)
		}
		p = p[skip:]
	}
	return nil, fmt.Errorf("%w: no data chunk", errFormat)
}

func parseFmt(s *Sound, bits *int, f []byte) error {
	if len(f) < 16 {
		return fmt.Errorf("%w: fmt chunk of %d bytes", errFormat, len(f))
	}
	enc := Encoding(binary.LittleEndian.Uint16(f[0:2]))
	s.Channels = int(binary.LittleEndian.Uint16(f[2:4]))
	s.Rate = int(binary.LittleEndian.Uint32(f[4:8]))
	*bits = int(binary.LittleEndian.Uint16(f[14:16]))
	if enc == extensible {
		// cbSize(2) validBits(2) channelMask(4) subFormat GUID(16): the
		// GUID starts with the format tag.
		if len(f) < 26 {
			return fmt.Errorf("%w: short WAVE_FORMAT_EXTENSIBLE fmt chunk", errFormat)
		}
		enc = Encoding(binary.LittleEndian.Uint16(f[24:26]))
	}
	if s.Channels < 1 || s.Channels > 16 || s.Rate < 1 || s.Rate > 384000 {
		return fmt.Errorf("%w: %d channels at %d Hz", errFormat, s.Channels, s.Rate)
	}
	switch {
	case enc == PCM && *bits == 16, (enc == ALaw || enc == ULaw) && *bits == 8:
	default:
		return fmt.Errorf("%w: format %d with %d bits per sample", errCodec, enc, *bits)
	}
	s.Encoding = enc
	return nil
}

func decodeData(s *Sound, bits int, d []byte) (*Sound, error) {
	frame := s.Channels * bits / 8
	d = d[:len(d)/frame*frame] // a sample cut by a writer in progress
	switch s.Encoding {
	case PCM:
		s.Samples = make([]int16, len(d)/2)
		for i := range s.Samples {
			s.Samples[i] = int16(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case ALaw, ULaw:
		law := g711.ALaw
		if s.Encoding == ULaw {
			law = g711.ULaw
		}
		s.Samples = make([]int16, len(d))
		g711.Decode(law, s.Samples, d)
	}
	return s, nil
}

// ReadFile reads and decodes a WAV file.
func ReadFile(path string) (*Sound, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wav: %w", err)
	}
	s, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

// Encode returns s as a WAV file of 16-bit linear PCM (s.Encoding is
// ignored). Rate and Channels default to 8000 and 1.
func Encode(s *Sound) []byte {
	rate, ch := s.Rate, s.Channels
	if rate <= 0 {
		rate = 8000
	}
	if ch <= 0 {
		ch = 1
	}
	n := 2 * len(s.Samples)
	b := make([]byte, 44+n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], uint16(PCM))
	binary.LittleEndian.PutUint16(b[22:], uint16(ch))
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(rate*ch*2))
	binary.LittleEndian.PutUint16(b[32:], uint16(ch*2))
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	for i, v := range s.Samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(v))
	}
	return b
}

// WriteFile writes s to path as 16-bit linear PCM.
func WriteFile(path string, s *Sound) error {
	if err := os.WriteFile(path, Encode(s), 0o644); err != nil {
		return fmt.Errorf("wav: %w", err)
	}
	return nil
}

// Mono8k is a Sound of 8 kHz mono samples, the lab bench's usual format.
func Mono8k(samples []int16) *Sound {
	return &Sound{Rate: 8000, Channels: 1, Samples: samples, Encoding: PCM}
}
