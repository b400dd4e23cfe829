package webui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/line"
)

// testCall rings the phone on a port (set-up page's "test call" button).
func (s *Server) testCall(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	c := s.o.Config.Get()
	result := func(status int, ok bool, msg string) {
		if x.json {
			if ok {
				x.writeJSON(status, map[string]any{"ok": true, "message": msg})
			} else {
				x.writeJSON(status, apiError{Error: msg, Code: "test_call_failed"})
			}
			return
		}
		secs := pageSetup.build(x, &c)
		fill(secs, &c)
		d := s.formData(x, pageSetup, secs, &c)
		d.Result, d.ResultOK = msg, ok
		x.page(status, "form", pageSetup.title, pageSetup.nav, d)
	}
	if s.o.TestCall == nil {
		result(http.StatusNotImplemented, false, x.T("err.unavailable"))
		return
	}
	p, err := strconv.Atoi(strings.TrimSpace(v["port"]))
	if err != nil || c.Port(p) == nil {
		result(http.StatusUnprocessableEntity, false, x.T("diag.badport", v["port"]))
		return
	}
	if err := s.o.TestCall(x.r.Context(), p); err != nil {
		result(http.StatusConflict, false, x.T("testcall.failed", p, strings.TrimPrefix(err.Error(), "webui: ")))
		return
	}
	s.log.Info("webui: test call", "port", p, "user", x.sess.user)
	result(http.StatusOK, true, x.T("testcall.ringing", p))
}

var errNoLine = errors.New("webui: no such port")

// RingTest returns a TestCall hook that offers a call to the port's line
// from "test" (caller ID "OpenIAD test"), so its phone rings for up to
// ring. Lifting the handset answers it; the test call then ends after a
// second and the phone hears the country's busy tone. It returns once the
// call is offered.
func RingTest(sw *line.Switch, ring time.Duration) func(ctx context.Context, port int) error {
	return func(ctx context.Context, port int) error {
		found := false
		for _, l := range sw.Lines() {
			if l.Port() == port {
				found = true
				if st := l.State(); st != line.Idle {
					return errors.New("webui: the line is busy (" + st.String() + ")")
				}
			}
		}
		if !found {
			return errNoLine
		}
		leg := &testLeg{ev: make(chan line.LegEvent, 4), quit: make(chan struct{}), answered: make(chan struct{})}
		go leg.run(ring)
		sw.Incoming(port, leg, line.CallerID{Number: "0", Name: "OpenIAD test"})
		return nil
	}
}

// testLeg is the far end of a test call: nobody.
type testLeg struct {
	ev       chan line.LegEvent
	quit     chan struct{}
	answered chan struct{}
	stopOnce sync.Once
	ansOnce  sync.Once
}

func (g *testLeg) run(ring time.Duration) {
	t := time.NewTimer(ring)
	defer t.Stop()
	select {
	case <-g.quit:
		return
	case <-g.answered:
		t.Reset(time.Second)
		select {
		case <-g.quit:
			return
		case <-t.C:
		}
	case <-t.C:
	}
	select {
	case g.ev <- line.LegEvent{Kind: line.LegEnded, Reason: "test call over"}:
	default:
	}
}

func (g *testLeg) Events() <-chan line.LegEvent { return g.ev }
func (g *testLeg) Ringing() error               { return nil }
func (g *testLeg) Answer() error                { g.ansOnce.Do(func() { close(g.answered) }); return nil }
func (g *testLeg) Reject(line.Cause) error      { g.stop(); return nil }
func (g *testLeg) Hangup() error                { g.stop(); return nil }
func (g *testLeg) Digit(byte) error             { return nil }
func (g *testLeg) Flash() error                 { return nil }
func (g *testLeg) stop()                        { g.stopOnce.Do(func() { close(g.quit) }) }
