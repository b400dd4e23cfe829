package dtmf

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const allKeys = "123A456B789C*0#D"

// one builds a single burst with both tones at lvl and the given offsets.
func one(k byte, dur int, lvl, lowOff, highOff float64) burst {
	return burst{digit: k, dur: dur, gap: 0, low: lvl, high: lvl, lowOff: lowOff, highOff: highOff}
}

// twisted builds a burst whose louder tone is at loud dBm0 and whose twist
// (low minus high, dB) is tw.
func twisted(k byte, dur int, loud, tw float64) burst {
	b := one(k, dur, loud, 0, 0)
	if tw > 0 {
		b.high = loud - tw
	} else {
		b.low = loud + tw
	}
	return b
}

// checkOne asserts that x holds exactly one key press of digit k.
func checkOne(t *testing.T, name string, x []int16, k byte) []Event {
	t.Helper()
	evs := detect(x)
	if len(evs) != 2 || !evs[0].Down || evs[0].Digit != k || evs[1].Down || evs[1].Digit != k {
		t.Errorf("%s: events %v, want one press of %c", name, evs, k)
	}
	return evs
}

// checkNone asserts that x holds no key press.
func checkNone(t *testing.T, name string, x []int16) {
	t.Helper()
	if evs := detect(x); len(evs) != 0 {
		t.Errorf("%s: events %v, want none", name, evs)
	}
}

func TestAllDigitsAllLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, lvl := range []float64{-3, -7, -10, -15, -20, -25} {
		for _, k := range []byte(allKeys) {
			x := synth(rng, 333, []burst{one(k, 800, lvl, 0, 0)}, -200)
			checkOne(t, fmt.Sprintf("%c at %v dBm0", k, lvl), x, k)
		}
	}
}

// Below the sensitivity nothing is reported.
func TestTooQuiet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range []byte(allKeys) {
		checkNone(t, fmt.Sprintf("%c at -32 dBm0", k), synth(rng, 100, []burst{one(k, 800, -32, 0, 0)}, -200))
		// One tone fine, the other too quiet.
		b := one(k, 800, -10, 0, 0)
		b.high = -35
		checkNone(t, fmt.Sprintf("%c high tone at -35", k), synth(rng, 100, []burst{b}, -200))
	}
}

// Q.24: frequency deviations up to ±1.5 % are accepted, ±3.5 % and beyond
// rejected, on either tone, whatever the other does.
func TestFrequencyOffsets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	accept := []float64{-0.015, -0.01, -0.005, 0, 0.005, 0.01, 0.015}
	for _, k := range []byte(allKeys) {
		for _, lo := range accept {
			for _, hi := range accept {
				x := synth(rng, 211, []burst{one(k, 640, -15, lo, hi)}, -200)
				checkOne(t, fmt.Sprintf("%c offsets %+.1f%% %+.1f%%", k, lo*100, hi*100), x, k)
			}
		}
	}
	reject := []float64{-0.05, -0.045, -0.04, -0.035, 0.035, 0.04, 0.045, 0.05}
	for _, k := range []byte(allKeys) {
		for _, bad := range reject {
			for _, other := range []float64{-0.015, 0, 0.015} {
				x := synth(rng, 97, []burst{one(k, 800, -15, bad, other)}, -200)
				checkNone(t, fmt.Sprintf("%c low %+.1f%% high %+.1f%%", k, bad*100, other*100), x)
				x = synth(rng, 97, []burst{one(k, 800, -15, other, bad)}, -200)
				checkNone(t, fmt.Sprintf("%c low %+.1f%% high %+.1f%%", k, other*100, bad*100), x)
			}
		}
	}
}

// Twist is the level of the low-group tone minus that of the high-group
// tone. Accepted from -4 dB (high group louder) to +8 dB (low group
// louder); rejected beyond.
func TestTwist(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	for _, k := range []byte(allKeys) {
		for _, tw := range []float64{-4, -2, 0, 2, 4, 6, 8} {
			for _, loud := range []float64{-7, -15} {
				x := synth(rng, 150, []burst{twisted(k, 640, loud, tw)}, -200)
				checkOne(t, fmt.Sprintf("%c twist %+v dB, louder tone %v dBm0", k, tw, loud), x, k)
			}
		}
		// At the limits, with the worst accepted frequency offsets.
		for _, tw := range []float64{-4, 8} {
			for _, off := range [][2]float64{{-0.015, 0.015}, {0.015, -0.015}, {0.015, 0.015}, {-0.015, -0.015}} {
				b := twisted(k, 640, -8, tw)
				b.lowOff, b.highOff = off[0], off[1]
				x := synth(rng, 150, []burst{b}, -200)
				checkOne(t, fmt.Sprintf("%c twist %+v dB offsets %v", k, tw, off), x, k)
			}
		}
		for _, tw := range []float64{-12, -8, -5, 9, 10, 12, 16} {
			x := synth(rng, 150, []burst{twisted(k, 640, -7, tw)}, -200)
			checkNone(t, fmt.Sprintf("%c twist %+v dB", k, tw), x)
		}
	}
}

// Q.24: tones of 40 ms are accepted and tones of 23 ms rejected, however
// they fall on the detector's steps, at any accepted level, offset and
// twist.
func TestDurations(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 5))
	conds := []struct {
		lvl, tw, lo, hi float64
	}{
		{-10, 0, 0, 0}, {-25, 0, 0, 0}, {-7, 8, 0.015, -0.015}, {-7, -4, -0.015, 0.015}, {-15, 0, 0.015, 0.015},
	}
	for _, k := range []byte(allKeys) {
		for lead := 0; lead < 20; lead += 3 {
			for _, c := range conds {
				b := twisted(k, 320, c.lvl, c.tw)
				b.lowOff, b.highOff = c.lo, c.hi
				name := fmt.Sprintf("%c %+v %+v lead %d", k, c, b.dur, lead)
				checkOne(t, name+" 40 ms", synth(rng, 400+lead, []burst{b}, -200), k)
				b.dur = 184
				checkNone(t, name+" 23 ms", synth(rng, 400+lead, []burst{b}, -200))
			}
		}
	}
}

// Interruptions shorter than 10 ms are bridged; a pause of 40 ms separates
// two presses of the same key.
func TestGaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 6))
	for _, k := range []byte(allKeys) {
		for _, gap := range []int{1, 8, 40, 79} {
			// The tone goes on with its phase after the gap ...
			x := synth(rng, 500, []burst{one(k, 1600, -12, 0, 0)}, -200)
			clear(x[500+700 : 500+700+gap])
			evs := checkOne(t, fmt.Sprintf("%c gap %d samples", k, gap), x, k)
			if len(evs) == 2 && math.Abs(float64(evs[1].Dur-1600)) > 80 {
				t.Errorf("%c gap %d: duration %d samples, want 1600", k, gap, evs[1].Dur)
			}
			// ... or restarts with another phase.
			b := one(k, 700, -12, 0, 0)
			b.gap = gap
			x = synth(rng, 500, []burst{b, one(k, 900, -12, 0, 0)}, -200)
			checkOne(t, fmt.Sprintf("%c gap %d samples, new phase", k, gap), x, k)
		}
		for _, gap := range []int{320, 400} {
			b := one(k, 400, -12, 0, 0)
			b.gap = gap
			x := synth(rng, 500, []burst{b, one(k, 400, -12, 0, 0)}, -200)
			if got := downs(detect(x)); got != string([]byte{k, k}) {
				t.Errorf("%c pause %d samples: key-downs %q, want two", k, gap, got)
			}
		}
	}
}

// Digits back to back at the fastest Q.24 rate (40 ms on, 40 ms off), in
// noise, come out in order with their durations.
func TestSequence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 7))
	var bs []burst
	for _, k := range []byte(allKeys + "0123456789") {
		b := one(k, 320, -20, 0, 0)
		b.gap = 320
		bs = append(bs, b)
	}
	x := synth(rng, 800, bs, -50)
	evs := detect(x)
	if got := downs(evs); got != allKeys+"0123456789" {
		t.Fatalf("digits %q", got)
	}
	pos := int64(800)
	for i := 0; i < len(evs); i += 2 {
		down, up := evs[i], evs[i+1]
		if up.Down || up.Digit != down.Digit {
			t.Fatalf("event %d: %+v after %+v", i+1, up, down)
		}
		if math.Abs(float64(down.At-pos)) > 40 || math.Abs(float64(up.At-(pos+320))) > 40 || math.Abs(float64(up.Dur-320)) > 48 {
			t.Errorf("%c: down at %d, up at %d after %d samples; sent %d..%d", down.Digit, down.At, up.At, up.Dur, pos, pos+320)
		}
		pos += 640
	}
	// A new digit straight after another, with no pause, is a new key.
	x = synth(rng, 300, []burst{one('1', 800, -10, 0, 0), one('5', 800, -10, 0, 0)}, -200)
	if got := downs(detect(x)); got != "15" {
		t.Errorf("1 then 5 without pause: %q", got)
	}
}

func TestNoise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 8))
	// Noise alone, loud or soft: nothing.
	for _, n := range []float64{-5, -15, -25, -35, -50} {
		checkNone(t, fmt.Sprintf("white noise %v dBm0", n), synth(rng, 16000, nil, n))
	}
	// Digits in noise: every one found once.
	for _, c := range []struct{ tone, noise float64 }{{-10, -30}, {-20, -40}, {-25, -45}} {
		var bs []burst
		for _, k := range []byte(allKeys) {
			b := one(k, 560, c.tone, 0, 0)
			b.gap = 560
			bs = append(bs, b)
		}
		if got := downs(detect(synth(rng, 500, bs, c.noise))); got != allKeys {
			t.Errorf("tones %v dBm0 in noise %v dBm0: %q", c.tone, c.noise, got)
		}
	}
}

// formant is a two-pole resonator.
type formant struct{ a1, a2, g, y1, y2 float64 }

func newFormant(f, bw float64) formant {
	r := math.Exp(-math.Pi * bw / 8000)
	return formant{a1: 2 * r * math.Cos(2*math.Pi*f/8000), a2: -r * r, g: 1 - r}
}

func (f *formant) next(x float64) float64 {
	y := f.g*x + f.a1*f.y1 + f.a2*f.y2
	f.y2, f.y1 = f.y1, y
	return y
}

// speechLike makes n samples of a crude voice: a glottal pulse train with
// drifting pitch through three formants that jump between vowels, with
// syllables, unvoiced hiss and pauses.
func speechLike(rng *rand.Rand, n int, pitchLo, pitchHi float64) []int16 {
	vowels := [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240}, {530, 1840, 2480}, {660, 1720, 2410}, {570, 840, 2410}, {440, 1020, 2240}, {390, 1990, 2550}}
	out := make([]int16, n)
	var fs [3]formant
	pitch := pitchLo + rng.Float64()*(pitchHi-pitchLo)
	phase := 0.0
	env, target := 0.0, 1.0
	voiced := true
	nextChange := 0
	for i := range out {
		if i >= nextChange {
			v := vowels[rng.IntN(len(vowels))]
			for j := range fs {
				fs[j] = newFormant(v[j]*(0.9+0.2*rng.Float64()), 60+80*rng.Float64())
			}
			nextChange = i + 600 + rng.IntN(2000)
			target = []float64{0, 0.3, 1, 1, 1}[rng.IntN(5)]
			voiced = rng.Float64() < 0.8
		}
		pitch += (rng.Float64() - 0.5) * 0.4
		pitch = math.Min(math.Max(pitch, pitchLo), pitchHi)
		phase += pitch / 8000
		var src float64
		if voiced {
			if phase >= 1 {
				phase--
				src = 1
			}
			src -= pitch / 8000 // remove DC
		} else {
			src = rng.NormFloat64() * 0.05
		}
		env += (target - env) * 0.002
		y := fs[0].next(src) + 0.5*fs[1].next(src) + 0.25*fs[2].next(src)
		out[i] = int16(math.Max(-32768, math.Min(32767, y*env*60000)))
	}
	return out
}

// musicLike makes n samples of chords: 1 to 4 equal-tempered notes with
// harmonics, changing every 150-600 ms, with some vibrato.
func musicLike(rng *rand.Rand, n int) []int16 {
	out := make([]int16, n)
	type note struct{ f, a, ph float64 }
	var notes []note
	nextChange := 0
	for i := range out {
		if i >= nextChange {
			notes = notes[:0]
			for range 1 + rng.IntN(4) {
				f := 440 * math.Pow(2, float64(rng.IntN(40)-20)/12)
				notes = append(notes, note{f, 0.3 + 0.7*rng.Float64(), rng.Float64()})
			}
			nextChange = i + 1200 + rng.IntN(3600)
		}
		vib := 1 + 0.003*math.Sin(2*math.Pi*5.5*float64(i)/8000)
		var v float64
		for _, nt := range notes {
			for h := 1; h <= 5; h++ {
				v += nt.a / float64(h) * math.Sin(2*math.Pi*(nt.f*vib*float64(h)*float64(i)/8000+nt.ph*float64(h)))
			}
		}
		out[i] = int16(v * 2500)
	}
	return out
}

// Talk-off: speech-like and music-like signals at ordinary levels make no
// digits. (Issue 4 adds the 30-minute espeak-ng corpus; this is the quick
// guard.)
func TestTalkOff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	const sec = 8000
	for i, v := range []struct{ lo, hi float64 }{{80, 140}, {120, 220}, {180, 320}, {250, 400}} {
		x := speechLike(rng, 15*sec, v.lo, v.hi)
		checkNone(t, fmt.Sprintf("speech-like voice %d (%v-%v Hz, %.1f dBm0)", i, v.lo, v.hi, rmsDBm0(x)), x)
	}
	for i := range 4 {
		x := musicLike(rng, 15*sec)
		checkNone(t, fmt.Sprintf("music-like %d (%.1f dBm0)", i, rmsDBm0(x)), x)
	}
	// Single tones swept across the band, loud: one tone is never a digit.
	x := make([]int16, 10*sec)
	ph := 0.0
	for i := range x {
		f := 300 + 3000*float64(i)/float64(len(x))
		ph += f / 8000
		x[i] = int16(15000 * math.Sin(2*math.Pi*ph))
	}
	checkNone(t, "sweep", x)
}

func rmsDBm0(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return 20*math.Log10(math.Sqrt(s/float64(len(x)))*math.Sqrt2/32767) + 3.14
}

// Any framing gives the same events; the zero value works like NewDetector;
// Reset starts again from sample 0.
func TestFramingAndReset(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 10))
	var bs []burst
	for _, k := range []byte("159#") {
		b := one(k, 500, -12, 0.01, -0.01)
		b.gap = 450
		bs = append(bs, b)
	}
	x := synth(rng, 123, bs, -45)
	want := detect(x)
	if downs(want) != "159#" {
		t.Fatalf("reference run: %v", want)
	}
	for _, size := range []int{1, 7, 20, 33, 160, 1000} {
		var d Detector // zero value
		var got []Event
		for i := 0; i < len(x); i += size {
			got = append(got, d.Process(x[i:min(i+size, len(x))])...)
		}
		var z [80]int16
		for range 100 {
			got = append(got, d.Process(z[:])...)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("frames of %d: %v, want %v", size, got, want)
		}
		d.Reset()
		again := d.Process(x[:2000])
		if len(again) == 0 || again[0] != want[0] {
			t.Errorf("after Reset: %v, want %v first", again, want[0])
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 11))
	var bs []burst
	for _, k := range []byte(allKeys) {
		b := one(k, 400, -10, 0, 0)
		b.gap = 400
		bs = append(bs, b)
	}
	x := synth(rng, 0, bs, -40)
	d := NewDetector()
	pos, n := 0, 0
	a := testing.AllocsPerRun(len(x)/80-1, func() {
		n += len(d.Process(x[pos : pos+80]))
		pos += 80
	})
	if a != 0 {
		t.Errorf("%v allocations per frame, want 0", a)
	}
	if n == 0 {
		t.Error("no events while measuring allocations")
	}
}

// Golden: the events for a fixed signal, to catch any change of behaviour.
func TestGoldenEvents(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	var bs []burst
	for i, k := range []byte("0123456789*#ABCD") {
		b := one(k, 320+40*i, -20+float64(i%3)*5, 0.01*float64(i%3-1), -0.01*float64(i%3-1))
		b.gap = 400 + 20*i
		bs = append(bs, b)
	}
	x := synth(rng, 640, bs, -45)
	var sb strings.Builder
	sb.WriteString("# events for the signal of TestGoldenEvents: digit down/up at sample [duration]\n")
	for _, e := range detect(x) {
		if e.Down {
			fmt.Fprintf(&sb, "%c down %d\n", e.Digit, e.At)
		} else {
			fmt.Fprintf(&sb, "%c up %d %d\n", e.Digit, e.At, e.Dur)
		}
	}
	path := filepath.Join("testdata", "events.golden")
	if *update {
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if sb.String() != string(want) {
		t.Errorf("events differ from %s:\n%s\nwant:\n%s", path, sb.String(), want)
	}
	// And the golden file itself has the 16 digits in order.
	sc := bufio.NewScanner(strings.NewReader(string(want)))
	var ks []byte
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[1] == "down" {
			ks = append(ks, f[0][0])
		}
	}
	if string(ks) != "0123456789*#ABCD" {
		t.Errorf("golden digits %q", ks)
	}
}

func BenchmarkProcess(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 12))
	x := synth(rng, 0, []burst{one('5', 8000, -10, 0, 0)}, -40)
	d := NewDetector()
	i := 0
	for b.Loop() {
		d.Process(x[i : i+80])
		i = (i + 80) % (len(x) - 80)
	}
}

// Noise near the limit: tones at -25 dBm0 in white noise 15 dB below the
// pair's total power, with the worst accepted offsets, are still found.
func TestNoisyLimits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 13))
	for _, k := range []byte(allKeys) {
		for _, off := range []float64{-0.015, 0.015} {
			b := one(k, 640, -25, off, -off)
			x := synth(rng, 300, []burst{b}, -25+3-15)
			checkOne(t, fmt.Sprintf("%c at -25 dBm0, offsets %+.1f%%, SNR 15 dB", k, off*100), x, k)
		}
	}
}
