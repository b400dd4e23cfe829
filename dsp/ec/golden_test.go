package ec

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/g168"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGoldenERLE runs fixed G.168 vectors through the canceller and
// compares the ERLE over time (100 ms steps) with testdata/erle.golden.
// The comparison allows 3 dB: the floating-point results differ slightly
// between architectures (fused multiply-add on arm64), the behaviour must
// not.
func TestGoldenERLE(t *testing.T) {
	scenarios := []g168.Scenario{
		{Path: "D.5", ERL: 6, Delay: 40 * time.Millisecond, Source: g168.Composite, Level: -15, Noise: -65,
			Duration: 4 * time.Second, TalkStart: 2 * time.Second, TalkEnd: 3 * time.Second, TalkLevel: -12, Seed: 5},
		{Path: "D.9", ERL: 10, Delay: 100 * time.Millisecond, Source: g168.White, Level: -20, Noise: -70,
			Duration: 3 * time.Second, ChangeAt: 1500 * time.Millisecond, Path2: "D.3", ERL2: 8, Delay2: 20 * time.Millisecond, Seed: 6},
	}
	var sb strings.Builder
	sb.WriteString("# ERLE (dB, linear output) per 100 ms of the scenarios of TestGoldenERLE; - where there is no echo\n")
	for i, s := range scenarios {
		v, out, _ := run(t, s, 128*time.Millisecond, false)
		cur := v.Curve(out, 100*time.Millisecond)
		fmt.Fprintf(&sb, "scenario %d %s %v\n", i, s.Path, s.Source)
		for w, e := range cur.ERLE {
			if math.IsNaN(e) {
				fmt.Fprintf(&sb, "%.1f -\n", float64(w)/10)
			} else {
				fmt.Fprintf(&sb, "%.1f %.0f\n", float64(w)/10, e)
			}
		}
	}
	path := filepath.Join("testdata", "erle.golden")
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
	got := bufio.NewScanner(strings.NewReader(sb.String()))
	exp := bufio.NewScanner(strings.NewReader(string(want)))
	line := 0
	for exp.Scan() {
		line++
		if !got.Scan() {
			t.Fatalf("%s:%d: output ends early", path, line)
		}
		g, w := got.Text(), exp.Text()
		if g == w {
			continue
		}
		var tg, tw, eg, ew float64
		ng, _ := fmt.Sscanf(g, "%f %f", &tg, &eg)
		nw, _ := fmt.Sscanf(w, "%f %f", &tw, &ew)
		if ng != 2 || nw != 2 || tg != tw || math.Abs(eg-ew) > 3 {
			t.Errorf("%s:%d: got %q, want %q", path, line, g, w)
		}
	}
	if got.Scan() {
		t.Errorf("%s: output has more lines than the golden file", path)
	}
}
