package engine

import (
	"math"
	"testing"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/g168"
	"github.com/openiad/openiad/testrig/signal"
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

// runEcho runs a far-end call for ticks: far plays to the line, whose
// input is the echo of what the line was sent through the Annex D model
// path (ERL erl, one tick late, as a highway delivers it) plus near(i)
// for sample i. It returns the line input and what the far end got
// (decoded), from tick from on, and the engine.
func runEcho(t *testing.T, path string, erl float64, far Playout, near func(int) float64, ticks, from int) (in, got []int16, e *Engine) {
	t.Helper()
	h, err := g168.Path(path, erl)
	if err != nil {
		t.Fatal(err)
	}
	e = New(bench{4}, Options{Channels: 4})
	up := NewUplink(g711.ALaw, 8)
	must(t, e.Open(0, 1))
	must(t, e.Attach(0, up, far))
	var hist []float64 // what the line was sent, newest last
	frame := make([]byte, hal.FrameLen)
	pcm := make([]int16, hal.FrameLen)
	for tick := range ticks {
		var line hal.Frame
		for i := range line {
			var acc float64
			k := len(hist) - hal.FrameLen + i
			for j, c := range h {
				if k-j >= 0 {
					acc += c * hist[k-j]
				}
			}
			line[i] = dsp.SatF16(acc + near(tick*hal.FrameLen+i))
		}
		e.rx[1] = line
		e.tick()
		for _, v := range e.tx[1] {
			hist = append(hist, float64(v))
		}
		for up.Pop(frame) {
			g711.Decode(g711.ALaw, pcm, frame)
			if tick >= from {
				got = append(got, pcm...)
				in = append(in, line[:]...)
			}
		}
	}
	return in, got, e
}

// On a far-end call the hybrid's echo of what the line hears comes back
// in the line input; the far end must not get it back.
func TestEchoIsCancelledOnFarEndCalls(t *testing.T) {
	echo, residual, e := runEcho(t, "D.2", 6, &noiseFar{x: g168.WhiteNoise(8000*8, -10, 1)}, func(int) float64 { return 0 }, 400, 300)
	le, lr := dsp.RMSToDBm0(dsp.RMS(echo)), dsp.RMSToDBm0(dsp.RMS(residual))
	if le < -20 {
		t.Fatalf("the echo path returns only %.1f dBm0; the test is not testing", le)
	}
	if le-lr < 30 {
		t.Fatalf("echo %.1f dBm0 reaches the far end at %.1f dBm0: only %.1f dB cancelled, want 30", le, lr, le-lr)
	}
	t.Logf("echo %.1f dBm0 → far end %.1f dBm0 (%.1f dB)", le, lr, le-lr)
	// The canceller's own figure, as the call record and the console
	// show it, agrees (it is measured before the NLP).
	erle, ok := e.ERLE(0)
	if !ok || erle < 30 {
		t.Errorf("ERLE(0) = %.1f dB, %v; want at least 30 dB, measured", erle, ok)
	}
	if _, ok := e.ERLE(1); ok {
		t.Error("ERLE(1): a channel that never had a canceller reports a figure")
	}
}

// toneFar plays a steady tone to the line as the far end.
type toneFar struct {
	freq, dBm0 float64
	n          int
}

func (f *toneFar) Play(dst []int16) {
	a := dsp.DBm0ToPeak(f.dBm0)
	for i := range dst {
		dst[i] = dsp.SatF16(a * math.Sin(2*math.Pi*f.freq*float64(f.n)/hal.SampleRate))
		f.n++
	}
}

// A steady tone each way (the phone's 1500 Hz against the far end's
// 1004 Hz, as the SIP scenarios play them) is double talk: the phone's
// tone reaches the far end within 1 dB, and the echo of the far end's
// tone stays cancelled by at least 30 dB; with no echo path at all, too.
func TestToneEachWayPassesTheNearEnd(t *testing.T) {
	for _, tc := range []struct {
		path string
		erl  float64
	}{{"D.3", 6}, {"D.6", 10}, {"", 0}} {
		phone := func(i int) float64 {
			return dsp.DBm0ToPeak(-10) * math.Sin(2*math.Pi*1500*float64(i)/hal.SampleRate)
		}
		far := &toneFar{freq: 1004, dBm0: -10}
		var in, got []int16
		if tc.path == "" {
			in, got = runEchoFree(t, far, phone)
		} else {
			in, got, _ = runEcho(t, tc.path, tc.erl, far, phone, 500, 200)
		}
		nIn, nOut := signal.LevelAt(in, 1500), signal.LevelAt(got, 1500)
		eIn, eOut := signal.LevelAt(in, 1004), signal.LevelAt(got, 1004)
		t.Logf("%s: phone 1500 Hz %.1f → %.1f dBm0 at the far end; echo of 1004 Hz %.1f → %.1f dBm0", tc.path, nIn, nOut, eIn, eOut)
		if math.Abs(nOut-nIn) > 1 {
			t.Errorf("%s: the phone's 1500 Hz at %.1f dBm0 reached the far end at %.1f", tc.path, nIn, nOut)
		}
		if tc.path != "" && eIn-eOut < 30 {
			t.Errorf("%s: echo of the far end's 1004 Hz at %.1f dBm0 reached it at %.1f: only %.1f dB cancelled", tc.path, eIn, eOut, eIn-eOut)
		}
	}
}

// runEchoFree is runEcho on a line without echo.
func runEchoFree(t *testing.T, far Playout, near func(int) float64) (in, got []int16) {
	t.Helper()
	e := New(bench{4}, Options{Channels: 4})
	up := NewUplink(g711.ALaw, 8)
	must(t, e.Open(0, 1))
	must(t, e.Attach(0, up, far))
	frame := make([]byte, hal.FrameLen)
	pcm := make([]int16, hal.FrameLen)
	for tick := range 500 {
		var line hal.Frame
		for i := range line {
			line[i] = dsp.SatF16(near(tick*hal.FrameLen + i))
		}
		e.rx[1] = line
		e.tick()
		for up.Pop(frame) {
			g711.Decode(g711.ALaw, pcm, frame)
			if tick >= 200 {
				got = append(got, pcm...)
				in = append(in, line[:]...)
			}
		}
	}
	return in, got
}
