// Package g711 converts between 16-bit linear PCM and ITU-T G.711 A-law and
// µ-law, one frame at a time, into buffers the caller owns. It wraps the
// per-sample functions of github.com/zaf/g711 and never allocates, so the
// media engine may call it every 10 ms.
//
// All functions are safe for concurrent use.
package g711

import "github.com/zaf/g711"

// Law selects the companding law.
type Law uint8

const (
	ALaw Law = iota // G.711 A-law (Europe, China, most of the world; RTP payload type 8)
	ULaw            // G.711 µ-law (North America, Japan; RTP payload type 0)
)

// String returns "A-law" or "µ-law".
func (l Law) String() string {
	if l == ULaw {
		return "µ-law"
	}
	return "A-law"
}

// Silence returns the code of a zero sample in the law (0xD5 for A-law, 0xFF
// for µ-law), for filling idle channels.
func (l Law) Silence() byte {
	if l == ULaw {
		return 0xFF
	}
	return 0xD5
}

// Encode compresses min(len(dst), len(src)) samples of src into dst and
// returns how many it wrote. A law other than ALaw and ULaw encodes as A-law.
func Encode(law Law, dst []byte, src []int16) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	if law == ULaw {
		for i, v := range src {
			dst[i] = g711.EncodeUlawFrame(v)
		}
		return n
	}
	for i, v := range src {
		dst[i] = g711.EncodeAlawFrame(v)
	}
	return n
}

// Decode expands min(len(dst), len(src)) codes of src into dst and returns
// how many it wrote. A law other than ALaw and ULaw decodes as A-law.
func Decode(law Law, dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	if law == ULaw {
		for i, c := range src {
			dst[i] = g711.DecodeUlawFrame(c)
		}
		return n
	}
	for i, c := range src {
		dst[i] = g711.DecodeAlawFrame(c)
	}
	return n
}
