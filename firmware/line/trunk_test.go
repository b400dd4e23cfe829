package line

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/route"
	"github.com/openiad/openiad/hal"
)

type fakeLeg struct {
	mu     sync.Mutex
	events chan LegEvent
	did    []string
}

func newLeg() *fakeLeg { return &fakeLeg{events: make(chan LegEvent, 8)} }

func (g *fakeLeg) note(s string) error {
	g.mu.Lock()
	g.did = append(g.did, s)
	g.mu.Unlock()
	return nil
}
func (g *fakeLeg) Events() <-chan LegEvent { return g.events }
func (g *fakeLeg) Ringing() error          { return g.note("ringing") }
func (g *fakeLeg) Answer() error           { return g.note("answer") }
func (g *fakeLeg) Reject(c Cause) error    { return g.note("reject " + c.String()) }
func (g *fakeLeg) Hangup() error           { return g.note("hangup") }
func (g *fakeLeg) Digit(d byte) error      { return g.note("digit " + string(d)) }
func (g *fakeLeg) Flash() error            { return g.note("flash") }
func (g *fakeLeg) log() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.did...)
}

type fakeTrunk struct {
	mu    sync.Mutex
	ready bool
	dials []string
	legs  []*fakeLeg
}

func (f *fakeTrunk) Dial(port int, number string) (Leg, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ready {
		return nil, fmt.Errorf("line 1 not registered: %w", ErrNotReady)
	}
	f.dials = append(f.dials, number)
	g := newLeg()
	f.legs = append(f.legs, g)
	return g, nil
}

func (f *fakeTrunk) numbers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.dials...)
}

func (f *fakeTrunk) last() *fakeLeg {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.legs) == 0 {
		return nil
	}
	return f.legs[len(f.legs)-1]
}

func trunkRig(t *testing.T, ready bool) (*rig, *fakeTrunk) {
	r := newRig(t, 2)
	dm, err := route.ParseDigitMap("1[3-9]xxxxxxxxx|0[1-9]x.T|[3-9]xxxxxxx")
	if err != nil {
		t.Fatal(err)
	}
	s := *r.sw.cfg()
	s.DigitMap = dm
	r.sw.SetSettings(s)
	tr := &fakeTrunk{ready: ready}
	r.sw.SetTrunk(tr)
	return r, tr
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("leg saw %q, want %q", got, want)
	}
}

func TestCallOutThroughTheTrunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, tr := trunkRig(t, true)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.dial(1, "13812345678")
		r.expect(t, 1, Routing)
		if fmt.Sprint(tr.numbers()) != "[13812345678]" {
			t.Fatalf("trunk dialled %v", tr.numbers())
		}
		leg := tr.last()
		leg.events <- LegEvent{Kind: LegRinging}
		r.wait(0)
		r.expect(t, 1, Ringback)
		if r.media.tone(0) != &r.plan.Ringback {
			t.Fatal("no local ringback on 180")
		}
		leg.events <- LegEvent{Kind: LegEarlyMedia}
		r.wait(0)
		if r.media.tone(0) != nil {
			t.Fatal("local ringback plays over the far end's early media")
		}
		leg.events <- LegEvent{Kind: LegAnswered}
		r.wait(0)
		r.expect(t, 1, Connected)
		r.dial(1, "5#")
		leg.events <- LegEvent{Kind: LegEnded, Reason: "BYE"}
		r.wait(0)
		r.expect(t, 1, Signalling)
		if r.media.tone(0) != &r.plan.Busy {
			t.Fatal("no busy tone after the far end hung up")
		}
		equal(t, leg.log(), []string{"digit 5", "digit #"})
	})
}

func TestTrunkFailuresGiveTheirTones(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, tr := trunkRig(t, false)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.dial(1, "13812345678")
		r.expect(t, 1, Signalling)
		if r.media.tone(0) != &r.plan.Congestion {
			t.Fatal("calling out while not registered does not give congestion")
		}
		tr.mu.Lock()
		tr.ready = true
		tr.mu.Unlock()
		for _, c := range []struct {
			cause Cause
			tone  any
		}{{CauseBusy, &r.plan.Busy}, {CauseUnobtainable, &r.plan.Unobtainable}, {CauseCongestion, &r.plan.Congestion}} {
			r.fxs[0].set(hal.OnHook)
			r.wait(time.Second)
			r.fxs[0].set(hal.OffHook)
			r.wait(0)
			r.dial(1, "87654321")
			tr.last().events <- LegEvent{Kind: LegFailed, Cause: c.cause}
			r.wait(0)
			r.expect(t, 1, Signalling)
			if any(r.media.tone(0)) != c.tone {
				t.Errorf("failure %s gives the wrong tone", c.cause)
			}
		}
	})
}

func TestDigitMapTimerDialsWhenTheTimerExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, tr := trunkRig(t, true)
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.dial(1, "01012345")
		r.wait(5*time.Second - time.Millisecond)
		if len(tr.numbers()) != 0 {
			t.Fatal("dialled before the inter-digit timer expired")
		}
		r.wait(time.Millisecond)
		r.expect(t, 1, Routing)
		if fmt.Sprint(tr.numbers()) != "[01012345]" {
			t.Fatalf("trunk dialled %v", tr.numbers())
		}
		// Hanging up releases the leg.
		r.fxs[0].set(hal.OnHook)
		r.wait(time.Second)
		equal(t, tr.last().log(), []string{"hangup"})
	})
}

func TestCallFromOutside(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := trunkRig(t, true)
		leg := newLeg()
		r.sw.Incoming(1, leg, CallerID{Number: "13800138000", Name: "Li Lei"})
		r.wait(0)
		r.expect(t, 1, Alerting)
		if r.fxs[0].Feed() != hal.FeedRinging {
			t.Fatal("the port does not ring")
		}
		r.fxs[0].set(hal.OffHook)
		r.wait(0)
		r.expect(t, 1, Connected)
		r.fxs[0].set(hal.OnHook)
		r.wait(time.Second)
		r.expect(t, 1, Idle)
		equal(t, leg.log(), []string{"ringing", "answer", "hangup"})

		// The caller gives up while it rings.
		leg = newLeg()
		r.sw.Incoming(1, leg, CallerID{Private: true})
		r.wait(0)
		leg.events <- LegEvent{Kind: LegEnded, Reason: "CANCEL"}
		r.wait(0)
		r.expect(t, 1, Idle)
		if r.fxs[0].Feed() == hal.FeedRinging {
			t.Fatal("still ringing after CANCEL")
		}

		// A line in use is busy.
		r.fxs[1].set(hal.OffHook)
		r.wait(0)
		leg = newLeg()
		r.sw.Incoming(2, leg, CallerID{Unavailable: true})
		r.wait(0)
		equal(t, leg.log(), []string{"reject busy"})
		// A port that does not exist is unobtainable.
		leg = newLeg()
		r.sw.Incoming(9, leg, CallerID{})
		equal(t, leg.log(), []string{"reject unobtainable"})
	})
}
