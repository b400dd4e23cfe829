package sim

import (
	"sync"
	"time"

	"github.com/openiad/openiad/boards/sim/wire"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x"
	"github.com/openiad/openiad/hal/si321x/si321xsim"
)

// port is one FXS line: the chip, its driver, and the phone plugged in.
type port struct {
	n    int // 1-based
	chip *si321xsim.Chip
	spi  *spiPort
	dev  *si321x.Dev

	// Shared between the phone's reader goroutine and the clock; guarded
	// by mu.
	mu       sync.Mutex
	conn     *lineConn     // the attached phone, nil if none
	offHook  bool          // the phone's hook switch
	flashReq time.Duration // a flash to start at the next tick
	mic      micQueue      // the phone's microphone frames not yet sent
	resync   bool          // tell the phone the whole line state at the next tick

	// Owned by the clock goroutine.
	hookApplied bool      // what the chip's hook input is now
	flashEnd    time.Time // loop held open until then
	sent        lineState // what the phone was last told
}

// lineState is what a phone is told about its line.
type lineState struct {
	feed     wire.FeedState
	reversed bool
	ringing  bool
}

func wireFeed(f hal.Feed) wire.FeedState {
	switch f {
	case hal.FeedForward, hal.FeedReverse:
		return wire.FeedActive
	case hal.FeedOnHookTx, hal.FeedOnHookTxRev:
		return wire.FeedOnHookTx
	case hal.FeedRinging:
		return wire.FeedRinging
	}
	return wire.FeedOpen
}

// clock is the TDM clock goroutine.
func (b *Board) clock() {
	t := time.NewTicker(hal.FrameDuration)
	defer t.Stop()
	for {
		select {
		case <-b.quit:
			return
		case now := <-t.C:
			b.tick(now)
		}
	}
}

// tick is one 10 ms frame of the board. It never blocks on the engine or
// a phone and allocates nothing.
func (b *Board) tick(now time.Time) {
	h := b.hw
	h.mu.Lock()
	engineWaiting := h.state == engWaiting
	if !engineWaiting && h.engaged {
		h.overruns.Add(1)
	} else {
		clear(h.rx)
	}
	txValid := h.txValid
	h.txValid = false

	for _, p := range b.ports {
		// The phone's hook switch, with any flash, onto the chip's loop.
		p.mu.Lock()
		c := p.conn
		hook := p.offHook
		if p.flashReq > 0 {
			p.flashEnd = now.Add(p.flashReq)
			p.flashReq = 0
		}
		if now.Before(p.flashEnd) {
			hook = false
		}
		resync := p.resync
		p.resync = false
		var ear wire.Msg

		if hook != p.hookApplied {
			p.chip.SetOffHook(hook)
			p.hookApplied = hook
		}
		p.chip.Tick(now)

		// Audio: line to highway and highway to line, at the chip's slots.
		pcm := p.chip.PCM()
		talk := p.chip.Talk() && pcm.Enabled
		mic := p.mic.pop()
		switch {
		case !engineWaiting || !pcm.Enabled || !inSlots(pcm.TxSlot):
		case pcm.Loopback: // digital loopback: the chip sends back what it receives
			if txValid && inSlots(pcm.RxSlot) {
				h.rx[pcm.TxSlot] = h.tx[pcm.RxSlot]
			}
		case talk && mic != nil:
			h.rx[pcm.TxSlot] = *mic
		}
		p.mu.Unlock()

		if c == nil {
			continue
		}
		ear.Type = wire.Audio
		if talk && txValid && inSlots(pcm.RxSlot) {
			ear.Audio = h.tx[pcm.RxSlot]
		}

		// Line state changes, then the earpiece frame.
		ls := p.chip.Line()
		st := lineState{feed: wireFeed(ls.Feed), reversed: ls.Reversed || ls.Feed.Reversed(), ringing: ls.Ringing}
		if resync || st.feed != p.sent.feed || st.reversed != p.sent.reversed {
			c.sendControl(&wire.Msg{Type: wire.Feed, Feed: st.feed, Reversed: st.reversed})
		}
		if resync || st.ringing != p.sent.ringing {
			c.sendControl(&wire.Msg{Type: wire.Ring, Ringing: st.ringing})
		}
		p.sent = st
		c.sendAudio(&ear)
	}

	if engineWaiting {
		h.state = engReady
		select {
		case h.ready <- struct{}{}:
		default:
		}
	}
	h.mu.Unlock()
}

func inSlots(s int) bool { return s >= 0 && s < Slots }

// micQueue holds the microphone frames a phone sent ahead of the clock: a
// few frames absorb network jitter; when full the oldest is dropped.
type micQueue struct {
	f    [micDepth]hal.Frame
	head int
	n    int
}

const micDepth = 4

func (q *micQueue) push(f *hal.Frame) {
	if q.n == micDepth {
		q.head = (q.head + 1) % micDepth
		q.n--
	}
	q.f[(q.head+q.n)%micDepth] = *f
	q.n++
}

// pop returns the oldest frame, valid until the next push, or nil.
func (q *micQueue) pop() *hal.Frame {
	if q.n == 0 {
		return nil
	}
	f := &q.f[q.head]
	q.head = (q.head + 1) % micDepth
	q.n--
	return f
}

func (q *micQueue) reset() { q.head, q.n = 0, 0 }
