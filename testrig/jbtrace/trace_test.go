package jbtrace

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// delays returns the one-way delays of the packets that arrive, in ms.
func delays(tr *Trace) []float64 {
	var d []float64
	for _, p := range tr.Packets {
		if !p.Lost {
			d = append(d, ms(p.Arrive-p.Send))
		}
	}
	return d
}

func meanStd(x []float64) (float64, float64) {
	var s, s2 float64
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	for _, v := range x {
		s2 += (v - m) * (v - m)
	}
	return m, math.Sqrt(s2 / float64(len(x)))
}

func TestGenerate(t *testing.T) {
	const ms = time.Millisecond
	toMs := func(d time.Duration) float64 { return float64(d) / float64(ms) }
	tests := []struct {
		spec                Spec
		lossTol, jitterTol  float64
		wantReorderAtLeast  float64
		wantSpikeAtLeast    time.Duration
		wantMeanBurstAround float64
	}{
		{spec: Spec{Name: "clean", Seed: 1}},
		{spec: Spec{Name: "gauss5", Jitter: 5 * ms, Seed: 2}},
		{spec: Spec{Name: "gauss40", Jitter: 40 * ms, Seed: 3}},
		{spec: Spec{Name: "loss10", Loss: 0.1, Seed: 4}},
		{spec: Spec{Name: "burst", Loss: 0.05, Burst: 4, Seed: 5}, wantMeanBurstAround: 4},
		{spec: Spec{Name: "reorder", Reorder: 0.05, Seed: 6}, wantReorderAtLeast: 0.04},
		{spec: Spec{Name: "spikes", Spikes: 3 * time.Second, Spike: 200 * ms, Seed: 7}, wantSpikeAtLeast: 150 * ms},
		{spec: Spec{Name: "ptime30", PTime: 30 * ms, Duration: 30 * time.Second, Seed: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.spec.Name, func(t *testing.T) {
			tr := Generate(tc.spec)
			s := tr.Spec
			n := int(s.Duration / s.PTime)
			if len(tr.Packets) != n || tr.Span != int(s.PTime*8000/time.Second) {
				t.Fatalf("%d packets of %d samples", len(tr.Packets), tr.Span)
			}
			lost, runs := 0, 0
			for i, p := range tr.Packets {
				if p.Seq != tr.Packets[0].Seq+uint16(i) || p.TS != tr.Packets[0].TS+uint32(i*tr.Span) {
					t.Fatalf("packet %d: seq %d ts %d break the series", i, p.Seq, p.TS)
				}
				if p.Arrive <= p.Send {
					t.Fatalf("packet %d arrives before it is sent", i)
				}
				if p.Lost {
					lost++
					if i == 0 || !tr.Packets[i-1].Lost {
						runs++
					}
				}
			}
			share := float64(lost) / float64(n)
			if tol := 3*math.Sqrt(s.Loss*(1-s.Loss)/float64(n))*math.Max(1, s.Burst) + 0.002; math.Abs(share-s.Loss) > tol {
				t.Errorf("loss %.3f, want %.3f ± %.3f", share, s.Loss, tol)
			}
			if tc.wantMeanBurstAround > 0 {
				if mb := float64(lost) / float64(runs); math.Abs(mb-tc.wantMeanBurstAround) > 1.2 {
					t.Errorf("mean loss burst %.2f packets, want about %v", mb, tc.wantMeanBurstAround)
				}
			}
			d := delays(tr)
			m, sd := meanStd(d)
			if tc.wantReorderAtLeast == 0 && tc.wantSpikeAtLeast == 0 {
				if want := toMs(s.Jitter); math.Abs(sd-want) > 0.1*want+0.01 {
					t.Errorf("delay σ %.2f ms, want %.2f", sd, want)
				}
				if math.Abs(m-toMs(s.Delay)) > 0.2*toMs(s.Jitter)+0.5 {
					t.Errorf("mean delay %.1f ms, want %.1f", m, toMs(s.Delay))
				}
			}
			arr := tr.Arrivals()
			inv := 0
			for i := 1; i < len(arr); i++ {
				if arr[i].Index < arr[i-1].Index {
					inv++
				}
			}
			if tc.wantReorderAtLeast > 0 && float64(inv)/float64(n) < tc.wantReorderAtLeast {
				t.Errorf("%d packets out of order, want at least %.0f%%", inv, 100*tc.wantReorderAtLeast)
			}
			if tc.wantSpikeAtLeast > 0 {
				if top := slices.Max(d) - toMs(s.Delay); top < toMs(tc.wantSpikeAtLeast) {
					t.Errorf("highest spike %.0f ms above the base", top)
				}
			}
		})
	}
}

func TestGenerateDrift(t *testing.T) {
	for _, ppm := range []float64{-500, 500} {
		tr := Generate(Spec{Drift: ppm, Seed: 1})
		last := tr.Packets[len(tr.Packets)-1]
		nominal := time.Duration(len(tr.Packets)-1) * 20 * time.Millisecond
		got := float64(nominal-last.Send) / float64(nominal) * 1e6
		if math.Abs(got-ppm) > 1 {
			t.Errorf("drift %+.0f ppm: the last packet leaves %v early (%.1f ppm)", ppm, nominal-last.Send, got)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	s := Standard()[5]
	a, b := Generate(s), Generate(s)
	if !slices.Equal(a.Packets, b.Packets) {
		t.Fatal("the same spec gave two traces")
	}
	s.Seed++
	if c := Generate(s); slices.Equal(a.Packets, c.Packets) {
		t.Fatal("another seed gave the same trace")
	}
}

// TestGoldenTraces pins the standard traces the comparison uses.
func TestGoldenTraces(t *testing.T) {
	var sb strings.Builder
	for _, s := range Standard() {
		tr := Generate(s)
		d := delays(tr)
		m, sd := meanStd(d)
		lost := len(tr.Packets) - len(d)
		fmt.Fprintf(&sb, "%-16s packets %d lost %d delay mean %.2f ms σ %.2f ms max %.2f ms first %v %v %v\n",
			s.Name, len(tr.Packets), lost, m, sd, slices.Max(d), tr.Packets[0].Arrive, tr.Packets[1].Arrive, tr.Packets[2].Arrive)
	}
	path := filepath.Join("testdata", "traces.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if sb.String() != string(want) {
		t.Errorf("standard traces changed:\n%s\nwant:\n%s", sb.String(), want)
	}
}
