package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

func multipartBody(t testing.TB, field, name string, data []byte) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return buf.String(), w.FormDataContentType()
}

func TestBackupRestore(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	if _, err := b.cfg.Update(config.SourceWeb, "test", func(c *config.Config) error {
		c.Device.Name = "Before backup"
		c.SIP.Profiles[0].Registrars = []string{"192.0.2.10"}
		c.Ports[0].SIP = config.PortSIP{Enabled: true, User: "1001", Password: "pw-in-the-box"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := b.do(req{method: "GET", path: "/system/backup", cookie: sid})
	if r.Code != 200 || !strings.HasPrefix(r.Header().Get("Content-Disposition"), `attachment; filename="openiad-sim-rev`) {
		t.Fatalf("backup: %d %v", r.Code, r.Header())
	}
	file := r.Body.Bytes()
	if bytes.Contains(file, []byte("pw-in-the-box")) {
		t.Fatal("the default backup holds the SIP password")
	}
	var bk Backup
	if err := json.Unmarshal(file, &bk); err != nil || bk.Format != BackupFormat || bk.Board != "sim" || bk.Ports != 4 || bk.Passwords || bk.Firmware != "test-1.0" {
		t.Fatalf("backup envelope %+v %v", bk, err)
	}
	withPw := b.do(req{method: "GET", path: "/system/backup?passwords=1", cookie: sid}).Body.Bytes()
	if !bytes.Contains(withPw, []byte("pw-in-the-box")) {
		t.Error("the administrator's backup with passwords lacks them")
	}

	// Change things, restore the file: back as it was, password kept.
	if _, err := b.cfg.Update(config.SourceWeb, "test", func(c *config.Config) error {
		c.Device.Name = "After backup"
		c.Ports[1].Name = "Fax"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartBody(t, "file", "backup.json", file)
	r = b.do(req{method: "POST", path: "/system/restore", cookie: sid, body: body, ctype: ctype})
	if r.Code != 200 {
		t.Fatalf("restore: %d %s", r.Code, clip(r.text()))
	}
	mustContain(t, r.text(), "Configuration restored (2 changes)")
	c := b.cfg.Get()
	if c.Device.Name != "Before backup" || c.Ports[1].Name != "" || c.Ports[0].SIP.Password != "pw-in-the-box" {
		t.Errorf("after restore: %+v %+v", c.Device, c.Ports[0].SIP)
	}

	// Refusals, each with its reason; nothing changes.
	before := configJSON(t, b.cfg)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(file, &m)
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	cfgOf := func(m map[string]any) map[string]any { return m["config"].(map[string]any) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("PK\x03\x04 zip file"), "not JSON"},
		{"not a backup", []byte(`{"schema":2}`), "Not an OpenIAD configuration backup"},
		{"other board", edit(func(m map[string]any) { m["board"] = "acme-iad8" }), `this backup is from board "acme-iad8", this box is "sim"`},
		{"other ports", edit(func(m map[string]any) { m["ports"] = 8 }), "from a box with 8 ports, this one has 4"},
		{"newer schema", edit(func(m map[string]any) { cfgOf(m)["schema"] = config.SchemaVersion + 1; m["firmware"] = "v9.0" }),
			fmt.Sprintf("schema %d, written by a newer firmware (v9.0); this firmware knows up to schema %d", config.SchemaVersion+1, config.SchemaVersion)},
		{"newer format", edit(func(m map[string]any) { m["version"] = 2 }), "format version 2"},
		{"invalid", edit(func(m map[string]any) { cfgOf(m)["device"].(map[string]any)["country"] = "XX" }), "device.country"},
		{"unknown field", edit(func(m map[string]any) { cfgOf(m)["backdoor"] = true }), "backdoor"},
	}
	for _, tc := range tests {
		for _, asJSON := range []bool{false, true} {
			q := req{method: "POST", path: "/system/restore", cookie: sid, json: asJSON}
			if asJSON {
				q.body, q.ctype = string(tc.data), "application/json"
			} else {
				q.body, q.ctype = multipartBody(t, "file", "x.json", tc.data)
			}
			r := b.do(q)
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s (json %v): %d", tc.name, asJSON, r.Code)
			}
			text := htmlUnescape(r.text())
			if asJSON {
				text, _ = r.decode(t)["error"].(string)
			}
			mustContain(t, text, tc.want)
		}
	}
	sameConfig(t, b.cfg, before, "refused restores")

	// A restore that would change a carrier-locked field is refused.
	if _, err := b.cfg.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		c.Device.Name = "Carrier name"
		c.Locks["device.name"] = config.Lock{By: config.SourceCWMP, At: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before = configJSON(t, b.cfg)
	r = b.do(req{method: "POST", path: "/system/restore", cookie: sid, json: true, ctype: "application/json", body: string(file)})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("locked restore: %d", r.Code)
	}
	mustContain(t, r.text(), "device.name: locked by the carrier (cwmp)")
	sameConfig(t, b.cfg, before, "a restore over a lock")
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// stateFiles lists every file under dir with its size and time.
func stateFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			out[p] = info.ModTime().String() + " " + string(rune(info.Size()))
		}
		return nil
	})
	return out
}

func TestUpgradeRefusedWithoutSignatures(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	image := bytes.Repeat([]byte("\x7fELF not signed "), 40000) // 640 kB
	before := configJSON(t, b.cfg)
	files := stateFiles(t, b.dir)
	tmpBefore, _ := os.ReadDir(os.TempDir())
	body, ctype := multipartBody(t, "image", "openiad.img", image)
	r := b.do(req{method: "POST", path: "/system/upgrade", cookie: sid, body: body, ctype: ctype, lang: "zh"})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("upgrade: %d", r.Code)
	}
	mustContain(t, r.text(), "已拒绝，未写入任何内容", "已接收 640000 字节")
	r = b.do(req{method: "POST", path: "/system/upgrade", cookie: sid, body: string(image), ctype: "application/octet-stream", json: true})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("raw upgrade: %d", r.Code)
	}
	m := r.decode(t)
	if m["code"] != "upgrade_refused" || m["bytes"].(float64) != 640000 || len(m["sha256"].(string)) != 64 {
		t.Errorf("answer %v", m)
	}
	mustContain(t, m["error"].(string), "nothing was written", "signed images")
	sameConfig(t, b.cfg, before, "a refused upgrade")
	if after := stateFiles(t, b.dir); len(after) != len(files) {
		t.Errorf("files in the state folder: %d before, %d after", len(files), len(after))
	} else {
		for k, v := range files {
			if after[k] != v {
				t.Errorf("%s changed", k)
			}
		}
	}
	if tmpAfter, _ := os.ReadDir(os.TempDir()); len(tmpAfter) > len(tmpBefore) {
		t.Errorf("the upload left files in %s", os.TempDir())
	}
	// Too large: refused while streaming.
	r = b.do(req{method: "POST", path: "/system/upgrade", cookie: sid, body: strings.Repeat("x", MaxImageBytes+MaxFormBytes+1), ctype: "application/octet-stream", json: true})
	if r.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d", r.Code)
	}
}

func TestUpgradeHook(t *testing.T) {
	var got []byte
	b := newBench(t, func(o *Options) {
		o.Upgrade = func(_ context.Context, r io.Reader) error {
			got, _ = io.ReadAll(r)
			if !bytes.HasPrefix(got, []byte("SIGNED")) {
				return errors.New("signature does not verify")
			}
			return nil
		}
	})
	sid := b.admin(t)
	body, ctype := multipartBody(t, "image", "a.img", []byte("unsigned image"))
	r := b.do(req{method: "POST", path: "/system/upgrade", cookie: sid, body: body, ctype: ctype})
	if r.Code != http.StatusUnprocessableEntity || string(got) != "unsigned image" {
		t.Fatalf("%d %q", r.Code, got)
	}
	mustContain(t, r.text(), "signature does not verify")
	body, ctype = multipartBody(t, "image", "a.img", []byte("SIGNED image"))
	if r := b.do(req{method: "POST", path: "/system/upgrade", cookie: sid, body: body, ctype: ctype}); r.Code != http.StatusAccepted {
		t.Errorf("signed: %d", r.Code)
	}
}

func TestRebootAndReset(t *testing.T) {
	var reboots, resets int
	b := newBench(t, func(o *Options) {
		o.Reboot = func(context.Context) error { reboots++; return nil }
		o.FactoryReset = func(context.Context) error { resets++; return nil }
	})
	sid := b.admin(t)
	if r := b.do(req{method: "POST", path: "/system/reboot", cookie: sid, body: form("x", "y")}); r.Code != http.StatusUnprocessableEntity || reboots != 0 {
		t.Errorf("reboot without confirm: %d, %d reboots", r.Code, reboots)
	}
	if r := b.do(req{method: "POST", path: "/system/reboot", cookie: sid, body: form("confirm", "yes")}); r.Code != http.StatusAccepted || reboots != 1 {
		t.Errorf("reboot: %d, %d reboots", r.Code, reboots)
	}
	if r := b.do(req{method: "POST", path: "/system/factory-reset", cookie: sid, body: form("confirm", "yes"), json: true}); r.Code != http.StatusAccepted || resets != 1 {
		t.Errorf("reset: %d, %d resets", r.Code, resets)
	}
	// Without the hooks: not available, said so.
	b2 := newBench(t, nil)
	sid2 := b2.admin(t)
	r := b2.do(req{method: "POST", path: "/system/reboot", cookie: sid2, body: form("confirm", "yes")})
	if r.Code != http.StatusNotImplemented {
		t.Errorf("no hook: %d", r.Code)
	}
	mustContain(t, r.text(), "Not available on this build")
}

func TestSIPProfiles(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	if r := b.do(req{method: "POST", path: "/settings/sip/add", cookie: sid}); r.Code != http.StatusSeeOther {
		t.Fatalf("add: %d %s", r.Code, r.text())
	}
	if n := len(b.cfg.Get().SIP.Profiles); n != 2 {
		t.Fatalf("%d profiles", n)
	}
	if _, err := b.cfg.Update(config.SourceWeb, "t", func(c *config.Config) error {
		c.SIP.Profiles[1].Registrars = []string{"192.0.2.20"}
		c.Ports[2].SIP = config.PortSIP{Enabled: true, Profile: 1, User: "3"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := b.do(req{method: "POST", path: "/settings/sip/remove", cookie: sid, body: form("profile", "1"), json: true})
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.text(), "ports[2].sip.profile") {
		t.Errorf("remove a used profile: %d %s", r.Code, r.text())
	}
	for i := 0; i < 10; i++ {
		b.do(req{method: "POST", path: "/settings/sip/add", cookie: sid})
	}
	if n := len(b.cfg.Get().SIP.Profiles); n != 8 {
		t.Errorf("%d profiles, at most 8", n)
	}
}
