package cref

import (
	"math"
	"math/rand/v2"
	"testing"
)

// echoScene returns far-end white noise and its echo through a short
// decaying path 40 samples later, n samples each.
func echoScene(n int) (far, near []int16) {
	r := rand.New(rand.NewPCG(1, 1))
	far = make([]int16, n)
	for i := range far {
		far[i] = int16(r.NormFloat64() * 3000)
	}
	h := []float64{0.3, -0.2, 0.1, 0.05}
	near = make([]int16, n)
	for i := range near {
		var s float64
		for j, c := range h {
			if k := i - 40 - j; k >= 0 {
				s += c * float64(far[k])
			}
		}
		near[i] = int16(math.Round(s))
	}
	return far, near
}

func energy(x []int16) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}

func TestSpeexEchoCancels(t *testing.T) {
	Need(t)
	const n = 8000 * 4
	far, near := echoScene(n)
	for _, suppress := range []bool{false, true} {
		s, err := NewSpeexEcho(80, 1024, 8000, suppress)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int16, n)
		s.Process(near, far, out)
		s.Close()
		last := n - 8000
		erle := 10 * math.Log10(energy(near[last:])/energy(out[last:]))
		if erle < 10 {
			t.Errorf("suppress=%v: speexdsp ERLE %.1f dB in the last second, want ≥ 10 (is the wrapper wired right?)", suppress, erle)
		}
		t.Logf("suppress=%v: ERLE %.1f dB", suppress, erle)
	}
}

func TestSpeexEchoRejectsBadArgs(t *testing.T) {
	Need(t)
	if _, err := NewSpeexEcho(0, 1024, 8000, false); err == nil {
		t.Error("NewSpeexEcho with frame 0 succeeded")
	}
}

func BenchmarkSpeexEcho128ms(b *testing.B) {
	Need(b)
	far, near := echoScene(8000)
	s, err := NewSpeexEcho(80, 1024, 8000, false)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	out := make([]int16, 80)
	b.SetBytes(0)
	i := 0
	for b.Loop() {
		s.Process(near[i:i+80], far[i:i+80], out)
		i = (i + 80) % len(far)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*80), "ns/sample")
}
