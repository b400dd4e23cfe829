package datamodel

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
)

// TestCarrierLocks: the ACS locks a parameter and sets it in one request;
// the web page and the console can no longer change it, TR-069 can, and
// LockParam names the parameter in the ACS's flavour.
func TestCarrierLocks(t *testing.T) {
	m, st, _ := newModel(t, 2)
	locked := "Device." + m.VendorPrefix() + "LockedParameters"
	if _, _, err := m.AddObject(vs+"CallControl.Line.", "a"); err != nil {
		t.Fatal(err)
	}
	number := vs + "CallControl.Line.1.DirectoryNumber"
	if _, err := m.Set([]cwmp.Value{
		{Name: number, Type: "xsd:string", Value: "8610001"},
		{Name: locked, Type: "xsd:string", Value: number + ", " + net1},
	}, "lock"); err != nil {
		t.Fatal(err)
	}
	c := st.Get()
	if l, ok := c.Locks["ports[0].sip.user"]; !ok || l.By != config.SourceCWMP || l.At.IsZero() {
		t.Errorf("locks %v: want ports[0].sip.user by cwmp", c.Locks)
	}
	if _, ok := c.Locks["sip.profiles[0]"]; !ok {
		t.Errorf("locks %v: want the whole profile", c.Locks)
	}
	if got := get(t, m, locked); got != number+","+net1 {
		t.Errorf("%s reads %q", locked, got)
	}
	for _, src := range []config.Source{config.SourceWeb, config.SourceConsole} {
		_, err := st.Update(src, "admin", func(c *config.Config) error { c.Ports[0].SIP.User = "999"; return nil })
		var le *config.LockedError
		if !errors.As(err, &le) {
			t.Errorf("%s changed a locked number: %v", src, err)
		}
		_, err = st.Update(src, "admin", func(c *config.Config) error { c.SIP.Profiles[0].Domain = "evil.example"; return nil })
		if !errors.As(err, &le) {
			t.Errorf("%s changed a locked profile: %v", src, err)
		}
	}
	if _, err := m.Set([]cwmp.Value{{Name: net1 + "ServerDomain", Type: "xsd:string", Value: "ims.example"}}, "k"); err != nil {
		t.Errorf("the ACS itself cannot change a locked field: %v", err)
	}
	if got := LockParam(&c, "ports[0].sip.user"); got != number {
		t.Errorf("LockParam(ports[0].sip.user) = %q, want %q", got, number)
	}
	if got := LockParam(&c, "sip.profiles[0].domain"); got != net1 {
		t.Errorf("LockParam(sip.profiles[0].domain) = %q, want %q", got, net1)
	}
	if got := LockParam(&c, "ports[1].sip.user"); got != "" {
		t.Errorf("LockParam of an unlocked field = %q", got)
	}
	c.CWMP.DataModel = config.DataModelTR104v1
	if got := LockParam(&c, "ports[0].sip.user"); got != vs+"VoiceProfile.1.Line.1.DirectoryNumber" {
		t.Errorf("LockParam in the issue 1 flavour = %q", got)
	}
	// A name that is no setting is refused; nothing changes.
	_, err := m.Set([]cwmp.Value{{Name: locked, Type: "xsd:string", Value: "Device.DeviceInfo.SerialNumber"}}, "x")
	var sf *cwmp.SetFault
	if !errors.As(err, &sf) || sf.Faults[0].Code != 9007 {
		t.Errorf("locking a read-only parameter: %v, want 9007", err)
	}
	// Writing an empty list unlocks; the web page may change it again.
	if _, err := m.Set([]cwmp.Value{{Name: locked, Type: "xsd:string", Value: ""}}, "unlock"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Update(config.SourceWeb, "admin", func(c *config.Config) error { c.Ports[0].SIP.User = "999"; return nil }); err != nil {
		t.Errorf("after unlock: %v", err)
	}
}

// TestLineTestDiagnostics: DiagnosticsState Requested runs the line test
// after the request, then reports Complete and calls Diagnostics.
func TestLineTestDiagnostics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _, _ := newModel(t, 2)
		var done atomic.Int32
		var hook atomic.Bool
		m.o.Diagnostics = func() { done.Add(1) }
		m.o.Status.Hook = func(int) (bool, bool) { return hook.Load(), true }
		m.o.Status.LineTest = func(_ context.Context, port int) ([]Check, error) {
			return []Check{{Name: "battery feed", Result: "forward", OK: port == 1}, {Name: "loop", Result: "on-hook", OK: true}}, nil
		}
		run := func(port, sel string) (state, result, detail string) {
			t.Helper()
			d := vs + "POTS.FXS." + port + ".DiagTests."
			vals := []cwmp.Value{{Name: d + "DiagnosticsState", Type: "xsd:string", Value: "Requested"}}
			if sel != "-" {
				vals = append(vals, cwmp.Value{Name: d + "TestSelector", Type: "xsd:string", Value: sel})
			}
			if _, err := m.Set(vals, "diag"); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
			return get(t, m, d+"DiagnosticsState"), get(t, m, d+"TestResult"), get(t, m, d+m.VendorPrefix()+"Detail")
		}
		if s, r, _ := run("1", ""); s != "Complete" || r != "Success" {
			t.Errorf("port 1 basic test: %s %s", s, r)
		}
		if s, r, _ := run("2", ""); s != "Complete" || r != "Failure" {
			t.Errorf("port 2 (no battery) basic test: %s %s", s, r)
		}
		hook.Store(true)
		if s, r, _ := run("1", "Off-hook"); s != "Complete" || r != "Failure" {
			t.Errorf("off-hook test with the handset lifted: %s %s", s, r)
		}
		if s, _, _ := run("1", "REN"); s != "Error_Other" {
			t.Errorf("REN test: %s, want Error_Other (no metallic test)", s)
		}
		if n := done.Load(); n != 4 {
			t.Errorf("Diagnostics called %d times, want 4", n)
		}
		_, err := m.Set([]cwmp.Value{{Name: vs + "POTS.FXS.1.DiagTests.DiagnosticsState", Type: "xsd:string", Value: "Complete"}}, "x")
		var sf *cwmp.SetFault
		if !errors.As(err, &sf) || sf.Faults[0].Code != 9007 {
			t.Errorf("setting Complete: %v, want 9007", err)
		}
	})
}

// TestCallLog: call records appear as CallLog entries with their quality,
// and line statistics count them.
func TestCallLog(t *testing.T) {
	m, _, _ := newModel(t, 2)
	withRecords(m)
	if got := get(t, m, vs+"CallLogNumberOfEntries"); got != "2" {
		t.Errorf("CallLogNumberOfEntries %s", got)
	}
	want := map[string]string{
		"CallLog.7.CalledPartyNumber":                                  "13800138000",
		"CallLog.7.Direction":                                          "Outgoing",
		"CallLog.7.Duration":                                           "60",
		"CallLog.7.Start":                                              "2026-11-22T10:00:00Z",
		"CallLog.7.CallTerminationCause":                               "LocalDisconnect",
		"CallLog.7.UsedLine":                                           vs + "CallControl.Line.1",
		"CallLog.7.Session.1.Source.RTP.PacketsLost":                   "10",
		"CallLog.7.Session.1.Source.DSP.ReceiveCodec.Codec":            vs + "Capabilities.Codec.2",
		"CallLog.7.Session.1.Source.VoiceQuality.VoIPQualityIndicator": "92",
		"CallLog.8.Direction":                                          "Incoming",
		"CallLog.8.CallTerminationCause":                               "NoExtensionsAvailable",
		"CallLog.8.SessionNumberOfEntries":                             "0",
	}
	for n, w := range want {
		if got := get(t, m, vs+n); got != w {
			t.Errorf("%s = %q, want %q", n, got, w)
		}
	}
	if _, err := m.Values([]string{vs + "CallLog.8.Session.1."}); faultCode(err) != 9005 {
		t.Errorf("session of an unanswered call: %v", err)
	}
	if _, _, err := m.AddObject(vs+"SIP.Client.", "a"); err != nil {
		t.Fatal(err)
	}
	stats := map[string]string{
		"OutgoingCalls.CallsAttempted": "1", "OutgoingCalls.CallsConnected": "1", "OutgoingCalls.TotalCallTime": "60",
		"IncomingCalls.CallsReceived": "0", "RTP.PacketsSent": "3000",
	}
	for n, w := range stats {
		if got := get(t, m, vs+"CallControl.Line.1.Stats."+n); got != w {
			t.Errorf("Line.1.Stats.%s = %q, want %q", n, got, w)
		}
	}
	all, err := m.Values([]string{vs + "CallLog."})
	if err != nil || len(all) == 0 || !strings.HasPrefix(all[0].Name, vs+"CallLog.7.") {
		t.Errorf("CallLog. partial path: %d values, %v", len(all), err)
	}
}
