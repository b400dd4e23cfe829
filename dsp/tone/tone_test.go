package tone

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// level measures the component at freq in x with a Blackman-Harris window,
// in dBm0. It is exact for a sine at freq, and other components more than
// 4 window bins away leak less than -90 dB.
func level(x []int16, freq float64) float64 {
	return 20*math.Log10(amplitude(x, freq)/32767) + dsp.FullScaleDBm0
}

func amplitude(x []int16, freq float64) float64 {
	win := window(len(x))
	var sum complex128
	var wsum float64
	rot := cmplx.Rect(1, -2*math.Pi*freq/dsp.SampleRate)
	ph := complex(1, 0)
	for i, v := range x {
		sum += complex(float64(v)*win[i], 0) * ph
		ph *= rot
		wsum += win[i]
	}
	return 2 * cmplx.Abs(sum) / wsum
}

var windows = map[int][]float64{}

// window returns a 4-term Blackman-Harris window of n points.
func window(n int) []float64 {
	if w, ok := windows[n]; ok {
		return w
	}
	w := make([]float64, n)
	for i := range w {
		a := 2 * math.Pi * float64(i) / float64(n-1)
		w[i] = 0.35875 - 0.48829*math.Cos(a) + 0.14128*math.Cos(2*a) - 0.01168*math.Cos(3*a)
	}
	windows[n] = w
	return w
}

// peakFreq finds the frequency of the largest response within ±span Hz of
// f0, to 0.01 Hz.
func peakFreq(x []int16, f0, span float64) float64 {
	lo, hi := f0-span, f0+span
	for hi-lo > 0.01 {
		m1, m2 := lo+(hi-lo)/3, hi-(hi-lo)/3
		if amplitude(x, m1) < amplitude(x, m2) {
			lo = m1
		} else {
			hi = m2
		}
	}
	return (lo + hi) / 2
}

func plansForTest(t *testing.T) []*Plan {
	t.Helper()
	var ps []*Plan
	for _, c := range Countries() {
		p, err := Lookup(c)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestLookup(t *testing.T) {
	if got := strings.Join(Countries(), ","); got != "CN,DE,GB,US" {
		t.Errorf("Countries() = %s", got)
	}
	for _, code := range []string{"CN", "cn", " us ", "Gb", "de"} {
		p, err := Lookup(code)
		if err != nil {
			t.Errorf("Lookup(%q): %v", code, err)
			continue
		}
		if p.Country != strings.ToUpper(strings.TrimSpace(code)) || p.Name == "" {
			t.Errorf("Lookup(%q) = %s %q", code, p.Country, p.Name)
		}
	}
	for _, code := range []string{"FR", "", "CHN", "xx"} {
		_, err := Lookup(code)
		if err == nil {
			t.Errorf("Lookup(%q) gave no error", code)
			continue
		}
		if !errors.Is(err, errUnknownCountry) || !strings.Contains(err.Error(), fmt.Sprintf("%q", code)) ||
			!strings.HasPrefix(err.Error(), "tone: ") {
			t.Errorf("Lookup(%q) error %q does not name the country", code, err)
		}
	}
	// Each Lookup is a fresh copy.
	a, _ := Lookup("CN")
	a.Dial.Segments[0].Tones[0].Freq = 1
	b, _ := Lookup("CN")
	if b.Dial.Segments[0].Tones[0].Freq != 450 {
		t.Error("changing one plan changed the next Lookup")
	}
}

// The values the standards give, as the plans must carry them.
func TestPlanValues(t *testing.T) {
	type want struct {
		country string
		spec    func(*Plan) *Spec
		freqs   []float64
		level   float64
		cadence []time.Duration // of the repeating part; nil: continuous
	}
	s := func(v ...float64) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x * float64(time.Second))
		}
		return d
	}
	dial := func(p *Plan) *Spec { return &p.Dial }
	rb := func(p *Plan) *Spec { return &p.Ringback }
	busy := func(p *Plan) *Spec { return &p.Busy }
	cong := func(p *Plan) *Spec { return &p.Congestion }
	unob := func(p *Plan) *Spec { return &p.Unobtainable }
	tests := []want{
		{"CN", dial, []float64{450}, -10, nil},
		{"CN", rb, []float64{450}, -10, s(1, 4)},
		{"CN", busy, []float64{450}, -10, s(0.35, 0.35)},
		{"CN", cong, []float64{450}, -10, s(0.7, 0.7)},
		{"CN", unob, []float64{450}, -10, s(0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4, 0.4)},
		{"CN", func(p *Plan) *Spec { return &p.Howler }, []float64{950}, -20, nil},
		{"US", dial, []float64{350, 440}, -13, nil},
		{"US", rb, []float64{440, 480}, -19, s(2, 4)},
		{"US", busy, []float64{480, 620}, -24, s(0.5, 0.5)},
		{"US", cong, []float64{480, 620}, -24, s(0.25, 0.25)},
		{"US", func(p *Plan) *Spec { return &p.Howler }, []float64{1400, 2060, 2450, 2600}, -20, s(0.1, 0.1)},
		{"GB", dial, []float64{350, 440}, -20, nil},
		{"GB", rb, []float64{400, 450}, -20, s(0.4, 0.2, 0.4, 2.0)},
		{"GB", busy, []float64{400}, -20, s(0.375, 0.375)},
		{"GB", unob, []float64{400}, -20, nil},
		{"DE", dial, []float64{425}, -10, nil},
		{"DE", rb, []float64{425}, -10, s(1, 4)},
		{"DE", busy, []float64{425}, -10, s(0.48, 0.48)},
		{"DE", cong, []float64{425}, -10, s(0.24, 0.24)},
	}
	for _, tc := range tests {
		p, _ := Lookup(tc.country)
		sp := tc.spec(p)
		name := tc.country + " " + sp.Name
		on := sp.Segments[sp.RepeatFrom]
		if len(on.Tones) != len(tc.freqs) {
			t.Errorf("%s: %d components, want %v", name, len(on.Tones), tc.freqs)
			continue
		}
		for i, c := range on.Tones {
			if c.Freq != tc.freqs[i] || c.Level != tc.level {
				t.Errorf("%s: component %d = %v Hz %v dBm0, want %v Hz %v dBm0", name, i, c.Freq, c.Level, tc.freqs[i], tc.level)
			}
		}
		if tc.cadence == nil {
			if len(sp.Segments) != 1 || sp.Segments[0].Dur != 0 {
				t.Errorf("%s: not continuous", name)
			}
			continue
		}
		segs := sp.Segments[sp.RepeatFrom:]
		if !sp.Repeat || len(segs) != len(tc.cadence) {
			t.Errorf("%s: %d segments (repeat %v), want cadence %v", name, len(segs), sp.Repeat, tc.cadence)
			continue
		}
		for i, sg := range segs {
			if sg.Dur != tc.cadence[i] || (len(sg.Tones) > 0) != (i%2 == 0) {
				t.Errorf("%s: segment %d = %v with %d tones, want cadence %v", name, i, sg.Dur, len(sg.Tones), tc.cadence)
			}
		}
	}
	rings := map[string]Ring{
		"CN": {25, s(1, 4)}, "US": {20, s(2, 4)}, "GB": {25, s(0.4, 0.2, 0.4, 2)}, "DE": {25, s(1, 4)},
	}
	for c, r := range rings {
		p, _ := Lookup(c)
		if p.Ring.Freq != r.Freq || fmt.Sprint(p.Ring.Pattern) != fmt.Sprint(r.Pattern) {
			t.Errorf("%s ring = %v, want %v", c, p.Ring, r)
		}
	}
}

// Every spec is playable: components within the band and at most
// MaxComponents, levels at or below 0 dBm0, ring cadences within what a
// SLIC can do (15-68 Hz, 1-8 periods of 50 ms to 10 s).
func TestPlansWellFormed(t *testing.T) {
	for _, p := range plansForTest(t) {
		for _, sp := range p.Specs() {
			name := p.Country + " " + sp.Name
			if sp.Name == "" || len(sp.Segments) == 0 {
				t.Errorf("%s: no name or segments", name)
			}
			if sp.RepeatFrom < 0 || sp.RepeatFrom >= len(sp.Segments) {
				t.Errorf("%s: RepeatFrom %d out of range", name, sp.RepeatFrom)
			}
			sounds := false
			for i, sg := range sp.Segments {
				if sg.Dur < 0 || (sg.Dur == 0 && i != len(sp.Segments)-1) {
					t.Errorf("%s: segment %d lasts %v", name, i, sg.Dur)
				}
				if len(sg.Tones) > MaxComponents {
					t.Errorf("%s: segment %d has %d components", name, i, len(sg.Tones))
				}
				for _, c := range sg.Tones {
					sounds = true
					if c.Freq < 100 || c.Freq > 3400 || c.Level > 0 || c.Level < -30 {
						t.Errorf("%s: component %v", name, c)
					}
				}
			}
			if !sounds {
				t.Errorf("%s: silent", name)
			}
		}
		r := p.Ring
		if r.Freq < 15 || r.Freq > 68 || len(r.Pattern) < 1 || len(r.Pattern) > 8 || len(r.Pattern)%2 != 0 {
			t.Errorf("%s ring %v", p.Country, r)
		}
		for _, d := range r.Pattern {
			if d < 50*time.Millisecond || d > 10*time.Second {
				t.Errorf("%s ring period %v", p.Country, d)
			}
		}
		if r.Period() <= 0 {
			t.Errorf("%s ring period", p.Country)
		}
	}
}

func TestSamples(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{350 * time.Millisecond, 2800}, {375 * time.Millisecond, 3000}, {225 * time.Millisecond, 1800},
		{time.Second, 8000}, {62500 * time.Nanosecond, 1}, {62499 * time.Nanosecond, 0}, {4 * time.Hour, 115200000},
	}
	for _, tc := range tests {
		if got := Samples(tc.d); got != tc.want {
			t.Errorf("Samples(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// generate plays s for n samples in frames of 80.
func generate(s *Spec, n int) []int16 {
	var g Generator
	g.Start(s)
	x := make([]int16, n)
	for i := 0; i < n; i += 80 {
		g.Generate(x[i:min(i+80, n)])
	}
	return x
}

// schedule lists the segments s plays in its first n samples as
// [start, end) sample ranges, computed from the durations alone.
type span struct {
	seg        int
	start, end int
}

func schedule(s *Spec, n int) []span {
	var out []span
	pos, i := 0, 0
	for pos < n {
		d := int(Samples(s.Segments[i].Dur))
		if s.Segments[i].Dur == 0 {
			d = n - pos
		}
		out = append(out, span{i, pos, min(pos+d, n)})
		pos += d
		i++
		if i == len(s.Segments) {
			if !s.Repeat {
				break
			}
			i = s.RepeatFrom
		}
	}
	return out
}

// Each tone of each plan, measured back from the generated audio: every
// segment sounds at its frequencies and levels (within 0.2 dB, frequency
// within 0.5 Hz), nothing else sounds (no component 40 dB below the tone
// elsewhere), silent segments are exactly silent, and every boundary falls
// on the sample the durations give.
func TestPlansMeasured(t *testing.T) {
	for _, p := range plansForTest(t) {
		for _, sp := range p.Specs() {
			name := p.Country + " " + sp.Name
			if sp.RampDB > 0 {
				continue // TestHowlerRamp
			}
			n := 0
			for _, sg := range sp.Segments {
				n += int(Samples(sg.Dur))
			}
			n = max(n+8000, 16000)
			x := generate(sp, n)
			measured := map[int]bool{}
			for _, sc := range schedule(sp, n) {
				seg := x[sc.start:sc.end]
				tones := sp.Segments[sc.seg].Tones
				if len(tones) == 0 {
					for i, v := range seg {
						if v != 0 {
							t.Fatalf("%s: sample %d of silent segment %d is %d", name, sc.start+i, sc.seg, v)
						}
					}
					continue
				}
				// The sample before an on-segment that follows silence is 0
				// and the one after its first is not: the boundary is exact.
				if sc.start > 0 && x[sc.start-1] != 0 && len(sp.Segments) > 1 && len(sp.Segments[(sc.seg+len(sp.Segments)-1)%len(sp.Segments)].Tones) == 0 {
					t.Errorf("%s: sound before segment %d starts at %d", name, sc.seg, sc.start)
				}
				if x[sc.start+1] == 0 || x[sc.start+2] == 0 {
					t.Errorf("%s: segment %d silent at its start %d", name, sc.seg, sc.start)
				}
				if measured[sc.seg] || len(seg) < 400 {
					continue
				}
				seg = seg[:min(len(seg), 2400)]
				measured[sc.seg] = true
				for _, c := range tones {
					if f := peakFreq(seg, c.Freq, 10); math.Abs(f-c.Freq) > 0.5 {
						t.Errorf("%s segment %d: %v Hz measured at %.2f Hz", name, sc.seg, c.Freq, f)
					}
					if l := level(seg, c.Freq); math.Abs(l-c.Level) > 0.2 {
						t.Errorf("%s segment %d: %v Hz at %.2f dBm0, want %v", name, sc.seg, c.Freq, l, c.Level)
					}
				}
				// Nothing else: scan the band away from the components.
				for f := 100.0; f < 3900; f += 10 {
					near := false
					for _, c := range tones {
						near = near || math.Abs(f-c.Freq) < 60
					}
					if sp.Modulate != 0 || near {
						continue
					}
					if l := level(seg, f); l > tones[0].Level-40 {
						t.Errorf("%s segment %d: %v Hz at %.1f dBm0", name, sc.seg, f, l)
					}
				}
			}
		}
	}
}

// The generator's own count of segments switches on exactly the samples
// the durations give, over many cycles (no drift).
func TestCadenceExact(t *testing.T) {
	for _, p := range plansForTest(t) {
		for _, sp := range []*Spec{&p.Busy, &p.Congestion, &p.Ringback, &p.Unobtainable, &p.CallWaiting} {
			if len(sp.Segments) < 2 {
				continue
			}
			const n = 90 * 8000
			var g Generator
			g.Start(sp)
			want := schedule(sp, n)
			var buf [1]int16
			var got []span
			cur := span{seg: g.seg}
			// Step in odd-sized chunks, then one sample at a time near each
			// boundary.
			pos := 0
			for pos < n {
				left := int(g.left)
				if left > 3 {
					chunk := make([]int16, min(left-2, 997))
					g.Generate(chunk)
					pos += len(chunk)
					continue
				}
				g.Generate(buf[:])
				pos++
				if g.seg != cur.seg || g.left == Samples(sp.Segments[g.seg].Dur) {
					cur.end = pos
					got = append(got, cur)
					cur = span{seg: g.seg, start: pos}
				}
			}
			name := p.Country + " " + sp.Name
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: segment #%d = %+v, want %+v", name, i, got[i], want[i])
				}
			}
			if len(got) < len(want)-1 {
				t.Fatalf("%s: %d segments, want %d", name, len(got), len(want))
			}
		}
	}
	// The busy tone is exactly 2800 samples on, 2800 off.
	p, _ := Lookup("CN")
	sc := schedule(&p.Busy, 8000)
	if sc[0].end != 2800 || sc[1].end != 5600 {
		t.Errorf("CN busy schedule %v", sc)
	}
}

// Frames of any size give the same samples as one long call.
func TestChunkingInvariant(t *testing.T) {
	p, _ := Lookup("US")
	for _, sp := range p.Specs() {
		whole := make([]int16, 20000)
		var g Generator
		g.Start(sp)
		g.Generate(whole)
		var h Generator
		h.Start(sp)
		parts := make([]int16, len(whole))
		sizes := []int{1, 7, 80, 333, 2799, 2, 80}
		for i, k := 0, 0; i < len(parts); k++ {
			n := min(sizes[k%len(sizes)], len(parts)-i)
			h.Generate(parts[i : i+n])
			i += n
		}
		if !slicesEqual(whole, parts) {
			t.Errorf("US %s: chunked output differs", sp.Name)
		}
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHowlerRamp(t *testing.T) {
	// China: 950 Hz from -20 dBm0, +4 dB/s, held at 0 dBm0 from 5 s.
	p, _ := Lookup("CN")
	x := generate(&p.Howler, 8*8000)
	for _, tc := range []struct {
		at   float64 // seconds
		want float64
	}{{0.05, -19.8}, {1.05, -15.8}, {2.55, -9.8}, {6, 0}, {7.5, 0}} {
		i := int(tc.at * 8000)
		seg := x[i-400 : i+400] // 100 ms around the instant
		if l := level(seg, 950); math.Abs(l-tc.want) > 0.2 {
			t.Errorf("CN howler at %.2f s: %.2f dBm0, want %.1f", tc.at, l, tc.want)
		}
	}
	// US: four tones rising; their sum never clips.
	p, _ = Lookup("US")
	x = generate(&p.Howler, 30*8000)
	peak := 0
	for _, v := range x {
		peak = max(peak, int(v), -int(v))
	}
	if peak >= 32767 {
		t.Errorf("US howler clips (peak %d)", peak)
	}
	first := level(x[0:800], 1400)
	last := level(x[len(x)-1600:len(x)-800], 1400)
	if math.Abs(first+20) > 0.3 || last < -10 || last > -8.8 {
		t.Errorf("US howler 1400 Hz: %.2f dBm0 at start, %.2f at 30 s (want -20, then about -8.9)", first, last)
	}
	// The cadence stays exact while the level rises.
	for _, sc := range schedule(&p.Howler, len(x)) {
		if len(p.Howler.Segments[sc.seg].Tones) == 0 {
			for _, v := range x[sc.start:sc.end] {
				if v != 0 {
					t.Fatalf("US howler: sound in the gap at %d", sc.start)
				}
			}
		}
	}
}

func TestModulation(t *testing.T) {
	sp := Spec{Name: "am", Modulate: 25, Segments: []Segment{{Tones: []Component{{Freq: 425, Level: -10}}}}}
	x := generate(&sp, 16000)
	for _, tc := range []struct{ f, want float64 }{{425, -16.02}, {400, -22.04}, {450, -22.04}} {
		if l := level(x, tc.f); math.Abs(l-tc.want) > 0.2 {
			t.Errorf("AM line %v Hz at %.2f dBm0, want %.2f", tc.f, l, tc.want)
		}
	}
	var peak int16
	for _, v := range x {
		peak = max(peak, v)
	}
	if want := dsp.DBm0ToPeak(-10); float64(peak) > want+1 || float64(peak) < 0.99*want {
		t.Errorf("AM peak %d, want %.0f", peak, want)
	}
}

func TestStartStopActive(t *testing.T) {
	var g Generator
	buf := make([]int16, 80)
	buf[0] = 99
	g.Generate(buf)
	if g.Active() || buf[0] != 0 {
		t.Fatal("zero Generator is not silent and stopped")
	}
	one := Spec{Name: "beep", Segments: []Segment{{Dur: 5 * time.Millisecond, Tones: []Component{{1000, -10}}}, {Dur: 2 * time.Millisecond}}}
	g.Start(&one)
	if !g.Active() {
		t.Fatal("not active after Start")
	}
	g.Generate(buf)
	if g.Active() {
		t.Error("a 7 ms one-shot spec still active after 10 ms")
	}
	for i, v := range buf[40:] {
		if v != 0 {
			t.Fatalf("sample %d after the beep = %d", 40+i, v)
		}
	}
	g.Start(&one)
	g.Stop()
	g.Generate(buf)
	if g.Active() || buf[1] != 0 {
		t.Error("sound after Stop")
	}
	g.Start(nil)
	if g.Active() {
		t.Error("active after Start(nil)")
	}
	g.Start(&Spec{})
	if g.Active() {
		t.Error("active with no segments")
	}
	p, _ := Lookup("US")
	g.Start(&p.StutterDial) // ends in a Dur 0 segment: plays on
	for range 500 {
		g.Generate(buf)
	}
	if !g.Active() || buf[5] == 0 {
		t.Error("stutter dial stopped")
	}
}

func TestMix(t *testing.T) {
	p, _ := Lookup("DE")
	var g, h Generator
	g.Start(&p.Dial)
	h.Start(&p.Dial)
	a := make([]int16, 160)
	b := make([]int16, 160)
	g.Generate(a)
	h.Mix(b)
	if !slicesEqual(a, b) {
		t.Fatal("Mix into silence differs from Generate")
	}
	for i := range b {
		b[i] = 30000
	}
	h.Mix(b)
	var g2 Generator
	g2.Start(&p.Dial)
	g2.Generate(a) // skip 160
	g2.Generate(a)
	for i := range b {
		want := dsp.Sat16(30000 + int32(a[i]))
		if b[i] != want {
			t.Fatalf("Mix sample %d = %d, want %d", i, b[i], want)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	var g Generator
	frame := make([]int16, 80)
	for _, p := range plansForTest(t) {
		for _, sp := range p.Specs() {
			if a := testing.AllocsPerRun(50, func() {
				g.Start(sp)
				for range 20 {
					g.Generate(frame)
					g.Mix(frame)
				}
				_ = g.Active()
				g.Stop()
			}); a != 0 {
				t.Errorf("%s %s: %v allocations", p.Country, sp.Name, a)
			}
		}
	}
}

// Golden vectors: the first frames of some tones and the frames around a
// cadence boundary, to catch any change in the generated samples. Compared
// within ±1 LSB (floating-point contraction may differ between
// architectures).
func TestGolden(t *testing.T) {
	type golden struct {
		country, tone string
		spec          func(*Plan) *Spec
		from, frames  int // in 80-sample frames
	}
	tests := []golden{
		{"CN", "dial", func(p *Plan) *Spec { return &p.Dial }, 0, 3},
		{"CN", "busy-edge", func(p *Plan) *Spec { return &p.Busy }, 34, 2},
		{"US", "dial", func(p *Plan) *Spec { return &p.Dial }, 0, 3},
		{"US", "howler", func(p *Plan) *Spec { return &p.Howler }, 0, 2},
		{"GB", "ringback", func(p *Plan) *Spec { return &p.Ringback }, 0, 2},
		{"DE", "unobtainable-edge", func(p *Plan) *Spec { return &p.Unobtainable }, 32, 2},
	}
	for _, tc := range tests {
		p, _ := Lookup(tc.country)
		x := generate(tc.spec(p), (tc.from+tc.frames)*80)[tc.from*80:]
		path := filepath.Join("testdata", strings.ToLower(tc.country)+"-"+tc.tone+".golden")
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "# %s %s, frames %d-%d, 8 kHz 16-bit samples, one per line\n", tc.country, tc.tone, tc.from, tc.from+tc.frames-1)
		for _, v := range x {
			fmt.Fprintln(&buf, v)
		}
		if *update {
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		sc := bufio.NewScanner(f)
		i := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "#") {
				continue
			}
			v, err := strconv.Atoi(line)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if i >= len(x) || math.Abs(float64(v)-float64(x[i])) > 1 {
				t.Fatalf("%s: sample %d = %d, golden %d", path, i, x[min(i, len(x)-1)], v)
			}
			i++
		}
		f.Close()
		if i != len(x) {
			t.Fatalf("%s: %d golden samples, generated %d", path, i, len(x))
		}
	}
}

func ExampleGenerator() {
	plan, err := Lookup("CN")
	if err != nil {
		panic(err)
	}
	var g Generator
	g.Start(&plan.Busy)
	frame := make([]int16, 80) // 10 ms
	on := 0
	for range 70 { // 0.7 s: one busy cycle
		g.Generate(frame)
		if frame[40] != 0 {
			on++
		}
	}
	fmt.Println(on*10, "ms on of 700")
	// Output: 350 ms on of 700
}

func BenchmarkGenerateDial(b *testing.B) {
	p, _ := Lookup("US")
	var g Generator
	g.Start(&p.Dial)
	frame := make([]int16, 80)
	for b.Loop() {
		g.Generate(frame)
	}
}
