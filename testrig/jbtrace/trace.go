// Package jbtrace is the test bench of the receive path: it generates
// packet arrival traces (Gaussian jitter, delay spikes, reordering, random
// and bursty loss, sender clock drift), replays them through a jitter
// buffer tick by tick as the media engine would, and measures what the
// buffer did: the delay it added (p50/p95), the share of audio that came
// too late, concealment and delay changes. It also makes speech-like test
// signals (espeak-ng, or a synthetic voice) and the objective measures used
// to judge packet-loss concealment.
//
// Everything here may allocate and is meant for tests and benchmarks. The
// speexdsp reference lives in the subpackage speexjb (cgo); this package
// itself is pure Go. Firmware never imports testrig.
package jbtrace

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Spec describes a network to generate a trace for. Zero fields take the
// defaults shown.
type Spec struct {
	Name     string
	Duration time.Duration // length of the call (60 s)
	PTime    time.Duration // packet interval (20 ms)
	Delay    time.Duration // fixed one-way delay (20 ms + 4 Jitter)
	Jitter   time.Duration // standard deviation of the Gaussian delay variation
	Loss     float64       // share of packets lost
	Burst    float64       // mean length of a loss burst (Gilbert model); <= 1: independent losses
	Spikes   time.Duration // mean time between delay spikes (0: none)
	Spike    time.Duration // height of a spike: the queue jumps by this much and drains at line rate
	Reorder  float64       // share of packets held back by one to three packet times (uniformly)
	Drift    float64       // sender clock error in ppm (positive: the sender's clock runs fast)
	Seed     uint64
}

// Packet is one packet of a trace. Send and Arrive are times on the
// receiver's clock from the start of the call.
type Packet struct {
	Index  int // position in sending order
	Seq    uint16
	TS     uint32
	Send   time.Duration
	Arrive time.Duration
	Lost   bool
}

// Trace is a generated call: the packets in sending order.
type Trace struct {
	Spec    Spec
	Span    int // samples per packet
	Packets []Packet
}

// Generate makes the trace of a spec; the same spec gives the same trace.
func Generate(s Spec) *Trace {
	if s.Duration == 0 {
		s.Duration = 60 * time.Second
	}
	if s.PTime == 0 {
		s.PTime = 20 * time.Millisecond
	}
	if s.Delay == 0 {
		s.Delay = 20*time.Millisecond + 4*s.Jitter
	}
	rng := rand.New(rand.NewPCG(s.Seed, 0x6a62))
	span := int(s.PTime * 8000 / time.Second)
	n := int(s.Duration / s.PTime)
	tr := &Trace{Spec: s, Span: span, Packets: make([]Packet, n)}
	seq0 := uint16(rng.Uint32())
	ts0 := rng.Uint32()
	rate := 1 + s.Drift*1e-6

	// Delay spikes: start times of queue build-ups.
	var spikes []time.Duration
	if s.Spikes > 0 && s.Spike > 0 {
		for t := time.Duration(rng.ExpFloat64() * float64(s.Spikes)); t < s.Duration; t += time.Duration(rng.ExpFloat64() * float64(s.Spikes)) {
			spikes = append(spikes, t)
		}
	}
	// Gilbert loss model: p = P(good->bad), r = P(bad->good).
	bad := false
	var pGB, pBG float64
	if s.Burst > 1 && s.Loss > 0 {
		pBG = 1 / s.Burst
		pGB = s.Loss * pBG / (1 - s.Loss)
	}
	for i := range tr.Packets {
		p := &tr.Packets[i]
		p.Index = i
		p.Seq = seq0 + uint16(i)
		p.TS = ts0 + uint32(i*span)
		p.Send = time.Duration(float64(i) * float64(s.PTime) / rate)
		d := float64(s.Delay) + rng.NormFloat64()*float64(s.Jitter)
		for _, st := range spikes {
			if el := p.Send - st; el >= 0 && el < s.Spike {
				d += float64(s.Spike - el)
			}
		}
		if s.Reorder > 0 && rng.Float64() < s.Reorder {
			d += (1 + 2*rng.Float64()) * float64(s.PTime)
		}
		p.Arrive = p.Send + time.Duration(math.Max(d, float64(time.Millisecond/2)))
		if s.Burst > 1 {
			if bad {
				bad = rng.Float64() >= pBG
			} else {
				bad = rng.Float64() < pGB
			}
			p.Lost = bad
		} else {
			p.Lost = rng.Float64() < s.Loss
		}
	}
	return tr
}

// Arrivals returns the packets that arrive, in arrival order.
func (t *Trace) Arrivals() []Packet {
	var a []Packet
	for _, p := range t.Packets {
		if !p.Lost {
			a = append(a, p)
		}
	}
	slices.SortStableFunc(a, func(x, y Packet) int {
		switch {
		case x.Arrive < y.Arrive:
			return -1
		case x.Arrive > y.Arrive:
			return 1
		}
		return 0
	})
	return a
}

// Standard is the set of networks the comparison with speexdsp runs: the
// Gaussian jitter of issue 4 (σ 5, 20, 40 ms), delay spikes, reordering,
// 1 to 10 % loss (random and bursty), clock drift both ways, and packet
// times of 10, 20 and 30 ms. Each is a minute of call.
func Standard() []Spec {
	ms := time.Millisecond
	return []Spec{
		{Name: "gauss5-loss1", Jitter: 5 * ms, Loss: 0.01, Seed: 1},
		{Name: "gauss20-loss1", Jitter: 20 * ms, Loss: 0.01, Seed: 2},
		{Name: "gauss40-loss1", Jitter: 40 * ms, Loss: 0.01, Seed: 3},
		{Name: "gauss20-loss5", Jitter: 20 * ms, Loss: 0.05, Seed: 4},
		{Name: "gauss20-loss10", Jitter: 20 * ms, Loss: 0.10, Seed: 5},
		{Name: "gauss10-burst5", Jitter: 10 * ms, Loss: 0.05, Burst: 3, Seed: 6},
		{Name: "spikes150-loss1", Jitter: 5 * ms, Spikes: 5 * time.Second, Spike: 150 * ms, Loss: 0.01, Seed: 7},
		{Name: "reorder5-loss1", Jitter: 5 * ms, Reorder: 0.05, Loss: 0.01, Seed: 8},
		{Name: "drift+500ppm", Jitter: 10 * ms, Drift: 500, Loss: 0.01, Seed: 9},
		{Name: "drift-500ppm", Jitter: 10 * ms, Drift: -500, Loss: 0.01, Seed: 10},
		{Name: "gauss5-ptime10", PTime: 10 * ms, Jitter: 5 * ms, Loss: 0.03, Seed: 13},
		{Name: "gauss20-ptime10", PTime: 10 * ms, Jitter: 20 * ms, Loss: 0.02, Seed: 11},
		{Name: "gauss20-ptime30", PTime: 30 * ms, Jitter: 20 * ms, Loss: 0.02, Seed: 12},
	}
}
