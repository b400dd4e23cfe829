package engine

import "sync/atomic"

// ring is a bounded lock-free multi-producer multi-consumer queue with
// preallocated cells (Vyukov's sequence-numbered design). Push and Pop never
// allocate and never block: Push reports false when full, Pop when empty.
type ring[T any] struct {
	mask  uint64
	cells []ringCell[T]
	_     [56]byte // keep head and tail on separate cache lines
	head  atomic.Uint64
	_     [56]byte
	tail  atomic.Uint64
}

type ringCell[T any] struct {
	seq atomic.Uint64
	val T
}

// newRing makes a ring holding at least size items (rounded up to a power
// of two).
func newRing[T any](size int) *ring[T] {
	n := 1
	for n < size {
		n <<= 1
	}
	r := &ring[T]{mask: uint64(n - 1), cells: make([]ringCell[T], n)}
	for i := range r.cells {
		r.cells[i].seq.Store(uint64(i))
	}
	return r
}

func (r *ring[T]) push(v T) bool {
	pos := r.head.Load()
	for {
		c := &r.cells[pos&r.mask]
		seq := c.seq.Load()
		switch d := int64(seq) - int64(pos); {
		case d == 0:
			if r.head.CompareAndSwap(pos, pos+1) {
				c.val = v
				c.seq.Store(pos + 1)
				return true
			}
			pos = r.head.Load()
		case d < 0:
			return false
		default:
			pos = r.head.Load()
		}
	}
}

func (r *ring[T]) pop() (T, bool) {
	pos := r.tail.Load()
	for {
		c := &r.cells[pos&r.mask]
		seq := c.seq.Load()
		switch d := int64(seq) - int64(pos+1); {
		case d == 0:
			if r.tail.CompareAndSwap(pos, pos+1) {
				v := c.val
				var zero T
				c.val = zero
				c.seq.Store(pos + r.mask + 1)
				return v, true
			}
			pos = r.tail.Load()
		case d < 0:
			var zero T
			return zero, false
		default:
			pos = r.tail.Load()
		}
	}
}
