package g168

import (
	"bytes"
	"errors"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestAnnexData(t *testing.T) {
	want := map[string]int{"D.2": 64, "D.3": 96, "D.4": 96, "D.5": 128, "D.6": 96, "D.7": 120, "D.8": 96, "D.9": 99}
	names := Paths()
	if len(names) != len(want) {
		t.Fatalf("Paths() = %v, want D.2..D.9", names)
	}
	for _, name := range names {
		for _, erl := range []float64{6, 9.5, 12} {
			h, err := Path(name, erl)
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != want[name] {
				t.Errorf("%s: %d taps, want %d", name, len(h), want[name])
			}
			var e float64
			for _, v := range h {
				e += v * v
			}
			if got := -10 * math.Log10(e); math.Abs(got-erl) > 1e-9 {
				t.Errorf("%s scaled to ERL %v: -10·log10(Σh²) = %v", name, erl, got)
			}
		}
	}
	if _, err := Path("D.1", 6); !errors.Is(err, errPath) {
		t.Errorf("Path(D.1) = %v, want errPath", err)
	}
	if tones := Test6Tones(); len(tones) != 8 || tones[4] != [2]float64{697, 1209} {
		t.Errorf("Test6Tones() = %v", tones)
	}
	// The embedded copy is the one of ../shared/standards, when there is one.
	shared := filepath.Join("..", "..", "..", "shared", "standards", "g168", "g168-annex-data.json")
	if b, err := os.ReadFile(shared); err == nil && !bytes.Equal(b, annexJSON) {
		t.Errorf("g168-annex-data.json differs from %s", shared)
	}
}

func TestCompositeSourceSignal(t *testing.T) {
	const n = 5600 * 2 // two periods of 700 ms
	x := CSS(n, -10, 1)
	// Second half of each period: the first, inverted; and periodic.
	for i := range 2800 {
		if x[i+2800] != -x[i] || x[i+5600] != x[i] {
			t.Fatalf("sample %d: %v, %v, %v: not the C.1 structure", i, x[i], x[i+2800], x[i+5600])
		}
	}
	// Voiced 389 samples, noise 1600, pause 811.
	rms := func(a, b int) float64 { return Level(x[a:b]) }
	if v, p := rms(0, 389), rms(389, 1989); math.Abs(v+10) > 0.1 || math.Abs(p+10) > 0.1 {
		t.Errorf("voiced %.2f dBm0, noise %.2f dBm0, want -10", v, p)
	}
	for _, s := range x[1989:2800] {
		if s != 0 {
			t.Fatalf("pause not silent")
		}
	}
	// The voiced part has the pitch of C.1: 44100/134 Hz.
	f0 := 44100.0 / 134
	if at, off := tonePower(x[:384], f0), tonePower(x[:384], f0*1.5); at < off*10 {
		t.Errorf("voiced: power at %.0f Hz %.3g, at %.0f Hz %.3g: no pitch", f0, at, 1.5*f0, off)
	}
	// The noise follows Figure C.2: +12..18 dB at 200-500 Hz, 0 dB at 2850 Hz.
	lo, hi := tonePower(x[389:1989], 300), tonePower(x[389:1989], 2850)
	if d := 10 * math.Log10(lo/hi); d < 8 || d > 22 {
		t.Errorf("pseudo-noise: 300 Hz %.1f dB over 2850 Hz, want about 15", d)
	}
	// The double-talk CSS: C.3, period 800 ms, inverted halves.
	y := DoubleTalkCSS(6400, -15, 2)
	for i := range 3200 {
		if y[i+3200] != -y[i] {
			t.Fatalf("double-talk CSS sample %d not inverted", i)
		}
	}
	if v := Level(y[:582]); math.Abs(v+15) > 0.1 {
		t.Errorf("double-talk CSS voiced part %.2f dBm0, want -15", v)
	}
}

// tonePower returns the mean power of x at freq over a Hann window
// averaged around freq (±10 Hz), enough to compare bands.
func tonePower(x []float64, freq float64) float64 {
	var s float64
	for _, f := range []float64{freq - 10, freq, freq + 10} {
		var z complex128
		for i, v := range x {
			w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(x)))
			z += complex(v*w, 0) * cmplx.Exp(complex(0, -2*math.Pi*f*float64(i)/fs))
		}
		s += real(z)*real(z) + imag(z)*imag(z)
	}
	return s
}

func TestBandpass(t *testing.T) {
	for _, tc := range []struct{ freq, min, max float64 }{
		{100, -200, -40}, {1000, -0.5, 0.5}, {2000, -0.5, 0.5}, {3000, -0.5, 0.5}, {3800, -200, -40},
	} {
		x := make([]float64, 4000)
		for i := range x {
			x[i] = 1000 * math.Sin(2*math.Pi*tc.freq*float64(i)/fs)
		}
		y := Bandpass(x)
		g := Level(y[500:3500]) - Level(x[500:3500])
		if g < tc.min || g > tc.max {
			t.Errorf("band-pass gain at %v Hz %.2f dB, want %v..%v", tc.freq, g, tc.min, tc.max)
		}
	}
}

func TestScenarioBuild(t *testing.T) {
	s := Scenario{Path: "D.6", ERL: 10, Delay: 30 * time.Millisecond, Source: White, Level: -15, Noise: -60,
		Duration: 2 * time.Second, TalkStart: time.Second, TalkEnd: 1500 * time.Millisecond, TalkLevel: -20, Seed: 1}
	v, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	n := Samples(time.Second)
	far := make([]float64, n)
	for i := range far {
		far[i] = float64(v.Far[i])
	}
	if l := Level(far); math.Abs(l+15) > 0.2 {
		t.Errorf("far end %.2f dBm0, want -15", l)
	}
	if erl := Level(far) - Level(v.Echo[:n]); math.Abs(erl-10) > 0.5 {
		t.Errorf("echo return loss %.2f dB, want 10", erl)
	}
	// The echo starts after the bulk delay: cross-correlation peak.
	h, _ := Path("D.6", 10)
	peak := 0
	for i, c := range h {
		if math.Abs(c) > math.Abs(h[peak]) {
			peak = i
		}
	}
	best, bestLag := 0.0, 0
	for lag := 0; lag < 600; lag++ {
		var c float64
		for i := lag; i < n; i++ {
			c += v.Echo[i] * far[i-lag]
		}
		if math.Abs(c) > best {
			best, bestLag = math.Abs(c), lag
		}
	}
	if want := Samples(30*time.Millisecond) + peak; bestLag != want {
		t.Errorf("echo lags the far end by %d samples, want %d", bestLag, want)
	}
	// Noise and talker where they belong.
	noise := make([]float64, n)
	for i := range noise {
		noise[i] = float64(v.Near[i]) - v.Echo[i] - v.Speech[i]
	}
	if l := Level(noise); math.Abs(l+60) > 0.5 {
		t.Errorf("background %.2f dBm0, want -60", l)
	}
	if Level(v.Speech[:n]) > -200 || Level(v.Speech[n:n+n/2]) < -25 {
		t.Errorf("talker outside its window: before %.1f dBm0, during %.1f dBm0", Level(v.Speech[:n]), Level(v.Speech[n:n+n/2]))
	}
	if _, err := (Scenario{Path: "D.6", Duration: time.Millisecond}).Build(); err == nil {
		t.Errorf("a 1 ms scenario built")
	}
	if _, err := (Scenario{Path: "X", Duration: time.Second}).Build(); !errors.Is(err, errPath) {
		t.Errorf("unknown path: %v", err)
	}
}

func TestCurve(t *testing.T) {
	// A made-up canceller whose residual is the echo scaled by 10^(-k/20)
	// with k rising 10 dB per 100 ms up to 40 dB.
	s := Scenario{Path: "D.2", ERL: 6, Source: White, Level: -10, Noise: NoNoise, Duration: time.Second, Seed: 2}
	v, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(v.Near))
	for i := range out {
		k := min(40, 10*float64(i)/800)
		out[i] = int16(math.Round(float64(v.Near[i]) - v.Echo[i]*(1-math.Pow(10, -k/20))))
	}
	c := v.Curve(out, 20*time.Millisecond)
	if got := c.TimeTo(20, 0, 200*time.Millisecond); got < 180*time.Millisecond || got > 240*time.Millisecond {
		t.Errorf("TimeTo(20 dB) = %v, want about 200 ms", got)
	}
	if got := c.TimeTo(60, 0, 0); got != -1 {
		t.Errorf("TimeTo(60 dB) = %v, want never (-1)", got)
	}
	if m := c.Mean(600*time.Millisecond, time.Second); math.Abs(m-40) > 1 {
		t.Errorf("Mean over the last 400 ms %.1f dB, want 40", m)
	}
	if m := c.Min(0, time.Second); m > 2 {
		t.Errorf("Min %.1f dB, want about 0 at the start", m)
	}
}
