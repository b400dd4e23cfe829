package ec

import (
	"math/rand/v2"
	"testing"
	"time"
)

// benchSignals returns far-end white noise and its echo (64-tap path
// 60 ms late, ERL ~6 dB) with a little noise, n frames of each.
func benchSignals(n int) (near, far []int16) {
	r := rand.New(rand.NewPCG(9, 9))
	far = make([]int16, n*FrameLen)
	for i := range far {
		far[i] = int16(r.NormFloat64() * 4000)
	}
	h := make([]float64, 64)
	for i := range h {
		h[i] = r.NormFloat64() * 0.1 * float64(64-i) / 64
	}
	near = make([]int16, len(far))
	const d = 480
	for i := range near {
		s := r.NormFloat64() * 5
		for j, c := range h {
			if k := i - d - j; k >= 0 {
				s += c * float64(far[k])
			}
		}
		near[i] = int16(s)
	}
	return near, far
}

func benchmarkTail(b *testing.B, tail time.Duration) {
	near, far := benchSignals(300)
	c := New(tail)
	out := make([]int16, FrameLen)
	// Converge first: the steady state is what costs.
	for i := 0; i < len(near); i += FrameLen {
		c.Process(near[i:i+FrameLen], far[i:i+FrameLen], out)
	}
	i := 0
	b.ResetTimer()
	for b.Loop() {
		c.Process(near[i:i+FrameLen], far[i:i+FrameLen], out)
		if i += FrameLen; i == len(near) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*FrameLen), "ns/sample")
}

func BenchmarkProcess32ms(b *testing.B)  { benchmarkTail(b, 32*time.Millisecond) }
func BenchmarkProcess64ms(b *testing.B)  { benchmarkTail(b, 64*time.Millisecond) }
func BenchmarkProcess128ms(b *testing.B) { benchmarkTail(b, 128*time.Millisecond) }
