package engine

import (
	"math"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/signal"
)

// farEnd plays a sine to the line, as a jitter buffer would.
type farEnd struct {
	freq, level float64
	phase       float64
}

func (f *farEnd) Play(dst []int16) { signal.Sine(dst, f.freq, f.level, &f.phase) }

func TestUplinkCarriesLineAudioAndMutesDigits(t *testing.T) {
	e := newBench(t, 8)
	up := NewUplink(g711.ALaw, 64)
	must(t, e.Open(2, 4))
	must(t, e.DetectDTMF(2, true))
	must(t, e.Attach(2, up, nil))

	var phase float64
	var sent, keyed []int16
	frame := make([]byte, hal.FrameLen)
	pcm := make([]int16, hal.FrameLen)
	var g dtmf.Generator
	for tick := range 60 {
		if tick == 20 {
			must(t, g.Start("5", 300*time.Millisecond, 0, -10))
		}
		if g.Active() {
			g.Generate(e.rx[4][:])
		} else {
			signal.Sine(e.rx[4][:], 1004, -10, &phase)
		}
		e.tick()
		for up.Pop(frame) {
			g711.Decode(g711.ALaw, pcm, frame)
			if tick >= keyDelay && tick < 20 {
				sent = append(sent, pcm...)
			} else if tick >= 20+keyDelay && tick < 50+keyDelay { // the key was down: line frames 20-49
				keyed = append(keyed, pcm...)
			}
		}
	}
	if got := signal.LevelAt(sent, 1004); math.Abs(got+10) > 0.3 {
		t.Errorf("uplink carries 1004 Hz at %.2f dBm0, the line gave -10", got)
	}
	if l := dsp.RMSToDBm0(dsp.RMS(keyed)); l > -60 {
		t.Errorf("a held DTMF key reaches the uplink at %.1f dBm0; it must be removed", l)
	}
	if up.Dropped() != 0 {
		t.Errorf("%d frames dropped", up.Dropped())
	}
}

func TestPlayoutReachesTheLineUnderTones(t *testing.T) {
	e := newBench(t, 8)
	plan, _ := tone.Lookup("CN")
	must(t, e.Open(1, 3))
	must(t, e.Attach(1, nil, &farEnd{freq: 1500, level: -12}))
	var heard []int16
	for range 50 {
		e.tick()
		heard = append(heard, e.tx[3][:]...)
	}
	if got := signal.LevelAt(heard, 1500); math.Abs(got+12) > 0.2 {
		t.Errorf("far-end 1500 Hz on the line at %.2f dBm0, want -12", got)
	}
	// A call-waiting tone mixes over the far end.
	must(t, e.PlayTone(1, &plan.CallWaiting))
	heard = heard[:0]
	for range 30 {
		e.tick()
		heard = append(heard, e.tx[3][:]...)
	}
	if signal.LevelAt(heard, 450) < -30 || signal.LevelAt(heard, 1500) < -13 {
		t.Error("the tone does not mix over the far-end audio")
	}
	must(t, e.Detach(1))
	must(t, e.PlayTone(1, nil))
	e.tick()
	if e.tx[3] != (hal.Frame{}) {
		t.Error("a detached channel is not silent")
	}
}

func TestZeroAllocsWithFarEnds(t *testing.T) {
	e := newBench(t, 32)
	ups := make([]*Uplink, 8)
	for ch := range 8 {
		ups[ch] = NewUplink(g711.ULaw, 16)
		must(t, e.Open(ch, ch*2))
		must(t, e.DetectDTMF(ch, true))
		must(t, e.Attach(ch, ups[ch], &farEnd{freq: 700, level: -20}))
	}
	frame := make([]byte, hal.FrameLen)
	var phase float64
	allocs := testing.AllocsPerRun(300, func() {
		for ch := range 8 {
			signal.Sine(e.rx[ch*2][:], 1004, -10, &phase)
		}
		e.tick()
		for _, u := range ups {
			for u.Pop(frame) {
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per tick with 8 RTP channels, want 0", allocs)
	}
}
