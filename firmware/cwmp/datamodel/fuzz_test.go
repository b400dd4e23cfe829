package datamodel

import (
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/cwmp"
)

// FuzzSet feeds SetParameterValues any name, type and value: it must
// answer with a fault or apply the value, and a refused request must leave
// the configuration as it was.
func FuzzSet(f *testing.F) {
	for _, s := range []struct{ name, typ, v string }{
		{net1 + "RegistrarServer", "xsd:string", "ims.example.net:5060"},
		{"Device.Time.LocalTimeZone", "xsd:string", "EST+5EDT,M3.2.0/2,M11.1.0/2"},
		{"Device.Time.LocalTimeZone", "xsd:string", "<+0545>-5:45"},
		{client1 + "RegisterURI", "xsd:string", "sip:a@b@c"},
		{net1 + "CodecList", "xsd:string", vs + "CodecProfile.2," + vs + "CodecProfile.9"},
		{"Device.ManagementServer.PeriodicInformTime", "xsd:dateTime", "2026-11-22T10:00:00+08:00"},
		{"Device.X_" + DefaultOUI + "_LockedParameters", "xsd:string", net1 + "," + client1 + "AuthUserName"},
		{"Device.IP.Interface.1.IPv4Address.1.SubnetMask", "xsd:string", "255.0.255.0"},
		{vs + "VoIPProfile.1.DTMFMethod", "xsd:string", "RFC2833,InBand"},
		{vs + "CodecProfile.1.PacketizationPeriod", "xsd:string", "20,30"},
		{"Device.DNS.Client.Server.3.DNSServer", "xsd:string", "8.8.8.8"},
	} {
		f.Add(s.name, s.typ, s.v)
	}
	f.Fuzz(func(t *testing.T, name, typ, v string) {
		fsys := configtest.New()
		st, err := config.Open(fsys, "config", config.Default(2), nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(Options{Config: st, FS: fsys, Dir: "cwmp", Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := m.AddObject(vs+"SIP.Client.", ""); err != nil {
			t.Fatal(err)
		}
		// A name that is no parameter picks a writable one, so that
		// the values, not the names, get explored.
		if _, err := m.Values([]string{name}); err != nil {
			w := writable(t, m)
			name = w[len(name)%len(w)]
		}
		before := st.Get()
		_, err = m.Set([]cwmp.Value{{Name: name, Type: typ, Value: v}}, "k")
		var sf *cwmp.SetFault
		var fault *cwmp.Fault
		switch {
		case err == nil:
			if _, err := m.Values([]string{name}); err != nil {
				t.Fatalf("set %s, cannot read it back: %v", name, err)
			}
		case errors.As(err, &sf):
			if len(sf.Faults) != 1 || sf.Faults[0].Code < 9005 || sf.Faults[0].Code > 9008 {
				t.Fatalf("faults %+v", sf.Faults)
			}
			after := st.Get()
			if d, _ := config.Diff(&before, &after); len(d) != 0 {
				t.Fatalf("refused, yet changed %v", d)
			}
		case errors.As(err, &fault):
			t.Fatalf("fault %v for one parameter", fault)
		default:
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzLoadState: any attributes.json gives a usable model.
func FuzzLoadState(f *testing.F) {
	good, _ := json.Marshal(state{Version: 1, ParameterKey: "k", Notify: map[string]int{net1 + "ServerDomain": 2},
		Acked: map[string]string{net1 + "ServerDomain": "a"}, Added: map[string]bool{"account:1": true}})
	f.Add(good)
	f.Add([]byte(`{"notify":null,"acked":{"Device.":"x"}}`))
	f.Add([]byte("\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := configtest.New()
		fsys.Put("cwmp/"+StateName, data)
		st, err := config.Open(fsys, "config", config.Default(2), nil)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(Options{Config: st, FS: fsys, Dir: "cwmp"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Values([]string{""}); err != nil {
			t.Fatal(err)
		}
		m.Changes()
		if _, err := m.Attributes([]string{"Device.ManagementServer."}); err != nil {
			t.Fatal(err)
		}
	})
}

func writable(t *testing.T, m *Model) []string {
	infos, err := m.Names("", false)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, i := range infos {
		if i.Writable && i.Name[len(i.Name)-1] != '.' {
			out = append(out, i.Name)
		}
	}
	return out
}
