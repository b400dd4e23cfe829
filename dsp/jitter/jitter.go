// Package jitter is the receive side of a voice channel: an adaptive
// jitter buffer that takes RTP packets as they arrive and hands the media
// engine one frame of 8 kHz PCM per tick, concealing losses (package plc),
// playing comfort noise (RFC 3389, package cng) and adjusting its playout
// delay to the network.
//
// # Goroutines
//
// Exactly one goroutine (the RTP receiver) calls Put, PutCN and SetCodec;
// exactly one other (the media engine) calls Get, Play and Position. Stats,
// SetFixed and Reset may be called from any goroutine. Nothing is locked:
// packets travel from Put to Get through a preallocated array of slots and
// two single-producer single-consumer rings of slot indices, one carrying
// filled slots to the reader and one returning free slots to the writer.
// Put copies the payload into a free slot and publishes its index; Get
// drains the published indices into its own timestamp-ordered list, which
// only it touches, and gives slots back once played or discarded. A slot
// belongs to exactly one side at a time, so neither side ever waits for the
// other and no lock is held across a Get. Neither Put nor Get allocates.
// When the reader falls behind and every slot is taken, Put refuses the
// packet (and counts it) rather than wait.
//
// # Playout
//
// Every packet gets a relative arrival time r: the tick (in samples) at
// which Get first saw it minus its RTP timestamp, both taken relative to the
// first packet. Playing timestamp ts at tick T means a playout delay
// D = T - ts, and a packet is in time exactly when r <= D. The buffer keeps
// the last Options.Window values of r sorted and aims D at their
// (1 - Options.LateRate) quantile: since r does not depend on D, the
// target follows the network alone, including a slow drift between the
// sender's clock and the TDM clock, which shows up as a trend in r.
//
// The delay grows at once when the target rises (a frame of concealment is
// inserted without advancing the playout point) and shrinks one frame at a
// time, only where it cannot be heard: in comfort noise, in frames the VAD
// calls silent, or, if the excess lasts longer than 3 s, anywhere with
// a cross-fade. While comfort noise plays (the sender has gone quiet with
// RFC 3389) the delay moves freely to the target, so a talk spurt starts
// at the best delay.
//
// Sequence numbers find duplicates and count losses; packets from a new
// SSRC restart the timeline at once, and a jump in timestamps (relative
// arrival time off by more than a second) restarts it when a second packet
// confirms it. Fixed mode (for fax and modems) holds the delay at a set
// value above the fastest packet and only corrects drift.
package jitter

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/dsp/cng"
	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/dsp/plc"
)

// Kind says what Get produced.
type Kind uint8

const (
	Silence      Kind = iota // nothing to play yet (or after Reset): zeros
	Audio                    // decoded packets only
	Concealed                // some samples concealed (loss, lateness, delay growth)
	ComfortNoise             // comfort noise (RFC 3389, or after a long outage)
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Silence:
		return "silence"
	case Audio:
		return "audio"
	case Concealed:
		return "concealed"
	case ComfortNoise:
		return "comfort-noise"
	}
	return "kind?"
}

// Options configure a Buffer. Zero fields take the defaults shown.
type Options struct {
	Codec        Codec         // decoder of audio payloads (G711(g711.ALaw))
	InitialDelay time.Duration // playout delay until statistics exist (20 ms)
	MinDelay     time.Duration // least delay planned above the fastest packet (0)
	MaxDelay     time.Duration // most delay planned above the fastest packet (400 ms)
	LateRate     float64       // share of packets the adaptive delay may let arrive late (0.01)
	Window       int           // packets in the delay statistics (1500: 30 s of 20 ms packets)
	Fixed        time.Duration // start in fixed mode with this delay (0: adaptive)
	Slots        int           // packets held at once, at most 65535 (64)
	MaxPayload   int           // largest payload in bytes (480: 60 ms of G.711)
	MaxSamples   int           // largest decoded packet in samples (960: 120 ms)
}

var (
	errOptions = errors.New("jitter: bad options")
	errEmpty   = errors.New("jitter: empty payload")
	errBig     = errors.New("jitter: payload too large")
	errSpan    = errors.New("jitter: payload duration out of range")
	errFull    = errors.New("jitter: no free slot (reader is behind)")
)

const (
	jumpThreshold = 8000  // samples (1 s) of relative-arrival change that suggests a timestamp jump
	jumpAgree     = 800   // samples (100 ms) within which a second packet confirms it
	warmPackets   = 25    // packets before the statistics may pull the delay below InitialDelay
	settleSamples = 1600  // samples (200 ms) an excess must last before a shrink
	forceSamples  = 24000 // samples (3 s) of excess after which a shrink may happen during speech
	maxFrame      = 480   // samples per Get call handled in one piece
)

type slot struct {
	seq   uint16
	cn    bool
	ts    uint32
	ssrc  uint32
	span  int32
	n     int
	codec Codec
	data  []byte
}

// Stats is a snapshot of a Buffer's counters. Packet counts are packets;
// frame counts are Get calls.
type Stats struct {
	Received     uint64        // packets accepted by Get (audio and comfort noise, not duplicates)
	Lost         uint64        // packets never received (gaps in sequence numbers)
	Late         uint64        // packets that arrived after their playout time
	Duplicates   uint64        // packets received twice
	Discarded    uint64        // packets dropped for other reasons (old timeline, SSRC change, stray)
	Overflows    uint64        // packets Put refused for want of a free slot
	Frames       uint64        // Get calls
	Concealed    uint64        // frames with concealed samples
	ComfortNoise uint64        // frames of comfort noise
	Underruns    uint64        // frames that needed audio when the buffer held none
	Inserted     uint64        // frames inserted to grow the delay
	Dropped      uint64        // frames removed to shrink the delay
	SSRCChanges  uint64        // new sources followed
	Resyncs      uint64        // timestamp jumps followed
	Delay        time.Duration // added delay: smoothed time a packet waits between arrival and playout
	Target       time.Duration // target playout delay above the fastest recent packet
	Jitter       time.Duration // RFC 3550 interarrival jitter of the audio packets
}

type counters struct {
	received, lost, late, duplicates, discarded, overflows   atomic.Uint64
	frames, concealed, comfort, underruns, inserted, dropped atomic.Uint64
	ssrcChanges, resyncs                                     atomic.Uint64
	delay, target, jitter                                    atomic.Int64 // ns
}

// Buffer is an adaptive jitter buffer. Create it with New.
type Buffer struct {
	slots []slot
	full  *indexRing // Put -> Get
	free  *indexRing // Get -> Put
	st    counters

	fixedReq atomic.Int64 // 0: none; >0: fixed delay ns + 1; -1: adaptive
	resetReq atomic.Bool

	opt Options

	// Put side.
	codec     Codec
	putSSRC   uint32
	putInit   bool
	transit   float64 // previous relative transit, samples
	jit       float64 // RFC 3550 jitter, samples
	maxSpan   int
	maxPaylen int

	// Get side.
	g getter
}

// getter is the state only Get touches.
type getter struct {
	now       uint32 // tick clock, samples
	started   bool
	playedAny bool
	pos       uint32 // RTP timestamp of the next sample to play
	rBase     uint32
	haveSSRC  bool
	ssrc      uint32
	win       window
	lastR     int32
	pend      int // slot of an unconfirmed timestamp jump, -1 for none
	pendR     int32
	store     []uint16 // slots waiting to play, by timestamp
	cur       int      // slot decoded into pcm, -1 for none
	pcm       []int16
	scratch   []int16
	noise     []int16
	plc       plc.Concealer
	cn        cng.Generator
	cnMode    bool // comfort noise is the current content
	bgNoise   bool // the generator holds the received background, not a SID
	ana       cng.Analyzer
	vad       cng.VAD
	talk      bool
	excess    int // samples the delay has been above target by a frame or more
	fixed     int32
	wait      float64 // smoothed packet wait, samples
	seq       seqTracker
	lostAcc   uint64
	target    int32
	minR      int32
	initDelay int32
	minDelay  int32
	maxDelay  int32
	lateQ     float64
}

// New makes a Buffer; everything it will ever need is allocated here.
func New(o Options) (*Buffer, error) {
	if o.Codec == nil {
		o.Codec = G711(g711.ALaw)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.InitialDelay, 20*time.Millisecond)
	def(&o.MaxDelay, 400*time.Millisecond)
	if o.LateRate == 0 {
		o.LateRate = 0.01
	}
	if o.Window == 0 {
		o.Window = 1500
	}
	if o.Slots == 0 {
		o.Slots = 64
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = 480
	}
	if o.MaxSamples == 0 {
		o.MaxSamples = 960
	}
	switch {
	case o.InitialDelay < 0 || o.MinDelay < 0 || o.MaxDelay < o.MinDelay || o.Fixed < 0:
		return nil, fmt.Errorf("%w: delays must be >= 0 and MinDelay <= MaxDelay", errOptions)
	case o.MaxDelay > 10*time.Second || o.Fixed > 10*time.Second:
		return nil, fmt.Errorf("%w: delays above 10 s", errOptions)
	case !(o.LateRate > 0 && o.LateRate < 0.5):
		return nil, fmt.Errorf("%w: LateRate %v not in (0, 0.5)", errOptions, o.LateRate)
	case o.Window < 10 || o.Window > 100000:
		return nil, fmt.Errorf("%w: Window %d not in 10..100000", errOptions, o.Window)
	case o.Slots < 2 || o.Slots > 65535:
		return nil, fmt.Errorf("%w: Slots %d not in 2..65535", errOptions, o.Slots)
	case o.MaxPayload < 1 || o.MaxSamples < 1:
		return nil, fmt.Errorf("%w: MaxPayload and MaxSamples must be positive", errOptions)
	}
	b := &Buffer{
		slots:     make([]slot, o.Slots),
		full:      newIndexRing(o.Slots),
		free:      newIndexRing(o.Slots),
		opt:       o,
		codec:     o.Codec,
		maxSpan:   o.MaxSamples,
		maxPaylen: o.MaxPayload,
	}
	data := make([]byte, o.Slots*o.MaxPayload)
	for i := range b.slots {
		b.slots[i].data = data[i*o.MaxPayload : (i+1)*o.MaxPayload : (i+1)*o.MaxPayload]
		b.free.push(uint16(i))
	}
	g := &b.g
	g.win = newWindow(o.Window)
	g.store = make([]uint16, 0, o.Slots)
	g.pcm = make([]int16, o.MaxSamples)
	g.scratch = make([]int16, maxFrame)
	g.noise = make([]int16, maxFrame)
	g.pend, g.cur = -1, -1
	g.initDelay = samples(o.InitialDelay)
	g.minDelay = samples(o.MinDelay)
	g.maxDelay = samples(o.MaxDelay)
	g.fixed = samples(o.Fixed)
	g.lateQ = 1 - o.LateRate
	return b, nil
}

// samples converts a duration to 8 kHz samples.
func samples(d time.Duration) int32 { return int32(d * 8000 / time.Second) }

// duration converts samples to a duration.
func duration(s float64) time.Duration { return time.Duration(s * float64(time.Second) / 8000) }

// SetCodec changes the decoder for the packets Put after it (for example
// after a re-INVITE). Put goroutine only.
func (b *Buffer) SetCodec(c Codec) {
	if c != nil {
		b.codec = c
	}
}

// Put hands the buffer one audio packet. The payload is copied. arrival is
// when it came off the network; it feeds the RFC 3550 jitter statistic
// only, since playout timing is measured on the reader's own clock (the
// tick at which Get first sees the packet). Put goroutine only; never
// blocks: with no free slot it returns an error and counts an overflow.
func (b *Buffer) Put(seq uint16, ts, ssrc uint32, payload []byte, arrival time.Time) error {
	if len(payload) == 0 {
		return errEmpty
	}
	span := b.codec.Samples(payload)
	if span <= 0 || span > b.maxSpan {
		return fmt.Errorf("%w: %d samples (at most %d)", errSpan, span, b.maxSpan)
	}
	b.updateJitter(ts, ssrc, arrival)
	return b.put(false, seq, ts, ssrc, int32(span), payload)
}

// PutCN hands the buffer one RFC 3389 comfort-noise packet (payload type
// 13). Put goroutine only; never blocks.
func (b *Buffer) PutCN(seq uint16, ts, ssrc uint32, payload []byte, arrival time.Time) error {
	if len(payload) == 0 {
		return errEmpty
	}
	return b.put(true, seq, ts, ssrc, 0, payload)
}

func (b *Buffer) put(cn bool, seq uint16, ts, ssrc uint32, span int32, payload []byte) error {
	if len(payload) > b.maxPaylen {
		return fmt.Errorf("%w: %d bytes (at most %d)", errBig, len(payload), b.maxPaylen)
	}
	i, ok := b.free.pop()
	if !ok {
		b.st.overflows.Add(1)
		return errFull
	}
	s := &b.slots[i]
	s.seq, s.cn, s.ts, s.ssrc, s.span = seq, cn, ts, ssrc, span
	s.n = copy(s.data, payload)
	s.codec = b.codec
	b.full.push(i)
	return nil
}

// updateJitter keeps the RFC 3550 interarrival jitter (section 6.4.1).
func (b *Buffer) updateJitter(ts, ssrc uint32, arrival time.Time) {
	// Arrival in samples, modulo 2^32 like the timestamp.
	a := uint32(arrival.UnixNano() / 125000)
	transit := float64(int32(a - ts))
	if !b.putInit || ssrc != b.putSSRC {
		b.putInit, b.putSSRC, b.transit, b.jit = true, ssrc, transit, 0
		return
	}
	d := math.Abs(transit - b.transit)
	b.transit = transit
	if d > 80000 { // a timestamp jump, not jitter
		return
	}
	b.jit += (d - b.jit) / 16
	b.st.jitter.Store(int64(duration(b.jit)))
}

// SetFixed switches to fixed mode with delay d above the fastest packet
// (d > 0), or back to adaptive mode (d == 0). Any goroutine; takes effect
// at the next Get.
func (b *Buffer) SetFixed(d time.Duration) {
	if d <= 0 {
		b.fixedReq.Store(-1)
		return
	}
	b.fixedReq.Store(int64(min(d, 10*time.Second)) + 1)
}

// Reset empties the buffer and forgets the stream; Get plays silence until
// packets come again. Any goroutine; takes effect at the next Get. Counters
// are kept.
func (b *Buffer) Reset() { b.resetReq.Store(true) }

// Stats returns the counters. Any goroutine.
func (b *Buffer) Stats() Stats {
	return Stats{
		Received:     b.st.received.Load(),
		Lost:         b.st.lost.Load(),
		Late:         b.st.late.Load(),
		Duplicates:   b.st.duplicates.Load(),
		Discarded:    b.st.discarded.Load(),
		Overflows:    b.st.overflows.Load(),
		Frames:       b.st.frames.Load(),
		Concealed:    b.st.concealed.Load(),
		ComfortNoise: b.st.comfort.Load(),
		Underruns:    b.st.underruns.Load(),
		Inserted:     b.st.inserted.Load(),
		Dropped:      b.st.dropped.Load(),
		SSRCChanges:  b.st.ssrcChanges.Load(),
		Resyncs:      b.st.resyncs.Load(),
		Delay:        time.Duration(b.st.delay.Load()),
		Target:       time.Duration(b.st.target.Load()),
		Jitter:       time.Duration(b.st.jitter.Load()),
	}
}

// seqTracker finds duplicates and counts losses from sequence numbers
// (after RFC 3550 appendix A.1: a jump of more than maxDropout ahead or
// maxMisorder behind restarts the count once a second packet confirms it).
type seqTracker struct {
	init     bool
	max      uint16
	bits     uint64 // bit i: max-i was received
	ext      int64  // extended highest sequence number
	base     int64
	received int64
	lostAcc  int64  // losses counted before restarts
	bad      uint16 // the sequence number that would confirm a jump
	badSet   bool
}

const (
	maxDropout  = 3000
	maxMisorder = 100
)

// add records seq and reports whether it was a duplicate.
func (s *seqTracker) add(seq uint16) (dup bool) {
	if !s.init {
		s.restart(seq)
		return false
	}
	d := int16(seq - s.max)
	if d > maxDropout || d < -maxMisorder {
		if s.badSet && seq == s.bad {
			s.lostAcc += s.runLost()
			s.restart(seq)
			return false
		}
		s.bad, s.badSet = seq+1, true
		return false
	}
	s.badSet = false
	switch {
	case d == 0:
		return true
	case d > 0:
		if d >= 64 {
			s.bits = 0
		} else {
			s.bits <<= uint(d)
		}
		s.bits |= 1
		s.max = seq
		s.ext += int64(d)
	default:
		if i := -int(d); i < 64 {
			if s.bits&(1<<uint(i)) != 0 {
				return true
			}
			s.bits |= 1 << uint(i)
		}
	}
	s.received++
	return false
}

func (s *seqTracker) restart(seq uint16) {
	acc := s.lostAcc
	*s = seqTracker{init: true, max: seq, bits: 1, ext: int64(seq), base: int64(seq), received: 1, lostAcc: acc}
}

// runLost returns the packets missing since the last restart.
func (s *seqTracker) runLost() int64 {
	if !s.init {
		return 0
	}
	return max(0, s.ext-s.base+1-s.received)
}

// lost returns the packets missing so far.
func (s *seqTracker) lost() int64 { return s.lostAcc + s.runLost() }
