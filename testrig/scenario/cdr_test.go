package scenario

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/line"
)

// near says whether got is within tol of want.
func near(got, want time.Time, tol time.Duration) bool {
	d := got.Sub(want)
	return d >= -tol && d <= tol
}

// The hook and its debounce put a few tens of milliseconds between a
// phone's action and the box's record of it.
const hookTol = 150 * time.Millisecond

// Issue 6 (call records): three calls between the phones of the box —
// answered, unanswered, busy — give exactly three records, with the
// parties, times, durations and causes a person would write down.
func TestCallRecordsLocal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := Boot(t, "CN", 2)
		p1, p2 := b.Phones[0], b.Phones[1]
		ext1, ext2 := b.Extension(1), b.Extension(2)

		// 1. Answered, 30 s of talk, the called phone hangs up first.
		lifted := time.Now()
		must(t, p1.OffHook())
		record(p1, 0)
		must(t, p1.Dial(ext2))
		must(t, p2.WaitRing(t.Context()))
		p1.Record(3 * time.Second)
		answered := time.Now()
		must(t, p2.OffHook())
		p1.Record(time.Second)
		// Live: both ports show the call, connected, while it lasts.
		calls := b.Sys.Calls()
		if len(calls) != 2 || calls[0].State != line.Connected.String() || calls[0].Callee != ext2 || calls[0].Direction != cdr.Internal {
			t.Fatalf("calls in progress: %+v", calls)
		}
		p1.Record(29 * time.Second)
		ended := time.Now()
		must(t, p2.OnHook())
		p1.Record(2 * time.Second)
		must(t, p1.OnHook())
		p1.Record(2 * time.Second)
		if calls := b.Sys.Calls(); len(calls) != 0 {
			t.Fatalf("calls in progress after both hung up: %+v", calls)
		}

		// 2. Rings for 10 s, the caller gives up.
		must(t, p1.OffHook())
		record(p1, 0)
		must(t, p1.Dial(ext2))
		must(t, p2.WaitRing(t.Context()))
		p1.Record(10 * time.Second)
		gaveUp := time.Now()
		must(t, p1.OnHook())
		p1.Record(2 * time.Second)

		// 3. Port 2 is off-hook: busy.
		must(t, p2.OffHook())
		record(p2, 0)
		must(t, p1.OffHook())
		record(p1, 0)
		must(t, p1.Dial(ext2))
		p1.Record(2 * time.Second)
		must(t, p1.OnHook())
		must(t, p2.OnHook())
		p1.Record(2 * time.Second)
		synctest.Wait()

		recs := b.Sys.CDR.Last(100)
		if len(recs) != 3 {
			t.Fatalf("%d records for 3 calls: %+v", len(recs), recs)
		}
		busy, unanswered, talk := recs[0], recs[1], recs[2]
		for i, r := range []cdr.Record{talk, unanswered, busy} {
			if r.Port != 1 || r.Extension != ext1 || r.Direction != cdr.Internal || r.Caller != ext1 || r.Callee != ext2 || r.CalleeSent != ext2 {
				t.Errorf("call %d: parties %d %q %s %q→%q (%q)", i+1, r.Port, r.Extension, r.Direction, r.Caller, r.Callee, r.CalleeSent)
			}
		}
		if !near(talk.Start, lifted, hookTol) || !near(talk.Answer, answered, hookTol) || !near(talk.End, ended, hookTol) {
			t.Errorf("answered call: start %v answer %v end %v; the phones: lifted %v answered %v hung up %v",
				talk.Start, talk.Answer, talk.End, lifted, answered, ended)
		}
		if d := talk.Duration - ended.Sub(answered); d < -hookTol || d > hookTol {
			t.Errorf("answered call lasted %v, the phones talked %v", talk.Duration, ended.Sub(answered))
		}
		if talk.Cause != cdr.CauseNormal || talk.Q850 != 16 || talk.ReleasedBy != cdr.ByCallee {
			t.Errorf("answered call: cause %q (Q.850 %d) released by %q, want normal (16) by the callee", talk.Cause, talk.Q850, talk.ReleasedBy)
		}
		if unanswered.Answered() || unanswered.Duration != 0 || unanswered.Cause != cdr.CauseNoAnswer || unanswered.ReleasedBy != cdr.ByCaller {
			t.Errorf("unanswered call: %+v", unanswered)
		}
		if !near(unanswered.End, gaveUp, hookTol) {
			t.Errorf("unanswered call ended %v, the caller hung up at %v", unanswered.End, gaveUp)
		}
		if busy.Answered() || busy.Cause != cdr.CauseBusy || busy.Q850 != 17 {
			t.Errorf("busy call: %+v", busy)
		}
		if rep := b.Sys.CDR.Verify(); !rep.OK || rep.Records != 3 {
			t.Errorf("verify: %+v", rep)
		}
	})
}

// Issue 6 (call records): a SIP call out through Kamailio to baresip is
// recorded with its codec, RTP counters and quality; while it lasts the
// live figures grow.
func TestCallRecordSIP(t *testing.T) {
	c := newCarrier(t, true)
	p := c.box.Phones[0]
	must(t, p.OffHook())
	record(p, 0)
	must(t, p.Dial(farUser))
	if _, err := c.far.Next(c.ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip never answered: %v", err)
	}
	p.Play(1500, -10)
	p.Record(2 * time.Second)
	live, ok := c.box.Sys.Trunk.Quality(1)
	if !ok || live.Codec != "PCMA/8000" || live.PacketsReceived < 50 || live.PacketsSent < 50 {
		t.Fatalf("live figures of the call after 2 s: %+v (found %v)", live, ok)
	}
	p.Record(2 * time.Second)
	p.StopPlay()
	must(t, c.far.Hangup(c.ctx))
	p.Record(time.Second)
	must(t, p.OnHook())
	deadline := time.Now().Add(5 * time.Second)
	var recs []cdr.Record
	for time.Now().Before(deadline) {
		if recs = c.box.Sys.CDR.Last(10); len(recs) > 0 {
			break
		}
		p.Record(50 * time.Millisecond)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records for one call", len(recs))
	}
	r := recs[0]
	if r.Direction != cdr.Out || r.Callee != farUser || r.Port != 1 || r.Cause != cdr.CauseNormal || r.ReleasedBy != cdr.ByCallee || !r.Answered() {
		t.Errorf("record: %+v", r)
	}
	q := r.Quality
	// About 4 s of 20 ms packets each way.
	if q.Codec != "PCMA/8000" || q.PacketsSent < 150 || q.PacketsReceived < 150 || q.PacketsSent < live.PacketsSent {
		t.Errorf("media: codec %q, %d packets sent, %d received", q.Codec, q.PacketsSent, q.PacketsReceived)
	}
	if q.LossPercent > 1 || q.Jitter > 20*time.Millisecond || q.MaxJitter < q.Jitter {
		t.Errorf("quality on loopback: loss %.2f %%, jitter %v (max %v)", q.LossPercent, q.Jitter, q.MaxJitter)
	}
	if q.MOS < 4 || q.MOS > 4.5 {
		t.Errorf("MOS %.2f (R %.1f, delay %v) on a clean loopback call", q.MOS, q.RFactor, q.Delay)
	}
	t.Logf("record: %+v", r)

	// A number the carrier does not know: the record keeps its SIP status.
	p.Record(time.Second)
	must(t, p.OffHook())
	record(p, 0)
	must(t, p.Dial("1357"))
	for range 100 {
		if recs = c.box.Sys.CDR.Last(10); len(recs) > 1 {
			break
		}
		p.Record(50 * time.Millisecond)
	}
	must(t, p.OnHook())
	if len(recs) != 2 {
		t.Fatalf("%d records after a failed call", len(recs))
	}
	f := recs[0]
	if f.Callee != "1357" || f.Answered() || f.SIPStatus < 400 || f.Cause == cdr.CauseNormal || f.Cause == cdr.CauseNoAnswer || f.Q850 == 16 {
		t.Errorf("failed call: cause %q, SIP %d, Q.850 %d, released by %q", f.Cause, f.SIPStatus, f.Q850, f.ReleasedBy)
	}
	t.Logf("failed call: cause %q, SIP %d, Q.850 %d, released by %q", f.Cause, f.SIPStatus, f.Q850, f.ReleasedBy)
}

// Issue 6 (call records): baresip calls FXS 1, the phone answers and
// hangs up: an incoming record with the caller's number, charged to
// nobody's extension but kept on port 1.
func TestCallRecordSIPIn(t *testing.T) {
	c := newCarrier(t, false)
	p := c.box.Phones[0]
	invited := time.Now()
	must(t, c.far.Dial(c.ctx, c.k.URI(boxUser)))
	if err := p.WaitRing(c.ctx); err != nil {
		t.Fatalf("FXS 1 never rang: %v", err)
	}
	answered := time.Now()
	must(t, p.OffHook())
	if _, err := c.far.Next(c.ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("the call never came up at baresip: %v", err)
	}
	p.Record(2 * time.Second)
	hungUp := time.Now()
	must(t, p.OnHook())
	if _, err := c.far.Next(c.ctx, "CALL_CLOSED"); err != nil {
		t.Fatalf("baresip never saw the hang-up: %v", err)
	}
	var recs []cdr.Record
	for range 100 {
		if recs = c.box.Sys.CDR.Last(10); len(recs) > 0 {
			break
		}
		p.Record(50 * time.Millisecond)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records for one call", len(recs))
	}
	r := recs[0]
	if r.Direction != cdr.In || r.Caller != farUser || r.Callee != c.box.Extension(1) || r.Port != 1 || r.Cause != cdr.CauseNormal || r.ReleasedBy != cdr.ByCallee {
		t.Errorf("record: %+v", r)
	}
	// Real time: the INVITE reaches the box within a second of the dial.
	if r.Start.Before(invited) || r.Start.After(answered) || r.Answer.Before(answered) || !near(r.End, hungUp, time.Second) {
		t.Errorf("times: start %v answer %v end %v; dialled %v answered %v hung up %v", r.Start, r.Answer, r.End, invited, answered, hungUp)
	}
	if r.Quality.Codec != "PCMA/8000" || r.Quality.PacketsReceived < 50 {
		t.Errorf("media: %+v", r.Quality)
	}
}
