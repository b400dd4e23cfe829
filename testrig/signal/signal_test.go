package signal

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/tone"
)

// mix sums sines (freq, dBm0 pairs) over n samples, plus white noise at
// noise dBm0 (none when below -150).
func mix(n int, noise float64, comps ...[2]float64) []int16 {
	acc := make([]float64, n)
	for _, c := range comps {
		a := dsp.DBm0ToPeak(c[1])
		for i := range acc {
			acc[i] += a * math.Sin(2*math.Pi*c[0]*float64(i)/8000+c[0])
		}
	}
	if noise > -150 {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		sd := dsp.DBm0ToRMS(noise)
		for i := range acc {
			acc[i] += sd * rng.NormFloat64()
		}
	}
	x := make([]int16, n)
	for i, v := range acc {
		x[i] = dsp.SatF16(v)
	}
	return x
}

func TestSine(t *testing.T) {
	whole := make([]int16, 1000)
	Sine(whole, 1004, -10, nil)
	parts := make([]int16, 1000)
	var ph float64
	for i := 0; i < 1000; i += 77 {
		Sine(parts[i:min(i+77, 1000)], 1004, -10, &ph)
	}
	for i := range whole {
		if d := int(whole[i]) - int(parts[i]); d > 1 || d < -1 {
			t.Fatalf("sample %d: %d in one call, %d in pieces", i, whole[i], parts[i])
		}
	}
	if ph < 0 || ph >= 2*math.Pi {
		t.Errorf("phase %v not wrapped", ph)
	}
	if l := LevelAt(whole, 1004); math.Abs(l+10) > 0.02 {
		t.Errorf("level %.3f, want -10", l)
	}
	if l := dsp.RMSToDBm0(dsp.RMS(whole)); math.Abs(l+10) > 0.05 {
		t.Errorf("RMS level %.3f", l)
	}
}

func TestLevelAt(t *testing.T) {
	tests := []struct {
		comps [][2]float64
		n     int
	}{
		{[][2]float64{{450, -10}}, 800},
		{[][2]float64{{350, -13}, {440, -13}}, 8000},
		{[][2]float64{{350, -13}, {440, -13}}, 800},
		{[][2]float64{{1400, -8.9}, {2060, -8.9}, {2450, -8.9}, {2600, -8.9}}, 800},
		{[][2]float64{{1004, 0}, {1500, -50}}, 4000},
		{[][2]float64{{3000, -30}}, 160},
	}
	for _, tc := range tests {
		x := mix(tc.n, -200, tc.comps...)
		for _, c := range tc.comps {
			if l := LevelAt(x, c[0]); math.Abs(l-c[1]) > 0.05 {
				t.Errorf("%v over %d samples: %v Hz at %.3f dBm0, want %v", tc.comps, tc.n, c[0], l, c[1])
			}
		}
	}
	if l := LevelAt(make([]int16, 800), 1000); !math.IsInf(l, -1) {
		t.Errorf("silence: %v", l)
	}
	if l := LevelAt(nil, 1000); !math.IsInf(l, -1) {
		t.Errorf("empty: %v", l)
	}
}

func TestDominant(t *testing.T) {
	for _, c := range []struct {
		f, l  float64
		n     int
		noise float64
	}{
		{450, -10, 8000, -200}, {1004, -10, 800, -200}, {1500.5, -20, 1600, -45}, {25*4 + 3, -3, 4000, -200},
		{3850, -25, 2000, -200}, {697, -7, 8000, -30},
	} {
		x := mix(c.n, c.noise, [2]float64{c.f, c.l})
		f, l := Dominant(x)
		if math.Abs(f-c.f) > 0.5 || math.Abs(l-c.l) > 0.1 {
			t.Errorf("%v Hz %v dBm0 (%d samples, noise %v): got %.2f Hz %.2f dBm0", c.f, c.l, c.n, c.noise, f, l)
		}
	}
	// Two tones: the louder wins.
	if f, _ := Dominant(mix(800, -200, [2]float64{480, -30}, [2]float64{620, -24})); math.Abs(f-620) > 1 {
		t.Errorf("480@-30 + 620@-24: dominant %v", f)
	}
	// Outside the band it is not seen.
	if f, l := Dominant(mix(800, -200, [2]float64{50, -3})); l > -80 {
		t.Errorf("50 Hz: dominant %.1f Hz at %.1f dBm0", f, l)
	}
	if f, l := Dominant(make([]int16, 800)); f != 0 || !math.IsInf(l, -1) {
		t.Errorf("silence: %v %v", f, l)
	}
}

func TestSpectrum(t *testing.T) {
	x := mix(1600, -200, [2]float64{1000, -10})
	s := Spectrum(x, 900, 1100, 50)
	if len(s) != 5 || s[0].Freq != 900 || s[4].Freq != 1100 {
		t.Fatalf("bins %v", s)
	}
	if math.Abs(s[2].DBm0+10) > 0.05 || s[0].DBm0 > -80 || s[4].DBm0 > -80 {
		t.Errorf("spectrum %v", s)
	}
	if Spectrum(x, 10, 5, 1) != nil || Spectrum(x, 10, 20, 0) != nil {
		t.Error("bad ranges give bins")
	}
}

func TestMaxOther(t *testing.T) {
	tests := []struct {
		name    string
		x       []int16
		exclude []float64
		wantF   float64
		wantL   float64 // -999: anything below -80
	}{
		{"clean 1004", mix(800, -200, [2]float64{1004, -10}), []float64{1004}, 0, -999},
		{"1004 + 1500 at -45", mix(800, -200, [2]float64{1004, -10}, [2]float64{1500, -45}), []float64{1004}, 1500, -45},
		{"1004 + harmonic", mix(8000, -200, [2]float64{1004, 0}, [2]float64{2008, -42}), []float64{1004}, 2008, -42},
		{"dial + hum", mix(4000, -200, [2]float64{350, -13}, [2]float64{440, -13}, [2]float64{150, -38}), []float64{350, 440}, 150, -38},
		{"only excluded", mix(800, -200, [2]float64{350, -13}, [2]float64{440, -13}), []float64{350, 440}, 0, -999},
	}
	for _, tc := range tests {
		f, l := MaxOther(tc.x, tc.exclude, 50)
		if tc.wantL == -999 {
			if l > -80 {
				t.Errorf("%s: %.1f Hz at %.1f dBm0, want nothing above -80", tc.name, f, l)
			}
			continue
		}
		if math.Abs(f-tc.wantF) > 1 || math.Abs(l-tc.wantL) > 0.2 {
			t.Errorf("%s: %.2f Hz at %.2f dBm0, want %v Hz at %v", tc.name, f, l, tc.wantF, tc.wantL)
		}
	}
	// White noise: its strongest bin is far below the noise's total level
	// but not -Inf.
	x := mix(8000, -40, [2]float64{1004, -10})
	if _, l := MaxOther(x, []float64{1004}, 50); l > -60 || l < -100 {
		t.Errorf("noise at -40 dBm0: strongest other bin %.1f dBm0", l)
	}
}

// Cadences of the real tone plans, measured back.
func TestCadence(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		country string
		spec    func(*tone.Plan) *tone.Spec
		freqs   []float64
		pattern []time.Duration
		secs    int
	}{
		{"CN", func(p *tone.Plan) *tone.Spec { return &p.Busy }, []float64{450}, []time.Duration{350 * ms, 350 * ms}, 5},
		{"CN", func(p *tone.Plan) *tone.Spec { return &p.Ringback }, []float64{450}, []time.Duration{1000 * ms, 4000 * ms}, 12},
		{"CN", func(p *tone.Plan) *tone.Spec { return &p.Dial }, []float64{450}, []time.Duration{0}, 2},
		{"US", func(p *tone.Plan) *tone.Spec { return &p.Ringback }, []float64{440, 480}, []time.Duration{2000 * ms, 4000 * ms}, 15},
		{"US", func(p *tone.Plan) *tone.Spec { return &p.Congestion }, []float64{480, 620}, []time.Duration{250 * ms, 250 * ms}, 3},
		{"GB", func(p *tone.Plan) *tone.Spec { return &p.Ringback }, []float64{400, 450}, []time.Duration{400 * ms, 200 * ms, 400 * ms, 2000 * ms}, 8},
	}
	for _, tc := range tests {
		p, err := tone.Lookup(tc.country)
		if err != nil {
			t.Fatal(err)
		}
		sp := tc.spec(p)
		lvl := sp.Segments[0].Tones[0].Level
		var g tone.Generator
		g.Start(sp)
		// Start the recording somewhere inside the cadence.
		skip := make([]int16, 1234)
		g.Generate(skip)
		x := make([]int16, tc.secs*8000)
		g.Generate(x)
		ps := Cadence(x, tc.freqs, lvl-6)
		name := tc.country + " " + sp.Name
		if err := CheckCadence(ps, tc.pattern, 10*ms); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		// A wrong expectation fails.
		wrong := make([]time.Duration, len(tc.pattern))
		for i, d := range tc.pattern {
			wrong[i] = d + 60*ms
		}
		if tc.pattern[0] == 0 {
			wrong = []time.Duration{500 * ms, 500 * ms}
		}
		if err := CheckCadence(ps, wrong, 50*ms); err == nil {
			t.Errorf("%s: also matches %v: %v", name, wrong, ps)
		}
	}
	// Busy tone under a louder 1004 Hz tone and noise: still its cadence.
	p, _ := tone.Lookup("CN")
	var g tone.Generator
	g.Start(&p.Busy)
	x := mix(4*8000, -50, [2]float64{1004, -5})
	g.Mix(x)
	if err := CheckCadence(Cadence(x, []float64{450}, -16), []time.Duration{350 * ms, 350 * ms}, 10*ms); err != nil {
		t.Errorf("busy under 1004 Hz: %v", err)
	}
	// Nothing heard is one long "off".
	ps := Cadence(make([]int16, 8000), []float64{450}, -40)
	if len(ps) != 1 || ps[0].On || ps[0].Dur != time.Second {
		t.Errorf("silence: %v", ps)
	}
	// A tone at another frequency is not the tone.
	ps = Cadence(mix(8000, -200, [2]float64{1000, -10}), []float64{450}, -40)
	if len(ps) != 1 || ps[0].On {
		t.Errorf("1000 Hz looked for 450: %v", ps)
	}
}

func TestCheckCadence(t *testing.T) {
	ms := time.Millisecond
	on := func(d int) Period { return Period{true, time.Duration(d) * ms} }
	off := func(d int) Period { return Period{false, time.Duration(d) * ms} }
	busy := []time.Duration{350 * ms, 350 * ms}
	gb := []time.Duration{400 * ms, 200 * ms, 400 * ms, 2000 * ms}
	tests := []struct {
		name    string
		ps      []Period
		pattern []time.Duration
		ok      bool
	}{
		{"busy", []Period{off(120), on(350), off(350), on(360), off(100)}, busy, true},
		{"busy, 40 ms long", []Period{off(120), on(390), off(350), on(20)}, busy, true},
		{"busy, 60 ms long", []Period{off(120), on(410), off(350), on(20)}, busy, false},
		{"busy, cut first too long", []Period{off(500), on(350), off(350)}, busy, false},
		{"gb from its long pause", []Period{on(100), off(2000), on(400), off(200), on(400), off(2000), on(30)}, gb, true},
		{"gb from its short pause", []Period{on(100), off(200), on(400), off(2000), on(400), off(200)}, gb, true},
		{"gb swapped", []Period{on(100), off(200), on(400), off(200), on(400)}, gb, false},
		{"too short", []Period{on(100), off(200)}, busy, false},
		{"continuous", []Period{on(5000)}, []time.Duration{0}, true},
		{"continuous broken", []Period{on(1000), off(10), on(3000)}, []time.Duration{0}, false},
		{"odd pattern", []Period{on(1), off(1), on(1)}, []time.Duration{ms}, false},
	}
	for _, tc := range tests {
		err := CheckCadence(tc.ps, tc.pattern, 50*ms)
		if (err == nil) != tc.ok {
			t.Errorf("%s: CheckCadence = %v, want ok %v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, errCadence) {
			t.Errorf("%s: error %v does not wrap errCadence", tc.name, err)
		}
	}
}

// Edges: a threshold 6 dB under the tone puts a half-filled frame on, so
// on-periods come out right to the 10 ms frame.
func TestCadenceEdges(t *testing.T) {
	for _, onLen := range []int{800, 840, 2800, 2840, 2880} {
		x := make([]int16, 4000+onLen+4000)
		Sine(x[4000:4000+onLen], 450, -10, nil)
		ps := Cadence(x, []float64{450}, -16)
		if len(ps) != 3 || !ps[1].On {
			t.Fatalf("%d samples on: %v", onLen, ps)
		}
		want := time.Duration(onLen) * time.Second / 8000
		if d := ps[1].Dur - want; d < -5*time.Millisecond || d > 5*time.Millisecond {
			t.Errorf("%d samples on (%v): measured %v", onLen, want, ps[1].Dur)
		}
	}
}

func ExampleCadence() {
	plan, _ := tone.Lookup("CN")
	var g tone.Generator
	g.Start(&plan.Busy)
	x := make([]int16, 2*8000)
	g.Generate(x)
	fmt.Println(Cadence(x, []float64{450}, -16))
	f, l := Dominant(x[:2800])
	fmt.Printf("%.0f Hz at %.1f dBm0\n", f, l)
	// Output:
	// [on 350ms off 350ms on 350ms off 350ms on 350ms off 250ms]
	// 450 Hz at -10.0 dBm0
}
