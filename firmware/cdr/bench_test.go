package cdr_test

import (
	"testing"

	"github.com/openiad/openiad/firmware/cdr"
)

// BenchmarkAppend is the cost of one durable record on the real file
// system (three fsyncs: the record, the head file, its rename).
func BenchmarkAppend(b *testing.B) {
	s, err := cdr.Open(b.TempDir(), cdr.Options{})
	if err != nil {
		b.Fatal(err)
	}
	r := call(0)
	for b.Loop() {
		if _, err := s.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}
