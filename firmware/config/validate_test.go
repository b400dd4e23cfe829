package config_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// fieldErrors flattens an errors.Join of *FieldError.
func fieldErrors(t *testing.T, err error) []*config.FieldError {
	t.Helper()
	if err == nil {
		return nil
	}
	var out []*config.FieldError
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *config.FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("error %q (%T) is not a *config.FieldError", e, e)
		}
		out = append(out, fe)
	}
	walk(err)
	return out
}

func TestDefaultIsValid(t *testing.T) {
	for _, n := range []int{0, 1, 4, 8, 64} {
		c := config.Default(n)
		if err := c.Validate(); err != nil {
			t.Errorf("Default(%d).Validate() = %v", n, err)
		}
		if len(c.Ports) != n {
			t.Errorf("Default(%d) has %d ports", n, len(c.Ports))
		}
	}
	c := config.Default(4)
	for i, want := range []string{"201", "202", "203", "204"} {
		if got := c.Ports[i].Extension; got != want || c.Ports[i].Index != i+1 || !c.Ports[i].Enabled {
			t.Errorf("Default(4).Ports[%d] = %+v, want index %d extension %s enabled", i, c.Ports[i], i+1, want)
		}
	}
	dp := c.DialPlan
	if dp.FirstDigit.D() != 10*time.Second || dp.InterDigit.D() != 5*time.Second ||
		dp.OffHookWarning.D() != 30*time.Second || dp.HowlerTimeout.D() != time.Minute ||
		dp.FlashMin.D() != 100*time.Millisecond || dp.FlashMax.D() != 800*time.Millisecond {
		t.Errorf("Default dial plan = %+v", dp)
	}
	if c.Device.Country != "CN" {
		t.Errorf("Default country = %q, want CN", c.Device.Country)
	}
}

func TestValidate(t *testing.T) {
	type want struct{ field, reason string } // reason: a substring
	ms := func(v int) config.Duration { return config.Duration(time.Duration(v) * time.Millisecond) }
	tests := []struct {
		name string
		edit func(c *config.Config)
		want []want
	}{
		{"default", func(c *config.Config) {}, nil},
		{"sip port", func(c *config.Config) { c.SIP.Port = 70000 }, []want{{"sip.port", "between 1 and 65535"}}},
		{"no sip profile", func(c *config.Config) { c.SIP.Profiles = nil }, []want{{"sip.profiles", "must have 1 to 8"}}},
		{"registrar syntax", func(c *config.Config) { c.SIP.Profiles[0].Registrars = []string{"sip.example.net:5060", "bad host;x"} }, []want{{"sip.profiles[0].registrars[1]", "not a host name"}}},
		{"registrar port", func(c *config.Config) { c.SIP.Profiles[0].Registrars = []string{"10.0.0.1:99999"} }, []want{{"sip.profiles[0].registrars[0]", "bad port"}}},
		{"transport", func(c *config.Config) { c.SIP.Profiles[0].Transport = "sctp" }, []want{{"sip.profiles[0].transport", `is "sctp", must be one of udp, tcp`}}},
		{"codec", func(c *config.Config) { c.SIP.Profiles[0].Codecs = []string{"PCMA", "G729", "PCMA"} }, []want{{"sip.profiles[0].codecs[1]", "must be one of PCMA, PCMU"}, {"sip.profiles[0].codecs[2]", "listed twice"}}},
		{"ptime", func(c *config.Config) { c.SIP.Profiles[0].PTime = config.Duration(15 * time.Millisecond) }, []want{{"sip.profiles[0].ptime", "10ms, 20ms or 30ms"}}},
		{"session expires", func(c *config.Config) { c.SIP.Profiles[0].SessionExpires = config.Duration(30 * time.Second) }, []want{{"sip.profiles[0].sessionExpires", "Min-SE"}}},
		{"digit map", func(c *config.Config) { c.SIP.Profiles[0].DigitMap = "[2-9xx" }, []want{{"sip.profiles[0].digitMap", "not closed"}}},
		{"rtp ports", func(c *config.Config) { c.SIP.Profiles[0].RTPPortMin = 10001 }, []want{{"sip.profiles[0].rtpPortMin", "even-started"}}},
		{"account without user", func(c *config.Config) {
			c.SIP.Profiles[0].Registrars = []string{"ims.example.net"}
			c.Ports[0].SIP.Enabled = true
		}, []want{{"ports[0].sip.user", "enabled account needs one"}}},
		{"account without server", func(c *config.Config) {
			c.Ports[1].SIP = config.PortSIP{Enabled: true, User: "+8675512345678"}
		}, []want{{"ports[1].sip.profile", "neither a registrar nor a domain"}}},
		{"header injection", func(c *config.Config) { c.Ports[0].SIP.DisplayName = "x\r\nVia: evil" }, []want{{"ports[0].sip.displayName", "one line"}}},
		{"schema", func(c *config.Config) { c.Schema = 7 }, []want{{"schema", "is 7"}}},
		{"empty name", func(c *config.Config) { c.Device.Name = "" }, []want{{"device.name", "is empty"}}},
		{"control char in name", func(c *config.Config) { c.Device.Name = "a\x07b" }, []want{{"device.name", "control characters"}}},
		{"long name", func(c *config.Config) { c.Device.Name = strings.Repeat("x", 65) }, []want{{"device.name", "longer than 64"}}},
		{"unknown country", func(c *config.Config) { c.Device.Country = "ZZ" }, []want{{"device.country", `"ZZ" has no tone plan`}}},
		{"lower-case country", func(c *config.Config) { c.Device.Country = "cn" }, []want{{"device.country", "upper-case ISO 3166"}}},
		{"other known country", func(c *config.Config) { c.Device.Country = "US" }, nil},
		{"extension letters", func(c *config.Config) { c.Ports[2].Extension = "20a" }, []want{{"ports[2].extension", "1 to 8 digits"}}},
		{"extension too long", func(c *config.Config) { c.Ports[0].Extension = "123456789" }, []want{{"ports[0].extension", "1 to 8 digits"}}},
		{"extension 8 digits", func(c *config.Config) { c.Ports[0].Extension = "12345678" }, nil},
		{"extension missing", func(c *config.Config) { c.Ports[1].Extension = "" }, []want{{"ports[1].extension", "needs one"}}},
		{"extension missing on disabled port", func(c *config.Config) { c.Ports[1].Extension = ""; c.Ports[1].Enabled = false }, nil},
		{"duplicate extension", func(c *config.Config) { c.Ports[3].Extension = "202" }, []want{{"ports[3].extension", `"202" is already used by ports[1]`}}},
		{"prefix extension", func(c *config.Config) { c.Ports[0].Extension = "20" }, []want{
			{"ports[0].extension", `"20" is a prefix of "202" (ports[1])`},
			{"ports[0].extension", `"20" is a prefix of "203" (ports[2])`},
			{"ports[0].extension", `"20" is a prefix of "204" (ports[3])`},
		}},
		{"longer extension has prefix", func(c *config.Config) { c.Ports[3].Extension = "2011" }, []want{{"ports[0].extension", `"201" is a prefix of "2011" (ports[3])`}}},
		{"index zero", func(c *config.Config) { c.Ports[0].Index = 0 }, []want{{"ports[0].index", "between 1 and 4"}}},
		{"index too high", func(c *config.Config) { c.Ports[0].Index = 5 }, []want{{"ports[0].index", "between 1 and 4"}}},
		{"index duplicate", func(c *config.Config) { c.Ports[1].Index = 1 }, []want{{"ports[1].index", "1 is already used by ports[0]"}}},
		{"kind", func(c *config.Config) { c.Ports[0].Kind = "fxo" }, []want{{"ports[0].kind", `is "fxo"`}}},
		{"port name", func(c *config.Config) { c.Ports[0].Name = "line\n1" }, []want{{"ports[0].name", "control characters"}}},
		{"first digit zero", func(c *config.Config) { c.DialPlan.FirstDigit = 0 }, []want{{"dialPlan.firstDigit", "is 0s, must be between 1s and 2m0s"}}},
		{"inter digit long", func(c *config.Config) { c.DialPlan.InterDigit = config.Duration(2 * time.Minute) }, []want{{"dialPlan.interDigit", "must be between 1s and 1m0s"}}},
		{"off-hook warning negative", func(c *config.Config) { c.DialPlan.OffHookWarning = -1 }, []want{{"dialPlan.offHookWarning", "must be between"}}},
		{"howler long", func(c *config.Config) { c.DialPlan.HowlerTimeout = config.Duration(time.Hour) }, []want{{"dialPlan.howlerTimeout", "must be between 1s and 10m0s"}}},
		{"flash max too long", func(c *config.Config) { c.DialPlan.FlashMax = ms(3000) }, []want{{"dialPlan.flashMax", "is 3s, must be between 50ms and 2s"}}},
		{"flash min too short", func(c *config.Config) { c.DialPlan.FlashMin = ms(5) }, []want{{"dialPlan.flashMin", "between 20ms and 1s"}}},
		{"flash min above max", func(c *config.Config) { c.DialPlan.FlashMin = ms(900) }, []want{{"dialPlan.flashMin", "must be shorter than dialPlan.flashMax"}}},
		{"flash equal", func(c *config.Config) { c.DialPlan.FlashMin = ms(800) }, []want{{"dialPlan.flashMin", "must be shorter"}}},
		{"lock bad path", func(c *config.Config) { c.Locks["device..country"] = config.Lock{By: config.SourceCWMP} }, []want{{`locks["device..country"]`, "not a field path"}}},
		{"lock bad source", func(c *config.Config) { c.Locks["device.country"] = config.Lock{By: "acs"} }, []want{{`locks["device.country"].by`, `is "acs"`}}},
		{"lock good", func(c *config.Config) {
			c.Locks["ports[0].extension"] = config.Lock{By: config.SourceCWMP}
			c.Locks[`x["a.b"][3]`] = config.Lock{By: config.SourceCWMP}
		}, nil},
		{"too many ports", func(c *config.Config) { *c = config.Default(65) }, []want{{"ports", "at most 64"}}},
		{"static wan", func(c *config.Config) {
			c.Network = config.Network{Mode: "static", Address: "192.0.2.10/24", Gateway: "192.0.2.1", DNS: []string{"192.0.2.53"}, Hostname: "iad-1", VLAN: 100, MTU: 1492}
		}, nil},
		{"static wan without address", func(c *config.Config) { c.Network.Mode = "static" }, []want{
			{"network.address", "IPv4 address with prefix length"}, {"network.gateway", "must be an IPv4 address"}}},
		{"wan mode", func(c *config.Config) { c.Network.Mode = "pppoe" }, []want{{"network.mode", "must be one of dhcp, static"}}},
		{"gateway outside subnet", func(c *config.Config) {
			c.Network = config.Network{Mode: "static", Address: "192.0.2.10/24", Gateway: "198.51.100.1", Hostname: "iad"}
		}, []want{{"network.gateway", "not in the WAN subnet 192.0.2.0/24"}}},
		{"network address as host", func(c *config.Config) {
			c.Network = config.Network{Mode: "static", Address: "192.0.2.0/24", Gateway: "192.0.2.1", Hostname: "iad"}
		}, []want{{"network.address", "network address"}}},
		{"dns", func(c *config.Config) { c.Network.DNS = []string{"8.8.8.8", "dns.example"} }, []want{{"network.dns[1]", "IPv4 address"}}},
		{"vlan", func(c *config.Config) { c.Network.VLAN = 4095 }, []want{{"network.vlan", "1 to 4094"}}},
		{"mtu", func(c *config.Config) { c.Network.MTU = 9000 }, []want{{"network.mtu", "576 to 1500"}}},
		{"hostname", func(c *config.Config) { c.Network.Hostname = "-bad_name" }, []want{{"network.hostname", "not a host name"}}},
		{"ntp server", func(c *config.Config) { c.Time.NTPServers = []string{"ntp.example.cn", "bad host"} }, []want{{"time.ntpServers[1]", "not a host name"}}},
		{"time zone", func(c *config.Config) { c.Time.Zone = "Mars/Olympus" }, []want{{"time.zone", "not a known time zone"}}},
		{"time zone path", func(c *config.Config) { c.Time.Zone = "../../etc/passwd" }, []want{{"time.zone", "IANA zone"}}},
		{"syslog", func(c *config.Config) {
			c.Syslog = config.Syslog{Server: "log.example.net:70000", Protocol: "tls", Level: "trace"}
		}, []want{{"syslog.server", "bad port"}, {"syslog.protocol", "one of udp, tcp"}, {"syslog.level", "one of debug, info, warn, error"}}},
		{"acs url", func(c *config.Config) { c.CWMP.Enabled = true; c.CWMP.URL = "ftp://acs.example.net" }, []want{{"cwmp.url", "http:// or https://"}}},
		{"acs url with password", func(c *config.Config) { c.CWMP.URL = "https://u:p@acs.example.net/" }, []want{{"cwmp.url", "without credentials"}}},
		{"acs enabled", func(c *config.Config) { c.CWMP.Enabled = true; c.CWMP.URL = "https://acs.example.net:7547/cwmp" }, nil},
		{"periodic interval", func(c *config.Config) { c.CWMP.PeriodicInterval = config.Duration(10 * time.Second) }, []want{{"cwmp.periodicInterval", "between 30s"}}},
		{"cwmp credentials", func(c *config.Config) { c.CWMP.Password = "a\r\nb" }, []want{{"cwmp.password", "control characters"}}},
		{"ca certs", func(c *config.Config) { c.CWMP.CACerts = "not pem" }, []want{{"cwmp.caCerts", "no PEM"}}},
		{"data model", func(c *config.Config) { c.CWMP.DataModel = "tr098" }, []want{{"cwmp.dataModel", "tr104v2, tr104v1"}}},
		{"retry", func(c *config.Config) { c.CWMP.RetryIntervalMultiplier = 999; c.CWMP.RetryMinimumWait = 0 }, []want{
			{"cwmp.retryMinimumWait", "between 1s"}, {"cwmp.retryIntervalMultiplier", "between 1000"}}},
		{"several at once", func(c *config.Config) {
			c.Device.Country = ""
			c.Ports[1].Extension = "x"
			c.DialPlan.FlashMax = ms(10)
		}, []want{
			{"device.country", "upper-case"},
			{"ports[1].extension", "digits"},
			{"dialPlan.flashMax", "between 50ms and 2s"},
			{"dialPlan.flashMin", "must be shorter"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default(4)
			tt.edit(&c)
			got := fieldErrors(t, c.Validate())
			if len(got) != len(tt.want) {
				t.Fatalf("Validate() = %v, want %d errors %v", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got[i].Field != w.field || !strings.Contains(got[i].Reason, w.reason) {
					t.Errorf("error %d = {%s, %s}, want {%s, ...%s...}", i, got[i].Field, got[i].Reason, w.field, w.reason)
				}
				if msg := got[i].Error(); !strings.HasPrefix(msg, "config: "+w.field+": ") {
					t.Errorf("Error() = %q, want prefix %q", msg, "config: "+w.field+": ")
				}
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{`"10s"`, 10 * time.Second, ""},
		{`"800ms"`, 800 * time.Millisecond, ""},
		{`"1m30s"`, 90 * time.Second, ""},
		{`"ten"`, 0, `bad duration "ten"`},
		{`10`, 0, "cannot unmarshal number"},
	}
	for _, tt := range tests {
		var d config.Duration
		err := json.Unmarshal([]byte(tt.in), &d)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: err = %v, want %q", tt.in, err, tt.wantErr)
		case tt.wantErr == "" && d.D() != tt.want:
			t.Errorf("%s: got %v, want %v", tt.in, d, tt.want)
		}
	}
}

func TestDurationMarshal(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{{10 * time.Second, `"10s"`}, {100 * time.Millisecond, `"100ms"`}, {0, `"0s"`}, {90 * time.Second, `"1m30s"`}} {
		b, err := json.Marshal(config.Duration(tt.d))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", tt.d, b, err, tt.want)
		}
	}
}
