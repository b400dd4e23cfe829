package datamodel

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/cwmp"
)

func reopen(t *testing.T, fsys *configtest.FS) (*Model, *config.Store) {
	t.Helper()
	st, err := config.Open(fsys, "config", config.Default(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Config: st, FS: fsys, Dir: "cwmp", Device: Device{SoftwareVersion: "1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

func notif(t *testing.T, m *Model, name string) int {
	t.Helper()
	a, err := m.Attributes([]string{name})
	if err != nil || len(a) != 1 {
		t.Fatalf("Attributes(%s) = %v, %v", name, a, err)
	}
	return a[0].Notification
}

// TestAttributes: notification attributes, their rules, and persistence.
func TestAttributes(t *testing.T) {
	m, _, fsys := newModel(t, 2)
	domain := net1 + "ServerDomain"
	if n := notif(t, m, domain); n != cwmp.NotifyOff {
		t.Errorf("default notification %d", n)
	}
	if n := notif(t, m, "Device.ManagementServer.ConnectionRequestURL"); n != cwmp.NotifyActive {
		t.Errorf("ConnectionRequestURL notification %d, want active by default", n)
	}
	if err := m.SetAttributes([]cwmp.SetAttr{{Name: domain, NotificationChange: true, Notification: 2},
		{Name: vs + "POTS.", NotificationChange: true, Notification: 1, AccessListChange: true, AccessList: []string{"Subscriber"}}}); err != nil {
		t.Fatal(err)
	}
	a, err := m.Attributes([]string{vs + "POTS.FXS.1.Enable"})
	if err != nil || a[0].Notification != 1 || !slices.Equal(a[0].AccessList, []string{"Subscriber"}) {
		t.Errorf("attributes below a partial path: %+v, %v", a, err)
	}
	tests := []struct {
		name string
		a    cwmp.SetAttr
		code int
	}{
		{"active on a counter", cwmp.SetAttr{Name: "Device.DeviceInfo.UpTime", NotificationChange: true, Notification: 2}, 9009},
		{"forced one off", cwmp.SetAttr{Name: "Device.DeviceInfo.SoftwareVersion", NotificationChange: true, Notification: 0}, 9009},
		{"unknown name", cwmp.SetAttr{Name: "Device.Nope", NotificationChange: true, Notification: 1}, 9005},
		{"bad value", cwmp.SetAttr{Name: domain, NotificationChange: true, Notification: 3}, 9003},
		{"bad access", cwmp.SetAttr{Name: domain, AccessListChange: true, AccessList: []string{"Everyone"}}, 9003},
	}
	for _, tt := range tests {
		// All or nothing: the good first entry is not applied either.
		err := m.SetAttributes([]cwmp.SetAttr{{Name: domain, NotificationChange: true, Notification: 1}, tt.a})
		if faultCode(err) != tt.code {
			t.Errorf("%s: %v, want %d", tt.name, err, tt.code)
		}
		if n := notif(t, m, domain); n != 2 {
			t.Errorf("%s: notification %d after a refused request, want 2 kept", tt.name, n)
		}
	}
	// Active under a partial path skips the counters instead of failing.
	if err := m.SetAttributes([]cwmp.SetAttr{{Name: "Device.DeviceInfo.", NotificationChange: true, Notification: 2}}); err != nil {
		t.Fatal(err)
	}
	if n := notif(t, m, "Device.DeviceInfo.UpTime"); n != 0 {
		t.Errorf("UpTime notification %d", n)
	}
	m2, _ := reopen(t, fsys.Reboot(configtest.LoseUnsynced))
	if n := notif(t, m2, domain); n != 2 {
		t.Errorf("after reboot: notification %d, want 2", n)
	}
}

// TestAttributesPowerCut: a power cut at any write of SetAttributes leaves
// the attributes from before or after it, never a broken store.
func TestAttributesPowerCut(t *testing.T) {
	domain := net1 + "ServerDomain"
	for _, s := range configtest.Survivals {
		for cut := 1; ; cut++ {
			m, _, fsys := newModel(t, 2)
			if err := m.SetAttributes([]cwmp.SetAttr{{Name: domain, NotificationChange: true, Notification: 1}}); err != nil {
				t.Fatal(err)
			}
			fsys.CutAt(cut)
			err := m.SetAttributes([]cwmp.SetAttr{{Name: domain, NotificationChange: true, Notification: 2},
				{Name: vs + "POTS.Region", NotificationChange: true, Notification: 2}})
			done := !fsys.Dead()
			m2, _ := reopen(t, fsys.Reboot(s))
			a, b := notif(t, m2, domain), notif(t, m2, vs+"POTS.Region")
			if !(a == 1 && b == 0 || a == 2 && b == 2) {
				t.Fatalf("%v, cut at %d: notifications %d, %d: neither before nor after", s, cut, a, b)
			}
			if err == nil && !done {
				t.Fatalf("%v, cut at %d: SetAttributes succeeded through a power cut", s, cut)
			}
			if err == nil && (a != 2 || b != 2) && s == configtest.KeepUnsynced {
				t.Fatalf("%v, cut at %d: acknowledged change lost", s, cut)
			}
			if done {
				break
			}
		}
	}
}

// TestValueChange: a change from another face is reported once, with
// active when the parameter is active; the ACS's own changes are not.
func TestValueChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, st, _ := newModel(t, 2)
		m.o.PollEvery = 10 * time.Second
		domain := net1 + "ServerDomain"
		ext := vs + "CallControl.Extension.1.ExtensionNumber"
		if err := m.SetAttributes([]cwmp.SetAttr{{Name: domain, NotificationChange: true, Notification: 2},
			{Name: ext, NotificationChange: true, Notification: 1}}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go m.Run(ctx)
		synctest.Wait()
		if ch, _ := m.Changes(); len(ch) != 0 {
			t.Fatalf("changes before any: %v", ch)
		}
		select {
		case <-m.Notify():
			t.Fatal("Notify before any change")
		default:
		}
		// A passive change from the console: reported, no session.
		if _, err := st.Update(config.SourceConsole, "admin", func(c *config.Config) error { c.Ports[0].Extension = "288"; return nil }); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		ch, active := m.Changes()
		if len(ch) != 1 || ch[0].Name != ext || ch[0].Value != "288" || active {
			t.Errorf("after a passive change: %v, active %v", ch, active)
		}
		select {
		case <-m.Notify():
			t.Error("Notify for a passive change")
		default:
		}
		// An active change from the web page: Notify, once.
		if _, err := st.Update(config.SourceWeb, "admin", func(c *config.Config) error { c.SIP.Profiles[0].Domain = "x.example"; return nil }); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		select {
		case <-m.Notify():
		default:
			t.Fatal("no Notify for an active change")
		}
		<-time.After(30 * time.Second) // three polls, in virtual time
		synctest.Wait()
		select {
		case <-m.Notify():
			t.Error("Notify again for the same change")
		default:
		}
		ch, active = m.Changes()
		if len(ch) != 2 || !active {
			t.Fatalf("changes %v active %v, want the two", ch, active)
		}
		m.Acknowledge(ch)
		if ch, _ := m.Changes(); len(ch) != 0 {
			t.Errorf("after Acknowledge: %v", ch)
		}
		// The ACS's own change is not reported back.
		if _, err := m.Set([]cwmp.Value{{Name: domain, Type: "xsd:string", Value: "acs.example"}}, "k"); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if ch, _ := m.Changes(); len(ch) != 0 {
			t.Errorf("the ACS's own change reported: %v", ch)
		}
		// A new software version is a change of a forced-active parameter.
		m.o.Device.SoftwareVersion = "1.2.4"
		if ch, active := m.Changes(); len(ch) != 1 || ch[0].Name != "Device.DeviceInfo.SoftwareVersion" || !active {
			t.Errorf("after an upgrade: %v %v", ch, active)
		}
		cancel()
		synctest.Wait()
	})
}

// TestValueChangeSurvivesReboot: a change made while the box was off (or
// before the ACS heard of it) is still reported after a reboot.
func TestValueChangeSurvivesReboot(t *testing.T) {
	m, st, fsys := newModel(t, 2)
	domain := net1 + "ServerDomain"
	if err := m.SetAttributes([]cwmp.SetAttr{{Name: domain, NotificationChange: true, Notification: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(config.SourceWeb, "admin", func(c *config.Config) error { c.SIP.Profiles[0].Domain = "y.example"; return nil }); err != nil {
		t.Fatal(err)
	}
	m2, _ := reopen(t, fsys.Reboot(configtest.LoseUnsynced))
	if ch, active := m2.Changes(); len(ch) != 1 || ch[0].Value != "y.example" || !active {
		t.Errorf("after reboot: %v %v", ch, active)
	}
}
