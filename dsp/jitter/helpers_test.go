package jitter

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/g711"
)

const frame = 80

// pkt is one packet of a test stream; at is its arrival in samples of the
// receiver's clock.
type pkt struct {
	seq     uint16
	ts      uint32
	ssrc    uint32
	at      int
	cn      bool
	payload []byte
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// stream packetises x (A-law) into packets of ptime samples, sent on time.
func stream(x []int16, ptime int, seq0 uint16, ts0, ssrc uint32) []pkt {
	var ps []pkt
	for i := 0; i+ptime <= len(x); i += ptime {
		p := make([]byte, ptime)
		g711.Encode(g711.ALaw, p, x[i:i+ptime])
		ps = append(ps, pkt{seq: seq0 + uint16(i/ptime), ts: ts0 + uint32(i), ssrc: ssrc, at: i, payload: p})
	}
	return ps
}

// law passes x through A-law, as the receiver would hear it undisturbed.
func law(x []int16) []int16 {
	b := make([]byte, len(x))
	y := make([]int16, len(x))
	g711.Encode(g711.ALaw, b, x)
	g711.Decode(g711.ALaw, y, b)
	return y
}

// sine makes n samples of a sine.
func sine(n int, freq, dbm0 float64) []int16 {
	x := make([]int16, n)
	a := dsp.DBm0ToPeak(dbm0)
	for i := range x {
		x[i] = int16(a * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return x
}

// talk makes n samples of a voiced stand-in that talks for talkMs and is
// quiet (background at -65 dBm0) for quietMs, alternately.
func talk(rng *rand.Rand, n, talkMs, quietMs int) []int16 {
	x := make([]int16, n)
	var y1, y2 float64
	c1, r1 := 2*0.95*math.Cos(2*math.Pi*800/8000), 0.95
	period := 60
	for i := range x {
		t := (i / 8) % (talkMs + quietMs)
		noise := rng.NormFloat64() * dsp.DBm0ToRMS(-65)
		if t >= talkMs {
			x[i] = int16(noise)
			continue
		}
		if i%400 == 0 {
			period = 50 + rng.IntN(40)
		}
		e := 0.0
		if i%period == 0 {
			e = 3000
		}
		v := e + c1*y1 - r1*r1*y2
		y2, y1 = y1, v
		x[i] = dsp.Sat16(int32(v + noise))
	}
	return x
}

// run replays packets (in arrival order) through b for the given number of
// ticks and returns what Get played and the kind of every frame.
func run(t *testing.T, b *Buffer, ps []pkt, ticks int) ([]int16, []Kind) {
	t.Helper()
	ps = slices.Clone(ps)
	slices.SortStableFunc(ps, func(a, b pkt) int { return a.at - b.at })
	out := make([]int16, ticks*frame)
	kinds := make([]Kind, ticks)
	next := 0
	for k := range ticks {
		now := (k + 1) * frame
		for next < len(ps) && ps[next].at < now {
			p := ps[next]
			arr := epoch.Add(time.Duration(p.at) * time.Second / 8000)
			var err error
			if p.cn {
				err = b.PutCN(p.seq, p.ts, p.ssrc, p.payload, arr)
			} else {
				err = b.Put(p.seq, p.ts, p.ssrc, p.payload, arr)
			}
			if err != nil {
				t.Fatalf("Put seq %d: %v", p.seq, err)
			}
			next++
		}
		kinds[k] = b.Get(out[k*frame : (k+1)*frame])
	}
	return out, kinds
}

func newBuffer(t *testing.T, o Options) *Buffer {
	t.Helper()
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// count returns how many frames are of kind k.
func count(kinds []Kind, k Kind) int {
	n := 0
	for _, v := range kinds {
		if v == k {
			n++
		}
	}
	return n
}

// lag finds the delay (in samples, up to max) at which got best matches
// ref, and the SNR there.
func lag(ref, got []int16, maxLag int) (int, float64) {
	best, bestSNR := 0, math.Inf(-1)
	for l := 0; l <= maxLag; l++ {
		var s, e float64
		n := min(len(ref), len(got)-l)
		for i := range n {
			d := float64(got[i+l]) - float64(ref[i])
			s += float64(ref[i]) * float64(ref[i])
			e += d * d
		}
		if snr := 10 * math.Log10(s/(e+1e-9)); snr > bestSNR {
			best, bestSNR = l, snr
		}
	}
	return best, bestSNR
}
