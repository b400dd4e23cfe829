package cwmp_test

import (
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/testrig/acs"
)

// pass lets virtual time run for d.
func pass(d time.Duration) {
	synctest.Wait()
	<-time.After(d)
	synctest.Wait()
}

func drain(a *acs.Server) []*acs.Session {
	var out []*acs.Session
	for {
		select {
		case s := <-a.Sessions():
			out = append(out, s)
		default:
			return out
		}
	}
}

// TestPeriodicInform: with PeriodicInformTime set, periodic sessions fall
// on its grid, one interval apart, each with event 2 PERIODIC.
func TestPeriodicInform(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := acs.New()
		start := time.Now()
		phase := start.Add(-50 * time.Hour).Add(10 * time.Minute) // a grid point 10 min after boot
		b := boot(t, a, "http://acs.example/acs", boxOpts{transport: true, settings: cwmp.Settings{
			PeriodicEnabled: true, PeriodicInterval: time.Hour, PeriodicTime: phase}})
		pass(3*time.Hour + 20*time.Minute)
		b.stop()
		sessions := drain(a)
		if len(sessions) != 5 {
			t.Fatalf("%d sessions in 3h20m, want 5 (boot + 4 periodic)", len(sessions))
		}
		if !sessions[0].Inform.Has("1 BOOT") {
			t.Errorf("first session: %v", codes(sessions[0].Inform))
		}
		for i, s := range sessions[1:] {
			want := start.Add(10*time.Minute + time.Duration(i)*time.Hour)
			if !s.Inform.CurrentTime.Equal(want) || !s.Inform.Has("2 PERIODIC") || len(s.Inform.Events) != 1 {
				t.Errorf("periodic session %d at %v with %v, want %v with 2 PERIODIC only", i+1,
					s.Inform.CurrentTime.Sub(start), codes(s.Inform), want.Sub(start))
			}
		}
	})
}

// TestRetryAndReboot: with the ACS unreachable the box retries with the
// randomized exponential back-off of TR-069 3.2.1.1; a reboot keeps the
// events that must survive one and drops the others.
func TestRetryAndReboot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := acs.New()
		a.SetDown(true)
		b := boot(t, a, "http://acs.example/acs", boxOpts{transport: true})
		pass(1300 * time.Second)
		at := a.Attempts()
		if len(at) < 7 {
			t.Fatalf("%d attempts in 1300 s, want at least 7", len(at))
		}
		var pos []float64 // where each wait fell inside its range
		for n := 1; n < len(at); n++ {
			w := at[n].Sub(at[n-1])
			lo := 5 * time.Second << (n - 1)
			hi := 2 * lo
			if w < lo || w >= hi {
				t.Errorf("retry %d after %v, want in [%v, %v)", n, w, lo, hi)
			}
			pos = append(pos, float64(w-lo)/float64(hi-lo))
		}
		slices.Sort(pos)
		if pos[len(pos)-1]-pos[0] < 0.05 {
			t.Errorf("retry waits fall at the same place of their ranges (%v): no jitter", pos)
		}
		// A connection request and a Reboot's event, then the power goes.
		b.c.Trigger(cwmp.EventConnReq, "")
		if err := b.c.Events().Add(cwmp.EventMReboot, "rb-1"); err != nil {
			t.Fatal(err)
		}
		pass(time.Second)
		b.stop()
		a.SetDown(false)
		b2 := boot(t, a, "http://acs.example/acs", boxOpts{transport: true, fs: b.fs, model: b.model})
		pass(time.Second)
		s := drain(a)
		if len(s) != 1 {
			t.Fatalf("%d sessions after the reboot, want 1", len(s))
		}
		got := codes(s[0].Inform)
		slices.Sort(got)
		want := []string{"0 BOOTSTRAP", "1 BOOT", "M Reboot"}
		if !slices.Equal(got, want) {
			t.Errorf("events after the reboot %v, want %v", got, want)
		}
		if s[0].Inform.RetryCount != 0 {
			t.Errorf("RetryCount %d after a successful first attempt", s[0].Inform.RetryCount)
		}
		b2.stop()
	})
}

// TestRetryCount: the Inform that gets through counts the failed attempts.
func TestRetryCount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := acs.New()
		a.SetDown(true)
		b := boot(t, a, "http://acs.example/acs", boxOpts{transport: true})
		pass(40 * time.Second) // attempts at 0, 5-10, 15-30 s: 3 by 40 s, the 4th after 35 s at the earliest
		n := len(a.Attempts())
		a.SetDown(false)
		pass(100 * time.Second)
		b.stop()
		s := drain(a)
		if len(s) != 1 {
			t.Fatalf("%d sessions, want 1", len(s))
		}
		if s[0].Inform.RetryCount != n {
			t.Errorf("RetryCount %d after %d failed attempts", s[0].Inform.RetryCount, n)
		}
	})
}

// TestRetryWaitTable checks the waits against TR-069 Table 3 (defaults m = 5 s,
// k = 2000): retry 1 5-10 s, doubling up to retry 10 and later at 2560-5120 s.
func TestRetryWaitTable(t *testing.T) {
	lo, hi := 5*time.Second, 10*time.Second
	for n := 1; n <= 12; n++ {
		if n > 1 && n <= 10 {
			lo, hi = lo*2, hi*2
		}
		if got := cwmp.RetryWait(n, 5*time.Second, 2000, func() float64 { return 0 }); got != lo {
			t.Errorf("retry %d: shortest %v, want %v", n, got, lo)
		}
		if got := cwmp.RetryWait(n, 5*time.Second, 2000, func() float64 { return 0.999999 }); got >= hi || got < hi-time.Millisecond*10 {
			t.Errorf("retry %d: longest %v, want just under %v", n, got, hi)
		}
	}
	// CWMPRetryMinimumWaitInterval 30 s, multiplier 1.5: the first wait is 30-45 s.
	if got := cwmp.RetryWait(1, 30*time.Second, 1500, func() float64 { return 0.5 }); got != 37500*time.Millisecond {
		t.Errorf("m=30s k=1500: %v, want 37.5s", got)
	}
}

func TestNextPeriodic(t *testing.T) {
	phase := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	now := time.Date(2026, 11, 22, 23, 40, 0, 0, time.UTC)
	got := cwmp.NextPeriodic(now, phase, 24*time.Hour)
	if want := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next %v, want %v", got, want)
	}
	// A phase in the future works the same.
	if got := cwmp.NextPeriodic(now, phase.AddDate(1, 0, 0), 24*time.Hour); !got.Equal(time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("future phase: %v", got)
	}
	// On a grid point: the next one.
	if got := cwmp.NextPeriodic(phase, phase, time.Hour); !got.Equal(phase.Add(time.Hour)) {
		t.Errorf("on the grid: %v", got)
	}
}
