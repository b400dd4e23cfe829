package cwmp

import (
	"math"
	"time"
)

// RetryWait is the wait before the n-th retry of a failed session (n >= 1)
// after TR-069 3.2.1.1: a random value in
// [m·(k/1000)^(n-1), m·(k/1000)^n), where m is CWMPRetryMinimumWaitInterval
// and k CWMPRetryIntervalMultiplier, with n capped at 10. With the defaults
// (5 s, 2000) the ranges are 5-10 s, 10-20 s, ... 2560-5120 s. rnd returns
// a value in [0, 1).
func RetryWait(n int, m time.Duration, k int, rnd func() float64) time.Duration {
	n = min(max(n, 1), 10)
	if m <= 0 {
		m = 5 * time.Second
	}
	if k < 1000 {
		k = 2000
	}
	f := float64(k) / 1000
	lo := float64(m) * math.Pow(f, float64(n-1))
	hi := lo * f
	return time.Duration(lo + rnd()*(hi-lo))
}

// NextPeriodic returns the first time of the grid phase + i·interval
// strictly after t (PeriodicInformTime and PeriodicInformInterval); the
// zero time when interval is not positive.
func NextPeriodic(t, phase time.Time, interval time.Duration) time.Time {
	if interval <= 0 {
		return time.Time{}
	}
	k := t.Sub(phase) / interval
	next := phase.Add(k * interval)
	for !next.After(t) {
		next = next.Add(interval)
	}
	for next.Add(-interval).After(t) {
		next = next.Add(-interval)
	}
	return next
}
