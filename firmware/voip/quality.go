package voip

import (
	"fmt"
	"time"

	"github.com/openiad/openiad/dsp/jitter"
	"github.com/openiad/openiad/firmware/cdr"
)

// tickDelay is the media engine's share of the one-way delay: one 10 ms
// frame between the jitter buffer and the line.
const tickDelay = 10 * time.Millisecond

// Quality is the leg's media figures so far (line.Measured): RTP counters
// and RFC 3550 loss and jitter from the stream, late and discarded packets
// and the playout delay from the jitter buffer, and an E-model MOS. Any
// goroutine: the stream and the buffer keep their counters under their
// own short locks and atomics, never the engine's.
func (g *leg) Quality() cdr.Quality {
	g.mu.Lock()
	n, jb := g.neg, g.jb
	g.mu.Unlock()
	if n.Codec.Name == "" {
		return cdr.Quality{}
	}
	st := g.stream.Stats()
	q := cdr.Quality{
		Codec:           fmt.Sprintf("%s/%d", n.Codec.Name, n.Codec.Rate),
		PacketsSent:     st.PacketsSent,
		PacketsReceived: st.PacketsReceived,
		PacketsLost:     st.Lost,
		Discarded:       st.Dropped,
		Jitter:          st.Jitter,
		RTT:             st.RTT,
	}
	if exp := float64(st.PacketsReceived) + float64(max(st.Lost, 0)); exp > 0 {
		q.LossPercent = 100 * float64(max(st.Lost, 0)) / exp
	}
	var delay time.Duration
	if jb != nil {
		js := jb.Stats()
		q.Late = js.Late
		q.Concealed = time.Duration(js.Concealed) * tickDelay // frames of one engine tick
		q.Discarded += js.Duplicates + js.Discarded + js.Overflows
		delay = js.Delay
	}
	q.MaxJitter = max(time.Duration(g.maxJitter.Load()), q.Jitter)
	ptime := n.PTime
	if ptime <= 0 {
		ptime = 20 * time.Millisecond
	}
	// One way, mouth to ear: half the round trip (the network), the
	// packetisation, the playout delay and the engine's frame.
	q.Delay = st.RTT/2 + ptime + delay + tickDelay
	q.Rate()
	return q
}

// noteJitter keeps the largest jitter the buffer has measured.
func (g *leg) noteJitter(jb *jitter.Buffer) {
	j := int64(jb.Stats().Jitter)
	for {
		old := g.maxJitter.Load()
		if j <= old || g.maxJitter.CompareAndSwap(old, j) {
			return
		}
	}
}

// Quality is the live media figures of port's SIP call, false when the
// port has no SIP call with media now. Any goroutine.
func (t *Trunk) Quality(port int) (cdr.Quality, bool) {
	if t.o.Switch == nil {
		return cdr.Quality{}, false
	}
	for _, c := range t.o.Switch.Calls() {
		if c.Port == port && c.Quality.Codec != "" {
			return c.Quality, true
		}
	}
	return cdr.Quality{}, false
}
