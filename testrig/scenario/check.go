package scenario

import (
	"math"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/signal"
)

// Tolerances of the checks, from issue 2.
const (
	LevelTol   = 1.0                   // dB, tone and speech-path levels
	CadenceTol = 50 * time.Millisecond // each on or off period
	SpurMax    = -40.0                 // dBm0, any other tone on a speech path
	onThresh   = -35.0                 // dBm0: a tone component above this is "on"
)

func samples(d time.Duration) int { return int(d * hal.SampleRate / time.Second) }

// freqs lists the frequencies of the spec's first sounding segment.
func freqs(s *tone.Spec) (fs []float64, levels []float64) {
	for _, seg := range s.Segments {
		for _, c := range seg.Tones {
			fs = append(fs, c.Freq)
			levels = append(levels, c.Level)
		}
		if len(fs) > 0 {
			return fs, levels
		}
	}
	return nil, nil
}

// period is the length of one cycle of a cadenced tone.
func period(s *tone.Spec) time.Duration {
	var d time.Duration
	for _, seg := range s.Segments {
		d += seg.Dur
	}
	return d
}

// pattern is the spec's cadence as on/off periods; nil for a steady tone.
func pattern(s *tone.Spec) []signal.Period {
	if len(s.Segments) == 1 && s.Segments[0].Dur == 0 {
		return nil
	}
	var p []signal.Period
	for _, seg := range s.Segments {
		on := len(seg.Tones) > 0
		if n := len(p); n > 0 && p[n-1].On == on {
			p[n-1].Dur += seg.Dur
			continue
		}
		p = append(p, signal.Period{On: on, Dur: seg.Dur})
	}
	return p
}

// ExpectTone checks that rec is the tone s: every component at its
// frequency within LevelTol of the plan (unless the tone ramps), and the
// cadence within CadenceTol over the whole recording.
func ExpectTone(t *testing.T, rec []int16, s *tone.Spec, what string) {
	t.Helper()
	fs, _ := freqs(s)
	expectPeriods(t, rec, s, signal.Cadence(rec, fs, onThresh), what)
}

// expectPeriods checks rec against the tone s, given the on/off periods
// found in it.
func expectPeriods(t *testing.T, rec []int16, s *tone.Spec, periods []signal.Period, what string) {
	t.Helper()
	fs, levels := freqs(s)
	want := pattern(s)
	if want == nil {
		if len(periods) != 1 || !periods[0].On {
			t.Errorf("%s: want a steady tone, heard %v", what, periods)
			return
		}
		checkLevels(t, rec, fs, levels, s.RampDB != 0, what)
		return
	}
	if len(periods) < len(want)+2 {
		t.Errorf("%s: want cadence %v, heard only %v", what, want, periods)
		return
	}
	// The first and last periods are cut by the recording's ends.
	whole := periods[1 : len(periods)-1]
	if err := matchCycle(whole, want); err != "" {
		t.Errorf("%s: %s (heard %v, want cycle %v)", what, err, whole, want)
	}
	// Levels over the first whole "on" period.
	var at time.Duration
	for i, p := range periods {
		if i > 0 && p.On && p.Dur >= 80*time.Millisecond {
			on := rec[samples(at):samples(at+p.Dur)]
			margin := samples(10 * time.Millisecond)
			checkLevels(t, on[margin:len(on)-margin], fs, levels, s.RampDB != 0, what)
			break
		}
		at += p.Dur
	}
}

func checkLevels(t *testing.T, x []int16, fs, levels []float64, ramps bool, what string) {
	t.Helper()
	for i, f := range fs {
		got := signal.LevelAt(x, f)
		if ramps {
			if got < levels[i]-LevelTol {
				t.Errorf("%s: %.0f Hz at %.1f dBm0, want at least %.1f", what, f, got, levels[i])
			}
			continue
		}
		if math.Abs(got-levels[i]) > LevelTol {
			t.Errorf("%s: %.0f Hz at %.1f dBm0, want %.1f ±%.0f dB", what, f, got, levels[i], LevelTol)
		}
	}
}

// matchCycle checks that got follows want cyclically from some phase.
func matchCycle(got, want []signal.Period) string {
	for k := range want {
		ok := true
		for i, p := range got {
			w := want[(k+i)%len(want)]
			if p.On != w.On || absDur(p.Dur-w.Dur) > CadenceTol {
				ok = false
				break
			}
		}
		if ok {
			return ""
		}
	}
	return "cadence differs"
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// ExpectRingCadence checks a phone's ring log against the ring pattern.
func ExpectRingCadence(t *testing.T, log []phone.RingEdge, pattern []time.Duration) {
	t.Helper()
	if len(log) < len(pattern)+1 {
		t.Fatalf("ring: %d edges, want at least %d (one whole cadence)", len(log), len(pattern)+1)
	}
	if !log[0].On {
		t.Fatalf("ring: first edge is ring-off")
	}
	var got []signal.Period
	for i := 1; i < len(log); i++ {
		got = append(got, signal.Period{On: log[i-1].On, Dur: log[i].At.Sub(log[i-1].At)})
	}
	var want []signal.Period
	for i, d := range pattern {
		want = append(want, signal.Period{On: i%2 == 0, Dur: d})
	}
	if err := matchCycle(got, want); err != "" {
		t.Errorf("ring: %s: heard %v, want %v", err, got, want)
	}
}

// ExpectClear checks that rec carries the tone at freq at level dBm0
// within LevelTol and no other component above SpurMax.
func ExpectClear(t *testing.T, rec []int16, freq, level float64, what string) {
	t.Helper()
	if got := signal.LevelAt(rec, freq); math.Abs(got-level) > LevelTol {
		t.Errorf("%s: %.0f Hz arrives at %.2f dBm0, sent at %.1f", what, freq, got, level)
	}
	if f, l := signal.MaxOther(rec, []float64{freq}, 50); l > SpurMax {
		t.Errorf("%s: another tone at %.0f Hz, %.1f dBm0 (max %.0f)", what, f, l, SpurMax)
	}
}

// ExpectSilence checks that nothing above SpurMax is heard.
func ExpectSilence(t *testing.T, rec []int16, what string) {
	t.Helper()
	if f, l := signal.Dominant(rec); l > SpurMax {
		t.Errorf("%s: want silence, heard %.0f Hz at %.1f dBm0", what, f, l)
	}
}

// RecordBoth records both phones over the same d.
func RecordBoth(a, b *phone.Phone, d time.Duration) (ra, rb []int16) {
	done := make(chan struct{})
	go func() { rb = b.Record(d); close(done) }()
	ra = a.Record(d)
	<-done
	return ra, rb
}
