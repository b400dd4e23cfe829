package line

import (
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
)

// Measured is implemented by legs that carry media (SIP legs): their
// figures so far, for the call record and the status page. Any goroutine;
// it must not wait for the media engine.
type Measured interface {
	Quality() cdr.Quality
}

// echoMeter is implemented by a Media that runs an echo canceller and
// measures it per channel. Any goroutine.
type echoMeter interface {
	ERLE(ch int) (dB float64, ok bool)
}

// SetRecorder sets where the record of each call attempt goes when the
// call ends (nil: nowhere). record is called from a line's goroutine; it
// may block briefly (the box queues records for the store).
func (sw *Switch) SetRecorder(record func(cdr.Record)) {
	if record == nil {
		sw.recorder.Store(nil)
		return
	}
	sw.recorder.Store(&record)
}

// callRec is the record of a call as it builds up. The lines of an
// internal call both touch it, hence the lock (never held across
// anything slow).
type callRec struct {
	mu   sync.Mutex
	r    cdr.Record
	done bool
}

func newRec(d cdr.Direction, port int, ext, caller, callee, sent string, start time.Time) *callRec {
	if start.IsZero() {
		start = time.Now()
	}
	return &callRec{r: cdr.Record{Port: port, Extension: ext, Direction: d, Caller: caller, Callee: callee, CalleeSent: sent, Start: start}}
}

// answered notes the answer time (once).
func (c *call) answered(at time.Time) {
	if c == nil || c.rec == nil {
		return
	}
	c.rec.mu.Lock()
	if c.rec.r.Answer.IsZero() {
		c.rec.r.Answer = at
	}
	c.rec.mu.Unlock()
}

// finish ends the call's record, once: later calls do nothing. sip is
// the final SIP status of a failed SIP attempt (0 for none).
func (l *Line) finish(c *call, cause, by string, sip int, end time.Time) {
	if c == nil || c.rec == nil {
		return
	}
	c.rec.mu.Lock()
	if c.rec.done {
		c.rec.mu.Unlock()
		return
	}
	c.rec.done = true
	r := c.rec.r
	c.rec.mu.Unlock()
	if end.IsZero() {
		end = time.Now()
	}
	r.End, r.Cause, r.ReleasedBy, r.SIPStatus = end, cause, by, sip
	if cause == cdr.CauseNormal && r.Answer.IsZero() {
		r.Cause = cdr.CauseNoAnswer
	}
	r.Quality = l.quality(c)
	l.sw.record(r)
}

// quality is the media figures of c as seen from line l.
func (l *Line) quality(c *call) cdr.Quality {
	var q cdr.Quality
	if m, ok := c.leg.(Measured); ok && c.leg != nil {
		q = m.Quality()
	}
	if em, ok := l.media.(echoMeter); ok {
		if db, ok := em.ERLE(l.ch); ok {
			q.EC, q.ERLE = true, db
		}
	}
	return q
}

func (sw *Switch) record(r cdr.Record) {
	if p := sw.recorder.Load(); p != nil {
		(*p)(r)
	}
}

// releaser is who released when line l let go of call c.
func (l *Line) releaser(c *call) string {
	if c.from == l || c.rec != nil && c.rec.r.Direction == cdr.Out {
		return cdr.ByCaller
	}
	return cdr.ByCallee
}

// legCause is the record's cause for a failed leg.
func legCause(c Cause) string {
	switch c {
	case CauseBusy:
		return cdr.CauseBusy
	case CauseUnobtainable:
		return cdr.CauseUnobtainable
	case CauseRejected:
		return cdr.CauseRejected
	}
	return cdr.CauseCongestion
}

// Calls lists the calls in progress, one per port in a call, in port
// order, with their live media figures. Any goroutine; it never waits
// for a line or the media engine.
func (sw *Switch) Calls() []cdr.Call {
	var out []cdr.Call
	for _, l := range sw.Lines() {
		c := l.live.Load()
		st := l.State()
		if c == nil || c.rec == nil {
			continue
		}
		switch st {
		case Routing, Ringback, Alerting, Connected:
		default:
			continue
		}
		c.rec.mu.Lock()
		r := c.rec.r
		c.rec.mu.Unlock()
		out = append(out, cdr.Call{
			Port: l.port, Extension: l.Extension(), Direction: r.Direction,
			Caller: r.Caller, Callee: r.Callee, State: st.String(),
			Start: r.Start, Answer: r.Answer, Quality: l.quality(c),
		})
	}
	return out
}
