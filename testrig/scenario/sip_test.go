package scenario

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/sip/ua"
	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/signal"
)

// carrier is a Kamailio with two subscribers: the box's FXS 1 (1001) and a
// baresip phone (1002) that answers by itself and plays a 1004 Hz tone.
type carrier struct {
	k   *peers.Kamailio
	far *peers.Baresip
	box *Bench
	ctx context.Context
}

const (
	boxUser, boxPass = "1001", "box-secret-1001"
	farUser, farPass = "1002", "far-secret-1002"
	farTone          = 1004.0
	farLevel         = -10.0
	farName          = "Li Lei"
)

func newCarrier(t *testing.T, autoAnswer bool) *carrier {
	peers.Need(t, "kamailio", "baresip")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: boxUser, Password: boxPass}, {Name: farUser, Password: farPass}}})
	far := peers.NewBaresip(t, peers.BaresipOptions{
		User: farUser, Password: farPass, DisplayName: farName, Registrar: k.Addr().String(), Domain: k.Domain(),
		AutoAnswer: autoAnswer, ToneFreq: farTone, ToneLevel: farLevel, Codecs: []string{"PCMA"},
	})
	if err := far.WaitRegistered(ctx); err != nil {
		t.Fatalf("baresip did not register: %v", err)
	}
	box := BootReal(t, 2)
	if _, err := box.Sys.Config.Update(config.SourceWeb, "scenario", func(c *config.Config) error {
		p := &c.SIP.Profiles[0]
		p.Registrars = []string{k.Addr().String()}
		p.Domain = k.Addr().String() // the test Kamailio is not on 5060
		p.DigitMap = "1xxx|[2-9]xxxxxxx"
		p.RTPPortMin, p.RTPPortMax = 40000, 40999
		c.Ports[0].SIP = config.PortSIP{Enabled: true, User: boxUser, Password: boxPass, DisplayName: "Shop Desk"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := &carrier{k: k, far: far, box: box, ctx: ctx}
	c.waitRegistered(t)
	return c
}

func (c *carrier) waitRegistered(t *testing.T) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if st, ok := c.box.Sys.Trunk.Registration(1); ok && st.Status == ua.RegRegistered {
			return
		}
		select {
		case <-c.ctx.Done():
			st, _ := c.box.Sys.Trunk.Registration(1)
			t.Fatalf("FXS 1 did not register at Kamailio: %v\nkamailio log:\n%s", st, c.k.Log())
		case <-tick.C:
		}
	}
}

// Issue 3: a phone on FXS 1 registers through Kamailio and calls baresip;
// tones each way within 1 dB; digits dialled in the call arrive once each,
// in order; baresip hangs up and the phone hears busy tone.
func TestSIPCallOut(t *testing.T) {
	c := newCarrier(t, true)
	p := c.box.Phones[0]
	must(t, p.OffHook())
	record(p, 0)
	must(t, p.Dial(farUser))
	if _, err := c.far.Next(c.ctx, "CALL_ESTABLISHED"); err != nil {
		var seen []string
		for _, e := range c.far.Events() {
			seen = append(seen, e.Type+" "+e.Param)
		}
		t.Fatalf("baresip never answered: %v; its events: %q", err, seen)
	}
	p.Record(time.Second) // media settles
	p.Play(1500, -10)
	heard := p.Record(2 * time.Second)
	if f, l := signal.Dominant(heard); f < farTone-5 || f > farTone+5 {
		t.Errorf("the phone hears %.0f Hz at %.1f dBm0, baresip plays %.0f Hz", f, l, farTone)
	}
	ExpectClear(t, heard, farTone, farLevel, "baresip → phone")

	digits := "0123456789*#"
	p.StopPlay()
	must(t, p.Dial(digits))
	var got []string
	for range len(digits) {
		e, err := c.far.Next(c.ctx, "CALL_DTMF_START")
		if err != nil {
			t.Fatalf("digits at baresip: %q, then %v", strings.Join(got, ""), err)
		}
		got = append(got, e.Param)
	}
	if strings.Join(got, "") != digits {
		t.Errorf("baresip got digits %q, the phone dialled %q", strings.Join(got, ""), digits)
	}
	p.Play(1500, -10)
	p.Record(time.Second)
	must(t, c.far.Hangup(c.ctx))
	p.Record(time.Second)
	ExpectTone(t, p.Record(3*period(&c.box.Plan.Busy)), &c.box.Plan.Busy, "busy after baresip hung up")

	rec, err := c.far.ReadRecording(c.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The phone's 1500 Hz is in baresip's recording at the level sent.
	if len(rec) < 8000 {
		t.Fatalf("baresip recorded %d samples", len(rec))
	}
	best := -99.0
	for i := 0; i+8000 <= len(rec); i += 4000 {
		best = max(best, signal.LevelAt(rec[i:i+8000], 1500))
	}
	if best < -11 || best > -9 {
		t.Errorf("phone → baresip: 1500 Hz at %.2f dBm0, sent at -10", best)
	}
	if extra := slices.DeleteFunc(c.far.Events(), func(e peers.Event) bool { return e.Type != "CALL_DTMF_START" }); len(extra) != len(digits) {
		t.Errorf("baresip saw %d digits, want %d (no duplicates)", len(extra), len(digits))
	}
}

// Issue 3: baresip calls FXS 1: the port rings, the caller's number and
// name reach the line, the phone answers and audio flows both ways.
func TestSIPCallIn(t *testing.T) {
	c := newCarrier(t, false)
	p := c.box.Phones[0]
	must(t, c.far.Dial(c.ctx, c.k.URI(boxUser)))
	if err := p.WaitRing(c.ctx); err != nil {
		t.Fatalf("FXS 1 never rang: %v", err)
	}
	if st := c.box.Sys.Lines[0].State(); st != line.Alerting {
		t.Fatalf("FXS 1 is %v while ringing", st)
	}
	caller := c.box.Sys.Lines[0].Caller()
	if caller.Number != farUser || caller.Name != farName {
		t.Errorf("caller ID %+v, want number %q and name %q", caller, farUser, farName)
	}
	must(t, p.OffHook())
	if _, err := c.far.Next(c.ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("the call never came up at baresip: %v", err)
	}
	p.Record(time.Second)
	ExpectClear(t, p.Record(2*time.Second), farTone, farLevel, "baresip → phone")
	must(t, p.OnHook())
	if _, err := c.far.Next(c.ctx, "CALL_CLOSED"); err != nil {
		t.Fatalf("baresip never saw the hang-up: %v", err)
	}
}
