package datamodel

import (
	"github.com/openiad/openiad/firmware/cwmp"
	"net/netip"
	"testing"
	"time"
)

type runtime struct{ url string }

func (r runtime) ConnectionRequestURL() string { return r.url }
func (r runtime) LastInform() time.Time        { return time.Time{} }

// TestInform: the forced-inform parameters carry the box's live facts.
func TestInform(t *testing.T) {
	m, _, _ := newModel(t, 2)
	m.o.Runtime = runtime{"http://192.0.2.10:7547/abc"}
	m.o.Status.WAN = func() (netip.Prefix, bool) { return netip.MustParsePrefix("192.0.2.10/24"), true }
	started := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	m.o.Device.Started = started
	m.o.Status.Now = func() time.Time { return started.Add(90 * time.Second) }
	got := map[string]string{}
	for _, v := range m.Inform() {
		got[v.Name] = v.Value
	}
	want := map[string]string{
		"Device.DeviceInfo.SoftwareVersion":             "1.2.3",
		"Device.ManagementServer.ConnectionRequestURL":  "http://192.0.2.10:7547/abc",
		"Device.IP.Interface.1.IPv4Address.1.IPAddress": "192.0.2.10",
		"Device.ManagementServer.ParameterKey":          "",
		"Device.RootDataModelVersion":                   "2.17",
	}
	for n, w := range want {
		if v, ok := got[n]; !ok || v != w {
			t.Errorf("Inform %s = %q (present %v), want %q", n, v, ok, w)
		}
	}
	if id := m.DeviceID(); id.OUI != DefaultOUI || id.SerialNumber != "SN1" || id.ProductClass != "IAD" {
		t.Errorf("DeviceID %+v", id)
	}
	for n, w := range map[string]string{
		"Device.DeviceInfo.UpTime":                           "90",
		"Device.IP.Interface.1.IPv4Address.1.SubnetMask":     "255.255.255.0",
		"Device.IP.Interface.1.IPv4Address.1.AddressingType": "DHCP",
		"Device.Time.CurrentLocalTime":                       "2026-11-22T08:01:30+08:00",
		"Device.Time.LocalTimeZone":                          "CST-8",
	} {
		if v := get(t, m, n); v != w {
			t.Errorf("%s = %q, want %q", n, v, w)
		}
	}
}

// TestStaticWAN: the ACS moves the WAN to a static address in one request.
func TestStaticWAN(t *testing.T) {
	m, st, _ := newModel(t, 2)
	set := func(vals ...string) error {
		var vs []cwmpValue
		for i := 0; i < len(vals); i += 2 {
			vs = append(vs, cwmpValue{Name: vals[i], Type: "xsd:string", Value: vals[i+1]})
		}
		_, err := m.Set(vs, "wan")
		return err
	}
	err := set("Device.DHCPv4.Client.1.Enable", "false",
		"Device.IP.Interface.1.IPv4Address.1.SubnetMask", "255.255.255.240",
		"Device.IP.Interface.1.IPv4Address.1.IPAddress", "198.51.100.5",
		"Device.Routing.Router.1.IPv4Forwarding.1.GatewayIPAddress", "198.51.100.1",
		"Device.DNS.Client.Server.2.DNSServer", "198.51.100.53")
	if err != nil {
		t.Fatal(err)
	}
	n := st.Get().Network
	if n.Mode != "static" || n.Address != "198.51.100.5/28" || n.Gateway != "198.51.100.1" || len(n.DNS) != 1 || n.DNS[0] != "198.51.100.53" {
		t.Errorf("network %+v", n)
	}
	if got := get(t, m, "Device.IP.Interface.1.IPv4Address.1.AddressingType"); got != "Static" {
		t.Errorf("AddressingType %s", got)
	}
	// A gateway outside the subnet is refused by the configuration: 9007
	// on the gateway parameter, nothing changes.
	if err := set("Device.Routing.Router.1.IPv4Forwarding.1.GatewayIPAddress", "203.0.113.1"); err == nil {
		t.Error("gateway outside the subnet accepted")
	} else if f, ok := err.(*cwmpSetFault); !ok || f.Faults[0].Code != 9007 || f.Faults[0].Name != "Device.Routing.Router.1.IPv4Forwarding.1.GatewayIPAddress" {
		t.Errorf("gateway outside the subnet: %v", err)
	}
}

type (
	cwmpValue    = cwmp.Value
	cwmpSetFault = cwmp.SetFault
)
