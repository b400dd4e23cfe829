package fax

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/callerid"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/dsp/tone"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sig describes a test signal.
type sig struct {
	freq    float64 // Hz
	level   float64 // dBm0
	on, off int     // samples of tone and of silence (cadence); off 0: continuous
	bursts  int
	rev     int     // samples between phase reversals (0: none)
	am      float64 // 15 Hz modulation depth
}

// render makes lead samples of line noise, then the signal for n samples,
// over white noise at noise dBm0 (none below -100).
func render(rng *rand.Rand, s sig, lead, n int, noise float64) []int16 {
	x := make([]float64, lead+n)
	a := dsp.DBm0ToPeak(s.level)
	ph := rng.Float64() * 2 * math.Pi
	period := s.on + s.off
	for i := 0; i < n; i++ {
		if s.off > 0 && (i%period >= s.on || (s.bursts > 0 && i/period >= s.bursts)) {
			continue
		}
		p := ph + 2*math.Pi*s.freq*float64(i)/dsp.SampleRate
		if s.rev > 0 && (i/s.rev)%2 == 1 {
			p += math.Pi
		}
		g := 1.0
		if s.am > 0 {
			g += s.am * math.Sin(2*math.Pi*15*float64(i)/dsp.SampleRate)
		}
		x[lead+i] = a * g * math.Sin(p)
	}
	return finish(rng, x, noise)
}

func finish(rng *rand.Rand, x []float64, noise float64) []int16 {
	out := make([]int16, len(x))
	sd := 0.0
	if noise > -100 {
		sd = dsp.DBm0ToRMS(noise)
	}
	for i, v := range x {
		out[i] = dsp.SatF16(v + rng.NormFloat64()*sd)
	}
	return out
}

// v21 makes lead samples of line noise, then nflags HDLC flags and nbytes
// random bytes (bit-stuffed as HDLC would) on V.21 channel 2, phase
// continuous, at level dBm0.
func v21(rng *rand.Rand, level float64, lead, nflags, nbytes int, noise float64) []int16 {
	var bits []byte
	for range nflags {
		for k := range 8 {
			bits = append(bits, (0x7E>>k)&1)
		}
	}
	ones := 0
	for range nbytes {
		b := byte(rng.IntN(256))
		for k := range 8 {
			bit := (b >> k) & 1
			bits = append(bits, bit)
			if ones = (ones + int(bit)) * int(bit); ones == 5 {
				bits, ones = append(bits, 0), 0
			}
		}
	}
	a := dsp.DBm0ToPeak(level)
	n := int(float64(len(bits)) * v21SPB)
	x := make([]float64, lead+n)
	ph := rng.Float64() * 2 * math.Pi
	for i := range n {
		f := 1850.0
		if bits[int(float64(i)/v21SPB)] == 1 {
			f = 1650
		}
		ph += 2 * math.Pi * f / dsp.SampleRate
		x[lead+i] = a * math.Sin(ph)
	}
	return finish(rng, x, noise)
}

// seen is an event and the sample index at whose frame end it came.
type seen struct {
	Event
	When int64
}

// run feeds x in frames of size n and returns the events.
func run(x []int16, n int) []seen {
	d := NewDetector()
	var out []seen
	for i := 0; i < len(x); i += n {
		end := min(i+n, len(x))
		for _, e := range d.Process(x[i:end]) {
			out = append(out, seen{e, int64(end)})
		}
	}
	return out
}

// want is an event a test signal must give: its kind and where it begins,
// in samples from the signal's start. It must be reported within 500 ms of
// that point, with At within 20 ms of it.
type want struct {
	kind Kind
	at   int
}

const ms = 8 // samples per millisecond

// TestDetection sends each signal at -10 to -40 dBm0 over line noise at
// -60 dBm0, starting at a random point of a frame, with the frequency at
// the edges of what the standards allow (CNG ±38 Hz, ANS ±15 Hz): each is
// recognised within 500 ms, with its start to within 20 ms, and nothing
// else is.
func TestDetection(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	worst := map[Kind]int{}
	for _, level := range []float64{-10, -20, -30, -40} {
		for _, df := range []float64{-1, 0, 1} {
			cases := []struct {
				name string
				s    sig
				want []want
			}{
				{"cng", sig{freq: 1100 + 38*df, level: level, on: 500 * ms, off: 3000 * ms, bursts: 2}, []want{{CNG, 0}, {CNG, 3500 * ms}}},
				{"ced", sig{freq: 2100 + 15*df, level: level}, []want{{CED, 0}}},
				{"/ans", sig{freq: 2100 + 15*df, level: level, rev: 450 * ms}, []want{{CED, 0}, {ANSReversal, 450 * ms}}},
				{"ansam", sig{freq: 2100 + 15*df, level: level, am: 0.2}, []want{{ANSam, 0}}},
				{"/ansam", sig{freq: 2100 + 15*df, level: level, am: 0.2, rev: 450 * ms}, []want{{ANSam, 0}, {ANSamReversal, 450 * ms}}},
			}
			for _, c := range cases {
				lead := 800 + rng.IntN(80)
				x := render(rng, c.s, lead, 4200*ms, -60)
				checkEvents(t, fmt.Sprintf("%s/%v dBm0/%.0f Hz", c.name, level, c.s.freq), run(x, 80), lead, c.want, worst)
			}
			if df == 0 {
				lead := 800 + rng.IntN(80)
				x := v21(rng, level, lead, 37, 30, -60)
				checkEvents(t, fmt.Sprintf("v21/%v dBm0", level), run(x, 80), lead, []want{{V21Preamble, 0}}, worst)
			}
		}
	}
	for _, k := range []Kind{CNG, CED, ANSam, ANSReversal, ANSamReversal, V21Preamble} {
		t.Logf("%-14v reported at most %3d ms after it began", k, worst[k]/ms)
	}
}

func checkEvents(t *testing.T, name string, evs []seen, lead int, ws []want, worst map[Kind]int) {
	t.Helper()
	if len(evs) != len(ws) {
		t.Errorf("%s: events %+v, want %+v", name, evs, ws)
		return
	}
	for i, w := range ws {
		e := evs[i]
		at := int(e.At) - lead - w.at
		delay := int(e.When) - lead - w.at
		if e.Kind != w.kind || at < -20*ms || at > 20*ms || delay > 500*ms {
			t.Errorf("%s: event %d is %v beginning %+d ms off, reported %d ms after; want %v within 500 ms", name, i, e.Kind, at/ms, delay/ms, w.kind)
		}
		worst[e.Kind] = max(worst[e.Kind], delay)
	}
}

// TestRejects: signals near the fax tones, too short, too weak, and the
// other signals of a telephone line give no event.
func TestRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	cases := []struct {
		name string
		x    []int16
	}{
		{"1000 Hz", render(rng, sig{freq: 1000, level: -10}, 0, 16000, -60)},
		{"1200 Hz", render(rng, sig{freq: 1200, level: -10}, 0, 16000, -60)},
		{"2050 Hz", render(rng, sig{freq: 2050, level: -10}, 0, 16000, -60)},
		{"2150 Hz", render(rng, sig{freq: 2150, level: -10}, 0, 16000, -60)},
		{"cng 250 ms", render(rng, sig{freq: 1100, level: -10, on: 250 * ms, off: 3000 * ms}, 0, 10000*ms, -60)},
		{"ans 200 ms", render(rng, sig{freq: 2100, level: -10, on: 200 * ms, off: 1000 * ms}, 0, 5000*ms, -60)},
		{"cng -50 dBm0", render(rng, sig{freq: 1100, level: -50}, 0, 16000, -80)},
		{"ans -50 dBm0", render(rng, sig{freq: 2100, level: -50}, 0, 16000, -80)},
		{"1100 Hz in loud noise", render(rng, sig{freq: 1100, level: -30}, 0, 16000, -25)},
		{"v21 5 flags", v21(rng, -10, 800, 5, 0, -60)},
		{"noise", render(rng, sig{level: -100}, 0, 5*8000, -20)},
	}
	// DTMF, every digit.
	var dg dtmf.Generator
	if err := dg.Start("0123456789*#ABCD", 100*time.Millisecond, 100*time.Millisecond, -5); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name string
		x    []int16
	}{"dtmf", generate(dg.Active, dg.Generate)})
	// Every call-progress tone of every country, 6 s each.
	for _, c := range tone.Countries() {
		p, err := tone.Lookup(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range p.Specs() {
			var g tone.Generator
			g.Start(s)
			x := make([]int16, 6*8000)
			g.Generate(x)
			cases = append(cases, struct {
				name string
				x    []int16
			}{c + " " + s.Name, x})
		}
	}
	// Caller ID in FSK, both modems.
	m := callerid.Message{Type: callerid.MDMF, Number: "0123456789", Name: "ABCDEFGHIJ KLMNOPQRSTUVWXYZ"}
	raw, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, modem := range []callerid.Modem{callerid.Bell202, callerid.V23} {
		tx := callerid.OnHook(modem, raw)
		var g callerid.Generator
		if err := g.Start(&tx); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			name string
			x    []int16
		}{"caller ID " + modem.String(), generate(g.Active, func(f []int16) { g.Generate(f) })})
	}
	for _, c := range cases {
		if evs := run(c.x, 80); len(evs) != 0 {
			t.Errorf("%s: %+v", c.name, evs)
		}
	}
}

// generate collects frames from a generator until it stops.
func generate(active func() bool, gen func([]int16)) []int16 {
	var x []int16
	var f [80]int16
	for active() {
		gen(f[:])
		x = append(x, f[:]...)
	}
	return x
}

// composite is a fax call in miniature: CNG, a pause, /ANSam for 2 s
// (four reversals), CED again after a pause, V.21 flags.
func composite() []int16 {
	rng := rand.New(rand.NewPCG(31, 32))
	var x []int16
	x = append(x, render(rng, sig{freq: 1100, level: -15, on: 500 * ms, off: 500 * ms, bursts: 1}, 400, 1000*ms, -65)...)
	x = append(x, render(rng, sig{freq: 2100, level: -12, am: 0.2, rev: 450 * ms}, 400, 2000*ms, -65)...)
	x = append(x, render(rng, sig{freq: 2100, level: -12}, 1000*ms, 1000*ms, -65)...)
	x = append(x, v21(rng, -12, 600*ms, 40, 20, -65)...)
	return append(x, make([]int16, 200*ms)...)
}

// TestFrameSizes: the events do not depend on how the audio is cut.
func TestFrameSizes(t *testing.T) {
	x := composite()
	ref := run(x, 80)
	if len(ref) != 5 {
		t.Fatalf("composite: %+v", ref)
	}
	for _, n := range []int{1, 37, 160, 800} {
		got := run(x, n)
		if len(got) != len(ref) {
			t.Errorf("frames of %d: %+v, want %+v", n, got, ref)
			continue
		}
		for i := range got {
			if got[i].Event != ref[i].Event || got[i].When-ref[i].When > int64(n) || ref[i].When-got[i].When >= 80 {
				t.Errorf("frames of %d: event %d %+v, want %+v", n, i, got[i], ref[i])
			}
		}
	}
}

// TestGolden compares the events of the composite signal with
// testdata/events.golden.
func TestGolden(t *testing.T) {
	var b strings.Builder
	for _, e := range run(composite(), 80) {
		fmt.Fprintf(&b, "%-14v at %6d (%5.3f s) reported at %6d, %.1f dBm0, disables EC %v\n", e.Kind, e.At, float64(e.At)/8000, e.When, e.Level, e.Kind.DisablesEC())
	}
	path := filepath.Join("testdata", "events.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != b.String() {
		t.Errorf("%s differs (run go test -update after checking):\n got:\n%s\nwant:\n%s", path, b.String(), want)
	}
}

// TestLevelReported: the event's level is the tone's, within 1 dB.
func TestLevelReported(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, s := range []sig{{freq: 1138, level: -23, on: 600 * ms, off: 100}, {freq: 2085, level: -37}} {
		evs := run(render(rng, s, 0, 8000, -70), 80)
		if len(evs) != 1 || math.Abs(evs[0].Level-s.level) > 1 {
			t.Errorf("%v Hz at %v dBm0: %+v", s.freq, s.level, evs)
		}
	}
}

// TestKinds covers the names and the G.164/G.165 rule.
func TestKinds(t *testing.T) {
	want := map[Kind]string{CNG: "CNG", CED: "CED", ANSam: "ANSam", ANSReversal: "/ANS", ANSamReversal: "/ANSam", V21Preamble: "V.21 preamble", 0: "kind?"}
	for k, s := range want {
		if k.String() != s || k.DisablesEC() != (k == ANSReversal || k == ANSamReversal) {
			t.Errorf("%d: %q, DisablesEC %v", k, k, k.DisablesEC())
		}
	}
}

// TestAllocs: Process never allocates.
func TestAllocs(t *testing.T) {
	x := composite()
	d := NewDetector()
	i, n := 0, 0
	allocs := testing.AllocsPerRun(len(x)/80-1, func() {
		n += len(d.Process(x[i : i+80]))
		i += 80
	})
	if allocs != 0 || n != 5 {
		t.Errorf("%v allocations per frame, %d events", allocs, n)
	}
}

// TestReset: after Reset the detector starts afresh.
func TestReset(t *testing.T) {
	x := composite()
	d := NewDetector()
	d.Process(x[:len(x)/2])
	d.Reset()
	var evs []Event
	for i := 0; i+80 <= len(x); i += 80 {
		evs = append(evs, d.Process(x[i:i+80])...)
	}
	ref := run(x, 80)
	if len(evs) != len(ref) || evs[0] != ref[0].Event {
		t.Errorf("after Reset: %+v, want %+v", evs, ref)
	}
}
