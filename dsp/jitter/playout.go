package jitter

import (
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/cng"
)

// Get fills dst with the next len(dst) samples to play (normally one 10 ms
// frame of 80 samples; at most 480) and says what they are. Get goroutine
// only; never blocks or allocates.
func (b *Buffer) Get(dst []int16) Kind {
	if len(dst) > maxFrame {
		k := Silence
		for off := 0; off < len(dst); off += maxFrame {
			k = max(k, b.Get(dst[off:min(off+maxFrame, len(dst))]))
		}
		return k
	}
	g := &b.g
	b.control()
	g.now += uint32(len(dst))
	b.st.frames.Add(1)
	b.drain()
	if !g.started || len(dst) == 0 {
		clear(dst)
		return Silence
	}
	b.computeTarget()
	r, kind := b.play(dst)
	switch kind {
	case Concealed:
		b.st.concealed.Add(1)
	case ComfortNoise:
		b.st.comfort.Add(1)
	}
	if r.underrun {
		b.st.underruns.Add(1)
	}
	switch {
	case kind == Audio:
		g.talk = g.vad.Process(dst)
		if !g.talk {
			g.ana.Update(dst)
		}
	case g.cnMode:
		g.talk = false
	}
	return kind
}

// Play fills dst like Get; it makes a Buffer a playout source of the media
// engine.
func (b *Buffer) Play(dst []int16) { b.Get(dst) }

// Position returns the RTP timestamp of the next sample Get will play, and
// whether playout has started. Get goroutine only.
func (b *Buffer) Position() (ts uint32, started bool) { return b.g.pos, b.g.started }

// control applies requests made from other goroutines.
func (b *Buffer) control() {
	g := &b.g
	if b.resetReq.Swap(false) {
		b.flush()
		for {
			i, ok := b.full.pop()
			if !ok {
				break
			}
			b.release(i)
		}
		g.lostAcc += uint64(g.seq.lost())
		g.seq = seqTracker{}
		g.started, g.playedAny, g.haveSSRC, g.cnMode, g.bgNoise, g.talk = false, false, false, false, false, false
		g.win.reset()
		g.plc.Reset()
		g.cn.Reset()
		g.ana.Reset()
		g.vad.Reset()
		g.excess, g.wait = 0, 0
	}
	if v := b.fixedReq.Swap(0); v != 0 {
		if v < 0 {
			g.fixed = 0
		} else {
			g.fixed = max(1, samples(time.Duration(v-1)))
		}
	}
}

// release gives a slot back to the Put side.
func (b *Buffer) release(i uint16) { b.free.push(i) }

// flush discards every packet the reader holds.
func (b *Buffer) flush() {
	g := &b.g
	for _, i := range g.store {
		b.release(i)
		b.st.discarded.Add(1)
	}
	g.store = g.store[:0]
	g.cur = -1
	if g.pend >= 0 {
		b.release(uint16(g.pend))
		b.st.discarded.Add(1)
		g.pend = -1
	}
}

// drain takes every packet Put has published.
func (b *Buffer) drain() {
	for {
		i, ok := b.full.pop()
		if !ok {
			return
		}
		b.accept(i)
	}
}

// retime moves the timeline by shift samples without changing the playout
// delay: relative arrival times shift by -shift.
func (b *Buffer) retime(shift int32) {
	g := &b.g
	g.rBase += uint32(shift)
	g.pos -= uint32(shift)
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// accept files one packet from Put.
func (b *Buffer) accept(i uint16) {
	g := &b.g
	s := &b.slots[i]
	if g.haveSSRC && s.ssrc != g.ssrc {
		b.st.ssrcChanges.Add(1)
		g.lostAcc += uint64(g.seq.lost())
		g.seq = seqTracker{}
		b.flush()
		if g.started {
			b.retime(int32(g.now-s.ts-g.rBase) - g.lastR)
		}
	}
	g.haveSSRC, g.ssrc = true, s.ssrc
	if g.seq.add(s.seq) {
		b.st.duplicates.Add(1)
		b.release(i)
		return
	}
	b.st.lost.Store(g.lostAcc + uint64(g.seq.lost()))
	if !g.started {
		d := g.initDelay
		if g.fixed > 0 {
			d = g.fixed
		}
		g.started, g.playedAny = true, false
		g.rBase = g.now - s.ts
		g.lastR = 0
		g.pos = s.ts - uint32(d)
		g.target = d
	}
	r := int32(g.now - s.ts - g.rBase)
	switch {
	case abs32(r-g.lastR) <= jumpThreshold:
		if g.pend >= 0 { // the last one was a stray, not a jump
			b.release(uint16(g.pend))
			b.st.discarded.Add(1)
			g.pend = -1
		}
	case g.pend >= 0 && abs32(r-g.pendR) <= jumpAgree:
		// Two packets agree on a new timeline: follow it.
		b.st.resyncs.Add(1)
		p := uint16(g.pend)
		g.pend = -1
		shift := g.pendR - g.lastR
		for _, j := range g.store {
			b.release(j)
			b.st.discarded.Add(1)
		}
		g.store = g.store[:0]
		g.cur = -1
		b.retime(shift)
		b.file(p, g.lastR)
		r -= shift
	default:
		if g.pend >= 0 {
			b.release(uint16(g.pend))
			b.st.discarded.Add(1)
		}
		g.pend, g.pendR = int(i), r
		return
	}
	b.file(i, r)
}

// file records the packet's arrival in the statistics and puts it in the
// playout list, unless it is late or already there.
func (b *Buffer) file(i uint16, r int32) {
	g := &b.g
	s := &b.slots[i]
	g.lastR = r
	g.win.add(r)
	b.st.received.Add(1)
	d := int32(g.now - g.rBase - g.pos)
	g.wait += (float64(d-r) - g.wait) / 16
	b.st.delay.Store(int64(duration(max(0, g.wait))))
	if !s.cn && int32(s.ts+uint32(s.span)-g.pos) <= 0 {
		b.st.late.Add(1)
		b.release(i)
		return
	}
	// Insert by timestamp (the list is short; scan from the end, where
	// in-order packets go).
	k := len(g.store)
	for k > 0 {
		o := &b.slots[g.store[k-1]]
		dt := int32(s.ts - o.ts)
		if dt > 0 {
			break
		}
		if dt == 0 && o.cn == s.cn {
			b.st.duplicates.Add(1)
			b.release(i)
			return
		}
		k--
	}
	g.store = g.store[:len(g.store)+1]
	copy(g.store[k+1:], g.store[k:])
	g.store[k] = i
}

// computeTarget sets the playout delay to aim at.
func (b *Buffer) computeTarget() {
	g := &b.g
	if g.win.n == 0 {
		return
	}
	g.minR = g.win.min()
	var t int32
	if g.fixed > 0 {
		t = g.minR + g.fixed
	} else {
		t = g.win.quantile(g.lateQ)
		if g.win.n < warmPackets {
			t = max(t, g.minR+g.initDelay)
		}
		t = min(max(t, g.minR+g.minDelay), g.minR+g.maxDelay)
	}
	g.target = t
	b.st.target.Store(int64(duration(float64(t - g.minR))))
}

// trim removes from the head of the playout list what lies wholly before
// the playout point, and applies comfort-noise parameters that are due.
func (b *Buffer) trim() {
	g := &b.g
	for len(g.store) > 0 {
		i := g.store[0]
		s := &b.slots[i]
		if s.cn {
			if int32(s.ts-g.pos) > 0 {
				return
			}
			var p cng.Params
			if p.Unmarshal(s.data[:s.n]) == nil {
				g.cn.Set(&p)
				g.cnMode, g.bgNoise = true, false
			} else {
				b.st.discarded.Add(1)
			}
		} else {
			if int32(s.ts+uint32(s.span)-g.pos) > 0 {
				return
			}
			if g.cur == int(i) {
				g.cur = -1
			} else {
				b.st.discarded.Add(1) // skipped over without playing
			}
		}
		b.dropHead()
	}
}

// dropHead removes the head of the playout list and frees its slot.
func (b *Buffer) dropHead() {
	g := &b.g
	i := g.store[0]
	copy(g.store, g.store[1:])
	g.store = g.store[:len(g.store)-1]
	b.release(i)
}

type rendered struct {
	real, conc, noise int
	underrun          bool
}

// play produces one frame, adjusting the delay on the way.
func (b *Buffer) play(dst []int16) (rendered, Kind) {
	g := &b.g
	n := int32(len(dst))
	b.trim()
	atAudio := false
	if len(g.store) > 0 {
		s := &b.slots[g.store[0]]
		atAudio = !s.cn && int32(g.pos-s.ts) >= 0
	}
	var r rendered
	switch d := int32(g.now - g.rBase - g.pos); {
	case !g.playedAny || (g.cnMode && !atAudio):
		// Nothing audible depends on the playout point: move it straight
		// to the target, but not past the next packet.
		want := g.now - g.rBase - uint32(g.target)
		if len(g.store) > 0 {
			if next := b.slots[g.store[0]].ts; int32(want-next) > 0 {
				want = next
			}
		}
		g.pos = want
		g.excess = 0
		b.render(dst, &r)
	case d < g.target:
		// Grow: play a frame of concealment (or noise) and stay put.
		b.st.inserted.Add(1)
		g.excess = 0
		if g.cnMode {
			g.cn.Generate(dst)
			r.noise = len(dst)
		} else {
			b.conceal(dst, &r)
		}
	default:
		if d-g.target >= n {
			g.excess += int(n)
		} else {
			g.excess = 0
		}
		if g.excess >= settleSamples && (!g.talk || g.excess >= forceSamples) {
			b.st.dropped.Add(1)
			if g.talk {
				g.excess = settleSamples
			}
			b.render(dst, &r)
			x := g.scratch[:n]
			b.render(x, &r)
			for i := range dst {
				w := float32(i+1) / float32(n+1)
				dst[i] = dsp.SatF16(float64((1-w)*float32(dst[i]) + w*float32(x[i])))
			}
			break
		}
		b.render(dst, &r)
	}
	switch {
	case r.real == len(dst) || (r.real > 0 && r.conc == 0 && r.noise == 0):
		return r, Audio
	case r.conc > 0:
		return r, Concealed
	case r.noise > 0:
		return r, ComfortNoise
	}
	return r, Silence
}

// render plays len(dst) samples from the playout point on: packets where
// there are some, concealment or comfort noise in the gaps.
func (b *Buffer) render(dst []int16, r *rendered) {
	g := &b.g
	for i := 0; i < len(dst); {
		b.trim()
		if len(g.store) > 0 {
			idx := g.store[0]
			s := &b.slots[idx]
			if off := int32(g.pos - s.ts); !s.cn && off >= 0 {
				k := min(int(s.span-off), len(dst)-i)
				if g.cur != int(idx) {
					nd := max(0, min(s.codec.Decode(g.pcm[:s.span], s.data[:s.n]), int(s.span)))
					clear(g.pcm[nd:s.span])
					g.cur = int(idx)
				}
				seg := dst[i : i+k]
				copy(seg, g.pcm[off:int(off)+k])
				g.plc.Good(seg)
				g.cnMode, g.bgNoise, g.playedAny = false, false, true
				r.real += k
				i += k
				g.pos += uint32(k)
				if int(off)+k == int(s.span) {
					b.dropHead()
					g.cur = -1
				}
				continue
			}
		}
		k := len(dst) - i
		if len(g.store) > 0 {
			k = min(k, int(int32(b.slots[g.store[0]].ts-g.pos)))
		}
		seg := dst[i : i+k]
		switch {
		case !g.playedAny:
			clear(seg)
		case g.cnMode:
			g.cn.Generate(seg)
			r.noise += k
		default:
			r.underrun = r.underrun || len(g.store) == 0
			b.conceal(seg, r)
		}
		i += k
		g.pos += uint32(k)
	}
}

// conceal fills seg with concealment; once that has faded out, with comfort
// noise matched to the background heard so far.
func (b *Buffer) conceal(seg []int16, r *rendered) {
	g := &b.g
	g.plc.Conceal(seg)
	if !g.plc.Faded() {
		r.conc += len(seg)
		return
	}
	if !g.bgNoise {
		g.bgNoise = true
		if !g.cn.Active() && g.ana.Frames() > 0 {
			p := g.ana.Params()
			g.cn.Set(&p)
		}
	}
	if g.cn.Active() {
		x := g.noise[:len(seg)]
		g.cn.Generate(x)
		dsp.MixInto(seg, x)
	}
	r.noise += len(seg)
}
