package engine

import (
	"testing"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/g168"
)

// noiseFar plays G.168 white noise to the line as the far end.
type noiseFar struct {
	x   []float64
	pos int
}

func (n *noiseFar) Play(dst []int16) {
	for i := range dst {
		dst[i] = dsp.SatF16(n.x[n.pos%len(n.x)])
		n.pos++
	}
}

// On a far-end call the hybrid's echo of what the line hears comes back
// in the line input; the far end must not get it back.
func TestEchoIsCancelledOnFarEndCalls(t *testing.T) {
	h, err := g168.Path("D.2", 6)
	if err != nil {
		t.Fatal(err)
	}
	e := New(bench{4}, Options{Channels: 4, EchoCancel: true})
	up := NewUplink(g711.ALaw, 8)
	must(t, e.Open(0, 1))
	must(t, e.Attach(0, up, &noiseFar{x: g168.WhiteNoise(8000*8, -10, 1)}))
	var hist []float64 // what the line was sent, newest last
	frame := make([]byte, hal.FrameLen)
	pcm := make([]int16, hal.FrameLen)
	var echo, residual []int16
	for tick := range 400 { // 4 s
		// The line input is the echo of the line output (one tick late,
		// as a highway delivers it) through the echo path.
		var in hal.Frame
		for i := range in {
			var acc float64
			k := len(hist) - hal.FrameLen + i
			for j, c := range h {
				if k-j >= 0 {
					acc += c * hist[k-j]
				}
			}
			in[i] = dsp.SatF16(acc)
		}
		e.rx[1] = in
		e.tick()
		for _, v := range e.tx[1] {
			hist = append(hist, float64(v))
		}
		for up.Pop(frame) {
			g711.Decode(g711.ALaw, pcm, frame)
			if tick >= 300 {
				residual = append(residual, pcm...)
				echo = append(echo, in[:]...)
			}
		}
	}
	le, lr := dsp.RMSToDBm0(dsp.RMS(echo)), dsp.RMSToDBm0(dsp.RMS(residual))
	if le < -20 {
		t.Fatalf("the echo path returns only %.1f dBm0; the test is not testing", le)
	}
	if le-lr < 30 {
		t.Fatalf("echo %.1f dBm0 reaches the far end at %.1f dBm0: only %.1f dB cancelled, want 30", le, lr, le-lr)
	}
	t.Logf("echo %.1f dBm0 → far end %.1f dBm0 (%.1f dB)", le, lr, le-lr)
}
