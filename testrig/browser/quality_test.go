package browser

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/sip/ua"
	"github.com/openiad/openiad/testrig/peers"
)

// Issue 5, per-call quality: a SIP call from FXS 1 to FXS 2 through a
// Kamailio started by the test shows on the status page with its codec,
// loss, jitter and MOS while it lasts, and as two call records with the
// same figures once it ends.
func TestCallQualityOnTheStatusPage(t *testing.T) {
	peers.Need(t, "kamailio")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: "1001", Password: "pw-1001-x"}, {Name: "1002", Password: "pw-1002-x"}}})
	box := Start(t, 2)
	if _, err := box.Sys.Config.Update(config.SourceWeb, "test", func(c *config.Config) error {
		p := &c.SIP.Profiles[0]
		p.Registrars = []string{k.Addr().String()}
		p.Domain = k.Addr().String()
		p.DigitMap = "1xxx"
		c.Ports[0].SIP = config.PortSIP{Enabled: true, User: "1001", Password: "pw-1001-x"}
		c.Ports[1].SIP = config.PortSIP{Enabled: true, User: "1002", Password: "pw-1002-x"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(ctx, "both ports registered", 50*time.Millisecond, func() bool {
		a, _ := box.Sys.Trunk.Registration(1)
		b, _ := box.Sys.Trunk.Registration(2)
		return a.Status == ua.RegRegistered && b.Status == ua.RegRegistered
	}); err != nil {
		t.Fatalf("%v\n%s", err, k.Log())
	}
	a := newAPI(t, box)
	a.call("POST", "/login", map[string]string{"user": "admin", "password": box.First}, "")
	if code, m := a.call("POST", "/password", map[string]string{"current": box.First, "new": newAdminPassword}, ""); code != 200 {
		t.Fatalf("password change: %d %v", code, m)
	}

	p1, p2 := box.Phones[0], box.Phones[1]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p1.OffHook())
	p1.Record(300 * time.Millisecond) // dial tone settles before the first digit
	must(p1.Dial("1002"))
	rctx, rcancel := context.WithTimeout(ctx, 15*time.Second)
	err := p2.WaitRing(rctx)
	rcancel()
	if err != nil {
		t.Fatalf("FXS 2 did not ring for the SIP call: %v\n%s", err, k.Log())
	}
	must(p2.OffHook())
	p1.Play(1000, -10)
	p2.Play(1500, -10)

	// While the call lasts: both ends on the status page with figures.
	var calls []any
	if err := waitFor(ctx, "two calls with media figures", 200*time.Millisecond, func() bool {
		_, st := a.call("GET", "/", nil, "")
		calls, _ = st["calls"].([]any)
		if len(calls) != 2 {
			return false
		}
		for _, c := range calls {
			q := c.(map[string]any)["quality"].(map[string]any)
			if q["codec"] == "" || q["packetsReceived"].(float64) < 100 {
				return false
			}
		}
		return true
	}); err != nil {
		t.Fatalf("%v: %v", err, calls)
	}
	for _, c := range calls {
		m := c.(map[string]any)
		q := m["quality"].(map[string]any)
		t.Logf("port %v %v: codec %v, loss %v %%, jitter %v ms, MOS %v", m["port"], m["direction"], q["codec"], q["lossPercent"], q["jitter"].(float64)/1e6, q["mos"])
		if q["lossPercent"].(float64) > 1 || q["jitter"].(float64) > float64(20*time.Millisecond) {
			t.Errorf("port %v: loss %v %%, jitter %v ns on the loopback", m["port"], q["lossPercent"], q["jitter"])
		}
	}
	page := a.html("/")
	for _, want := range []string{`id="call-1"`, `id="call-2"`, "PCM", " ms</td>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the status page lacks %q", want)
		}
	}

	// Hang up: two records with the call's figures.
	must(p1.OnHook())
	p2.OnHook()
	var recs []any
	if err := waitFor(ctx, "two call records", 100*time.Millisecond, func() bool {
		_, m := a.call("GET", "/calls", nil, "")
		recs, _ = m["records"].([]any)
		return len(recs) >= 2
	}); err != nil {
		t.Fatalf("%v: %v", err, recs)
	}
	dirs := map[string]bool{}
	for _, r := range recs[:2] {
		m := r.(map[string]any)
		dirs[fmt.Sprint(m["direction"])] = true
		if q := m["quality"].(map[string]any); q["codec"] == "" || q["packetsReceived"].(float64) < 100 {
			t.Errorf("record %v without media figures", m)
		}
	}
	if !dirs["out"] || !dirs["in"] {
		t.Errorf("records %v: want one out, one in", recs)
	}
}

// html is the page at path as a browser gets it.
func (a *api) html(path string) string {
	a.t.Helper()
	resp, err := a.c.Get(a.box.URL + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
