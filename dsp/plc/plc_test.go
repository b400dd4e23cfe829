package plc

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/openiad/openiad/dsp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const frame = 80

// pulses is a voiced-speech stand-in: a pulse train of the given period
// through a 700 Hz and a 1500 Hz resonance, peak about 12000.
func pulses(n, period int) []int16 {
	y := make([]float64, n)
	var y1, y2, z1, z2 float64
	c1, r1 := 2*0.96*math.Cos(2*math.Pi*700/8000), 0.96
	c2, r2 := 2*0.93*math.Cos(2*math.Pi*1500/8000), 0.93
	peak := 0.0
	for i := range y {
		e := 0.0
		if i%period == 0 {
			e = 1
		}
		v := e + c1*y1 - r1*r1*y2
		y2, y1 = y1, v
		w := v + c2*z1 - r2*r2*z2
		z2, z1 = z1, w
		y[i] = w
		peak = math.Max(peak, math.Abs(w))
	}
	x := make([]int16, n)
	for i, v := range y {
		x[i] = int16(v / peak * 12000)
	}
	return x
}

func snr(ref, got []int16) float64 {
	var s, e float64
	for i := range ref {
		d := float64(ref[i]) - float64(got[i])
		s += float64(ref[i]) * float64(ref[i])
		e += d * d
	}
	return 10 * math.Log10(s/(e+1e-9))
}

func feed(c *Concealer, x []int16) {
	for off := 0; off+frame <= len(x); off += frame {
		c.Good(x[off : off+frame])
	}
}

func TestSilenceWithoutHistory(t *testing.T) {
	var c Concealer
	x := []int16{5, 5, 5}
	c.Conceal(x)
	if x[0] != 0 || x[1] != 0 || x[2] != 0 {
		t.Fatalf("concealment without history gave %v", x)
	}
	c.Good([]int16{1000, 1000})
	c.Conceal(x)
	if x[0] != 0 {
		t.Fatalf("concealment with 2 samples of history gave %v", x)
	}
}

func TestPitchFound(t *testing.T) {
	for _, p := range []int{40, 45, 57, 66, 80, 100, 118, 120} {
		t.Run(strconv.Itoa(p), func(t *testing.T) {
			x := pulses(8*frame, p)
			var c Concealer
			feed(&c, x)
			c.Conceal(make([]int16, frame))
			if c.Pitch() != p {
				t.Errorf("pitch %d, want %d", c.Pitch(), p)
			}
		})
	}
}

// TestContinuesPeriodicSignal checks the first 10 ms of a loss against the
// true continuation of a periodic signal.
func TestContinuesPeriodicSignal(t *testing.T) {
	for _, p := range []int{40, 50, 66, 80, 100} {
		t.Run(strconv.Itoa(p), func(t *testing.T) {
			x := pulses(12*frame, p)
			var c Concealer
			feed(&c, x[:10*frame])
			got := make([]int16, frame)
			c.Conceal(got)
			if s := snr(x[10*frame:11*frame], got); s < 15 {
				t.Errorf("first concealed frame SNR %.1f dB, want >= 15", s)
			}
		})
	}
}

func TestFadesOut(t *testing.T) {
	x := pulses(10*frame, 66)
	var c Concealer
	feed(&c, x)
	ref := dsp.RMS(x[9*frame:])
	out := make([]int16, frame)
	var levels []float64
	for range 8 {
		c.Conceal(out)
		levels = append(levels, dsp.RMS(out)/ref)
	}
	if levels[0] < 0.7 {
		t.Errorf("first 10 ms at %.2f of the signal, want full level", levels[0])
	}
	for i := 1; i < 6; i++ {
		if levels[i] > levels[i-1]+0.05 {
			t.Errorf("level rises from %.2f to %.2f at %d0 ms", levels[i-1], levels[i], i)
		}
	}
	if levels[3] > 0.75 || levels[3] < 0.2 {
		t.Errorf("30-40 ms at %.2f, want about 0.5", levels[3])
	}
	if levels[6] != 0 || levels[7] != 0 || !c.Faded() {
		t.Errorf("not silent after 60 ms: %v", levels)
	}
	if c.Erased() != 8*frame {
		t.Errorf("Erased = %d, want %d", c.Erased(), 8*frame)
	}
}

// TestRecoveryIsSmooth checks that the blend into good audio leaves no step
// larger than the signal's own steepest slope.
func TestRecoveryIsSmooth(t *testing.T) {
	for _, lost := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprintf("%d0ms", lost), func(t *testing.T) {
			// A sine whose period (73.3 samples) is not an integer, so
			// the repetition drifts out of phase.
			x := make([]int16, 30*frame)
			ph := 0.0
			for i := range x {
				x[i] = int16(10000 * math.Sin(ph))
				ph += 2 * math.Pi * 109.1 / 8000
			}
			maxStep := 0.0
			for i := 1; i < len(x); i++ {
				maxStep = math.Max(maxStep, math.Abs(float64(x[i])-float64(x[i-1])))
			}
			var c Concealer
			out := make([]int16, len(x))
			copy(out, x)
			feed(&c, out[:10*frame])
			for f := 10; f < 10+lost; f++ {
				c.Conceal(out[f*frame : (f+1)*frame])
			}
			for f := 10 + lost; f < 30; f++ {
				c.Good(out[f*frame : (f+1)*frame])
			}
			if c.Erased() != 0 {
				t.Errorf("Erased = %d after good audio", c.Erased())
			}
			for i := 10*frame - 1; i < 30*frame; i++ {
				if d := math.Abs(float64(out[i]) - float64(out[i-1])); d > 1.6*maxStep {
					t.Errorf("step of %.0f at sample %d (signal's own steepest %.0f)", d, i, maxStep)
					return
				}
			}
			// Past the blend the audio is the original again.
			end := (10 + lost + 1) * frame
			if s := snr(x[end:], out[end:]); s < 90 {
				t.Errorf("audio after the blend differs (SNR %.1f dB)", s)
			}
		})
	}
}

func TestAnyLength(t *testing.T) {
	x := pulses(20*frame, 70)
	var a, b Concealer
	feed(&a, x[:10*frame])
	for off := 0; off < 10*frame; off += 7 {
		b.Good(x[off:min(off+7, 10*frame)])
	}
	ya := make([]int16, 3*frame)
	yb := make([]int16, 3*frame)
	a.Conceal(ya)
	for off := 0; off < len(yb); off += 13 {
		b.Conceal(yb[off:min(off+13, len(yb))])
	}
	for i := range ya {
		if ya[i] != yb[i] {
			t.Fatalf("sample %d: %d concealing in frames, %d in pieces", i, ya[i], yb[i])
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	x := pulses(10*frame, 66)
	var c Concealer
	feed(&c, x)
	buf := make([]int16, frame)
	n := testing.AllocsPerRun(100, func() {
		c.Conceal(buf)
		copy(buf, x[:frame])
		c.Good(buf)
	})
	if n != 0 {
		t.Errorf("%v allocs per frame", n)
	}
}

// TestGolden pins the concealment of a fixed signal, within 1 LSB (float
// rounding may differ between architectures).
func TestGolden(t *testing.T) {
	x := pulses(14*frame, 63)
	var c Concealer
	feed(&c, x[:8*frame])
	out := make([]int16, 6*frame)
	c.Conceal(out[:3*frame])
	copy(out[3*frame:], x[11*frame:])
	c.Good(out[3*frame : 4*frame])
	c.Good(out[4*frame:])
	var b strings.Builder
	for i, v := range out {
		b.WriteString(strconv.Itoa(int(v)))
		if i%16 == 15 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	path := filepath.Join("testdata", "conceal.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	want := strings.Fields(string(raw))
	if len(want) != len(out) {
		t.Fatalf("golden has %d samples, want %d", len(want), len(out))
	}
	for i, w := range want {
		v, err := strconv.Atoi(w)
		if err != nil {
			t.Fatal(err)
		}
		if d := int(out[i]) - v; d > 1 || d < -1 {
			t.Fatalf("sample %d = %d, golden %d", i, out[i], v)
		}
	}
}

// BenchmarkLossFrame is the worst frame: the first of a loss (pitch search
// included).
func BenchmarkLossFrame(b *testing.B) {
	x := pulses(10*frame, 66)
	var c Concealer
	feed(&c, x)
	buf := make([]int16, frame)
	b.ReportAllocs()
	for b.Loop() {
		c.Conceal(buf)
		copy(buf, x[:frame])
		c.Good(buf)
	}
}

// BenchmarkGoodFrame is the cost of keeping the history.
func BenchmarkGoodFrame(b *testing.B) {
	x := pulses(frame, 66)
	var c Concealer
	b.ReportAllocs()
	for b.Loop() {
		c.Good(x)
	}
}
