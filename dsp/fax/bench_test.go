package fax

import "testing"

// BenchmarkDetector measures one 80-sample frame through the detector.
func BenchmarkDetector(b *testing.B) {
	x := composite()
	d := NewDetector()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i+80 > len(x) {
			i = 0
		}
		d.Process(x[i : i+80])
		i += 80
	}
}
