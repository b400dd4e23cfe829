package jbtrace

import (
	"testing"

	"github.com/openiad/openiad/dsp/jitter"
)

// BenchmarkTraces is the jitter-buffer part of `make bench`: for every
// standard trace, ours and speexdsp's best configuration at <= 1 % loss in
// the buffer, with the added delay (p50, p95, ms) and the late and
// thrown-away audio (%) as metrics next to the replay time.
func BenchmarkTraces(b *testing.B) {
	for _, s := range Standard() {
		tr := Generate(s)
		b.Run(s.Name+"/ours", func(b *testing.B) {
			var r Result
			for b.Loop() {
				var err error
				if r, _, err = ReplayOurs(tr, jitter.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			report(b, r)
		})
		b.Run(s.Name+"/speexdsp", func(b *testing.B) {
			var r Result
			found := false
			for b.Loop() {
				found = false
				for _, c := range speexSweep(tr.Span) {
					x, err := ReplaySpeex(tr, c)
					need(b, err)
					if x.loss() <= 0.01 && (!found || x.P95 < r.P95) {
						r, found = x, true
					}
				}
			}
			if found {
				report(b, r)
			}
		})
	}
}

func report(b *testing.B, r Result) {
	b.ReportMetric(ms(r.P50), "p50-ms")
	b.ReportMetric(ms(r.P95), "p95-ms")
	b.ReportMetric(100*r.LateLoss, "late-%")
	b.ReportMetric(100*r.Unplayed, "discarded-%")
}
