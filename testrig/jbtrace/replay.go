package jbtrace

import (
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/dsp/jitter"
	"github.com/openiad/openiad/testrig/jbtrace/speexjb"
)

// Tick is the playout step of the replay: the media engine's 10 ms.
const Tick = 10 * time.Millisecond

const tickSamples = 80

// Result is what one buffer did with one trace.
type Result struct {
	Buffer    string
	Trace     string
	Sent      int           // packets sent
	Lost      int           // lost in the network
	Played    int           // packets played at least in part
	Late      int           // packets that arrived after their playout time had passed
	LateLoss  float64       // share of the sent audio that arrived too late to play
	Unplayed  float64       // share of the sent audio that arrived in time but was not played (shrinking, discards)
	P50, P95  time.Duration // added delay: from a packet's arrival to the start of its playout
	Mean      time.Duration
	Inserted  int // delay growth steps (frames or speexdsp insertions)
	Dropped   int // delay shrink steps (frames or speexdsp skips)
	Concealed int // ticks with concealment of lost or late audio
}

// String is one line of the comparison table.
func (r Result) String() string {
	return fmt.Sprintf("%-18s %-16s p50 %5.1f ms  p95 %5.1f ms  late %5.2f %%  unplayed %5.2f %%  net loss %5.2f %%",
		r.Trace, r.Buffer, ms(r.P50), ms(r.P95), 100*r.LateLoss, 100*r.Unplayed, 100*float64(r.Lost)/float64(max(1, r.Sent)))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// outcome collects per-packet results during a replay.
type outcome struct {
	tr       *Trace
	start    []time.Duration // first playout time, -1 if never
	lateFrom []int           // samples of the packet that were late (span: all)
}

func newOutcome(tr *Trace) *outcome {
	o := &outcome{tr: tr, start: make([]time.Duration, len(tr.Packets)), lateFrom: make([]int, len(tr.Packets))}
	for i := range o.start {
		o.start[i] = -1
	}
	return o
}

func (o *outcome) result(buffer string) Result {
	tr := o.tr
	r := Result{Buffer: buffer, Trace: tr.Spec.Name, Sent: len(tr.Packets)}
	var delays []float64
	var lateS, unplayedS int
	for i, p := range tr.Packets {
		switch {
		case p.Lost:
			r.Lost++
		case o.start[i] >= 0:
			r.Played++
			d := o.start[i] - p.Arrive
			delays = append(delays, float64(d))
			lateS += o.lateFrom[i]
			if o.lateFrom[i] == tr.Span {
				r.Late++
			}
		case o.lateFrom[i] == tr.Span:
			r.Late++
			lateS += tr.Span
		default:
			unplayedS += tr.Span
		}
	}
	total := float64(len(tr.Packets) * tr.Span)
	r.LateLoss = float64(lateS) / total
	r.Unplayed = float64(unplayedS) / total
	if len(delays) > 0 {
		slices.Sort(delays)
		r.P50 = time.Duration(quantile(delays, 0.5))
		r.P95 = time.Duration(quantile(delays, 0.95))
		var s float64
		for _, d := range delays {
			s += d
		}
		r.Mean = time.Duration(s / float64(len(delays)))
	}
	return r
}

// quantile of sorted values, linear interpolation.
func quantile(s []float64, q float64) float64 {
	x := q * float64(len(s)-1)
	i := int(x)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	f := x - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}

// Payloads makes the G.711 A-law payloads of a trace: a talker that
// alternates speech-like sound and background noise, every packet unique.
func Payloads(tr *Trace) [][]byte {
	x := Talker(len(tr.Packets)*tr.Span, tr.Spec.Seed)
	ps := make([][]byte, len(tr.Packets))
	for i := range ps {
		ps[i] = make([]byte, tr.Span)
		g711.Encode(g711.ALaw, ps[i], x[i*tr.Span:(i+1)*tr.Span])
	}
	return ps
}

// tracker identifies payloads by content, to learn which packet a jitter
// buffer decodes.
type tracker struct {
	seed  maphash.Seed
	index map[uint64]int
	law   g711.Law
	last  int // index of the last payload decoded
}

func newTracker(ps [][]byte) *tracker {
	t := &tracker{seed: maphash.MakeSeed(), index: make(map[uint64]int, len(ps))}
	for i, p := range ps {
		h := maphash.Bytes(t.seed, p)
		for {
			if _, dup := t.index[h]; !dup {
				break
			}
			p[0] ^= 1 // make it unique
			h = maphash.Bytes(t.seed, p)
		}
		t.index[h] = i
	}
	return t
}

// Samples implements jitter.Codec.
func (t *tracker) Samples(p []byte) int { return len(p) }

// Decode implements jitter.Codec and records which packet it was.
func (t *tracker) Decode(dst []int16, p []byte) int {
	t.last = -1
	if i, ok := t.index[maphash.Bytes(t.seed, p)]; ok {
		t.last = i
	}
	return g711.Decode(t.law, dst, p)
}

// decodeHook lets the replay see each decode as it happens.
type decodeHook struct {
	*tracker
	on func(i int)
}

func (h decodeHook) Decode(dst []int16, p []byte) int {
	n := h.tracker.Decode(dst, p)
	if h.last >= 0 {
		h.on(h.last)
	}
	return n
}

// ReplayOurs runs a trace through dsp/jitter with the given options (the
// codec is replaced by one that tracks packets).
func ReplayOurs(tr *Trace, o jitter.Options) (Result, jitter.Stats, error) {
	ps := Payloads(tr)
	trk := newTracker(ps)
	res := newOutcome(tr)
	var now time.Duration
	var posBefore uint32
	hook := decodeHook{tracker: trk}
	hook.on = func(i int) {
		if res.start[i] >= 0 {
			return
		}
		ts := tr.Packets[i].TS
		off := int(int32(posBefore - ts))
		at := now
		if off < 0 {
			at += time.Duration(-off) * time.Second / 8000
			off = 0
		}
		res.start[i] = at
		res.lateFrom[i] = min(off, tr.Span)
	}
	o.Codec = hook
	b, err := jitter.New(o)
	if err != nil {
		return Result{}, jitter.Stats{}, err
	}
	arr := tr.Arrivals()
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	dst := make([]int16, tickSamples)
	next := 0
	end := tr.Spec.Duration + 2*time.Second
	lateAt := make([]bool, len(tr.Packets))
	for now = Tick; now < end; now += Tick {
		pos, started := b.Position()
		for ; next < len(arr) && arr[next].Arrive <= now; next++ {
			p := arr[next]
			if started && int32(p.TS+uint32(tr.Span)-pos) <= 0 {
				lateAt[p.Index] = true
			}
			if err := b.Put(p.Seq, p.TS, 1, ps[p.Index], epoch.Add(p.Arrive)); err != nil {
				return Result{}, jitter.Stats{}, fmt.Errorf("jbtrace: put packet %d: %w", p.Index, err)
			}
		}
		posBefore = pos
		b.Get(dst)
	}
	for i, late := range lateAt {
		if late && res.start[i] < 0 {
			res.lateFrom[i] = tr.Span
		}
	}
	st := b.Stats()
	r := res.result("ours")
	r.Inserted, r.Dropped, r.Concealed = int(st.Inserted), int(st.Dropped), int(st.Concealed)
	return r, st, nil
}

// SpeexConfig is one way of running speexdsp's jitter buffer.
type SpeexConfig struct {
	Step     int // delay step and get size in samples: 80 (10 ms gets, its codec wrapper's way) or the packet span
	LateRate int // JITTER_BUFFER_SET_MAX_LATE_RATE, percent (0: its default, 4)
	Margin   int // JITTER_BUFFER_SET_MARGIN, samples
}

func (c SpeexConfig) String() string {
	return fmt.Sprintf("speex/%d/%d%%/+%d", c.Step, c.LateRate, c.Margin)
}

// ReplaySpeex runs a trace through speexdsp's jitter buffer. Every 10 ms
// tick the arrived packets are put; a get happens whenever the audio of the
// previous one is used up (every tick with Step 80, every packet time with
// Step = span), followed by jitter_buffer_tick as speexdsp's own wrapper
// does.
func ReplaySpeex(tr *Trace, c SpeexConfig) (Result, error) {
	if c.Step <= 0 {
		c.Step = tr.Span
	}
	jb, err := speexjb.Open(c.Step)
	if err != nil {
		return Result{}, err
	}
	defer jb.Close()
	if c.LateRate > 0 {
		jb.SetMaxLateRate(c.LateRate)
	}
	if c.Margin > 0 {
		jb.SetMargin(c.Margin)
	}
	res := newOutcome(tr)
	arr := tr.Arrivals()
	next := 0
	left := 0 // samples of the last get still to play
	started := false
	r := Result{}
	end := tr.Spec.Duration + 2*time.Second
	for now := Tick; now < end; now += Tick {
		for ; next < len(arr) && arr[next].Arrive <= now; next++ {
			p := arr[next]
			if started && int32(p.TS+uint32(tr.Span)-(jb.Pointer()-uint32(left))) <= 0 {
				res.lateFrom[p.Index] = tr.Span
			}
			jb.Put(p.TS, uint32(tr.Span), p.Seq, uint32(p.Index))
		}
		if left <= 0 {
			st, _, span, user, _ := jb.Get(c.Step)
			switch st {
			case speexjb.OK:
				started = true
				i := int(user)
				if res.start[i] < 0 {
					res.start[i] = now
					res.lateFrom[i] = 0
				}
			case speexjb.Insertion:
				r.Inserted++
			case speexjb.Missing:
				if started {
					r.Concealed += int(span) / tickSamples
				}
			}
			left = max(int(span), tickSamples)
			if c.Step != tickSamples {
				jb.Tick() // once per get of Step samples
			}
		}
		left -= tickSamples
		if c.Step == tickSamples {
			jb.Tick() // once per 10 ms frame, as speexdsp's codec wrapper does
		}
	}
	out := res.result(c.String())
	out.Inserted, out.Concealed = r.Inserted, r.Concealed
	return out, nil
}

// Talker makes n samples of a talker for delay traces: about 1.2 s of
// voiced sound and 0.8 s of background noise (-60 dBm0) in turn, with a
// little dither so that no two packets are alike.
func Talker(n int, seed uint64) []int16 {
	return voice(n, seed, 1200*time.Millisecond, 800*time.Millisecond)
}
