package peers

import (
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/testrig/signal"
)

// Tone returns d of a sine of freq Hz at dBm0, 8 kHz, for a WAV that
// baresip plays or a file that sipp streams.
func Tone(freq, dBm0 float64, d time.Duration) []int16 {
	x := make([]int16, int(dsp.Samples(d)))
	signal.Sine(x, freq, dBm0, nil)
	return x
}

// G711File encodes samples as raw G.711 for sipp's rtp_stream: µ-law for
// payload type 0, A-law for 8. (sipp 3.6.1 sends a file as it is, a WAV
// header included, so it gets no header.)
func G711File(pt int, samples []int16) []byte {
	law := g711.ULaw
	if pt == 8 {
		law = g711.ALaw
	}
	b := make([]byte, len(samples))
	g711.Encode(law, b, samples)
	return b
}
