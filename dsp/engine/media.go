package engine

import (
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/dsp/ec"

	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/hal"
)

// Uplink carries a channel's line audio, G.711-encoded in 10 ms frames, from
// the engine to the goroutine that packetises and sends it (RTP). The engine
// is its only producer; one other goroutine pops. A full uplink drops the
// newest frame and counts it: the engine never waits for the network.
type Uplink struct {
	law     g711.Law
	frames  *ring[[hal.FrameLen]byte]
	ready   chan struct{}
	dropped atomic.Uint64
}

// NewUplink makes an uplink holding up to depth frames.
func NewUplink(law g711.Law, depth int) *Uplink {
	return &Uplink{law: law, frames: newRing[[hal.FrameLen]byte](depth), ready: make(chan struct{}, 1)}
}

// Law is the encoding of the frames.
func (u *Uplink) Law() g711.Law { return u.law }

// Ready receives a value when frames are waiting.
func (u *Uplink) Ready() <-chan struct{} { return u.ready }

// Pop copies the oldest waiting frame (hal.FrameLen bytes) into dst.
func (u *Uplink) Pop(dst []byte) bool {
	f, ok := u.frames.pop()
	if ok {
		copy(dst, f[:])
	}
	return ok
}

// Dropped counts frames lost because nobody popped them in time.
func (u *Uplink) Dropped() uint64 { return u.dropped.Load() }

func (u *Uplink) put(pcm *hal.Frame, silent bool) {
	var f [hal.FrameLen]byte
	if silent {
		s := u.law.Silence()
		for i := range f {
			f[i] = s
		}
	} else {
		g711.Encode(u.law, f[:], pcm[:])
	}
	if !u.frames.push(f) {
		u.dropped.Add(1)
		return
	}
	select {
	case u.ready <- struct{}{}:
	default:
	}
}

// Playout is where the engine takes a channel's far-end audio every tick:
// the receive side of a jitter buffer. Play fills dst (hal.FrameLen samples)
// with the next 10 ms to play, concealing or inventing comfort noise when
// nothing arrived. It is called from the engine goroutine only and must not
// block or allocate.
type Playout interface {
	Play(dst []int16)
}

// EchoTail is the echo canceller's tail on far-end channels (G.168: 128 ms
// covers every hybrid of the Annex D models with their bulk delays).
const EchoTail = 128 * time.Millisecond

// Attach connects the channel to a far end: up receives the line audio
// (nil for none) and play supplies what the line hears (nil for silence).
// A cross-connection to another channel takes precedence over play. With
// an uplink (and unless Options.NoEchoCancel), the line audio first goes through a
// line echo canceller (dsp/ec) whose reference is what the engine sends to
// the line, so the far end does not hear itself back from the hybrid.
func (e *Engine) Attach(ch int, up *Uplink, play Playout) error {
	var canceller *ec.Canceller
	if up != nil && e.echo {
		canceller = ec.New(EchoTail) // allocated here, never in the tick
	}
	return e.send(command{op: opAttach, ch: ch, up: up, play: play, ec: canceller})
}

// Detach disconnects the channel from its far end.
func (e *Engine) Detach(ch int) error { return e.Attach(ch, nil, nil) }
