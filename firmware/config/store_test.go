package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
)

const dir = "data/config"

func encode(t *testing.T, c config.Config) string {
	t.Helper()
	b, err := config.Encode(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func open(t *testing.T, fsys config.FS) *config.Store {
	t.Helper()
	s, err := config.Open(fsys, dir, config.Default(4), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func setName(name string) func(*config.Config) error {
	return func(c *config.Config) error { c.Device.Name = name; return nil }
}

func TestOpenFirstBootWritesDefaults(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys)
	got := s.Get()
	want := config.Default(4)
	want.Revision = 1
	if encode(t, got) != encode(t, want) {
		t.Errorf("Get() = %s, want %s", encode(t, got), encode(t, want))
	}
	data, err := fsys.ReadFile(dir + "/config.json")
	if err != nil || string(data) != encode(t, want) {
		t.Errorf("config.json = %q, %v", data, err)
	}
	recs, err := s.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Source != config.SourceDefault || recs[0].Rev != 1 || recs[0].Path != "" || recs[0].New == nil {
		t.Errorf("audit = %+v, want one default record", recs)
	}
	// A second boot finds the file and writes nothing.
	ops := fsys.Ops()
	s2 := open(t, fsys)
	if fsys.Ops() != ops {
		t.Errorf("reopen did %d mutating operations, want 0", fsys.Ops()-ops)
	}
	if encode(t, s2.Get()) != encode(t, want) {
		t.Errorf("reopen: Get() = %s", encode(t, s2.Get()))
	}
}

func TestOpenInvalidDefaults(t *testing.T) {
	def := config.Default(2)
	def.Device.Country = "XX"
	_, err := config.Open(configtest.New(), dir, def, nil)
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Field != "device.country" {
		t.Errorf("Open with bad defaults: %v, want a device.country FieldError", err)
	}
}

func TestUpdate(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys)
	old := s.Get()
	changes, err := s.Update(config.SourceWeb, "admin@192.0.2.7", func(c *config.Config) error {
		c.Device.Name = "Lab"
		c.Ports[1].Extension = "302"
		c.DialPlan.FlashMax = config.Duration(700 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`device.name: "OpenIAD" -> "Lab"`,
		`ports[1].extension: "202" -> "302"`,
		`dialPlan.flashMax: "800ms" -> "700ms"`,
	}
	if len(changes) != len(want) {
		t.Fatalf("changes = %v", changes)
	}
	for i := range want {
		if changes[i].String() != want[i] {
			t.Errorf("change %d = %s, want %s", i, changes[i], want[i])
		}
	}
	got := s.Get()
	if got.Revision != old.Revision+1 || got.Device.Name != "Lab" || got.Ports[1].Extension != "302" {
		t.Errorf("Get() after update = %+v", got)
	}
	// config.json has the new one, config.json.prev the old one.
	cur, _ := fsys.ReadFile(dir + "/config.json")
	prev, _ := fsys.ReadFile(dir + "/config.json.prev")
	if string(cur) != encode(t, got) || string(prev) != encode(t, old) {
		t.Errorf("files: config.json=%s prev=%s", cur, prev)
	}
	recs, err := s.Audit(3)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Source != config.SourceWeb || r.Who != "admin@192.0.2.7" || r.Rev != got.Revision ||
			r.Path != changes[i].Path || string(r.Old) != string(changes[i].Old) || string(r.New) != string(changes[i].New) || r.Time.IsZero() {
			t.Errorf("audit %d = %+v, want change %v", i, r, changes[i])
		}
	}
	if all, _ := s.Audit(0); len(all) != 4 {
		t.Errorf("Audit(0) has %d records, want 4", len(all))
	}
}

func TestUpdateRefused(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		src     config.Source
		fn      func(*config.Config) error
		wantErr string
	}{
		{"fn error", config.SourceWeb, func(*config.Config) error { return boom }, "config: update: boom"},
		{"invalid", config.SourceConsole, func(c *config.Config) error { c.Ports[0].Extension = "2x"; return nil }, "config: ports[0].extension: is \"2x\""},
		{"schema", config.SourceWeb, func(c *config.Config) error { c.Schema = config.SchemaVersion + 1; return nil }, "config: schema: is managed by the store"},
		{"revision", config.SourceWeb, func(c *config.Config) error { c.Revision = 99; return nil }, "config: revision: is managed by the store"},
		{"unknown source", "telnet", setName("x"), `config: unknown source "telnet"`},
		{"default source", config.SourceDefault, setName("x"), `config: unknown source "default"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := configtest.New()
			s := open(t, fsys)
			before, ops := encode(t, s.Get()), fsys.Ops()
			ch, err := s.Update(tt.src, "t", tt.fn)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) || ch != nil {
				t.Errorf("Update = %v, %v; want error %q", ch, err, tt.wantErr)
			}
			if tt.name == "fn error" && !errors.Is(err, boom) {
				t.Errorf("error does not wrap the caller's error")
			}
			if encode(t, s.Get()) != before || fsys.Ops() != ops {
				t.Errorf("a refused update changed something")
			}
		})
	}
}

func TestUpdateNoChange(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys)
	ops := fsys.Ops()
	ch, err := s.Update(config.SourceWeb, "t", func(c *config.Config) error { c.Device.Name = "OpenIAD"; return nil })
	if err != nil || ch != nil || fsys.Ops() != ops {
		t.Errorf("no-op update = %v, %v, %d ops", ch, err, fsys.Ops()-ops)
	}
}

func TestLocks(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := open(t, configtest.New())
	_, err := s.Update(config.SourceCWMP, "acs.example.net", func(c *config.Config) error {
		c.Device.Country = "US"
		c.Locks["device.country"] = config.Lock{By: config.SourceCWMP, At: at}
		c.Locks["ports[0]"] = config.Lock{By: config.SourceCWMP, At: at}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name      string
		fn        func(*config.Config) error
		field     string
		lock, msg string
	}{
		{"locked field", func(c *config.Config) error { c.Device.Country = "CN"; return nil },
			"device.country", "device.country", "config: device.country is locked by cwmp since 2025-03-01T12:00:00Z"},
		{"below a locked path", func(c *config.Config) error { c.Ports[0].Name = "fax"; return nil },
			"ports[0].name", "ports[0]", "config: ports[0].name is locked (lock on ports[0]) by cwmp since 2025-03-01T12:00:00Z"},
		{"remove a lock", func(c *config.Config) error { delete(c.Locks, "device.country"); return nil },
			`locks["device.country"].by`, "locks", `config: locks["device.country"].by: carrier locks can only be changed by cwmp`},
		{"add a lock", func(c *config.Config) error { c.Locks["device.name"] = config.Lock{By: config.SourceWeb}; return nil },
			`locks["device.name"].by`, "locks", `config: locks["device.name"].by: carrier locks can only be changed by cwmp`},
	}
	for _, src := range []config.Source{config.SourceWeb, config.SourceConsole, config.SourceSystem} {
		for _, tt := range refused {
			t.Run(string(src)+"/"+tt.name, func(t *testing.T) {
				before := encode(t, s.Get())
				_, err := s.Update(src, "someone", tt.fn)
				var le *config.LockedError
				if !errors.As(err, &le) {
					t.Fatalf("Update = %v, want a *LockedError", err)
				}
				if le.Field != tt.field || le.Lock != tt.lock || !strings.HasPrefix(le.Error(), tt.msg) {
					t.Errorf("LockedError = %+v %q, want field %s lock %s msg %q", le, le, tt.field, tt.lock, tt.msg)
				}
				if encode(t, s.Get()) != before {
					t.Errorf("refused update changed the config")
				}
			})
		}
	}
	// Unlocked fields stay editable locally.
	if _, err := s.Update(config.SourceWeb, "admin", func(c *config.Config) error { c.Ports[1].Name = "kitchen"; return nil }); err != nil {
		t.Errorf("web update of an unlocked field: %v", err)
	}
	// The carrier may change locked fields and the locks.
	ch, err := s.Update(config.SourceCWMP, "acs.example.net", func(c *config.Config) error {
		c.Device.Country = "DE"
		c.Ports[0].Name = "lobby"
		delete(c.Locks, "ports[0]")
		return nil
	})
	if err != nil || len(ch) != 4 { // country, name, locks[...].by, locks[...].at
		t.Fatalf("cwmp update = %v, %v", ch, err)
	}
	recs, _ := s.Audit(len(ch))
	for _, r := range recs {
		if r.Source != config.SourceCWMP || r.Who != "acs.example.net" {
			t.Errorf("audit record %+v, want source cwmp", r)
		}
	}
	if _, err := s.Update(config.SourceWeb, "admin", func(c *config.Config) error { c.Ports[0].Name = "hall"; return nil }); err != nil {
		t.Errorf("web update after the carrier unlocked ports[0]: %v", err)
	}
}

func TestWatch(t *testing.T) {
	s := open(t, configtest.New())
	ch, stop := s.Watch()
	if c := <-ch; c.Device.Name != "OpenIAD" {
		t.Errorf("first value = %+v, want the config in effect", c.Device)
	}
	select {
	case c := <-ch:
		t.Fatalf("unexpected value %+v", c.Device)
	default:
	}
	if _, err := s.Update(config.SourceWeb, "t", setName("one")); err != nil {
		t.Fatal(err)
	}
	if c := <-ch; c.Device.Name != "one" {
		t.Errorf("after update: %q", c.Device.Name)
	}
	// A slow reader gets only the latest value, and no Update blocks on it.
	for _, n := range []string{"two", "three", "four"} {
		if _, err := s.Update(config.SourceWeb, "t", setName(n)); err != nil {
			t.Fatal(err)
		}
	}
	if c := <-ch; c.Device.Name != "four" {
		t.Errorf("latest = %q, want four", c.Device.Name)
	}
	// Refused and empty updates notify nobody.
	s.Update(config.SourceWeb, "t", func(c *config.Config) error { c.Device.Name = ""; return nil })
	s.Update(config.SourceWeb, "t", setName("four"))
	select {
	case c := <-ch:
		t.Errorf("notified %q without a change", c.Device.Name)
	default:
	}
	// Watchers own their copy.
	s.Update(config.SourceWeb, "t", setName("five"))
	c := <-ch
	c.Ports[0].Extension = "999"
	if s.Get().Ports[0].Extension != "201" {
		t.Errorf("a watcher's copy aliases the store")
	}
	stop()
	stop()
	if _, ok := <-ch; ok {
		t.Errorf("channel open after stop")
	}
	if _, err := s.Update(config.SourceWeb, "t", setName("six")); err != nil {
		t.Errorf("update after a watcher stopped: %v", err)
	}
}

func TestGetIsDeepCopy(t *testing.T) {
	s := open(t, configtest.New())
	c := s.Get()
	c.Ports[0].Extension = "999"
	c.Locks["x"] = config.Lock{}
	if g := s.Get(); g.Ports[0].Extension != "201" || len(g.Locks) != 0 {
		t.Errorf("Get() aliases the store: %+v", g)
	}
	// fn's copy does not leak either when fn fails.
	s.Update(config.SourceWeb, "t", func(c *config.Config) error {
		c.Ports[0].Extension = "999"
		return errors.New("no")
	})
	if s.Get().Ports[0].Extension != "201" {
		t.Errorf("failed update leaked")
	}
}

func TestConcurrent(t *testing.T) {
	s := open(t, configtest.New())
	ch, stop := s.Watch()
	defer stop()
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				_, err := s.Update(config.SourceConsole, fmt.Sprint("w", w), func(c *config.Config) error {
					c.Ports[w].Name = fmt.Sprintf("w%d-%d", w, i)
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Add(2)
	go func() { // readers
		defer wg.Done()
		for range writers * each {
			c := s.Get()
			c.Ports[0].Name = "scribble"
		}
	}()
	go func() {
		defer wg.Done()
		for range writers * each {
			if _, err := s.Audit(2); err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Wait()
	got := s.Get()
	if got.Revision != 1+writers*each {
		t.Errorf("revision = %d, want %d", got.Revision, 1+writers*each)
	}
	for w := range writers {
		if want := fmt.Sprintf("w%d-%d", w, each-1); got.Ports[w].Name != want {
			t.Errorf("port %d name %q, want %q", w, got.Ports[w].Name, want)
		}
	}
	if last := <-ch; last.Revision != got.Revision {
		t.Errorf("watcher's latest revision %d, want %d", last.Revision, got.Revision)
	}
	recs, _ := s.Audit(0)
	if len(recs) != 1+writers*each {
		t.Errorf("%d audit records, want %d", len(recs), 1+writers*each)
	}
}

func TestCorruptFallsBack(t *testing.T) {
	good := config.Default(4)
	good.Revision = 7
	good.Device.Name = "good"
	goodJSON := encode(t, good)
	newer := strings.Replace(goodJSON, fmt.Sprintf(`"schema": %d`, config.SchemaVersion), `"schema": 9`, 1)
	tests := []struct {
		name          string
		primary, prev *string
		wantName      string
		wantLog       string
	}{
		{"garbage primary", ptr("{\"schema\":1,\x00\x00"), &goodJSON, "good", "config.json unusable"},
		{"empty primary", ptr(""), &goodJSON, "good", "config.json unusable"},
		{"newer schema", &newer, &goodJSON, "good", "newer firmware"},
		{"invalid primary", ptr(strings.Replace(goodJSON, `"201"`, `"2o1"`, 1)), &goodJSON, "good", "ports[0].extension"},
		{"unknown field", ptr(strings.Replace(goodJSON, `"name": "good"`, `"name": "good", "colour": "red"`, 1)), &goodJSON, "good", "unknown field"},
		{"missing primary", nil, &goodJSON, "good", "config.json missing"},
		{"both bad", ptr("nope"), ptr("{}"), "OpenIAD", "no usable configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := configtest.New()
			if tt.primary != nil {
				fsys.Put(dir+"/config.json", []byte(*tt.primary))
			}
			if tt.prev != nil {
				fsys.Put(dir+"/config.json.prev", []byte(*tt.prev))
			}
			var logs bytes.Buffer
			s, err := config.Open(fsys, dir, config.Default(4), slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Get().Device.Name; got != tt.wantName {
				t.Errorf("loaded name %q, want %q", got, tt.wantName)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log does not say %q:\n%s", tt.wantLog, logs.String())
			}
			// The next update must not overwrite the good previous file.
			if _, err := s.Update(config.SourceWeb, "t", setName("next")); err != nil {
				t.Fatal(err)
			}
			prev, _ := fsys.ReadFile(dir + "/config.json.prev")
			if tt.prev != nil && tt.wantName == "good" && string(prev) != goodJSON {
				t.Errorf("config.json.prev after update = %s, want the good one", prev)
			}
			// Power cut right after: still a good config.
			after := open(t, fsys.Reboot(configtest.LoseUnsynced))
			if n := after.Get().Device.Name; n != "next" {
				t.Errorf("after reboot: %q", n)
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestAuditTornLine(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys)
	if _, err := s.Update(config.SourceWeb, "t", setName("a")); err != nil {
		t.Fatal(err)
	}
	log, _ := fsys.ReadFile(dir + "/audit.log")
	fsys.Put(dir+"/audit.log", append(log, `{"time":"2025-01-01T00:00:00Z","rev":9,"sou`...))
	s = open(t, fsys)
	recs, err := s.Audit(0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Audit with a torn last line = %d records, %v; want 2", len(recs), err)
	}
	if _, err := s.Update(config.SourceWeb, "t", setName("b")); err != nil {
		t.Fatal(err)
	}
	recs, err = s.Audit(0)
	if err != nil || len(recs) != 3 || recs[2].Path != "device.name" || string(recs[2].New) != `"b"` {
		t.Errorf("after appending past a torn line: %+v, %v", recs, err)
	}
}

func TestWriteErrors(t *testing.T) {
	// Count the operations of one update.
	probe := configtest.New()
	s := open(t, probe)
	before := probe.Ops()
	s.Update(config.SourceWeb, "t", setName("x"))
	total := probe.Ops() - before
	if total < 8 {
		t.Fatalf("an update did only %d mutating operations", total)
	}
	diskFull := errors.New("no space left on device")
	for n := 1; n <= total; n++ {
		t.Run(fmt.Sprint("op", n), func(t *testing.T) {
			fsys := configtest.New()
			s := open(t, fsys)
			old := s.Get()
			fsys.FailAt(n, diskFull)
			_, err := s.Update(config.SourceWeb, "t", setName("x"))
			got := s.Get()
			if n == total { // the directory sync: the change is in place, its durability in doubt
				if err != nil || got.Device.Name != "x" {
					t.Errorf("failed dir sync: %v, %q", err, got.Device.Name)
				}
				return
			}
			if !errors.Is(err, diskFull) || encode(t, got) != encode(t, old) {
				t.Fatalf("Update = %v, config %s; want the error and the old config", err, got.Device.Name)
			}
			// The store goes on working, and a reboot finds a consistent state.
			if _, err := s.Update(config.SourceWeb, "t", setName("y")); err != nil {
				t.Fatalf("next update: %v", err)
			}
			s2 := open(t, fsys.Reboot(configtest.LoseUnsynced))
			if s2.Get().Device.Name != "y" {
				t.Errorf("after reboot %q, want y", s2.Get().Device.Name)
			}
			checkAudit(t, s2)
		})
	}
}

// checkAudit checks that the audit log reads and that the revision in
// effect has its records.
func checkAudit(t *testing.T, s *config.Store) []config.AuditRecord {
	t.Helper()
	recs, err := s.Audit(0)
	if err != nil {
		t.Fatalf("audit log unreadable: %v", err)
	}
	rev := s.Get().Revision
	found := false
	for _, r := range recs {
		if r.Rev == rev && r.Source != config.SourceSystem {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit record for revision %d in effect: %+v", rev, recs)
	}
	return recs
}

func TestOSFS(t *testing.T) {
	d := t.TempDir()
	s, err := config.Open(config.OSFS{}, d, config.Default(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(config.SourceConsole, "tech", setName("field")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"config.json", "config.json.prev", "audit.log"} {
		if _, err := os.Stat(filepath.Join(d, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(d, "config.json.tmp")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	s2, err := config.Open(config.OSFS{}, d, config.Default(2), nil)
	if err != nil || s2.Get().Device.Name != "field" {
		t.Fatalf("reopen: %v, %+v", err, s2.Get().Device)
	}
	recs, err := s2.Audit(0)
	if err != nil || len(recs) != 2 {
		t.Errorf("audit: %+v, %v", recs, err)
	}
	var line map[string]any
	raw, _ := os.ReadFile(filepath.Join(d, "audit.log"))
	last := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))[1]
	if err := json.Unmarshal(last, &line); err != nil || line["path"] != "device.name" || line["who"] != "tech" || line["source"] != "console" {
		t.Errorf("audit line %s: %v", last, err)
	}
	if _, err := config.Open(config.OSFS{}, filepath.Join(d, "missing"), config.Default(2), nil); err != nil {
		t.Errorf("Open on a missing dir: %v (want a running store on defaults)", err)
	}
}

// eioFS fails every read of config files, like a flash with a bad block.
type eioFS struct{ *configtest.FS }

func (f eioFS) ReadFile(name string) ([]byte, error) {
	if strings.Contains(name, "config.json") {
		return nil, errors.New("input/output error")
	}
	return f.FS.ReadFile(name)
}

func TestUnreadableIsNotOverwritten(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys)
	if _, err := s.Update(config.SourceWeb, "t", setName("precious")); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ops := fsys.Ops()
	s2, err := config.Open(eioFS{fsys}, dir, config.Default(4), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if s2.Get().Device.Name != "OpenIAD" || fsys.Ops() != ops {
		t.Errorf("unreadable files: got %q, %d writes; want the defaults in memory and no writes", s2.Get().Device.Name, fsys.Ops()-ops)
	}
	if !strings.Contains(logs.String(), "input/output error") {
		t.Errorf("log does not give the reason:\n%s", logs.String())
	}
	if got := open(t, fsys).Get().Device.Name; got != "precious" {
		t.Errorf("after the read error cleared: %q", got)
	}
}

func TestFactoryResetClearsEverythingIncludingLocks(t *testing.T) {
	dir := t.TempDir()
	s, err := config.Open(config.OSFS{}, dir, config.Default(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		c.Device.Country = "US"
		c.Locks["device.country"] = config.Lock{By: config.SourceCWMP}
		c.Ports[0].SIP = config.PortSIP{User: "100", Password: "secret"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(config.SourceConsole, "admin", func(c *config.Config) error { c.Device.Country = "CN"; return nil }); err == nil {
		t.Fatal("a locked field changed from the console")
	}
	if _, err := s.FactoryReset("admin@ttyS0", config.Default(2)); err != nil {
		t.Fatal(err)
	}
	got := s.Get()
	want := config.Default(2)
	if got.Device.Country != want.Device.Country || len(got.Locks) != 0 || got.Ports[0].SIP.Password != "" {
		t.Fatalf("after factory reset: country %q, locks %v, password kept %v", got.Device.Country, got.Locks, got.Ports[0].SIP.Password != "")
	}
	recs, err := s.Audit(0)
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	if last.Note != "factory reset" || last.Who != "admin@ttyS0" || last.Source != config.SourceSystem {
		t.Fatalf("last audit record %+v", last)
	}
	// It survives a reopen.
	s2, err := config.Open(config.OSFS{}, dir, config.Default(2), nil)
	if err != nil || len(s2.Get().Locks) != 0 || s2.Get().Device.Country != "CN" {
		t.Fatalf("reopened after reset: %+v, %v", s2.Get().Device, err)
	}
}
