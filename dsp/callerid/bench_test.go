package callerid

import "testing"

// BenchmarkReceiver measures one 80-sample frame of FSK through the
// receiver (FSK demodulator, DTMF detector, alerting-signal detector).
func BenchmarkReceiver(b *testing.B) {
	raw, _ := sample[5].msg.MarshalBinary()
	x := render(b, OnHook(Bell202, raw))
	r := NewReceiver()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i+80 > len(x) {
			i = 0
		}
		r.Process(x[i : i+80])
		i += 80
	}
}

// BenchmarkGenerator measures rendering one 80-sample frame of FSK.
func BenchmarkGenerator(b *testing.B) {
	raw, _ := sample[5].msg.MarshalBinary()
	tx := OnHook(V23, raw)
	var g Generator
	var f [80]int16
	b.ReportAllocs()
	for b.Loop() {
		if !g.Active() {
			_ = g.Start(&tx)
		}
		g.Generate(f[:])
	}
}
