package sim

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/openiad/openiad/hal"
)

// Slots is the number of 8-bit timeslots on the simulated PCM highway
// (a 1.024 MHz PCM clock, 8 kHz frame sync). A 16-bit linear channel
// occupies two consecutive slots; its audio travels in the hal.Frame of the
// first one and the second one stays silent.
const Slots = 128

// exchange states of the engine side
const (
	engIdle    = iota // the engine is working, not in Exchange
	engWaiting        // the engine is blocked in Exchange for the next tick
	engReady          // the tick's frames are ready; the engine has not taken them yet
)

// highway is the TDM bus between the chips and the media engine. The
// clock goroutine fills rx and consumes tx at each tick (tick side); the
// engine calls Exchange (engine side). mu is held only for copies.
type highway struct {
	mu      sync.Mutex
	state   int
	engaged bool // the engine has called Exchange: overruns count from then
	closed  bool
	tx      []hal.Frame // from the engine, for the next tick
	txValid bool
	rx      []hal.Frame // to the engine, assembled at the tick
	ready   chan struct{}
	done    chan struct{}

	overruns atomic.Uint64
}

var _ hal.Highway = (*highway)(nil)

func newHighway() *highway {
	return &highway{
		tx:    make([]hal.Frame, Slots),
		rx:    make([]hal.Frame, Slots),
		ready: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

func (h *highway) Slots() int { return Slots }

func (h *highway) Overruns() uint64 { return h.overruns.Load() }

// Exchange hands tx to the next tick and waits for it, then copies the
// frames the chips sent during that tick into rx.
func (h *highway) Exchange(rx, tx []hal.Frame) error {
	if len(rx) != Slots || len(tx) != Slots {
		return fmt.Errorf("sim: highway: %w: exchange needs %d frames each way, got rx %d tx %d", hal.ErrRange, Slots, len(rx), len(tx))
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return fmt.Errorf("sim: highway: %w", hal.ErrClosed)
	}
	copy(h.tx, tx)
	h.txValid = true
	h.engaged = true
	h.state = engWaiting
	h.mu.Unlock()

	select {
	case <-h.ready:
	case <-h.done:
		return fmt.Errorf("sim: highway: %w", hal.ErrClosed)
	}
	h.mu.Lock()
	copy(rx, h.rx)
	h.state = engIdle
	h.mu.Unlock()
	return nil
}

func (h *highway) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}
