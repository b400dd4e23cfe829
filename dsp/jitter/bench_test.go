package jitter

import (
	"testing"
	"time"

	"github.com/openiad/openiad/dsp/g711"
)

// BenchmarkPacket is the steady-state cost of one 20 ms packet: a Put and
// the two Gets that play it.
func BenchmarkPacket(b *testing.B) {
	buf, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 160)
	g711.Encode(g711.ALaw, p, sine(160, 440, -10))
	out := make([]int16, frame)
	at := epoch
	var seq uint16
	var ts uint32
	b.ReportAllocs()
	for b.Loop() {
		seq++
		ts += 160
		at = at.Add(20 * time.Millisecond)
		if err := buf.Put(seq, ts, 1, p, at); err != nil {
			b.Fatal(err)
		}
		buf.Get(out)
		buf.Get(out)
	}
}

// BenchmarkConcealedFrame is the cost of a Get with nothing to play.
func BenchmarkConcealedFrame(b *testing.B) {
	buf, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 160)
	g711.Encode(g711.ALaw, p, sine(160, 440, -10))
	out := make([]int16, frame)
	for i := range 50 {
		_ = buf.Put(uint16(i), uint32(i*160), 1, p, epoch)
		buf.Get(out)
		buf.Get(out)
	}
	b.ReportAllocs()
	for b.Loop() {
		buf.Get(out)
	}
}
