package config

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMigrate(t *testing.T) {
	steps := map[int]migration{
		1: func(doc map[string]any) error { // rename "device.title" to "device.name"
			dev := doc["device"].(map[string]any)
			dev["name"] = dev["title"]
			delete(dev, "title")
			return nil
		},
		2: func(doc map[string]any) error { doc["added"] = true; return nil },
	}
	out, err := migrate([]byte(`{"schema":1,"device":{"title":"box"}}`), 1, 3, steps)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(out, &doc)
	if doc["schema"] != 3.0 || doc["added"] != true || doc["device"].(map[string]any)["name"] != "box" {
		t.Errorf("migrated = %s", out)
	}
	if _, err := migrate([]byte(`{"schema":1,"device":{}}`), 1, 4, steps); err == nil || !strings.Contains(err.Error(), "no migration from schema 3 to 4") {
		t.Errorf("missing step: %v", err)
	}
}

func TestDiffPaths(t *testing.T) {
	a := Default(2)
	b := Default(3)
	b.Locks["device.country"] = Lock{By: SourceCWMP}
	b.Ports[0].Enabled = false
	ch, err := Diff(&a, &b)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.String())
	}
	want := []string{
		"ports[0].enabled: true -> false",
		`ports[2].index: (none) -> 3`,
		`ports[2].kind: (none) -> "fxs"`,
		`ports[2].enabled: (none) -> true`,
		`ports[2].extension: (none) -> "203"`,
		`ports[2].name: (none) -> ""`,
		`ports[2].sip.enabled: (none) -> false`,
		`ports[2].sip.profile: (none) -> 0`,
		`ports[2].sip.user: (none) -> ""`,
		`ports[2].sip.authUser: (none) -> ""`,
		`ports[2].sip.password: (none) -> ""`,
		`ports[2].sip.displayName: (none) -> ""`,
		`locks["device.country"].by: (none) -> "cwmp"`,
		`locks["device.country"].at: (none) -> "0001-01-01T00:00:00Z"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Diff =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	back, _ := Diff(&b, &a)
	if len(back) != len(want) || back[1].New != nil || back[1].Path != "ports[2].index" {
		t.Errorf("reverse diff = %v", back)
	}
}

func TestCovers(t *testing.T) {
	for _, tt := range []struct {
		lock, path string
		want       bool
	}{
		{"device.country", "device.country", true},
		{"device", "device.country", true},
		{"ports[1]", "ports[1].extension", true},
		{"ports[1]", "ports[10].extension", false},
		{"device.c", "device.country", false},
		{"locks", `locks["x"].by`, true},
	} {
		if got := covers(tt.lock, tt.path); got != tt.want {
			t.Errorf("covers(%q, %q) = %v", tt.lock, tt.path, got)
		}
	}
}

func TestPasswordsNeverInChanges(t *testing.T) {
	a := Default(2)
	b := a.Clone()
	b.Ports[1].SIP.Password = "s3cret-Pa55"
	ch, err := Diff(&a, &b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 1 || ch[0].Path != "ports[1].sip.password" || string(ch[0].New) != `"***"` {
		t.Fatalf("changes %v, want the password change with its value hidden", ch)
	}
	if strings.Contains(ch[0].String(), "s3cret") {
		t.Fatal("password shown")
	}
}

func TestMigrateSchema1AddsSIP(t *testing.T) {
	v1 := `{"schema":1,"revision":3,"device":{"name":"shop","country":"US"},
	"ports":[{"index":1,"kind":"fxs","enabled":true,"extension":"201","name":"desk"}],
	"dialPlan":{"firstDigit":"10s","interDigit":"5s","offHookWarning":"30s","howlerTimeout":"1m0s","flashMin":"100ms","flashMax":"800ms"},
	"locks":{}}`
	c, err := Parse([]byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Schema != SchemaVersion || c.Device.Name != "shop" || c.Ports[0].Name != "desk" {
		t.Fatalf("migrated config lost data: %+v", c)
	}
	if len(c.SIP.Profiles) != 1 || c.SIP.Port != 5060 || c.Ports[0].SIP.Enabled {
		t.Fatalf("migration did not add the SIP defaults: %+v", c.SIP)
	}
}

func TestMigrateSchema2AddsManagement(t *testing.T) {
	old := Default(2)
	old.Device.Name = "shop"
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"network", "time", "syslog", "cwmp"} {
		delete(doc, k)
	}
	doc["schema"] = 2
	b, _ = json.Marshal(doc)
	c, err := Parse(b)
	if err != nil {
		t.Fatalf("schema 2 document refused: %v", err)
	}
	if c.Device.Name != "shop" || c.Network.Mode != NetDHCP || c.Time.Zone != "Asia/Shanghai" ||
		c.Syslog.Server != "" || c.CWMP.Enabled || c.CWMP.ConnectionRequestPort != 7547 {
		t.Fatalf("migration lost data or defaults: %+v", c)
	}
}
