package webui

import (
	"encoding/json"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// formFields lists the field names of every configuration form page.
func formFields(t testing.TB, b *bench, sid string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range append([]*formPage{pageSetup}, settingsPages...) {
		m := b.do(req{method: "GET", path: p.path, cookie: sid, json: true}).decode(t)
		for _, sec := range m["sections"].([]any) {
			for _, f := range sec.(map[string]any)["fields"].([]any) {
				out[p.path] = append(out[p.path], f.(map[string]any)["name"].(string))
			}
		}
	}
	return out
}

// Every field of config.Config is on a settings page.
func TestEveryConfigFieldIsOnAPage(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	onPage := map[string]bool{}
	for path, names := range formFields(t, b, sid) {
		if path == "/setup" {
			continue
		}
		for _, n := range names {
			onPage[n] = true
		}
	}
	c := b.cfg.Get()
	c.SIP.Profiles[0].Registrars = []string{"r"}
	c.SIP.Profiles[0].OutboundProxies = []string{"p"}
	var empty config.Config
	changes, err := config.Diff(&empty, &c)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		if ch.New == nil {
			continue // the empty configuration's null lists
		}
		p := ch.Path
		if i := strings.LastIndex(p, "["); i > 0 && strings.HasSuffix(p, "]") {
			p = p[:i] // a list item: the list is the field
		}
		switch {
		case p == "schema" || p == "revision" || strings.HasPrefix(p, "locks"):
			continue // managed by the store, the carrier
		case strings.HasSuffix(p, ".index") || strings.HasSuffix(p, ".kind"):
			continue // what the board has
		}
		if !onPage[p] {
			t.Errorf("configuration field %s is on no settings page", p)
		}
	}
}

func TestSaveSettings(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/settings/sip", cookie: sid, body: form(
		"sip.profiles[0].registrars", "sip1.example.net, sip2.example.net:5080",
		"sip.profiles[0].codecs", "PCMU,PCMA",
		"sip.profiles[0].registerExpires", "30m",
		"sip.profiles[0].transport", "tcp",
	)})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/settings/sip?saved=1" {
		t.Fatalf("save: %d %q %s", r.Code, r.Header().Get("Location"), clip(r.text()))
	}
	p := b.cfg.Get().SIP.Profiles[0]
	if !slices.Equal(p.Registrars, []string{"sip1.example.net", "sip2.example.net:5080"}) || !slices.Equal(p.Codecs, []string{"PCMU", "PCMA"}) ||
		p.RegisterExpires.D() != 30*time.Minute || p.Transport != "tcp" {
		t.Errorf("profile %+v", p)
	}
	r = b.do(req{method: "GET", path: "/settings/sip?saved=1", cookie: sid, lang: "zh"})
	mustContain(t, r.text(), "已保存", `value="sip1.example.net, sip2.example.net:5080"`)

	// Checkbox: the hidden "false" and the box's "true"; the last wins.
	r = b.do(req{method: "POST", path: "/settings/ports", cookie: sid, body: "ports%5B1%5D.enabled=false&ports%5B1%5D.enabled=true&ports%5B2%5D.enabled=false"})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("ports: %d %s", r.Code, clip(r.text()))
	}
	c := b.cfg.Get()
	if !c.Ports[1].Enabled || c.Ports[2].Enabled {
		t.Errorf("enabled: %v %v", c.Ports[1].Enabled, c.Ports[2].Enabled)
	}

	// JSON: a flat object; booleans and numbers as themselves.
	r = b.do(req{method: "POST", path: "/settings/device", cookie: sid, json: true, ctype: "application/json",
		body: `{"device.name":"Shop","device.country":"DE","sip.port":5070}`})
	if r.Code != 200 {
		t.Fatalf("JSON save: %d %s", r.Code, r.text())
	}
	if m := r.decode(t); m["ok"] != true || len(m["changes"].([]any)) != 3 {
		t.Errorf("answer %v", m)
	}
	if c := b.cfg.Get(); c.Device.Name != "Shop" || c.Device.Country != "DE" || c.SIP.Port != 5070 {
		t.Errorf("device %+v port %d", c.Device, c.SIP.Port)
	}
}

// Passwords are write-only: never in a page or its JSON, kept when the
// field is left empty.
func TestPasswordsWriteOnly(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	const secret = "carrier-secret-77"
	r := b.do(req{method: "POST", path: "/setup", cookie: sid, body: form(
		"sip.profiles[0].registrars", "192.0.2.10", "ports[0].sip.enabled", "true", "ports[0].sip.user", "1001", "ports[0].sip.password", secret)})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("set-up: %d %s", r.Code, clip(r.text()))
	}
	for _, p := range []string{"/setup", "/settings/accounts"} {
		for _, j := range []bool{false, true} {
			r := b.do(req{method: "GET", path: p, cookie: sid, json: j})
			if strings.Contains(r.text(), secret) {
				t.Errorf("%s (json %v) shows the password", p, j)
			}
		}
	}
	r = b.do(req{method: "GET", path: "/settings/accounts", cookie: sid})
	mustContain(t, r.text(), "(set — leave empty to keep)")
	r = b.do(req{method: "POST", path: "/settings/accounts", cookie: sid, body: form("ports[0].sip.password", "", "ports[0].sip.displayName", "Desk")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Code)
	}
	if a := b.cfg.Get().Ports[0].SIP; a.Password != secret || a.DisplayName != "Desk" {
		t.Errorf("account %+v", a)
	}
	rec, _ := b.cfg.Audit(0)
	for _, x := range rec {
		if strings.Contains(string(x.New), secret) {
			t.Error("the audit trail holds the password")
		}
	}
}

// A carrier-locked field is read-only with who locked it and the TR-069
// parameter that holds the lock; changing it is refused next to the field
// and nothing is stored.
func TestLockedField(t *testing.T) {
	const lockedParam = "Device.Services.VoiceService.1.CallControl.Line.1.DirectoryNumber"
	b := newBench(t, nil)
	sid := b.admin(t)
	at := time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)
	if _, err := b.cfg.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		c.Ports[0].SIP.User = "88001"
		c.Locks["ports[0].sip.user"] = config.Lock{By: config.SourceCWMP, At: at}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "zh"} {
		r := b.do(req{method: "GET", path: "/settings/accounts", cookie: sid, lang: lang})
		body := r.text()
		i := strings.Index(body, `id="ports[0].sip.user"`)
		if i < 0 {
			t.Fatal("no user field")
		}
		if tag := body[i : i+strings.Index(body[i:], ">")]; !strings.Contains(tag, "disabled") {
			t.Errorf("locked field is editable: %s", tag)
		}
		want := map[string]string{"en": "Locked by cwmp since 2026-04-01 09:30:00 UTC", "zh": "自 2026-04-01 09:30:00 UTC 起被 cwmp 锁定"}[lang]
		mustContain(t, body, want)
		mustContain(t, body, lockedParam) // which carrier parameter holds the lock
	}
	var fd struct{ Sections []section }
	if err := json.Unmarshal(b.do(req{method: "GET", path: "/settings/accounts", cookie: sid, json: true}).Body.Bytes(), &fd); err != nil {
		t.Fatal(err)
	}
	if l := index(fd.Sections)["ports[0].sip.user"].Locked; l == nil || l.By != "cwmp" || !l.At.Equal(at) || l.Path != "ports[0].sip.user" ||
		l.Param != lockedParam {
		t.Errorf("JSON lock %+v, want the TR-069 parameter %s", l, lockedParam)
	}
	before := configJSON(t, b.cfg)
	r := b.do(req{method: "POST", path: "/settings/accounts", cookie: sid, body: form("ports[0].sip.user", "99", "ports[0].sip.displayName", "x")})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("locked change: %d", r.Code)
	}
	mustContain(t, r.text(), "locked by the carrier (cwmp) since 2026-04-01 09:30 UTC", `value="99"`)
	sameConfig(t, b.cfg, before, "a locked change")
}

// garbage is what the fuzz table throws at every field.
var garbage = []string{
	"", " ", "abc", "-1", "0", "65536", "99999999999999999999999", "3.5", "1e9", "true", "on", "no",
	"10s", "-5s", "1000h", "0s", "udp", "PCMA,PCMA", "PCMX", "a b c d e f",
	strings.Repeat("9", 300), strings.Repeat("x", maxValueLen+1), strings.Repeat("中", 70),
	"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "'; DROP TABLE users; --",
	"$(reboot)", "`reboot`", "a\x00b", "a\r\nb", "\xff\xfe", "../../etc/passwd", "{{.}}", "%s%n%d",
	"sip:evil@x;lr", "1.2.3.4:99999", "[::1]:5060", "x|y[", "中文名称",
	"static", "192.0.2.10/24", "192.0.2.0/24", "10.0.0.1/33", "192.0.2.1", "4095", "575", "Asia/Shanghai", "../../../etc/localtime",
	"tcp", "debug", "https://acs.example.net/cwmp", "http://user:pw@acs/", "file:///etc/passwd", "2026-01-01T03:00:00+08:00",
	"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "tr104v1",
}

// check posts one value to one field and checks the invariants: a clear
// refusal naming the field with nothing stored, or a stored value.
func checkField(t testing.TB, b *bench, sid, path, name, value string, asJSON bool) {
	t.Helper()
	before := configJSON(t, b.cfg)
	q := req{method: "POST", path: path, cookie: sid, body: form(name, value)}
	if asJSON {
		q.json, q.ctype, q.body = true, "application/json", jsonBody(t, map[string]string{name: value})
	}
	r := b.do(q)
	switch r.Code {
	case http.StatusOK, http.StatusSeeOther:
		if r.Code == http.StatusSeeOther && asJSON || r.Code == http.StatusOK && !asJSON {
			t.Errorf("%s=%q: status %d for json %v", name, value, r.Code, asJSON)
		}
		c := b.cfg.Get()
		if err := c.Validate(); err != nil {
			t.Errorf("%s=%q stored an invalid configuration: %v", name, value, err)
		}
		reset(t, b, before)
	case http.StatusUnprocessableEntity:
		sameConfig(t, b.cfg, before, name+"="+value)
		if asJSON {
			var e apiError
			if err := json.Unmarshal(r.Body.Bytes(), &e); err != nil {
				t.Fatalf("%s=%q: %v", name, value, err)
			}
			named := false
			for _, f := range e.Fields {
				if f.Reason == "" {
					t.Errorf("%s=%q: empty reason", name, value)
				}
				// The field itself, or a field checked with it (same
				// parent) whose reason is shown on the page, or a reason
				// that names it.
				parent := name[:strings.LastIndexByte(name, '.')+1]
				leaf := name[len(parent):]
				if f.Field == name || strings.Contains(f.Reason, leaf) || strings.HasPrefix(f.Field, parent) && f.Field != "" {
					named = true
				}
			}
			if !named {
				t.Errorf("%s=%q: refusal does not name the field: %+v", name, value, e.Fields)
			}
		} else {
			body := r.text()
			if !strings.Contains(body, `class="ferr"`) && !strings.Contains(body, "<code>"+html.EscapeString(name)) {
				t.Errorf("%s=%q: no message next to the field or naming it", name, value)
			}
			if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
				t.Errorf("%s=%q: injection rendered as markup", name, value)
			}
		}
	default:
		t.Errorf("%s=%q (json %v): status %d\n%s", name, value, asJSON, r.Code, clip(r.text()))
	}
}

// reset puts the configuration back as it was (JSON before).
func reset(t testing.TB, b *bench, before []byte) {
	t.Helper()
	c, err := config.Parse(before)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.cfg.Update(config.SourceSystem, "test", func(cur *config.Config) error {
		c.Revision = cur.Revision
		*cur = c
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Every form field, every garbage value, as a form and as JSON.
func TestFormFieldsGarbage(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	pages := formFields(t, b, sid)
	n := 0
	for path, names := range pages {
		for i, name := range names {
			for j, v := range garbage {
				// Every field gets the huge values and the injection
				// strings, and a third of the rest in turn, as JSON; the
				// HTML form path gets a rotating share (same handler,
				// other rendering) to keep the test short. FuzzFormField
				// goes on from here.
				special := len(v) > 100 || strings.ContainsAny(v, "<>'`$\x00\r")
				if !special && (i+j)%3 != 0 {
					continue
				}
				checkField(t, b, sid, path, name, v, true)
				if (i+j)%8 == 0 || strings.ContainsAny(v, "<>") {
					checkField(t, b, sid, path, name, v, false)
				}
				n++
			}
		}
	}
	if n < 500 {
		t.Errorf("only %d cases", n)
	}
}

// Values of the wrong JSON type and unknown fields are named.
func TestWrongTypesAndUnknownFields(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	before := configJSON(t, b.cfg)
	tests := []struct{ path, body, field string }{
		{"/settings/device", `{"device.name":{"a":1}}`, "device.name"},
		{"/settings/ports", `{"ports[0].enabled":[1,2]}`, "ports[0].enabled"},
		{"/settings/device", `{"device.nam":"x"}`, "device.nam"},
		{"/settings/device", `{"ports[0].name":"x"}`, "ports[0].name"},
		{"/settings/ports", `{"ports[7].name":"x"}`, "ports[7].name"},
		{"/settings/dialplan", `{"dialPlan.flashMax":"60ms"}`, "dialPlan.flashMax"},
		{"/settings/sip", `{"sip.profiles[0].codecs":["PCMA",5]}`, "sip.profiles[0].codecs"},
	}
	for _, tc := range tests {
		r := b.do(req{method: "POST", path: tc.path, cookie: sid, json: true, ctype: "application/json", body: tc.body})
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.text(), tc.field) {
			t.Errorf("%s %s: %d %s", tc.path, tc.body, r.Code, r.text())
		}
	}
	for _, body := range []string{`{`, `[1]`, `{"a":"b"} x`, `"str"`} {
		r := b.do(req{method: "POST", path: "/settings/device", cookie: sid, json: true, ctype: "application/json", body: body})
		if r.Code != http.StatusBadRequest {
			t.Errorf("%q: %d", body, r.Code)
		}
	}
	sameConfig(t, b.cfg, before, "bad requests")
}

// Cross-field refusals reach the page: a duplicate extension is named on
// the port that repeats it.
func TestCrossFieldRefusal(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/settings/ports", cookie: sid, lang: "zh", body: form("ports[1].extension", "201")})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("%d", r.Code)
	}
	mustContain(t, r.text(), `&#34;201&#34; is already used by ports[0]`, "未保存任何内容")
}

func FuzzFormField(f *testing.F) {
	b := newBench(f, nil)
	sid := b.admin(f)
	pages := formFields(f, b, sid)
	type target struct{ path, name string }
	var targets []target
	for _, path := range []string{"/setup", "/settings/device", "/settings/ports", "/settings/accounts", "/settings/sip", "/settings/dialplan",
		"/settings/network", "/settings/time", "/settings/syslog", "/settings/tr069"} {
		for _, n := range pages[path] {
			targets = append(targets, target{path, n})
		}
	}
	for i, v := range garbage {
		f.Add(uint16(i*7), v, i%2 == 0)
	}
	f.Fuzz(func(t *testing.T, which uint16, value string, asJSON bool) {
		tg := targets[int(which)%len(targets)]
		checkField(t, b, sid, tg.path, tg.name, value, asJSON)
	})
}
