package g168

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// Canceller is what the bench drives: one channel, frames of 80 samples.
type Canceller interface {
	Process(near, far, out []int16)
}

// Candidate is one implementation under test.
type Candidate struct {
	Name string
	// New returns a fresh canceller for tail, with its non-linear
	// processor (or its counterpart) on or off, and a function that frees
	// it.
	New func(tail time.Duration, nlp bool) (Canceller, func(), error)
}

// Result is what the table shows of one candidate on one scenario.
type Result struct {
	Conv        time.Duration // time to 20 dB ERLE (held for 1 s); -1 if never
	Steady      float64       // ERLE before the NLP, dB, over the 2 s before the double talk
	AfterDT     float64       // ERLE before the NLP, dB, over the 1 s after 4 s of double talk
	MinAfterDT  float64       // lowest 20 ms ERLE in that second (divergence shows here)
	Residual    float64       // output level with the NLP on, dBm0, over the 2 s before the double talk
	NsPerSample float64       // processing time per sample on this machine, NLP off (best of the runs)
	// Instructions per sample on ARMv7 and ARM64 (NLP off), counted under
	// qemu-user by a Counter; 0 when not counted.
	ARMv7, ARM64 float64
}

// Row is one scenario and the result of every candidate.
type Row struct {
	Scenario Scenario
	Results  []Result
}

// The timeline of a table scenario: convergence and steady state in single
// talk, 4 s of double talk, then single talk again.
const (
	TableDuration = 12 * time.Second
	SteadyFrom    = 4 * time.Second
	TalkStart     = 6 * time.Second
	TalkEnd       = 10 * time.Second
	AfterTo       = 11 * time.Second
	ConvTarget    = 20.0 // dB
	ConvHold      = time.Second
	CurveWindow   = 20 * time.Millisecond
	guard         = 20 * time.Millisecond
)

// TableScenarios returns the scenarios of the table: each Annex D model
// with white noise and with the CSS, far end at -10 dBm0, the ERL going
// 6, 8, 10, 12 dB and the bulk delay spread over the tail so that the last
// model ends near its end, background noise at -70 dBm0, double talk (the
// C.3 CSS at the far-end level) from 6 to 10 s.
func TableScenarios(tail time.Duration) []Scenario {
	paths := Paths()
	var out []Scenario
	for i, p := range paths {
		h, _ := Path(p, 0)
		span := tail - time.Duration(len(h))*time.Second/fs - 2*time.Millisecond
		delay := time.Duration(i) * span / time.Duration(len(paths)-1)
		delay = delay.Truncate(time.Millisecond)
		for _, src := range []Source{White, Composite} {
			out = append(out, Scenario{
				Path:      p,
				ERL:       6 + 2*float64(i%4),
				Delay:     delay,
				Source:    src,
				Level:     -10,
				Noise:     -70,
				Duration:  TableDuration,
				TalkStart: TalkStart,
				TalkEnd:   TalkEnd,
				TalkLevel: -10,
				Seed:      uint64(100 + i),
			})
		}
	}
	return out
}

// Run runs one candidate on vectors v: the NLP-off pass (timed, best of
// runs) for the ERLE figures and the NLP-on pass for the residual.
func Run(c Candidate, v *Vectors, tail time.Duration, runs int) (Result, error) {
	var res Result
	out := make([]int16, len(v.Near))
	best := math.Inf(1)
	for r := range max(runs, 1) {
		ec, done, err := c.New(tail, false)
		if err != nil {
			return res, err
		}
		buf := out
		if r > 0 {
			buf = make([]int16, len(out))
		}
		start := time.Now()
		for i := 0; i < len(v.Near); i += 80 {
			ec.Process(v.Near[i:i+80], v.Far[i:i+80], buf[i:i+80])
		}
		el := time.Since(start)
		done()
		best = min(best, float64(el.Nanoseconds())/float64(len(v.Near)))
	}
	res.NsPerSample = best
	curve := v.Curve(out, CurveWindow)
	res.Conv = curve.TimeTo(ConvTarget, 0, ConvHold)
	res.Steady = curve.Mean(SteadyFrom, TalkStart)
	res.AfterDT = curve.Mean(TalkEnd, AfterTo)
	res.MinAfterDT = curve.Min(TalkEnd, AfterTo)

	ec, done, err := c.New(tail, true)
	if err != nil {
		return res, err
	}
	for i := 0; i < len(v.Near); i += 80 {
		ec.Process(v.Near[i:i+80], v.Far[i:i+80], out[i:i+80])
	}
	done()
	// Clear of the double talk by more than the band-pass filter's reach.
	res.Residual = OutputLevel(out, SteadyFrom, TalkStart-guard)
	return res, nil
}

// CountARM fills in the ARMv7 and ARM64 instructions per sample of the
// first candidate (dsp/ec's, the only one built for ARM) on every row,
// with c.
func CountARM(ctx context.Context, c *Counter, rows []Row, tail time.Duration) error {
	vecs := make([]*Vectors, len(rows))
	for i, r := range rows {
		v, err := r.Scenario.Build()
		if err != nil {
			return err
		}
		vecs[i] = v
	}
	for _, a := range []Arch{ARMv7, ARM64} {
		n, err := c.Count(ctx, a, tail, vecs)
		if err != nil {
			return err
		}
		for i := range rows {
			if a.Name == ARMv7.Name {
				rows[i].Results[0].ARMv7 = n[i]
			} else {
				rows[i].Results[0].ARM64 = n[i]
			}
		}
	}
	return nil
}

// RunTable runs every table scenario through every candidate.
func RunTable(cands []Candidate, tail time.Duration, runs int) ([]Row, error) {
	var rows []Row
	for _, s := range TableScenarios(tail) {
		v, err := s.Build()
		if err != nil {
			return nil, err
		}
		row := Row{Scenario: s}
		for _, c := range cands {
			r, err := Run(c, v, tail, runs)
			if err != nil {
				return nil, fmt.Errorf("g168: %s on %s/%v: %w", c.Name, s.Path, s.Source, err)
			}
			row.Results = append(row.Results, r)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// FormatTable renders rows as a text table: per scenario, the figures of
// the first candidate, then of the second (if any) and how they compare:
// ΔERLE (first minus second, steady state) and the time ratio (first over
// second).
func FormatTable(cands []Candidate, rows []Row, tail time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "G.168 bench, tail %v, far end -10 dBm0, noise -70 dBm0, double talk %v-%v at -10 dBm0\n", tail, TalkStart, TalkEnd)
	fmt.Fprintf(&b, "conv: time to %.0f dB ERLE (held %v); steady: ERLE %v-%v before NLP; afterDT: ERLE %v-%v (min 20 ms window); res: output level with NLP, dBm0\n",
		ConvTarget, ConvHold, SteadyFrom, TalkStart, TalkEnd, AfterTo)
	names := make([]string, len(cands))
	for i, c := range cands {
		names[i] = c.Name
	}
	fmt.Fprintf(&b, "candidates: %s\n\n", strings.Join(names, " | "))
	fmt.Fprintf(&b, "%-4s %-5s %3s %5s", "path", "src", "ERL", "delay")
	for _, n := range names {
		fmt.Fprintf(&b, " | %-8s %6s %6s %13s %7s %7s", n, "conv", "steady", "afterDT(min)", "res", "ns/smp")
	}
	if len(cands) > 1 {
		fmt.Fprintf(&b, " | %6s %6s", "ΔERLE", "time×")
	}
	arm := len(rows) > 0 && rows[0].Results[0].ARMv7 > 0
	if arm {
		fmt.Fprintf(&b, " | %s insn/smp: %6s %6s", names[0], "ARMv7", "ARM64")
	}
	b.WriteString("\n")
	for _, r := range rows {
		s := r.Scenario
		fmt.Fprintf(&b, "%-4s %-5s %3.0f %5s", s.Path, s.Source, s.ERL, fmt.Sprintf("%dms", s.Delay.Milliseconds()))
		for i, x := range r.Results {
			conv := "never"
			if x.Conv >= 0 {
				conv = fmt.Sprintf("%.2fs", x.Conv.Seconds())
			}
			fmt.Fprintf(&b, " | %-8s %6s %6.1f %6.1f(%5.1f) %7.1f %7.1f", names[i], conv, x.Steady, x.AfterDT, x.MinAfterDT, x.Residual, x.NsPerSample)
		}
		if len(r.Results) > 1 {
			a, c := r.Results[0], r.Results[1]
			fmt.Fprintf(&b, " | %+6.1f %6.2f", a.Steady-c.Steady, a.NsPerSample/c.NsPerSample)
		}
		if arm {
			fmt.Fprintf(&b, " | %*s %6.0f %6.0f", len(names[0])+10, "", r.Results[0].ARMv7, r.Results[0].ARM64)
		}
		b.WriteString("\n")
	}
	return b.String()
}
