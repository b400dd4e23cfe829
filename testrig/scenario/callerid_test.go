package scenario

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/testrig/signal"
)

// Issue 4: phone 1 calls phone 2; phone 2's display shows phone 1's
// extension and name, sent as FSK over the SLIC's on-hook transmission in
// the country's modem and way: Bell 202 between the first and second ring
// in China and the US, V.23 between the rings in Germany, and V.23 before
// the first ring in the UK (line reversal and dual-tone alerting signal,
// EN 300 659-1). Then phone 2 answers and the call works.
func TestCallerIDWhenRinging(t *testing.T) {
	for _, c := range []struct {
		country   string
		mark      float64 // the modem's mark frequency
		otherMark float64
	}{
		{"CN", 1200, 1300}, {"US", 1200, 1300}, {"GB", 1300, 1200}, {"DE", 1300, 1200},
	} {
		t.Run(c.country, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { callerIDCall(t, c.country, c.mark, c.otherMark) })
		})
	}
}

func callerIDCall(t *testing.T, country string, mark, otherMark float64) {
	b := Boot(t, country, 2)
	const name = "Front Desk"
	if _, err := b.Sys.Config.Update(config.SourceSystem, "scenario", func(c *config.Config) error {
		c.Ports[0].Name = name
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	synctest.Wait()
	p1, p2 := b.Phones[0], b.Phones[1]
	must(t, p1.OffHook())
	record(p1, 500*time.Millisecond)
	must(t, p1.Dial(b.Extension(2)))
	var pre []int16 // what phone 2 heard before the first ring
	if country == "GB" {
		// Before the first ring: the line reverses, the caller ID
		// comes, and only then does the phone ring, in normal polarity.
		var reversed bool
		for range 30 {
			_, r := RecordBoth(p1, p2, 100*time.Millisecond)
			pre = append(pre, r...)
			reversed = reversed || p2.Reversed()
			if _, ok, _ := p2.CallerID(); ok {
				break
			}
		}
		if _, ok, err := p2.CallerID(); !ok {
			t.Fatalf("no caller ID within 3 s of dialling (last error %v)", err)
		}
		if n := len(p2.RingLog()); n != 0 || !reversed {
			t.Errorf("caller ID came after %d ring edges, line reversed %v: want it before the first ring, in reverse polarity", n, reversed)
		}
	}
	var cycle time.Duration
	for _, d := range b.Plan.Ring.Pattern {
		cycle += d
	}
	// One whole ring cycle and a little: caller ID comes in its first
	// long enough silent period.
	_, heard := RecordBoth(p1, p2, cycle+500*time.Millisecond)
	if country == "GB" {
		heard = pre
	}
	if p2.Reversed() {
		t.Errorf("the line is still reversed while it rings")
	}
	m, ok, err := p2.CallerID()
	if !ok {
		t.Fatalf("phone 2 shows no caller ID (last error %v); it rang %d edges", err, len(p2.RingLog()))
	}
	if m.Number != b.Extension(1) || m.Name != name {
		t.Errorf("phone 2 shows %q %q, want phone 1's extension %q and name %q", m.Number, m.Name, b.Extension(1), name)
	}
	if m.Time.IsZero() {
		t.Errorf("caller ID without date and time: %+v", m)
	}
	t.Logf("%s: caller ID %+v; %v Hz %.1f dBm0, %v Hz %.1f dBm0", country, m, mark, signal.LevelAt(heard, mark), otherMark, signal.LevelAt(heard, otherMark))
	// The modem: the FSK's mark tone is the country's.
	if lm, lo := signal.LevelAt(heard, mark), signal.LevelAt(heard, otherMark); lm < -60 || lm < lo+6 {
		t.Errorf("%s: the line carried %.1f dBm0 at %v Hz and %.1f at %v Hz: not the country's modem", country, lm, mark, lo, otherMark)
	}
	// It came in a silent period, not over a ring burst, and the phone
	// still rings; answered, the call carries audio both ways.
	if !p2.Ringing() && len(p2.RingLog()) < 3 {
		t.Fatalf("phone 2 stopped ringing: %v", p2.RingLog())
	}
	must(t, p2.OffHook())
	p1.Play(1004, -10)
	p2.Play(1500, -10)
	r1, r2 := RecordBoth(p1, p2, settle+time.Second)
	ExpectClear(t, r2[samples(settle):], 1004, -10, fmt.Sprintf("%s: phone 1 → phone 2 after caller ID", country))
	ExpectClear(t, r1[samples(settle):], 1500, -10, fmt.Sprintf("%s: phone 2 → phone 1 after caller ID", country))
}
