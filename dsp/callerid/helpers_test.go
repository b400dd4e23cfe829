package callerid

import (
	"testing"
)

// render plays a whole transmission and returns its samples.
func render(t testing.TB, tx Transmission) []int16 {
	t.Helper()
	var g Generator
	if err := g.Start(&tx); err != nil {
		t.Fatal(err)
	}
	var out []int16
	var f [80]int16
	for g.Active() {
		if len(out) > 20*8000 {
			t.Fatal("transmission does not end")
		}
		if g.Waiting() && len(out) > 1200 {
			g.Ack('D')
		}
		g.Generate(f[:])
		out = append(out, f[:]...)
	}
	return out
}

// collected is a copy of a receiver event.
type collected struct {
	Kind EventKind
	At   int64
	Raw  string
	Err  error
}

// receive runs x through a fresh receiver in frames of size n, then
// 300 ms of silence, and returns copies of the events.
func receive(x []int16, n int) []collected {
	r := NewReceiver()
	var evs []collected
	take := func(in []int16) {
		for _, e := range r.Process(in) {
			evs = append(evs, collected{e.Kind, e.At, string(e.Raw), e.Err})
		}
	}
	for len(x) > 0 {
		k := min(n, len(x))
		take(x[:k])
		x = x[k:]
	}
	var z [80]int16
	for range 30 {
		take(z[:])
	}
	return evs
}
