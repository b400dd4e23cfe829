package jitter

// window holds the relative arrival times of the last packets, both in
// arrival order (to forget the oldest) and sorted (for quantiles). Adding a
// value costs two binary searches and two short memmoves.
type window struct {
	ring   []int32
	sorted []int32
	next   int
	n      int
}

func newWindow(size int) window {
	return window{ring: make([]int32, size), sorted: make([]int32, 0, size)}
}

func (w *window) reset() {
	w.next, w.n = 0, 0
	w.sorted = w.sorted[:0]
}

func (w *window) add(v int32) {
	if w.n == len(w.ring) {
		old := w.ring[w.next]
		i := search(w.sorted, old, false)
		copy(w.sorted[i:], w.sorted[i+1:])
		w.sorted = w.sorted[:len(w.sorted)-1]
	} else {
		w.n++
	}
	w.ring[w.next] = v
	w.next++
	if w.next == len(w.ring) {
		w.next = 0
	}
	i := search(w.sorted, v, true)
	w.sorted = w.sorted[:len(w.sorted)+1]
	copy(w.sorted[i+1:], w.sorted[i:])
	w.sorted[i] = v
}

// quantile returns the smallest value that at least share q of the window
// does not exceed (0 when empty).
func (w *window) quantile(q float64) int32 {
	if w.n == 0 {
		return 0
	}
	i := int(q*float64(w.n)+0.999999) - 1
	return w.sorted[max(0, min(i, w.n-1))]
}

// min returns the smallest value (0 when empty).
func (w *window) min() int32 {
	if w.n == 0 {
		return 0
	}
	return w.sorted[0]
}

// search returns the first index of s holding a value >= v (> v when
// after is set).
func search(s []int32, v int32, after bool) int {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < v || (after && s[m] == v) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
