package datamodel

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
)

const (
	client1 = vs + "SIP.Client.1."
	net1    = vs + "SIP.Network.1."
)

func get(t *testing.T, m *Model, name string) string {
	t.Helper()
	v, err := m.Values([]string{name})
	if err != nil {
		t.Fatalf("Values(%s): %v", name, err)
	}
	if len(v) != 1 {
		t.Fatalf("Values(%s): %d values", name, len(v))
	}
	return v[0].Value
}

func faultCode(err error) int {
	var f *cwmp.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return 0
}

// TestSetFaults: one bad parameter in a SetParameterValues changes
// nothing, and each bad parameter gets its own fault code.
func TestSetFaults(t *testing.T) {
	type pf struct {
		name string
		code int
	}
	good := []cwmp.Value{
		{Name: net1 + "RegistrarServer", Type: "xsd:string", Value: "ims.example.net"},
		{Name: client1 + "AuthUserName", Type: "xsd:string", Value: "8610001"},
	}
	tests := []struct {
		name string
		bad  []cwmp.Value
		want []pf
	}{
		{"unknown name", []cwmp.Value{{Name: vs + "SIP.Client.1.NoSuch", Type: "xsd:string", Value: "x"}},
			[]pf{{vs + "SIP.Client.1.NoSuch", 9005}}},
		{"no such instance", []cwmp.Value{{Name: vs + "SIP.Network.7.ServerDomain", Type: "xsd:string", Value: "x"}},
			[]pf{{vs + "SIP.Network.7.ServerDomain", 9005}}},
		{"object, not a parameter", []cwmp.Value{{Name: net1, Type: "xsd:string", Value: "x"}},
			[]pf{{net1, 9005}}},
		{"read-only", []cwmp.Value{{Name: "Device.DeviceInfo.SerialNumber", Type: "xsd:string", Value: "x"}},
			[]pf{{"Device.DeviceInfo.SerialNumber", 9008}}},
		{"wrong type", []cwmp.Value{{Name: net1 + "RegisterExpires", Type: "xsd:boolean", Value: "true"}},
			[]pf{{net1 + "RegisterExpires", 9006}}},
		{"not a number", []cwmp.Value{{Name: net1 + "RegisterExpires", Type: "xsd:unsignedInt", Value: "soon"}},
			[]pf{{net1 + "RegisterExpires", 9006}}},
		{"config refuses", []cwmp.Value{{Name: net1 + "RegisterExpires", Type: "xsd:unsignedInt", Value: "5"}},
			[]pf{{net1 + "RegisterExpires", 9007}}},
		{"box refuses", []cwmp.Value{{Name: net1 + "RegistrarServerTransport", Type: "xsd:string", Value: "SCTP"}},
			[]pf{{net1 + "RegistrarServerTransport", 9007}}},
		{"bad zone", []cwmp.Value{{Name: "Device.Time.LocalTimeZone", Type: "xsd:string", Value: "Mars/Olympus"}},
			[]pf{{"Device.Time.LocalTimeZone", 9007}}},
		{"account not added", []cwmp.Value{{Name: vs + "SIP.Client.2.Enable", Type: "xsd:boolean", Value: "1"}},
			[]pf{{vs + "SIP.Client.2.Enable", 9005}}}, // port 2 has no account: SIP.Client.2 does not exist
		{"cross-field rule", []cwmp.Value{{Name: client1 + "Enable", Type: "xsd:boolean", Value: "1"}},
			nil}, // an enabled account needs a user: config refuses ports[0].sip.user
		{"two bad ones", []cwmp.Value{
			{Name: "Device.ManagementServer.PeriodicInformInterval", Type: "xsd:unsignedInt", Value: "1"},
			{Name: "Device.DeviceInfo.UpTime", Type: "xsd:unsignedInt", Value: "1"}},
			[]pf{{"Device.ManagementServer.PeriodicInformInterval", 9007}, {"Device.DeviceInfo.UpTime", 9008}}},
		// The configuration names one end of the RTP range (rtpPortMin)
		// when the request moved the other: the fault goes to the
		// parameter without which the range is fine, not to another
		// parameter of the same profile (RegistrarServer).
		{"range end", []cwmp.Value{{Name: vs + "VoIPProfile.1.RTP.LocalPortMax", Type: "xsd:unsignedInt", Value: "70000"}},
			[]pf{{vs + "VoIPProfile.1.RTP.LocalPortMax", 9007}}},
		// Type and access faults do not hide the value faults of the
		// same request: every faulty parameter is listed, in request order.
		{"every fault", []cwmp.Value{
			{Name: vs + "VoIPProfile.1.RTP.LocalPortMin", Type: "xsd:unsignedInt", Value: "not-a-number"},
			{Name: "Device.DeviceInfo.SerialNumber", Type: "xsd:string", Value: "X"},
			{Name: net1 + "RegistrarServerTransport", Type: "xsd:string", Value: "SCTP"},
			{Name: vs + "VoIPProfile.1.RTP.LocalPortMax", Type: "xsd:unsignedInt", Value: "70000"},
			{Name: vs + "SIP.Client.1.Bogus", Type: "xsd:string", Value: "x"}},
			[]pf{{vs + "VoIPProfile.1.RTP.LocalPortMin", 9006}, {"Device.DeviceInfo.SerialNumber", 9008},
				{net1 + "RegistrarServerTransport", 9007}, {vs + "VoIPProfile.1.RTP.LocalPortMax", 9007},
				{vs + "SIP.Client.1.Bogus", 9005}}},
		{"every fault, config too", []cwmp.Value{
			{Name: "Device.DeviceInfo.SerialNumber", Type: "xsd:string", Value: "X"},
			{Name: vs + "VoIPProfile.1.RTP.LocalPortMax", Type: "xsd:unsignedInt", Value: "70000"}},
			[]pf{{"Device.DeviceInfo.SerialNumber", 9008}, {vs + "VoIPProfile.1.RTP.LocalPortMax", 9007}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st, _ := newModel(t, 4)
			if _, _, err := m.AddObject(vs+"SIP.Client.", "k0"); err != nil {
				t.Fatal(err)
			}
			before := st.Get()
			key := get(t, m, "Device.ManagementServer.ParameterKey")
			_, err := m.Set(append(slices.Clone(good), tt.bad...), "k1")
			var sf *cwmp.SetFault
			if !errors.As(err, &sf) {
				t.Fatalf("Set = %v, want a SetFault", err)
			}
			var got []pf
			for _, f := range sf.Faults {
				got = append(got, pf{f.Name, f.Code})
				if f.String == "" {
					t.Errorf("%s: fault %d without a reason", f.Name, f.Code)
				}
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Errorf("faults %v, want %v", got, tt.want)
			}
			if tt.want == nil && (len(got) != 1 || got[0].code != 9007 || !strings.HasPrefix(got[0].name, client1) ||
				!strings.Contains(sf.Faults[0].String, "ports[0].sip.user")) {
				t.Errorf("faults %v (%v), want one 9007 on a SIP.Client.1 parameter naming ports[0].sip.user", got, sf)
			}
			after := st.Get()
			if d, _ := config.Diff(&before, &after); len(d) != 0 || after.Revision != before.Revision {
				t.Errorf("the configuration changed: %v", d)
			}
			if k := get(t, m, "Device.ManagementServer.ParameterKey"); k != key {
				t.Errorf("ParameterKey %q after a refused Set, want %q", k, key)
			}
		})
	}
}

func TestSetDuplicateIs9003(t *testing.T) {
	m, _, _ := newModel(t, 2)
	v := cwmp.Value{Name: net1 + "ServerDomain", Type: "xsd:string", Value: "a.example"}
	if _, err := m.Set([]cwmp.Value{v, v}, ""); faultCode(err) != 9003 {
		t.Errorf("Set with a name twice = %v, want fault 9003", err)
	}
}

// TestSetApplies: a good Set lands in the configuration in one revision,
// from source cwmp, and ParameterKey follows.
func TestSetApplies(t *testing.T) {
	m, st, _ := newModel(t, 4)
	if _, _, err := m.AddObject(vs+"SIP.Client.", "k0"); err != nil {
		t.Fatal(err)
	}
	rev := st.Get().Revision
	vals := []cwmp.Value{
		{Name: net1 + "RegistrarServer", Type: "xsd:string", Value: "10.0.0.1"},
		{Name: net1 + "RegistrarServerPort", Type: "xsd:unsignedInt", Value: "5080"},
		{Name: net1 + "RegisterExpires", Type: "xsd:unsignedInt", Value: "600"},
		{Name: net1 + "CodecList", Type: "xsd:string", Value: vs + "CodecProfile.1"},
		{Name: client1 + "RegisterURI", Type: "xsd:string", Value: "sip:8610001@ims.example.net"},
		{Name: client1 + "AuthUserName", Type: "xsd:string", Value: "auth1"},
		{Name: client1 + "AuthPassword", Type: "xsd:string", Value: "s3cret"},
		{Name: client1 + "Enable", Type: "xsd:boolean", Value: "1"},
		{Name: "Device.ManagementServer.PeriodicInformInterval", Type: "xsd:unsignedInt", Value: "300"},
		{Name: "Device.Time.NTPServer2", Type: "xsd:string", Value: "ntp2.example.net"},
		{Name: "Device.Time.LocalTimeZone", Type: "xsd:string", Value: "CET-1CEST,M3.5.0,M10.5.0/3"},
		{Name: vs + "CallControl.Extension.3.ExtensionNumber", Type: "xsd:string", Value: "333"},
		{Name: vs + "POTS.Region", Type: "xsd:string", Value: "us"},
	}
	status, err := m.Set(vals, "key-42")
	if err != nil || status != 0 {
		t.Fatalf("Set = %d, %v", status, err)
	}
	c := st.Get()
	if c.Revision != rev+1 {
		t.Errorf("revision %d, want one change (%d)", c.Revision, rev+1)
	}
	p := c.SIP.Profiles[0]
	a := c.Ports[0].SIP
	checks := []struct{ what, got, want string }{
		{"registrar", strings.Join(p.Registrars, ","), "10.0.0.1:5080"},
		{"expires", p.RegisterExpires.String(), "10m0s"},
		{"codecs", strings.Join(p.Codecs, ","), "PCMU"},
		{"user", a.User, "8610001"},
		{"domain", p.Domain, "ims.example.net"},
		{"auth user", a.AuthUser, "auth1"},
		{"password", a.Password, "s3cret"},
		{"enabled", fmtBool(a.Enabled), "true"},
		{"periodic", c.CWMP.PeriodicInterval.String(), "5m0s"},
		{"ntp", strings.Join(c.Time.NTPServers, ","), "pool.ntp.org,ntp2.example.net"},
		{"zone", c.Time.Zone, "Europe/Berlin"},
		{"extension", c.Ports[2].Extension, "333"},
		{"country", c.Device.Country, "US"},
		{"key", get(t, m, "Device.ManagementServer.ParameterKey"), "key-42"},
		{"password read", get(t, m, client1+"AuthPassword"), ""},
		{"uri read", get(t, m, client1+"RegisterURI"), "sip:8610001@ims.example.net"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.what, ch.got, ch.want)
		}
	}
	audit, _ := st.Audit(3)
	if len(audit) == 0 || audit[len(audit)-1].Source != config.SourceCWMP {
		t.Errorf("audit records %v, want source cwmp", audit)
	}
	// Emptying NTPServer1 drops it; the rest move up.
	if _, err := m.Set([]cwmp.Value{{Name: "Device.Time.NTPServer1", Type: "xsd:string", Value: ""}}, "k"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, "Device.Time.NTPServer1"); got != "ntp2.example.net" {
		t.Errorf("NTPServer1 = %q after clearing it, want the second one", got)
	}
}

// TestNames: GetParameterNames with NextLevel, partial paths, and
// GetParameterValues of a partial path.
func TestNames(t *testing.T) {
	m, _, _ := newModel(t, 2)
	names := func(path string, next bool) []string {
		t.Helper()
		infos, err := m.Names(path, next)
		if err != nil {
			t.Fatalf("Names(%q, %v): %v", path, next, err)
		}
		var out []string
		for _, i := range infos {
			s := i.Name
			if i.Writable {
				s += " w"
			}
			out = append(out, s)
		}
		return out
	}
	if _, err := m.Names(vs+"ISDN.", false); faultCode(err) != 9005 {
		t.Errorf("ISDN. on a board without E1: %v, want 9005", err)
	}
	if got := names("", true); !slices.Equal(got, []string{"Device."}) {
		t.Errorf("root, next level: %v", got)
	}
	got := names("Device.Services.VoiceService.1.POTS.", true)
	want := []string{vs + "POTS.FXONumberOfEntries", vs + "POTS.FXSNumberOfEntries", vs + "POTS.Region w", vs + "POTS.FXS."}
	if !slices.Equal(got, want) {
		t.Errorf("POTS., next level:\n got %v\nwant %v", got, want)
	}
	got = names(vs+"POTS.FXS.", true)
	if want := []string{vs + "POTS.FXS.1.", vs + "POTS.FXS.2."}; !slices.Equal(got, want) {
		t.Errorf("FXS table, next level: %v, want %v", got, want)
	}
	got = names(vs+"SIP.", true)
	for _, w := range []string{vs + "SIP.Client. w", vs + "SIP.Network. w"} {
		if !slices.Contains(got, w) {
			t.Errorf("SIP., next level: %v lacks %q (tables the ACS may add to)", got, w)
		}
	}
	all := names(vs+"POTS.FXS.1.", false)
	if all[0] != vs+"POTS.FXS.1." || !slices.Contains(all, vs+"POTS.FXS.1.DiagTests.") || !slices.Contains(all, vs+"POTS.FXS.1.DiagTests.DiagnosticsState w") {
		t.Errorf("FXS.1. whole subtree: %v", all)
	}
	if got := names("Device.DeviceInfo.SerialNumber", false); !slices.Equal(got, []string{"Device.DeviceInfo.SerialNumber"}) {
		t.Errorf("one parameter: %v", got)
	}
	if _, err := m.Names("Device.DeviceInfo.SerialNumber", true); faultCode(err) != 9003 {
		t.Errorf("parameter with NextLevel: %v, want 9003", err)
	}
	for _, bad := range []string{"Device.Nope.", "Device.DeviceInfo", "Device.Services.VoiceService.2.", vs + "POTS.FXS.01."} {
		if _, err := m.Names(bad, false); faultCode(err) != 9005 {
			t.Errorf("Names(%q) = %v, want 9005", bad, err)
		}
		if _, err := m.Values([]string{bad}); faultCode(err) != 9005 {
			t.Errorf("Values(%q) = %v, want 9005", bad, err)
		}
	}
	vals, err := m.Values([]string{"Device.DeviceInfo.", "Device.ManagementServer.URL"})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]cwmp.Value{}
	for _, v := range vals {
		byName[v.Name] = v
		if !strings.HasPrefix(v.Name, "Device.DeviceInfo.") && v.Name != "Device.ManagementServer.URL" {
			t.Errorf("partial path returned %s", v.Name)
		}
	}
	if v := byName["Device.DeviceInfo.SoftwareVersion"]; v.Value != "1.2.3" || v.Type != "xsd:string" {
		t.Errorf("SoftwareVersion %+v", v)
	}
	if v := byName["Device.DeviceInfo.UpTime"]; v.Type != "xsd:unsignedInt" {
		t.Errorf("UpTime %+v", v)
	}
	// The whole tree has no duplicates and every value parses as its type.
	vals, err = m.Values([]string{""})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, v := range vals {
		if seen[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		seen[v.Name] = true
		typ, _ := parseXSD(v.Type)
		if _, err := canon(typ, v.Value); err != nil {
			t.Errorf("%s = %q is not a valid %s", v.Name, v.Value, v.Type)
		}
	}
}

// TestAddDeleteObject: lines and profiles round-trip into the
// configuration.
func TestAddDeleteObject(t *testing.T) {
	m, st, _ := newModel(t, 2)
	inst, status, err := m.AddObject(vs+"SIP.Client.", "a1")
	if err != nil || inst != 1 || status != 0 {
		t.Fatalf("AddObject(Client) = %d, %d, %v; want instance 1", inst, status, err)
	}
	if got := get(t, m, vs+"SIP.ClientNumberOfEntries"); got != "1" {
		t.Errorf("ClientNumberOfEntries = %s", got)
	}
	if got := get(t, m, vs+"CallControl.Line.1.Provider"); got != vs+"SIP.Client.1" {
		t.Errorf("Line.1.Provider = %q", got)
	}
	inst, _, err = m.AddObject(vs+"CallControl.Line.", "a2")
	if err != nil || inst != 2 {
		t.Fatalf("AddObject(Line) = %d, %v; want 2 (port 2)", inst, err)
	}
	if _, _, err := m.AddObject(vs+"SIP.Client.", "a3"); faultCode(err) != 9004 {
		t.Errorf("third account on a two-port box: %v, want 9004", err)
	}
	if _, _, err := m.AddObject(vs+"POTS.FXS.", "a3"); faultCode(err) != 9005 {
		t.Errorf("AddObject(FXS) = %v, want 9005", err)
	}
	if _, err := m.Set([]cwmp.Value{{Name: vs + "SIP.Client.2.RegisterURI", Type: "xsd:string", Value: "2002"},
		{Name: vs + "SIP.Client.2.Enable", Type: "xsd:boolean", Value: "true"},
		{Name: net1 + "RegistrarServer", Type: "xsd:string", Value: "sip.example.net"}}, "s"); err != nil {
		t.Fatal(err)
	}
	if a := st.Get().Ports[1].SIP; a.User != "2002" || !a.Enabled {
		t.Errorf("port 2 account %+v", a)
	}
	// A second profile; the account moves to it; it cannot go while used.
	inst, _, err = m.AddObject(vs+"SIP.Network.", "p")
	if err != nil || inst != 2 || len(st.Get().SIP.Profiles) != 2 {
		t.Fatalf("AddObject(Network) = %d, %v", inst, err)
	}
	if got := get(t, m, vs+"VoIPProfileNumberOfEntries"); got != "2" {
		t.Errorf("VoIPProfileNumberOfEntries %s", got)
	}
	if _, err := m.Set([]cwmp.Value{{Name: vs + "SIP.Network.2.ServerDomain", Type: "xsd:string", Value: "b.example"},
		{Name: vs + "SIP.Client.2.Network", Type: "xsd:string", Value: vs + "SIP.Network.2"}}, "s"); err != nil {
		t.Fatal(err)
	}
	if st.Get().Ports[1].SIP.Profile != 1 {
		t.Errorf("port 2 profile %d, want 1", st.Get().Ports[1].SIP.Profile)
	}
	if _, err := m.DeleteObject(vs+"SIP.Network.2.", "d"); faultCode(err) != 9001 {
		t.Errorf("deleting a profile in use: %v, want 9001", err)
	}
	if _, err := m.DeleteObject(vs+"SIP.Client.2.", "d1"); err != nil {
		t.Fatal(err)
	}
	if a := st.Get().Ports[1].SIP; a != (config.PortSIP{}) {
		t.Errorf("port 2 account after DeleteObject: %+v", a)
	}
	if _, err := m.DeleteObject(vs+"VoIPProfile.2.", "d2"); err != nil {
		t.Fatalf("DeleteObject(VoIPProfile.2) = %v", err)
	}
	if n := len(st.Get().SIP.Profiles); n != 1 {
		t.Errorf("%d profiles after delete", n)
	}
	if _, err := m.DeleteObject(vs+"SIP.Network.1.", "d"); faultCode(err) != 9001 {
		t.Errorf("deleting the last profile: %v, want 9001", err)
	}
	if _, err := m.DeleteObject(vs+"SIP.Client.2.", "d"); faultCode(err) != 9005 {
		t.Errorf("deleting a deleted instance: %v, want 9005", err)
	}
	if got := get(t, m, "Device.ManagementServer.ParameterKey"); got != "d2" {
		t.Errorf("ParameterKey %q after a refused DeleteObject, want the last good one", got)
	}
	// The issue 1 layout sees the same account under its profile.
	if _, err := m.Set([]cwmp.Value{{Name: "Device.ManagementServer." + m.VendorPrefix() + "DataModel", Type: "xsd:string", Value: "tr104v1"}}, "v1"); err != nil {
		t.Fatal(err)
	}
	if got := get(t, m, vs+"VoiceProfile.1.Line.1.SIP.AuthUserName"); got != "" {
		t.Errorf("v1 AuthUserName %q", got)
	}
	inst, _, err = m.AddObject(vs+"VoiceProfile.1.Line.", "v1a")
	if err != nil || inst != 2 {
		t.Fatalf("v1 AddObject(Line) = %d, %v", inst, err)
	}
	if _, err := m.Set([]cwmp.Value{{Name: vs + "VoiceProfile.1.Line.2.DirectoryNumber", Type: "xsd:string", Value: "3003"},
		{Name: vs + "VoiceProfile.1.Line.2.Enable", Type: "xsd:string", Value: "Enabled"}}, "v1s"); err != nil {
		t.Fatal(err)
	}
	if a := st.Get().Ports[1].SIP; a.User != "3003" || !a.Enabled {
		t.Errorf("v1: port 2 account %+v", a)
	}
	if _, err := m.Values([]string{vs + "SIP."}); faultCode(err) != 9005 {
		t.Errorf("issue 2 names in the issue 1 flavour: %v, want 9005", err)
	}
}
