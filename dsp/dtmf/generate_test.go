package dtmf

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/goertzel"
)

func TestGeneratorErrors(t *testing.T) {
	var g Generator
	tests := []struct {
		digits  string
		on, off time.Duration
		level   float64
		want    error
		mention string
	}{
		{"12X4", 100 * time.Millisecond, 100 * time.Millisecond, -7, errDigit, `'X' at position 2`},
		{"E", 100 * time.Millisecond, 100 * time.Millisecond, -7, errDigit, `'E'`},
		{"1 2", 100 * time.Millisecond, 100 * time.Millisecond, -7, errDigit, `' '`},
		{"1", 0, 100 * time.Millisecond, -7, errTiming, "on 0s"},
		{"1", 50 * time.Millisecond, -time.Millisecond, -7, errTiming, "off -1ms"},
		{"1", 50 * time.Millisecond, 50 * time.Millisecond, -2, errLevel, "-2 dBm0"},
	}
	for _, tc := range tests {
		err := g.Start(tc.digits, tc.on, tc.off, tc.level)
		if !errors.Is(err, tc.want) || !strings.HasPrefix(err.Error(), "dtmf: ") || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("Start(%q, %v, %v, %v) = %v, want %v naming %s", tc.digits, tc.on, tc.off, tc.level, err, tc.want, tc.mention)
		}
		if g.Active() {
			t.Errorf("Start(%q) failed but the generator is active", tc.digits)
		}
	}
	if err := g.Start("0123456789*#ABCDabcd", time.Millisecond, 0, -30); err != nil {
		t.Errorf("all digits: %v", err)
	}
	if err := g.Start("", time.Millisecond, 0, -30); err != nil || g.Active() {
		t.Errorf("empty string: %v, active %v", err, g.Active())
	}
}

// Each digit's two tones at the asked level, for exactly the on time,
// then exactly the off time of silence.
func TestGeneratorSignal(t *testing.T) {
	var g Generator
	if err := g.Start("1#d", 100*time.Millisecond, 60*time.Millisecond, -7); err != nil {
		t.Fatal(err)
	}
	x := make([]int16, 3*(800+480)+160)
	for i := 0; i < len(x); i += 80 {
		if !g.Active() && i < 3*(800+480) {
			t.Fatalf("inactive at sample %d", i)
		}
		g.Generate(x[i:min(i+80, len(x))])
	}
	if g.Active() {
		t.Error("still active after the last pause")
	}
	want := dsp.DBm0ToPeak(-7)
	for i, k := range []byte("1#D") {
		start := i * 1280
		on := x[start : start+800]
		off := x[start+800 : start+1280]
		if on[0] != 0 || on[1] == 0 || on[799] == 0 {
			t.Errorf("%c: on period edges %d %d %d", k, on[0], on[1], on[799])
		}
		for j, v := range off {
			if v != 0 {
				t.Fatalf("%c: sample %d of the pause is %d", k, j, v)
			}
		}
		r, c, _ := index(k)
		for _, f := range []float64{freqs[r], freqs[c]} {
			gf := goertzel.New(f, 8000, 800)
			gf.PushBlock(on)
			if a := math.Sqrt(2 * gf.Power()); math.Abs(20*math.Log10(a/want)) > 0.1 {
				t.Errorf("%c: %v Hz at amplitude %.0f, want %.0f", k, f, a, want)
			}
		}
	}
	for _, v := range x[3*1280:] {
		if v != 0 {
			t.Fatal("sound after the end")
		}
	}
}

// What the generator sends, the detector finds: every digit, at the level
// and timing the test phone uses, and at Q.24's fastest rate.
func TestGeneratorToDetector(t *testing.T) {
	for _, c := range []struct {
		on, off time.Duration
		level   float64
	}{{100 * time.Millisecond, 100 * time.Millisecond, -7}, {40 * time.Millisecond, 40 * time.Millisecond, -25}, {50 * time.Millisecond, 50 * time.Millisecond, -3}} {
		var g Generator
		if err := g.Start(allKeys, c.on, c.off, c.level); err != nil {
			t.Fatal(err)
		}
		d := NewDetector()
		var got []byte
		frame := make([]int16, 80)
		for range 400 {
			g.Generate(frame)
			for _, e := range d.Process(frame) {
				if e.Down {
					got = append(got, e.Digit)
				} else if want := dsp.Samples(c.on); math.Abs(float64(e.Dur-want)) > 40 {
					t.Errorf("%+v: %c lasted %d samples, sent %d", c, e.Digit, e.Dur, want)
				}
			}
		}
		if string(got) != allKeys {
			t.Errorf("%+v: detected %q, sent %q", c, got, allKeys)
		}
	}
}

func TestGeneratorZeroAllocs(t *testing.T) {
	var g Generator
	frame := make([]int16, 80)
	if a := testing.AllocsPerRun(50, func() {
		if err := g.Start("123", 40*time.Millisecond, 40*time.Millisecond, -10); err != nil {
			t.Fatal(err)
		}
		for range 30 {
			g.Generate(frame)
		}
	}); a != 0 {
		t.Errorf("%v allocations", a)
	}
}

func Example() {
	var g Generator
	if err := g.Start("42#", 60*time.Millisecond, 60*time.Millisecond, -10); err != nil {
		panic(err)
	}
	d := NewDetector()
	frame := make([]int16, 80) // 10 ms
	for range 50 {
		g.Generate(frame)
		for _, e := range d.Process(frame) {
			if e.Down {
				fmt.Printf("%c down at %d ms\n", e.Digit, (e.At+40)/80*10) // to the nearest 10 ms
			} else {
				fmt.Printf("%c up after %d ms\n", e.Digit, (e.Dur+40)/80*10)
			}
		}
	}
	// Output:
	// 4 down at 0 ms
	// 4 up after 60 ms
	// 2 down at 120 ms
	// 2 up after 60 ms
	// # down at 240 ms
	// # up after 60 ms
}
