package jitter

import "sync/atomic"

// indexRing is a bounded single-producer single-consumer queue of slot
// indices. The producer owns head, the consumer owns tail; each publishes
// with an atomic store what the other reads with an atomic load, so the
// slot an index names is handed over with a happens-before edge and no
// lock. It never allocates after newIndexRing.
type indexRing struct {
	buf  []uint16
	mask uint32
	_    [56]byte // head and tail on separate cache lines
	head atomic.Uint32
	_    [60]byte
	tail atomic.Uint32
}

func newIndexRing(size int) *indexRing {
	n := 1
	for n < size {
		n <<= 1
	}
	return &indexRing{buf: make([]uint16, n), mask: uint32(n - 1)}
}

// push adds v; false when full. Producer only.
func (r *indexRing) push(v uint16) bool {
	h := r.head.Load()
	if h-r.tail.Load() > r.mask {
		return false
	}
	r.buf[h&r.mask] = v
	r.head.Store(h + 1)
	return true
}

// pop removes the oldest index; false when empty. Consumer only.
func (r *indexRing) pop() (uint16, bool) {
	t := r.tail.Load()
	if t == r.head.Load() {
		return 0, false
	}
	v := r.buf[t&r.mask]
	r.tail.Store(t + 1)
	return v, true
}
