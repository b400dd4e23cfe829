package dsp

import (
	"fmt"
	"math"
	"testing"
)

func TestLevels(t *testing.T) {
	tests := []struct {
		dbm0, peak, rms float64
	}{
		{FullScaleDBm0, 32767, 32767 / math.Sqrt2},
		{0, 22826, 16141},
		{-10, 7218, 5104},
		{-25, 1284, 908},
	}
	for _, tc := range tests {
		if got := DBm0ToPeak(tc.dbm0); math.Abs(got-tc.peak) > 1 {
			t.Errorf("DBm0ToPeak(%v) = %.1f, want %.0f", tc.dbm0, got, tc.peak)
		}
		if got := DBm0ToRMS(tc.dbm0); math.Abs(got-tc.rms) > 1 {
			t.Errorf("DBm0ToRMS(%v) = %.1f, want %.0f", tc.dbm0, got, tc.rms)
		}
		if got := RMSToDBm0(DBm0ToRMS(tc.dbm0)); math.Abs(got-tc.dbm0) > 1e-9 {
			t.Errorf("RMSToDBm0(DBm0ToRMS(%v)) = %v", tc.dbm0, got)
		}
	}
	if !math.IsInf(RMSToDBm0(0), -1) {
		t.Errorf("RMSToDBm0(0) = %v, want -Inf", RMSToDBm0(0))
	}
}

func TestRMS(t *testing.T) {
	tests := []struct {
		x    []int16
		want float64
	}{
		{nil, 0},
		{[]int16{3, -3, 3, -3}, 3},
		{[]int16{0, 0, 0, 4}, 2},
		{[]int16{-32768}, 32768},
	}
	for _, tc := range tests {
		if got := RMS(tc.x); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("RMS(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	// A sine's RMS reads back as its level.
	x := make([]int16, 8000)
	var o Osc
	o.SetFreq(1000)
	a := DBm0ToPeak(-13)
	for i := range x {
		x[i] = SatF16(a * o.Next())
	}
	if got := RMSToDBm0(RMS(x)); math.Abs(got+13) > 0.01 {
		t.Errorf("level of a -13 dBm0 sine = %.3f", got)
	}
}

func TestSat(t *testing.T) {
	tests := []struct {
		in   int32
		want int16
	}{
		{0, 0}, {32767, 32767}, {32768, 32767}, {1 << 30, 32767},
		{-32768, -32768}, {-32769, -32768}, {-1 << 30, -32768}, {-5, -5},
	}
	for _, tc := range tests {
		if got := Sat16(tc.in); got != tc.want {
			t.Errorf("Sat16(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	ftests := []struct {
		in   float64
		want int16
	}{
		{0.4, 0}, {0.6, 1}, {-0.6, -1}, {2.5, 2}, {1e9, 32767}, {-1e9, -32768}, {32766.7, 32767},
	}
	for _, tc := range ftests {
		if got := SatF16(tc.in); got != tc.want {
			t.Errorf("SatF16(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestMixInto(t *testing.T) {
	dst := []int16{1, 30000, -30000, 5, 7}
	src := []int16{2, 30000, -30000, -5}
	MixInto(dst, src)
	want := []int16{3, 32767, -32768, 0, 7}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("MixInto = %v, want %v", dst, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { MixInto(dst, src) }); a != 0 {
		t.Errorf("MixInto allocates %v", a)
	}
}

// The oscillator runs at the asked frequency, with the asked phase, and its
// error against math.Sin stays below -100 dB of full scale.
func TestOsc(t *testing.T) {
	for _, freq := range []float64{25, 350, 440, 697, 1004, 1633.3, 3999} {
		var o Osc
		o.SetFreq(freq)
		o.SetPhase(0.5)
		if math.Abs(o.Freq()-freq) > 1e-5 {
			t.Errorf("Freq() = %v, want %v", o.Freq(), freq)
		}
		var maxErr float64
		for i := range 100000 {
			want := math.Sin(2*math.Pi*o.Freq()*float64(i)/SampleRate + 0.5)
			maxErr = max(maxErr, math.Abs(o.Next()-want))
		}
		if maxErr > 1e-5 {
			t.Errorf("%v Hz: max error %g", freq, maxErr)
		}
	}
}

func TestOscPhase(t *testing.T) {
	var o Osc
	o.SetPhase(-math.Pi / 2)
	if p := o.Phase(); math.Abs(p-1.5*math.Pi) > 1e-9 {
		t.Errorf("Phase() = %v, want 3π/2", p)
	}
	if v := o.Next(); math.Abs(v+1) > 1e-9 {
		t.Errorf("sin(-π/2) = %v", v)
	}
	// Changing frequency keeps the phase: no jump.
	o.SetPhase(0)
	o.SetFreq(1000)
	for range 3 {
		o.Next()
	}
	before := o.Phase()
	o.SetFreq(500)
	if o.Phase() != before {
		t.Errorf("SetFreq moved the phase")
	}
	var z Osc
	if a, b := z.Next(), z.Next(); a != 0 || b != 0 {
		t.Errorf("zero Osc is not silent")
	}
	if a := testing.AllocsPerRun(100, func() { o.Next() }); a != 0 {
		t.Errorf("Next allocates %v", a)
	}
}

func ExampleDBm0ToPeak() {
	fmt.Printf("%.0f %.0f\n", DBm0ToPeak(0), DBm0ToPeak(-10))
	// Output: 22826 7218
}

func BenchmarkOsc(b *testing.B) {
	var o Osc
	o.SetFreq(450)
	var s float64
	for b.Loop() {
		s += o.Next()
	}
	_ = s
}
