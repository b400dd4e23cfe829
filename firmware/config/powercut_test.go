package config_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
)

// edit is the update the power-cut tests interrupt: several fields, a lock
// (from cwmp) and an added port's worth of leaves.
func edit(c *config.Config) error {
	c.Device.Name = c.Device.Name + "+"
	c.Device.Country = map[string]string{"CN": "US", "US": "GB", "GB": "DE", "DE": "CN"}[c.Device.Country]
	c.DialPlan.InterDigit += config.Duration(time.Second)
	if c.DialPlan.InterDigit.D() > 30*time.Second {
		c.DialPlan.InterDigit = config.Duration(2 * time.Second)
	}
	c.Ports[len(c.Ports)-1].Name = fmt.Sprint("r", c.Revision)
	return nil
}

// opsOf counts the mutating operations of one edit on a copy of fsys.
func opsOf(t *testing.T, fsys *configtest.FS) (int, config.Config) {
	t.Helper()
	probe := fsys.Reboot(configtest.KeepUnsynced)
	s := open(t, probe)
	before := probe.Ops()
	if _, err := s.Update(config.SourceCWMP, "acs", edit); err != nil {
		t.Fatal(err)
	}
	return probe.Ops() - before, s.Get()
}

// TestPowerCutUpdate cuts the power at every mutating operation of an
// Update, under every survival policy, and checks that the next boot finds
// exactly the old or the new configuration, a readable audit log that has
// the records of the revision in effect, and a store that keeps working.
func TestPowerCutUpdate(t *testing.T) {
	base := configtest.New()
	s := open(t, base)
	for range 2 { // some history, so that config.json.prev exists
		if _, err := s.Update(config.SourceWeb, "setup", edit); err != nil {
			t.Fatal(err)
		}
	}
	old := s.Get()
	total, next := opsOf(t, base)
	if total < 9 {
		t.Fatalf("an update did %d mutating operations, want at least 9", total)
	}
	sawOld, sawNew := 0, 0
	for n := 1; n <= total; n++ {
		for _, sv := range configtest.Survivals {
			t.Run(fmt.Sprintf("op%d/%s", n, sv), func(t *testing.T) {
				fsys := base.Reboot(configtest.KeepUnsynced)
				s := open(t, fsys)
				fsys.CutAt(n)
				s.Update(config.SourceCWMP, "acs", edit)
				if !fsys.Dead() {
					t.Fatalf("power not cut at op %d", n)
				}
				after := fsys.Reboot(sv)
				s2 := open(t, after)
				got := encode(t, s2.Get())
				switch got {
				case encode(t, old):
					sawOld++
				case encode(t, next):
					sawNew++
				default:
					t.Fatalf("after the cut: %s\nwant old %s\nor new %s", got, encode(t, old), encode(t, next))
				}
				recs := checkAudit(t, s2)
				if got == encode(t, old) && hasRev(recs, next.Revision) && !hasRecovery(recs, next.Revision) {
					t.Errorf("records of revision %d that never took effect are not marked: %+v", next.Revision, recs)
				}
				// The store keeps working and survives the next cut too.
				if _, err := s2.Update(config.SourceWeb, "after", setName("after")); err != nil {
					t.Fatalf("update after reboot: %v", err)
				}
				s3 := open(t, after.Reboot(configtest.LoseUnsynced))
				if s3.Get().Device.Name != "after" {
					t.Errorf("second reboot: %q", s3.Get().Device.Name)
				}
				checkAudit(t, s3)
			})
		}
	}
	if sawOld == 0 || sawNew == 0 {
		t.Errorf("old seen %d times, new %d times: the cuts did not cover both outcomes", sawOld, sawNew)
	}
}

func hasRev(recs []config.AuditRecord, rev int64) bool {
	for _, r := range recs {
		if r.Rev == rev {
			return true
		}
	}
	return false
}

func hasRecovery(recs []config.AuditRecord, lost int64) bool {
	for _, r := range recs {
		if r.Source == config.SourceSystem && r.Path == "revision" && string(r.Old) == fmt.Sprint(lost) {
			return true
		}
	}
	return false
}

// TestPowerCutFirstBoot cuts the power while Open writes the defaults.
func TestPowerCutFirstBoot(t *testing.T) {
	probe := configtest.New()
	open(t, probe)
	total := probe.Ops()
	want := config.Default(4)
	for n := 1; n <= total; n++ {
		for _, sv := range configtest.Survivals {
			fsys := configtest.New()
			fsys.CutAt(n)
			if _, err := config.Open(fsys, dir, config.Default(4), nil); err != nil {
				t.Fatalf("op%d: Open during a power cut: %v", n, err)
			}
			s := open(t, fsys.Reboot(sv))
			got := s.Get()
			if got.Revision < 1 {
				t.Errorf("op%d/%s: defaults not stored (revision %d)", n, sv, got.Revision)
			}
			got.Revision = 0
			if encode(t, got) != encode(t, want) {
				t.Errorf("op%d/%s: got %s", n, sv, encode(t, got))
			}
			checkAudit(t, s)
		}
	}
}

// TestPowerCutChain runs many updates in a row, each cut at a different
// operation with a different policy, on the state left by the one before:
// the config in effect is always the last one in effect or its successor.
func TestPowerCutChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fsys := configtest.New()
	s := open(t, fsys)
	total, _ := opsOf(t, fsys)
	for step := range 200 {
		cur := s.Get()
		want := cur.Clone()
		edit(&want)
		n := 1 + rng.IntN(total+2) // sometimes past the end: no cut
		sv := configtest.Survivals[rng.IntN(len(configtest.Survivals))]
		fsys.CutAt(n)
		_, err := s.Update(config.SourceWeb, "chain", edit)
		if err == nil && !fsys.Dead() {
			fsys.CutAt(0)
			want.Revision = s.Get().Revision
			if encode(t, s.Get()) != encode(t, want) {
				t.Fatalf("step %d: update without cut gave %s", step, encode(t, s.Get()))
			}
			if rng.IntN(3) > 0 {
				continue
			}
		}
		fsys = fsys.Reboot(sv)
		if rng.IntN(4) == 0 { // and again while Open records the recovery
			fsys.CutAt(1 + rng.IntN(4))
			if _, err := config.Open(fsys, dir, config.Default(4), nil); err != nil {
				t.Fatalf("step %d: Open under a power cut: %v", step, err)
			}
			fsys = fsys.Reboot(configtest.Survivals[rng.IntN(len(configtest.Survivals))])
		}
		s = open(t, fsys)
		got := s.Get()
		if got.Revision != cur.Revision {
			want.Revision = got.Revision
		}
		if g := encode(t, got); g != encode(t, cur) && g != encode(t, want) {
			t.Fatalf("step %d (cut at %d, %s): got %s\nwant %s\nor %s", step, n, sv, g, encode(t, cur), encode(t, want))
		}
		checkAudit(t, s)
	}
}
