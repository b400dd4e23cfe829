package ec

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/goertzel"
	"github.com/openiad/openiad/testrig/g168"
)

// toneAt returns the level in dBm0 of the component at freq in x (a sine
// of that level reads the same).
func toneAt(x []int16, freq float64) float64 {
	g := goertzel.New(freq, 8000, len(x))
	g.PushBlock(x)
	return dsp.RMSToDBm0(math.Sqrt(g.Power()))
}

// echoOf returns the echo of far through the Annex D model path with the
// ERL and the bulk delay (none for path "").
func echoOf(t *testing.T, far []int16, path string, erl float64, delay time.Duration) []float64 {
	t.Helper()
	e := make([]float64, len(far))
	if path == "" {
		return e
	}
	h, err := g168.Path(path, erl)
	if err != nil {
		t.Fatal(err)
	}
	d := g168.Samples(delay)
	for i := range e {
		var acc float64
		for j, c := range h {
			if k := i - d - j; k >= 0 {
				acc += c * float64(far[k])
			}
		}
		e[i] = acc
	}
	return e
}

// A steady tone each way (a phone's tone against the far end's) is double
// talk that level tests cannot see: the near-end tone must reach the far
// end whole (within 1 dB), NLP on, while the echo of the far end's tone
// stays cancelled (at least 30 dB), whether the far end was alone first
// or both start together, with background noise or none.
func TestToneEachWay(t *testing.T) {
	cases := []struct {
		path                string
		erl                 float64
		delay               time.Duration
		farF, nearF         float64
		farLvl, nearLvl     float64
		nearFrom            time.Duration // the near-end tone starts here (the far end's at 0)
		noise               float64
		wantEchoCancelledDB float64
	}{
		{"D.4", 6, 40 * time.Millisecond, 1004, 1500, -10, -10, 2 * time.Second, -70, 30},
		{"D.2", 6, 5 * time.Millisecond, 1004, 1500, -10, -10, 0, -70, 30},
		{"D.7", 8, 90 * time.Millisecond, 450, 1500, -10, -20, 2 * time.Second, -60, 30},
		{"D.5", 10, 20 * time.Millisecond, 1500, 1004, -10, -16, 0, math.Inf(-1), 30},
		{"D.8", 6, 60 * time.Millisecond, 425, 2000, -13, -25, 1 * time.Second, -65, 30},
		// No hybrid echo at all (the sim board's lines): the phone's tone
		// against the far end's, as the SIP scenarios play them.
		{"", 0, 0, 1004, 1500, -10, -10, 0, -70, 0},
		{"", 0, 0, 1004, 1500, -10, -10, 500 * time.Millisecond, math.Inf(-1), 0},
	}
	for _, tc := range cases {
		name := fmt.Sprintf("%s far %v Hz %v dBm0 near %v Hz %v dBm0 from %v", tc.path, tc.farF, tc.farLvl, tc.nearF, tc.nearLvl, tc.nearFrom)
		t.Run(name, func(t *testing.T) {
			n := 8000 * 8
			far := make([]int16, n)
			nearTone := make([]int16, n)
			noise := make([]float64, n)
			if !math.IsInf(tc.noise, -1) {
				noise = g168.WhiteNoise(n, tc.noise, 5)
			}
			a, b := dsp.DBm0ToPeak(tc.farLvl), dsp.DBm0ToPeak(tc.nearLvl)
			from := g168.Samples(tc.nearFrom)
			for i := range far {
				far[i] = dsp.SatF16(a * math.Sin(2*math.Pi*tc.farF*float64(i)/8000))
				if i >= from {
					nearTone[i] = dsp.SatF16(b * math.Sin(2*math.Pi*tc.nearF*float64(i)/8000+1))
				}
			}
			echo := echoOf(t, far, tc.path, tc.erl, tc.delay)
			near := make([]int16, n)
			for i := range near {
				near[i] = dsp.SatF16(echo[i] + noise[i] + float64(nearTone[i]))
			}
			c := New(128 * time.Millisecond)
			out := make([]int16, n)
			c.Process(near, far, out)
			// The last 4 s: the near-end tone as it went in and came out,
			// the echo of the far end's tone before and after.
			w := out[n-4*8000:]
			in := near[n-4*8000:]
			nIn, nOut := toneAt(nearTone[n-4*8000:], tc.nearF), toneAt(w, tc.nearF)
			eIn, eOut := toneAt(in, tc.farF), toneAt(w, tc.farF)
			t.Logf("near-end tone %.1f → %.1f dBm0; echo %.1f → %.1f dBm0; %+v", nIn, nOut, eIn, eOut, c.Stats())
			if math.Abs(nOut-nIn) > 1 {
				t.Errorf("the near-end tone went in at %.1f dBm0 and came out at %.1f: more than 1 dB off", nIn, nOut)
			}
			if tc.path == "" && eOut > -40 {
				t.Errorf("no echo, yet the far end's tone comes back at %.1f dBm0", eOut)
			}
			if tc.path != "" && eIn-eOut < tc.wantEchoCancelledDB {
				t.Errorf("the echo of the far end's tone went in at %.1f dBm0 and came out at %.1f: %.1f dB cancelled, want %v",
					eIn, eOut, eIn-eOut, tc.wantEchoCancelledDB)
			}
		})
	}
}

// A far end that loops the call back (an echo-test number, a sipp
// rtp_echo) sends the phone's own tone back a round trip later, as loud
// as it went: that is no hybrid echo (a hybrid loses at least 6 dB), and
// the phone's tone must reach the far end whole, not be "cancelled" as
// the echo of its own loop-back.
func TestFarEndLoopback(t *testing.T) {
	for _, tc := range []struct {
		freq, lvl float64
		rtt       time.Duration
		loss      float64 // dB the loop loses
		drop      int     // every drop-th 20 ms packet of the loop is lost (0: none)
	}{
		{1004, -10, 120 * time.Millisecond, 0, 0},
		{1500, -10, 40 * time.Millisecond, 0, 0},
		{697, -16, 200 * time.Millisecond, 2, 0},
		{1004, -10, 120 * time.Millisecond, 0, 7},
		{2904, -10, 60 * time.Millisecond, 1, 3},
	} {
		t.Run(fmt.Sprintf("%v Hz %v dBm0 rtt %v loss %v dB drop %v", tc.freq, tc.lvl, tc.rtt, tc.loss, tc.drop), func(t *testing.T) {
			n := 8000 * 8
			near := make([]int16, n)
			a := dsp.DBm0ToPeak(tc.lvl)
			for i := range near {
				near[i] = dsp.SatF16(a * math.Sin(2*math.Pi*tc.freq*float64(i)/8000))
			}
			c := New(128 * time.Millisecond)
			far := make([]int16, n)
			out := make([]int16, n)
			d := g168.Samples(tc.rtt)
			g := math.Pow(10, -tc.loss/20)
			for i := 0; i < n; i += FrameLen {
				// The far end sends back what left the box a round trip ago.
				lost := tc.drop > 0 && (i/(2*FrameLen))%tc.drop == 0
				for j := i; j < i+FrameLen; j++ {
					if j >= d && !lost {
						far[j] = dsp.SatF16(g * float64(out[j-d]))
					}
				}
				c.Process(near[i:i+FrameLen], far[i:i+FrameLen], out[i:i+FrameLen])
			}
			in, got := toneAt(near[n-4*8000:], tc.freq), toneAt(out[n-4*8000:], tc.freq)
			t.Logf("tone %.1f dBm0 in, %.1f out; %+v", in, got, c.Stats())
			if math.Abs(got-in) > 1 {
				t.Errorf("the phone's tone went in at %.1f dBm0 and came out at %.1f: the canceller took the far end's loop-back for echo", in, got)
			}
		})
	}
}
