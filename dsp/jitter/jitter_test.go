package jitter

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/cng"
	"github.com/openiad/openiad/dsp/g711"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"negative delay", Options{MinDelay: -time.Millisecond}, false},
		{"min above max", Options{MinDelay: time.Second, MaxDelay: 100 * time.Millisecond}, false},
		{"late rate too high", Options{LateRate: 0.6}, false},
		{"tiny window", Options{Window: 3}, false},
		{"one slot", Options{Slots: 1}, false},
		{"too many slots", Options{Slots: 70000}, false},
		{"fixed", Options{Fixed: 60 * time.Millisecond}, true},
		{"fixed too long", Options{Fixed: time.Minute}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.o)
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v, want ok=%v", err, tc.ok)
			}
			if err != nil && (!errors.Is(err, errOptions) || !strings.HasPrefix(err.Error(), "jitter: ")) {
				t.Fatalf("error %v is not a prefixed errOptions", err)
			}
		})
	}
}

func TestPutErrors(t *testing.T) {
	b := newBuffer(t, Options{Slots: 2, MaxPayload: 160, MaxSamples: 160})
	if err := b.Put(1, 0, 1, nil, epoch); !errors.Is(err, errEmpty) {
		t.Errorf("empty payload: %v", err)
	}
	if err := b.Put(1, 0, 1, make([]byte, 200), epoch); !errors.Is(err, errSpan) {
		t.Errorf("200 samples with MaxSamples 160: %v", err)
	}
	b2 := newBuffer(t, Options{MaxPayload: 100})
	if err := b2.Put(1, 0, 1, make([]byte, 160), epoch); !errors.Is(err, errBig) {
		t.Errorf("160 bytes with MaxPayload 100: %v", err)
	}
	if err := b.PutCN(1, 0, 1, nil, epoch); !errors.Is(err, errEmpty) {
		t.Errorf("empty CN payload: %v", err)
	}
	// Two slots: the third packet finds none until Get frees them.
	p := make([]byte, 160)
	for i := range 2 {
		if err := b.Put(uint16(i), uint32(i*160), 1, p, epoch); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Put(2, 320, 1, p, epoch); !errors.Is(err, errFull) {
		t.Errorf("third packet: %v, want %v", err, errFull)
	}
	if s := b.Stats(); s.Overflows != 1 {
		t.Errorf("Overflows = %d", s.Overflows)
	}
	out := make([]int16, frame)
	for range 10 {
		b.Get(out)
	}
	if err := b.Put(2, 320, 1, p, epoch); err != nil {
		t.Errorf("after Get freed the slots: %v", err)
	}
}

// TestInOrder plays a clean stream: one start-up delay, then the audio,
// untouched.
func TestInOrder(t *testing.T) {
	for _, ptime := range []int{80, 160, 240} {
		t.Run(fmt.Sprintf("ptime %d", ptime/8), func(t *testing.T) {
			x := sine(8000, 1004, -10)
			// MinDelay holds the delay at InitialDelay (a perfect network
			// would otherwise let it shrink to nothing).
			b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
			out, kinds := run(t, b, stream(x, ptime, 100, 5000, 42), 100)
			// The first packet is seen at the end of the first tick and
			// waits InitialDelay.
			if l, snr := lag(law(x[:4000]), out, 800); l != 160 || snr < 60 {
				t.Errorf("audio at lag %d (want 160), SNR %.1f dB", l, snr)
			}
			first := 0
			for first < len(kinds) && kinds[first] == Silence {
				first++
			}
			for i, k := range kinds[first:] {
				if k != Audio {
					t.Fatalf("frame %d is %v, want audio", first+i, k)
				}
			}
			s := b.Stats()
			if s.Lost != 0 || s.Late != 0 || s.Concealed != 0 || s.Duplicates != 0 || s.Received != uint64(8000/ptime) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestReorderAndDuplicates swaps neighbours and repeats packets: the audio
// must come out as if nothing had happened.
func TestReorderAndDuplicates(t *testing.T) {
	x := sine(16000, 700, -15)
	ps := stream(x, 160, 65530, 4294960000, 7) // sequence and timestamp wrap
	for i := 10; i+1 < len(ps); i += 7 {
		ps[i].at, ps[i+1].at = ps[i+1].at+10, ps[i].at
	}
	n := len(ps)
	for i := 5; i < n; i += 11 {
		d := ps[i]
		d.at += 40
		ps = append(ps, d)
	}
	b := newBuffer(t, Options{InitialDelay: 40 * time.Millisecond, MinDelay: 40 * time.Millisecond})
	out, kinds := run(t, b, ps, 200)
	if c := count(kinds, Concealed); c != 0 {
		t.Errorf("%d concealed frames", c)
	}
	_, snr := lag(law(x[:12000]), out, 1200)
	if snr < 60 {
		t.Errorf("SNR %.1f dB", snr)
	}
	s := b.Stats()
	if s.Duplicates != uint64(len(ps)-n) || s.Lost != 0 || s.Late != 0 {
		t.Errorf("Duplicates %d (want %d), Lost %d, Late %d", s.Duplicates, len(ps)-n, s.Lost, s.Late)
	}
}

func TestLossIsConcealed(t *testing.T) {
	x := sine(16000, 440, -10)
	ps := stream(x, 160, 0, 0, 9)
	var kept []pkt
	for i, p := range ps {
		if i%10 != 5 {
			kept = append(kept, p)
		}
	}
	b := newBuffer(t, Options{MinDelay: 30 * time.Millisecond})
	out, kinds := run(t, b, kept, 200)
	s := b.Stats()
	if s.Lost != 10 {
		t.Errorf("Lost = %d, want 10", s.Lost)
	}
	if c := count(kinds, Concealed); c < 18 || c > 24 {
		t.Errorf("%d concealed frames, want about 20", c)
	}
	// A sine is concealed well: the played signal stays close to it.
	_, snr := lag(law(x[:14000]), out, 800)
	if snr < 15 {
		t.Errorf("SNR with 10%% loss concealed: %.1f dB", snr)
	}
	if s.Underruns != 0 {
		t.Errorf("%d underruns: losses with later packets waiting are not underruns", s.Underruns)
	}
	if s.Dropped != 0 || s.Inserted != 0 {
		t.Errorf("delay changed: %d dropped, %d inserted", s.Dropped, s.Inserted)
	}
}

// jittered delays each packet by base plus Gaussian jitter of sigma (in
// samples), never less than zero.
func jittered(ps []pkt, rng *rand.Rand, base, sigma float64) {
	for i := range ps {
		ps[i].at += int(math.Max(0, base+rng.NormFloat64()*sigma))
	}
}

func TestAdaptsToJitter(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	x := talk(rng, 8000*90, 1200, 800)
	ps := stream(x, 160, 1, 1, 5)
	// 30 s of heavy jitter, then 60 s of almost none.
	half := len(ps) / 3
	jittered(ps[:half], rng, 400, 160)
	jittered(ps[half:], rng, 400, 8)
	b := newBuffer(t, Options{})
	var targetHeavy time.Duration
	var dropsTalking, drops uint64
	out := make([]int16, frame)
	next := 0
	for k := range 9000 {
		now := (k + 1) * frame
		for next < len(ps) && ps[next].at < now {
			p := ps[next]
			if err := b.Put(p.seq, p.ts, p.ssrc, p.payload, epoch.Add(time.Duration(p.at)*time.Second/8000)); err != nil {
				t.Fatal(err)
			}
			next++
		}
		talking := b.g.talk
		before := b.Stats().Dropped
		b.Get(out)
		if d := b.Stats().Dropped - before; d > 0 {
			drops += d
			if talking {
				dropsTalking += d
			}
		}
		if k == 2900 {
			targetHeavy = b.Stats().Target
		}
	}
	s := b.Stats()
	if targetHeavy < 50*time.Millisecond || targetHeavy > 110*time.Millisecond {
		t.Errorf("target under 20 ms jitter: %v, want 50-110 ms", targetHeavy)
	}
	if s.Target > 25*time.Millisecond {
		t.Errorf("target after the jitter went away: %v, want under 25 ms", s.Target)
	}
	if late := float64(s.Late) / float64(s.Received); late > 0.015 {
		t.Errorf("late share %.2f %%, want at most 1.5 %%", 100*late)
	}
	if s.Inserted == 0 || drops == 0 {
		t.Errorf("inserted %d, dropped %d: the delay never moved", s.Inserted, drops)
	}
	if dropsTalking > 0 {
		t.Errorf("%d of %d frames dropped during speech", dropsTalking, drops)
	}
	if n := int(s.Received); n < len(ps)-5 {
		t.Errorf("received %d of %d", n, len(ps))
	}
}

func TestDriftIsAbsorbed(t *testing.T) {
	for _, ppm := range []float64{-1000, 1000} {
		t.Run(fmt.Sprintf("%+.0f ppm", ppm), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(12, 12))
			x := talk(rng, 8000*180, 1200, 800)
			ps := stream(x, 160, 1, 1, 5)
			for i := range ps {
				// The sender's clock runs at 1+ppm: its packets come that
				// much more often.
				ps[i].at = int(float64(ps[i].at)/(1+ppm*1e-6)) + int(math.Max(0, 200+rng.NormFloat64()*40))
			}
			b := newBuffer(t, Options{})
			run(t, b, ps, 18000)
			s := b.Stats()
			// 180 ms of drift over three minutes: 18 frames to insert or
			// drop, less the few the statistics window lags behind.
			moved := int(s.Dropped) - int(s.Inserted)
			if ppm < 0 {
				moved = -moved
			}
			if moved < 12 || moved > 22 {
				t.Errorf("dropped %d, inserted %d: want about 15 net %s", s.Dropped, s.Inserted, map[bool]string{true: "drops", false: "insertions"}[ppm > 0])
			}
			if s.Delay > 60*time.Millisecond {
				t.Errorf("added delay %v at the end", s.Delay)
			}
			if late := float64(s.Late) / float64(s.Received); late > 0.01 {
				t.Errorf("late share %.2f %%", 100*late)
			}
		})
	}
}

func TestTimestampJump(t *testing.T) {
	x := sine(8000*4, 500, -15)
	ps := stream(x, 160, 1, 1000, 5)
	for i := 100; i < len(ps); i++ {
		ps[i].ts += 7_000_000 // the sender's timestamps leap; sequence numbers go on
	}
	b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
	_, kinds := run(t, b, ps, 400)
	s := b.Stats()
	if s.Resyncs != 1 || s.Lost != 0 {
		t.Errorf("Resyncs %d, Lost %d", s.Resyncs, s.Lost)
	}
	// Around the jump a few frames are concealed; then audio again.
	gap := 0
	for _, k := range kinds[150:400] {
		if k != Audio {
			gap++
		}
	}
	if gap > 8 {
		t.Errorf("%d frames not audio around the jump: %v", gap, kinds[195:215])
	}
}

func TestStrayTimestampIgnored(t *testing.T) {
	x := sine(8000*3, 500, -15)
	ps := stream(x, 160, 1, 1000, 5)
	ps[60].ts += 123456789
	b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
	_, kinds := run(t, b, ps, 300)
	s := b.Stats()
	if s.Resyncs != 0 || s.Discarded != 1 {
		t.Errorf("Resyncs %d, Discarded %d: want 0 and 1", s.Resyncs, s.Discarded)
	}
	if c := count(kinds[:290], Concealed); c < 1 || c > 3 {
		t.Errorf("%d concealed frames, want the stray packet's two", c)
	}
}

func TestSSRCChange(t *testing.T) {
	x := sine(8000*4, 800, -12)
	a := stream(x[:16000], 160, 100, 5000, 1)
	c := stream(x[16000:], 160, 40000, 3_000_000_000, 2)
	for i := range c {
		c[i].at += 16000
	}
	b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
	_, kinds := run(t, b, append(a, c...), 400)
	s := b.Stats()
	if s.SSRCChanges != 1 || s.Lost != 0 || s.Resyncs != 0 {
		t.Errorf("SSRCChanges %d, Lost %d, Resyncs %d", s.SSRCChanges, s.Lost, s.Resyncs)
	}
	if n := count(kinds[10:390], Audio); n < 370 {
		t.Errorf("only %d audio frames of 380", n)
	}
}

// TestComfortNoise follows a sender using RFC 3389: speech, a SID and
// nothing, speech again.
func TestComfortNoise(t *testing.T) {
	x := sine(8000, 300, -15)
	talk1 := stream(x, 160, 10, 1000, 3)
	sid := cng.Params{Level: 56, Order: 1} // -49.8 dBm0
	sid.K[0] = -0.5
	pl := make([]byte, 8)
	n, err := sid.MarshalTo(pl)
	if err != nil {
		t.Fatal(err)
	}
	ps := append([]pkt{}, talk1...)
	ps = append(ps, pkt{seq: 60, ts: 1000 + 8000, ssrc: 3, at: 8000, cn: true, payload: pl[:n]})
	talk2 := stream(x, 160, 61, 1000+8000+16000, 3) // two seconds later
	for i := range talk2 {
		talk2[i].at += 24000
	}
	ps = append(ps, talk2...)
	b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
	out, kinds := run(t, b, ps, 400) // to the end of the second talk spurt
	s := b.Stats()
	if s.Lost != 0 || s.Underruns != 0 {
		t.Errorf("Lost %d, Underruns %d: a DTX pause is neither", s.Lost, s.Underruns)
	}
	if n := count(kinds, ComfortNoise); n < 195 || n > 205 {
		t.Errorf("%d comfort-noise frames, want about 200", n)
	}
	noise := out[150*frame : 250*frame]
	if l := cng.FrameLevel(noise); math.Abs(l-sid.LevelDBm0()) > 2 {
		t.Errorf("comfort noise at %.1f dBm0, want %.1f", l, sid.LevelDBm0())
	}
	if k := kinds[315]; k != Audio {
		t.Errorf("talk spurt after the pause plays as %v", k)
	}
}

// TestOutageFallsToBackground: when packets stop without a SID, the
// concealment fades into noise like the background heard before.
func TestOutageFallsToBackground(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	x := make([]int16, 8000*2)
	for i := range x {
		x[i] = int16(rng.NormFloat64() * dsp.DBm0ToRMS(-52))
	}
	ps := stream(x, 160, 1, 1, 9)
	b := newBuffer(t, Options{})
	out, kinds := run(t, b, ps, 300)
	if k := kinds[250]; k != ComfortNoise {
		t.Errorf("frame 250, long after the stream ended, is %v", k)
	}
	if l := cng.FrameLevel(out[220*frame : 300*frame]); math.Abs(l+52) > 3 {
		t.Errorf("background noise at %.1f dBm0, want about -52", l)
	}
	if s := b.Stats(); s.Underruns < 90 {
		t.Errorf("Underruns %d, want every frame after the stream ended", s.Underruns)
	}
}

func TestFixedMode(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 14))
	x := talk(rng, 8000*20, 1200, 800)
	ps := stream(x, 160, 1, 1, 5)
	jittered(ps, rng, 400, 120)
	b := newBuffer(t, Options{Fixed: 60 * time.Millisecond})
	run(t, b, ps[:500], 1000)
	s := b.Stats()
	if s.Target != 60*time.Millisecond {
		t.Errorf("fixed target %v, want 60ms", s.Target)
	}
	if s.Late == 0 {
		t.Errorf("no late packets: 60 ms fixed under 15 ms jitter should lose some")
	}
	b.SetFixed(0)
	out := make([]int16, frame)
	b.Get(out)
	if s := b.Stats(); s.Target == 60*time.Millisecond {
		t.Errorf("SetFixed(0) left the target at %v", s.Target)
	}
	b.SetFixed(150 * time.Millisecond)
	b.Get(out)
	if s := b.Stats(); s.Target != 150*time.Millisecond {
		t.Errorf("SetFixed(150ms): target %v", s.Target)
	}
}

func TestReset(t *testing.T) {
	x := sine(8000, 500, -15)
	ps := stream(x, 160, 1, 1, 5)
	b := newBuffer(t, Options{})
	_, kinds := run(t, b, ps[:20], 30)
	if count(kinds, Audio) == 0 {
		t.Fatal("no audio before Reset")
	}
	b.Reset()
	out := make([]int16, frame)
	if k := b.Get(out); k != Silence || dsp.RMS(out) != 0 {
		t.Errorf("after Reset: %v, RMS %.0f", k, dsp.RMS(out))
	}
	for i := range ps {
		ps[i].at = 0
	}
	_, kinds = run(t, b, ps[30:40], 10)
	if count(kinds, Audio) == 0 {
		t.Errorf("no audio after Reset and new packets: %v", kinds)
	}
}

func TestCodecChange(t *testing.T) {
	x := sine(8000, 440, -10)
	b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
	ps := stream(x, 160, 1, 1, 5)
	// The second half arrives in µ-law after SetCodec.
	for i := 25; i < len(ps); i++ {
		g711.Encode(g711.ULaw, ps[i].payload, x[i*160:(i+1)*160])
	}
	out := make([]int16, 110*frame)
	for k := range 110 {
		for _, p := range ps {
			if p.at >= k*frame && p.at < (k+1)*frame {
				if p.seq == 26 {
					b.SetCodec(G711(g711.ULaw))
				}
				if err := b.Put(p.seq, p.ts, p.ssrc, p.payload, epoch); err != nil {
					t.Fatal(err)
				}
			}
		}
		b.Get(out[k*frame : (k+1)*frame])
	}
	if _, snr := lag(x[:7800], out, 400); snr < 30 {
		t.Errorf("SNR %.1f dB across the codec change", snr)
	}
}

func TestZeroAllocs(t *testing.T) {
	b := newBuffer(t, Options{})
	x := sine(160, 440, -10)
	p := make([]byte, 160)
	g711.Encode(g711.ALaw, p, x)
	out := make([]int16, frame)
	var seq uint16
	var ts uint32
	at := epoch
	step := func() {
		seq++
		ts += 160
		at = at.Add(20 * time.Millisecond)
		if err := b.Put(seq, ts, 1, p, at); err != nil {
			t.Fatal(err)
		}
		b.Get(out)
		b.Get(out)
	}
	for range 2000 { // fill the statistics window
		step()
	}
	if n := testing.AllocsPerRun(1000, step); n != 0 {
		t.Errorf("%v allocs per packet (one Put, two Gets)", n)
	}
	var sid [4]byte
	sp := cng.Params{Level: 60}
	sp.MarshalTo(sid[:])
	cn := func() {
		seq++
		ts += 160
		if err := b.PutCN(seq, ts, 1, sid[:1], at); err != nil {
			t.Fatal(err)
		}
		b.Get(out)
		b.Get(out)
	}
	if n := testing.AllocsPerRun(200, cn); n != 0 {
		t.Errorf("%v allocs per comfort-noise packet", n)
	}
}

// checkCodec verifies that every payload it decodes is intact: all bytes
// equal, as the writer made them.
type checkCodec struct{ torn *int }

func (checkCodec) Samples(p []byte) int { return len(p) }
func (c checkCodec) Decode(dst []int16, p []byte) int {
	for _, v := range p {
		if v != p[0] {
			*c.torn++
			break
		}
	}
	for i := range p {
		dst[i] = int16(p[i])
	}
	return len(p)
}

// TestConcurrentPutGet runs the writer and the reader on two goroutines
// (run it with -race): no payload may be torn, nothing lost in the hand
// over.
func TestConcurrentPutGet(t *testing.T) {
	torn := 0
	b := newBuffer(t, Options{Codec: checkCodec{&torn}, Slots: 32})
	const packets = 2000
	done := make(chan int)
	go func() {
		p := make([]byte, 80)
		full := 0
		for i := range packets {
			for j := range p {
				p[j] = byte(i)
			}
			for {
				err := b.Put(uint16(i), uint32(i*80), 1, p, epoch)
				if err == nil {
					break
				}
				if !errors.Is(err, errFull) {
					panic(err)
				}
				full++
				runtime.Gosched()
			}
		}
		done <- full
	}()
	// A third goroutine reads the counters and flips the mode meanwhile.
	stop := make(chan struct{})
	ctl := make(chan struct{})
	go func() {
		defer close(ctl)
		for i := range 500 {
			select {
			case <-stop:
				return
			default:
			}
			_ = b.Stats()
			if i%64 == 0 {
				b.SetFixed(time.Duration(i%3) * 40 * time.Millisecond)
			}
			runtime.Gosched()
		}
	}()
	defer func() { close(stop); <-ctl }()
	out := make([]int16, frame)
	finished := false
	for !finished {
		select {
		case <-done:
			finished = true
		default:
		}
		b.Get(out)
		runtime.Gosched()
	}
	for range 200 {
		b.Get(out)
	}
	s := b.Stats()
	if torn != 0 {
		t.Errorf("%d torn payloads", torn)
	}
	if s.Received+s.Duplicates+s.Discarded < packets {
		t.Errorf("received %d, duplicates %d, discarded %d of %d", s.Received, s.Duplicates, s.Discarded, packets)
	}
}

// TestGoldenKinds pins what a fixed impaired stream sounds like, frame by
// frame: a audio, c concealed, n comfort noise, . silence.
func TestGoldenKinds(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 15))
	x := talk(rng, 8000*6, 1200, 800)
	ps := stream(x, 160, 65500, 4294900000, 77)
	jittered(ps, rng, 300, 80)
	var kept []pkt
	for i, p := range ps {
		switch {
		case i%17 == 3: // lost
		case i%23 == 5: // duplicated
			kept = append(kept, p, p)
		default:
			kept = append(kept, p)
		}
	}
	for i := 200; i < len(kept); i++ {
		kept[i].ts += 99999 // a timestamp jump
	}
	b := newBuffer(t, Options{})
	_, kinds := run(t, b, kept, 640)
	var sb strings.Builder
	for i, k := range kinds {
		sb.WriteByte(".acn"[k])
		if i%80 == 79 {
			sb.WriteByte('\n')
		}
	}
	s := b.Stats()
	fmt.Fprintf(&sb, "received %d lost %d late %d dup %d discarded %d concealed %d noise %d underruns %d inserted %d dropped %d resyncs %d\n",
		s.Received, s.Lost, s.Late, s.Duplicates, s.Discarded, s.Concealed, s.ComfortNoise, s.Underruns, s.Inserted, s.Dropped, s.Resyncs)
	path := filepath.Join("testdata", "kinds.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if sb.String() != string(want) {
		t.Errorf("frame kinds changed:\n%s\nwant:\n%s", sb.String(), want)
	}
}

func TestSequenceJump(t *testing.T) {
	x := sine(8000*3, 500, -15)
	ps := stream(x, 160, 1, 1000, 5)
	for i := 80; i < len(ps); i++ {
		ps[i].seq += 20000 // the sender's sequence numbers leap; timestamps go on
	}
	ps = append(ps[:40], ps[41:]...) // and one real loss before
	b := newBuffer(t, Options{MinDelay: 20 * time.Millisecond})
	_, kinds := run(t, b, ps, 300)
	s := b.Stats()
	if s.Lost != 1 || s.Resyncs != 0 || s.Duplicates != 0 {
		t.Errorf("Lost %d, Resyncs %d, Duplicates %d: want 1, 0, 0", s.Lost, s.Resyncs, s.Duplicates)
	}
	if c := count(kinds[:290], Concealed); c > 3 {
		t.Errorf("%d concealed frames", c)
	}
}
