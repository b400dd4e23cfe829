package ec

import (
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/testrig/g168"
)

func TestNewTail(t *testing.T) {
	tests := []struct {
		in, want time.Duration
	}{
		{32 * time.Millisecond, 40 * time.Millisecond},
		{64 * time.Millisecond, 80 * time.Millisecond},
		{128 * time.Millisecond, 140 * time.Millisecond},
		{20 * time.Millisecond, 20 * time.Millisecond},
		{0, MinTail},
		{-time.Second, MinTail},
		{time.Second, MaxTail},
	}
	for _, tc := range tests {
		if got := New(tc.in).Tail(); got != tc.want {
			t.Errorf("New(%v).Tail() = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestProcessRejectsBadLengths(t *testing.T) {
	c := New(32 * time.Millisecond)
	for _, n := range [][3]int{{79, 79, 79}, {80, 160, 80}, {160, 160, 80}, {81, 81, 81}} {
		func() {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), "ec:") {
					t.Errorf("lengths %v: recover() = %v, want an ec: panic", n, r)
				}
			}()
			c.Process(make([]int16, n[0]), make([]int16, n[1]), make([]int16, n[2]))
		}()
	}
	// Several frames at once and in place are fine.
	x := make([]int16, 3*FrameLen)
	c.Process(x, make([]int16, 3*FrameLen), x)
}

// run builds a scenario and runs it through a new canceller, returning
// the vectors, the output and the canceller.
func run(t testing.TB, s g168.Scenario, tail time.Duration, nlp bool) (*g168.Vectors, []int16, *Canceller) {
	t.Helper()
	v, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	c := New(tail)
	c.SetNLP(nlp)
	out := make([]int16, len(v.Near))
	c.Process(v.Near, v.Far, out)
	return v, out, c
}

func base(path string, delay time.Duration, src g168.Source) g168.Scenario {
	return g168.Scenario{Path: path, ERL: 8, Delay: delay, Source: src, Level: -12, Noise: -70,
		Duration: 3 * time.Second, Seed: 11}
}

func TestCancels(t *testing.T) {
	tests := []struct {
		name string
		s    g168.Scenario
		tail time.Duration
	}{
		{"D.4 white 128ms", base("D.4", 50*time.Millisecond, g168.White), 128 * time.Millisecond},
		{"D.7 CSS 128ms", base("D.7", 100*time.Millisecond, g168.Composite), 128 * time.Millisecond},
		{"D.3 CSS 64ms", base("D.3", 40*time.Millisecond, g168.Composite), 64 * time.Millisecond},
		{"D.2 white 32ms", base("D.2", 10*time.Millisecond, g168.White), 32 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, out, c := run(t, tc.s, tc.tail, false)
			cur := v.Curve(out, 20*time.Millisecond)
			if conv := cur.TimeTo(20, 0, time.Second); conv < 0 || conv > 500*time.Millisecond {
				t.Errorf("20 dB ERLE after %v, want ≤ 0.5 s", conv)
			}
			if e := cur.Mean(2*time.Second, 3*time.Second); e < 35 {
				t.Errorf("ERLE %.1f dB in the third second, want ≥ 35", e)
			}
			st := c.Stats()
			if st.State != Converged || st.ERLE < 25 || math.Abs(st.ERL-tc.s.ERL) > 3 || st.Updates == 0 {
				t.Errorf("Stats() = %+v, want converged, ERLE ≥ 25 dB, ERL %v ± 3 dB", st, tc.s.ERL)
			}
		})
	}
}

func TestDoubleTalkNeverDiverges(t *testing.T) {
	for _, src := range []g168.Source{g168.White, g168.Composite} {
		t.Run(src.String(), func(t *testing.T) {
			s := base("D.5", 30*time.Millisecond, src)
			s.ERL = 6
			s.Duration = 6 * time.Second
			s.TalkStart, s.TalkEnd, s.TalkLevel = 2*time.Second, 4*time.Second, -6
			v, out, c := run(t, s, 128*time.Millisecond, false)
			cur := v.Curve(out, 20*time.Millisecond)
			before := cur.Mean(1500*time.Millisecond, 2*time.Second)
			after := cur.Mean(4*time.Second, 5*time.Second)
			if before-after > 3 {
				t.Errorf("ERLE %.1f dB before 2 s of double talk, %.1f after: lost more than 3 dB", before, after)
			}
			if m := cur.Min(4*time.Second, 5*time.Second); m < before-12 {
				t.Errorf("a 20 ms window after the double talk fell to %.1f dB (from %.1f): divergence", m, before)
			}
			if st := c.Stats(); st.State != Converged {
				t.Errorf("state %v after the double talk, want converged", st.State)
			}
		})
	}
}

// levelIn returns the level in dBm0 of x[from:to] (in samples).
func levelIn(x []int16, from, to int) float64 {
	return dsp.RMSToDBm0(dsp.RMS(x[from:to]))
}

func TestNLPAndComfortNoise(t *testing.T) {
	// The call starts with the near-end background alone for a second,
	// then the far end talks; double talk at the end.
	s := base("D.6", 60*time.Millisecond, g168.White)
	s.Noise = -60
	s.FarStart = time.Second
	s.Duration = 5 * time.Second
	s.TalkStart, s.TalkEnd, s.TalkLevel = 4*time.Second, 5*time.Second, -15
	v, out, c := run(t, s, 128*time.Millisecond, true)
	n := g168.Samples
	noise := make([]int16, len(v.Near))
	for i := range noise {
		noise[i] = dsp.SatF16(float64(v.Near[i]) - v.Echo[i] - v.Speech[i])
	}
	// Single talk, converged: the output is comfort noise at the level of
	// the background, whatever residual echo there was.
	bg := levelIn(noise, n(3*time.Second), n(4*time.Second))
	got := levelIn(out, n(3*time.Second), n(4*time.Second))
	if math.Abs(got-bg) > 2 {
		t.Errorf("output %.1f dBm0 with the NLP on, background %.1f dBm0: comfort noise does not match", got, bg)
	}
	// Double talk: the near-end talker passes. Compare the loud frames
	// (speech, not the pauses of the double-talk signal).
	talker := make([]int16, len(v.Speech))
	for i, x := range v.Speech {
		talker[i] = dsp.SatF16(x)
	}
	var lost []float64
	for i := n(4200 * time.Millisecond); i+FrameLen <= n(5*time.Second); i += FrameLen {
		want := levelIn(talker, i, i+FrameLen)
		if want < -30 {
			continue
		}
		lost = append(lost, want-levelIn(out, i, i+FrameLen))
	}
	var worst float64
	for _, l := range lost {
		worst = max(worst, l)
	}
	if len(lost) < 20 || worst > 1 {
		t.Errorf("%d loud double-talk frames, worst %.1f dB below the near end: the NLP clips the talker", len(lost), worst)
	}
	_ = c
}

func TestComfortNoiseSpectrum(t *testing.T) {
	// A background with a strong tilt (low-pass): the comfort noise must
	// keep the tilt, not just the level.
	c := New(64 * time.Millisecond)
	const frames = 300
	near := make([]int16, frames*FrameLen)
	far := make([]int16, len(near))
	var lp float64
	seed := uint32(1)
	for i := range near {
		seed = seed*1664525 + 1013904223
		w := float64(int32(seed)) / (1 << 31) * 300
		lp = 0.9*lp + 0.1*w
		near[i] = int16(lp * 3)
	}
	out := make([]int16, len(near))
	// Background only for 2 s (learns the noise), then far-end speech with
	// no echo at all: the NLP runs and fills in comfort noise.
	farOn := 200 * FrameLen
	for i := farOn; i < len(far); i++ {
		seed = seed*1664525 + 1013904223
		far[i] = int16(int32(seed) >> 19)
	}
	c.Process(near, far, out)
	if !c.Stats().NLP {
		t.Fatalf("NLP not active with the far end talking and no near-end speech")
	}
	low := func(x []int16) float64 { // power below ~600 Hz vs total, dB
		var lo, all float64
		var s float64
		for _, v := range x {
			s = 0.85*s + 0.15*float64(v)
			lo += s * s
			all += float64(v) * float64(v)
		}
		return 10 * math.Log10(lo/all)
	}
	bg, cn := low(near[100*FrameLen:200*FrameLen]), low(out[250*FrameLen:])
	if math.Abs(bg-cn) > 3 {
		t.Errorf("low-band share %.1f dB in the background, %.1f dB in the comfort noise", bg, cn)
	}
	if d := levelIn(out, 250*FrameLen, len(out)) - levelIn(near, 100*FrameLen, 200*FrameLen); math.Abs(d) > 2 {
		t.Errorf("comfort noise %.1f dB off the background level", d)
	}
}

func TestIdleAndBypass(t *testing.T) {
	near := make([]int16, 100*FrameLen)
	for i := range near {
		near[i] = int16(3000 * math.Sin(float64(i)*0.3))
	}
	far := make([]int16, len(near))
	out := make([]int16, len(near))
	c := New(128 * time.Millisecond)
	c.Process(near, far, out)
	for i := range near {
		if out[i] != near[i] {
			t.Fatalf("far end silent: out[%d] = %d, want the near end %d", i, out[i], near[i])
		}
	}
	if st := c.Stats(); st.State != Idle {
		t.Errorf("state %v with a silent far end, want idle", st.State)
	}
	// Bypass: out = near whatever the far end does.
	s := base("D.2", 0, g168.White)
	v, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	c.SetBypass(true)
	out = make([]int16, len(v.Near))
	c.Process(v.Near, v.Far, out)
	for i := range out {
		if out[i] != v.Near[i] {
			t.Fatalf("bypass: out[%d] = %d, want %d", i, out[i], v.Near[i])
		}
	}
	if c.Stats().State != Disabled {
		t.Errorf("state %v in bypass, want disabled", c.Stats().State)
	}
	c.SetBypass(false)
	c.Reset()
	if st := c.Stats(); st != (Stats{}) {
		t.Errorf("Stats() after Reset = %+v, want zero", st)
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Idle: "idle", Converging: "converging", Converged: "converged",
		DoubleTalk: "double-talk", Disabled: "disabled", State(9): "State(9)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q, want %q", s, s.String(), want)
		}
	}
}

func TestZeroAllocsPerFrame(t *testing.T) {
	// Converged, double talk, comfort noise: every branch of a frame.
	s := base("D.8", 80*time.Millisecond, g168.Composite)
	s.Duration = 4 * time.Second
	s.TalkStart, s.TalkEnd, s.TalkLevel = 2*time.Second, 3*time.Second, -10
	v, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	c := New(128 * time.Millisecond)
	out := make([]int16, FrameLen)
	i := 0
	allocs := testing.AllocsPerRun(len(v.Near)/FrameLen-1, func() {
		c.Process(v.Near[i:i+FrameLen], v.Far[i:i+FrameLen], out)
		i += FrameLen
	})
	if allocs != 0 {
		t.Errorf("%v allocations per frame, want 0", allocs)
	}
}

func TestNoCgoInImportGraph(t *testing.T) {
	// The canceller goes into the firmware, which is built with
	// CGO_ENABLED=0 for ARM: nothing under it may need cgo or the bench.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{len .CgoFiles}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		if f[1] != "0" || f[0] == "runtime/cgo" || strings.Contains(f[0], "/testrig/") {
			t.Errorf("dsp/ec depends on %s (cgo files: %s)", f[0], f[1])
		}
	}
}

// FuzzProcess feeds arbitrary frames: the canceller must never panic, and
// with a silent far end it must pass the near end untouched.
func FuzzProcess(f *testing.F) {
	f.Add([]byte{0x7f, 0xff, 0x80, 0x00, 1, 2, 3}, true)
	f.Add([]byte("echo echo echo echo echo echo echo echo"), false)
	f.Fuzz(func(t *testing.T, data []byte, silentFar bool) {
		const frames = 30
		near := make([]int16, frames*FrameLen)
		far := make([]int16, len(near))
		for i := range near {
			if len(data) > 1 {
				j := (2 * i) % (len(data) - 1)
				near[i] = int16(uint16(data[j]) | uint16(data[j+1])<<8)
				if !silentFar {
					far[i] = int16(uint16(data[j+1])<<8 | uint16(data[(j+3)%len(data)]))
				}
			}
		}
		c := New(64 * time.Millisecond)
		out := make([]int16, len(near))
		c.Process(near, far, out)
		if silentFar {
			for i := range out {
				if out[i] != near[i] {
					t.Fatalf("silent far end: out[%d] = %d, near %d", i, out[i], near[i])
				}
			}
		}
		st := c.Stats()
		if math.IsNaN(st.ERLE) || math.IsNaN(st.ERL) {
			t.Fatalf("NaN in %+v", st)
		}
	})
}

func TestNoEcho(t *testing.T) {
	// A line that returns no echo at all (ERL beyond 80 dB): after a
	// moment the canceller must not act as an echo suppressor and clip a
	// near-end talker quieter than the far end.
	s := g168.Scenario{Path: "D.2", ERL: 90, Source: g168.Composite, Level: -12, Noise: -70,
		Duration: 5 * time.Second, TalkStart: 2 * time.Second, TalkEnd: 5 * time.Second, TalkLevel: -25, Seed: 8}
	v, out, c := run(t, s, 128*time.Millisecond, true)
	var worst float64
	frames := 0
	for i := g168.Samples(2500 * time.Millisecond); i+FrameLen <= len(out); i += FrameLen {
		var sp []int16
		for _, x := range v.Speech[i : i+FrameLen] {
			sp = append(sp, dsp.SatF16(x))
		}
		if want := levelIn(sp, 0, FrameLen); want > -35 {
			frames++
			worst = max(worst, want-levelIn(out, i, i+FrameLen))
		}
	}
	if frames < 50 || worst > 1 {
		t.Errorf("%d talker frames, worst %.1f dB below the talker: clipped", frames, worst)
	}
	if st := c.Stats(); st.Updates > 3 {
		t.Logf("stats %+v", st)
	}
}

func TestEchoBeyondTail(t *testing.T) {
	// The echo comes 100 ms late, a 64 ms canceller cannot model it: it
	// must leave it alone rather than add its own noise or diverge.
	s := base("D.9", 100*time.Millisecond, g168.White)
	s.Duration = 4 * time.Second
	v, out, _ := run(t, s, 64*time.Millisecond, false)
	for i := g168.Samples(time.Second); i+8000 <= len(out); i += 8000 {
		in, o := levelIn(v.Near, i, i+8000), levelIn(out, i, i+8000)
		if o > in+0.5 {
			t.Errorf("second %d: output %.1f dBm0, input %.1f dBm0", i/8000, o, in)
		}
	}
}
