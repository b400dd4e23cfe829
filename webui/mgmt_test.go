package webui

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/syslog"
)

const testPEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUXb0=\n-----END CERTIFICATE-----\n"

// WAN, time and syslog settings are saved through their pages and are in
// the configuration; the quick set-up carries the WAN too.
func TestNetworkTimeSyslogSettings(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/settings/network", cookie: sid, body: form(
		"network.mode", "static", "network.address", "192.0.2.10/24", "network.gateway", "192.0.2.1",
		"network.dns", "192.0.2.53, 198.51.100.53", "network.hostname", "iad-shop", "network.vlan", "100", "network.mtu", "1492")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("network: %d %s", r.Code, clip(r.text()))
	}
	r = b.do(req{method: "POST", path: "/settings/time", cookie: sid, json: true, ctype: "application/json",
		body: `{"time.ntpServers":["ntp1.example.net","192.0.2.123"],"time.zone":"Europe/Berlin"}`})
	if r.Code != http.StatusOK {
		t.Fatalf("time: %d %s", r.Code, r.text())
	}
	r = b.do(req{method: "POST", path: "/settings/syslog", cookie: sid, body: form(
		"syslog.server", "logs.example.net:1514", "syslog.protocol", "tcp", "syslog.level", "debug")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("syslog: %d %s", r.Code, clip(r.text()))
	}
	c := b.cfg.Get()
	want := config.Network{Mode: "static", Address: "192.0.2.10/24", Gateway: "192.0.2.1", DNS: []string{"192.0.2.53", "198.51.100.53"},
		Hostname: "iad-shop", VLAN: 100, MTU: 1492}
	if n := c.Network; n.Mode != want.Mode || n.Address != want.Address || n.Gateway != want.Gateway || !slices.Equal(n.DNS, want.DNS) ||
		n.Hostname != want.Hostname || n.VLAN != want.VLAN || n.MTU != want.MTU {
		t.Errorf("network %+v", n)
	}
	if !slices.Equal(c.Time.NTPServers, []string{"ntp1.example.net", "192.0.2.123"}) || c.Time.Zone != "Europe/Berlin" {
		t.Errorf("time %+v", c.Time)
	}
	if c.Syslog != (config.Syslog{Server: "logs.example.net:1514", Protocol: "tcp", Level: "debug"}) {
		t.Errorf("syslog %+v", c.Syslog)
	}
	for _, lang := range []string{"en", "zh"} {
		r := b.do(req{method: "GET", path: "/settings/network", cookie: sid, lang: lang})
		mustContain(t, r.text(), `value="192.0.2.10/24"`, `value="192.0.2.53, 198.51.100.53"`, map[string]string{"en": "Static address", "zh": "静态地址"}[lang])
	}

	// A gateway outside the subnet is refused next to the field; nothing
	// is stored.
	before := configJSON(t, b.cfg)
	r = b.do(req{method: "POST", path: "/settings/network", cookie: sid, lang: "zh", body: form("network.gateway", "203.0.113.1")})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad gateway: %d", r.Code)
	}
	mustContain(t, r.text(), "is not in the WAN subnet 192.0.2.0/24", "未保存任何内容")
	r = b.do(req{method: "POST", path: "/settings/time", cookie: sid, json: true, ctype: "application/json", body: `{"time.zone":"Mars/Olympus"}`})
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.text(), "time.zone") {
		t.Errorf("bad zone: %d %s", r.Code, r.text())
	}
	sameConfig(t, b.cfg, before, "refused WAN and time")

	// The quick set-up sets the WAN back to DHCP.
	r = b.do(req{method: "GET", path: "/setup", cookie: sid})
	mustContain(t, r.text(), `name="network.mode"`, `name="network.gateway"`, `name="network.dns"`)
	r = b.do(req{method: "POST", path: "/setup", cookie: sid, body: form("network.mode", "dhcp", "network.address", "", "network.gateway", "")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("set-up WAN: %d %s", r.Code, clip(r.text()))
	}
	if n := b.cfg.Get().Network; n.Mode != "dhcp" || n.Address != "" {
		t.Errorf("after set-up %+v", n)
	}
}

// TR-069: an administrator sets every field; an installer sees them
// read-only and is refused, nothing stored; the passwords are write-only.
func TestTR069Settings(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/settings/tr069", cookie: sid, body: form(
		"cwmp.enabled", "true", "cwmp.url", "https://acs.example.net:7548/cwmp", "cwmp.username", "iad-0001", "cwmp.password", "acs-secret-1",
		"cwmp.periodicEnabled", "true", "cwmp.periodicInterval", "1h", "cwmp.periodicTime", "2026-01-01T03:00:00+08:00",
		"cwmp.connectionRequestPort", "7547", "cwmp.connectionRequestUsername", "acs", "cwmp.connectionRequestPassword", "cr-secret-2",
		"cwmp.caCerts", testPEM, "cwmp.dataModel", "tr104v1", "cwmp.retryMinimumWait", "10s", "cwmp.retryIntervalMultiplier", "1500")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("tr069: %d %s", r.Code, clip(r.text()))
	}
	w := b.cfg.Get().CWMP
	if !w.Enabled || w.URL != "https://acs.example.net:7548/cwmp" || w.Password != "acs-secret-1" || w.PeriodicInterval.D() != time.Hour ||
		!w.PeriodicTime.Equal(time.Date(2025, 12, 31, 19, 0, 0, 0, time.UTC)) || w.ConnectionRequestPassword != "cr-secret-2" ||
		w.CACerts != testPEM || w.DataModel != "tr104v1" || w.RetryMinimumWait.D() != 10*time.Second || w.RetryIntervalMultiplier != 1500 {
		t.Errorf("cwmp %+v", w)
	}
	for _, j := range []bool{false, true} {
		body := b.do(req{method: "GET", path: "/settings/tr069", cookie: sid, json: j}).text()
		if strings.Contains(body, "acs-secret-1") || strings.Contains(body, "cr-secret-2") {
			t.Errorf("the page (json %v) shows a TR-069 password", j)
		}
	}
	// The backup leaves the TR-069 passwords out unless asked for.
	if body := b.do(req{method: "GET", path: "/system/backup", cookie: sid}).text(); strings.Contains(body, "acs-secret") || !strings.Contains(body, "acs.example.net") {
		t.Error("the backup without passwords holds the ACS password, or no TR-069 settings")
	}

	inst := b.installer(t, sid)
	for _, lang := range []string{"en", "zh"} {
		body := b.do(req{method: "GET", path: "/settings/tr069", cookie: inst, lang: lang}).text()
		i := strings.Index(body, `id="cwmp.url"`)
		if i < 0 {
			t.Fatal("no ACS URL field")
		}
		if tag := body[i : i+strings.Index(body[i:], ">")]; !strings.Contains(tag, "disabled") {
			t.Errorf("the installer can edit the ACS URL: %s", tag)
		}
		mustContain(t, body, map[string]string{"en": "Administrators only", "zh": "仅限管理员"}[lang])
		if strings.Contains(body, `type="hidden" name="cwmp.enabled"`) {
			t.Error("a read-only checkbox still posts its hidden value")
		}
	}
	before := configJSON(t, b.cfg)
	for _, j := range []bool{false, true} {
		q := req{method: "POST", path: "/settings/tr069", cookie: inst, body: form("cwmp.url", "http://evil.example/acs")}
		if j {
			q.json, q.ctype, q.body = true, "application/json", `{"cwmp.url":"http://evil.example/acs"}`
		}
		r := b.do(q)
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.text(), "only an administrator may change this") || !strings.Contains(r.text(), "cwmp.url") {
			t.Errorf("installer change (json %v): %d %s", j, r.Code, clip(r.text()))
		}
	}
	sameConfig(t, b.cfg, before, "an installer's TR-069 change")
	// The installer may change the WAN.
	if r := b.do(req{method: "POST", path: "/settings/network", cookie: inst, body: form("network.hostname", "by-installer")}); r.Code != http.StatusSeeOther {
		t.Errorf("installer WAN: %d", r.Code)
	}
}

// A field the carrier locked on a new page is read-only with who locked
// it, and refused when posted.
func TestLockedManagementFields(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	at := time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
	if _, err := b.cfg.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		c.Syslog.Server = "syslog.carrier.example"
		c.Locks["syslog"] = config.Lock{By: config.SourceCWMP, At: at}
		c.Locks["network.vlan"] = config.Lock{By: config.SourceCWMP, At: at}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body := b.do(req{method: "GET", path: "/settings/syslog", cookie: sid, lang: "zh"}).text()
	mustContain(t, body, "自 2026-04-02 08:00:00 UTC 起被 cwmp 锁定")
	i := strings.Index(body, `id="syslog.server"`)
	if tag := body[i : i+strings.Index(body[i:], ">")]; !strings.Contains(tag, "disabled") {
		t.Errorf("locked syslog server editable: %s", tag)
	}
	before := configJSON(t, b.cfg)
	for _, tc := range []struct{ path, field, value string }{
		{"/settings/syslog", "syslog.server", "mine.example"},
		{"/settings/syslog", "syslog.level", "error"},
		{"/settings/network", "network.vlan", "7"},
	} {
		r := b.do(req{method: "POST", path: tc.path, cookie: sid, json: true, ctype: "application/json", body: jsonBody(t, map[string]string{tc.field: tc.value})})
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.text(), "locked by the carrier (cwmp)") {
			t.Errorf("%s: %d %s", tc.field, r.Code, r.text())
		}
	}
	sameConfig(t, b.cfg, before, "changes to locked fields")
}

// The syslog page says how the remote log fares.
func TestSyslogState(t *testing.T) {
	st := syslog.Stats{}
	b := newBench(t, func(o *Options) { o.Syslog = func() syslog.Stats { return st } })
	sid := b.admin(t)
	for _, tc := range []struct {
		st   syslog.Stats
		want map[string]string
	}{
		{syslog.Stats{}, map[string]string{"en": "The remote log is off.", "zh": "远程日志已关闭。"}},
		{syslog.Stats{Server: "192.0.2.5:514", Up: true, Sent: 12, Dropped: 1}, map[string]string{"en": "Sending the log to 192.0.2.5:514: 12 messages sent, 1 dropped.", "zh": "已发送 12 条，丢弃 1 条"}},
		{syslog.Stats{Server: "logs:514", Dropped: 40, LastErr: "connection refused"}, map[string]string{"en": "Cannot reach logs:514 (connection refused): 0 messages sent, 40 dropped so far.", "zh": "无法连接 logs:514（connection refused）"}},
	} {
		st = tc.st
		for lang, want := range tc.want {
			mustContain(t, b.do(req{method: "GET", path: "/settings/syslog", cookie: sid, lang: lang}).text(), want)
		}
	}
	if m := b.do(req{method: "GET", path: "/settings/syslog", cookie: sid, json: true}).decode(t); m["syslog"].(map[string]any)["dropped"] != 40.0 {
		t.Errorf("JSON %v", m["syslog"])
	}
}
