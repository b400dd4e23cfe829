package browser

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/testrig/peers"
)

const (
	sipUser, sipPass = "1001", "carrier-pw-1001"
	newAdminPassword = "bench-Passw0rd"
)

// api is a JSON client of the box's page that checks its certificate
// against the fingerprint the box reported.
type api struct {
	t   *testing.T
	box *Box
	c   *http.Client
}

func newAPI(t *testing.T, b *Box) *api {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if got := fmt.Sprintf("% X", sum[:]); strings.ReplaceAll(got, " ", ":") != b.Fingerprint {
			return fmt.Errorf("certificate %s, the box said %s", got, b.Fingerprint)
		}
		return nil
	}}}
	t.Cleanup(tr.CloseIdleConnections)
	return &api{t: t, box: b, c: &http.Client{Jar: jar, Transport: tr}}
}

func (a *api) call(method, path string, in any, ctype string) (int, map[string]any) {
	a.t.Helper()
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(v)
	default:
		b, _ := json.Marshal(v)
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, _ := http.NewRequest(method, a.box.URL+path, body)
	req.Header.Set("Accept", "application/json")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		m = map[string]any{"raw": string(data)}
	}
	return resp.StatusCode, m
}

func waitFor(ctx context.Context, what string, every time.Duration, ok func() bool) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !ok() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// files lists the box's state files with their contents' hashes.
func files(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := readFile(p)
			out[p] = sha256.Sum256(data)
		}
		return nil
	})
	return out
}

// Issue 5's end-to-end story through the JSON API, on the sim board with
// a real Kamailio: forced password change, quick set-up, registration on
// the status page, the test-call button rings the phone, backup and
// restore, an unsigned image refused with nothing changed.
func TestWebOnSimBoard(t *testing.T) {
	peers.Need(t, "kamailio")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: sipUser, Password: sipPass}}})
	box := Start(t, 2)
	a := newAPI(t, box)

	code, m := a.call("POST", "/login", map[string]string{"user": "admin", "password": box.First}, "")
	if code != 200 || m["mustChangePassword"] != true {
		t.Fatalf("first login: %d %v", code, m)
	}
	if code, _ := a.call("GET", "/", nil, ""); code != http.StatusForbidden {
		t.Fatalf("status before the password change: %d", code)
	}
	if code, m := a.call("POST", "/password", map[string]string{"current": box.First, "new": newAdminPassword}, ""); code != 200 {
		t.Fatalf("password change: %d %v", code, m)
	}

	code, m = a.call("POST", "/setup", map[string]any{
		"device.country":             "CN",
		"sip.profiles[0].registrars": k.Addr().String(),
		"sip.profiles[0].domain":     k.Addr().String(),
		"ports[0].sip.enabled":       true,
		"ports[0].sip.user":          sipUser,
		"ports[0].sip.password":      sipPass,
	}, "")
	if code != 200 {
		t.Fatalf("quick set-up: %d %v", code, m)
	}
	var st map[string]any
	if err := waitFor(ctx, "registration on the status page", 100*time.Millisecond, func() bool {
		_, st = a.call("GET", "/", nil, "")
		p := st["ports"].([]any)[0].(map[string]any)
		return p["registration"] == "registered"
	}); err != nil {
		t.Fatalf("%v\nstatus: %v\nkamailio:\n%s", err, st, k.Log())
	}

	ph := box.Phones[0]
	if code, m := a.call("POST", "/setup/test-call", map[string]string{"port": "1"}, ""); code != 200 {
		t.Fatalf("test call: %d %v", code, m)
	}
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	err := ph.WaitRing(rctx)
	rcancel()
	if err != nil {
		t.Fatalf("the phone on port 1 did not ring: %v", err)
	}
	if code, _ := a.call("POST", "/setup/test-call", map[string]string{"port": "1"}, ""); code != http.StatusConflict {
		t.Errorf("a second test call on a ringing line: %d", code)
	}
	if err := ph.OffHook(); err != nil { // answer: the test call ends by itself
		t.Fatal(err)
	}
	if err := waitFor(ctx, "the test call ends", 50*time.Millisecond, func() bool {
		return box.Sys.Lines[0].State() == line.Signalling
	}); err != nil {
		t.Fatal(err)
	}
	ph.OnHook()

	req, _ := http.NewRequest("GET", box.URL+"/system/backup", nil)
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	backup, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || bytes.Contains(backup, []byte(sipPass)) {
		t.Fatalf("backup: %d, has the password: %v", resp.StatusCode, bytes.Contains(backup, []byte(sipPass)))
	}
	if code, m := a.call("POST", "/settings/device", map[string]string{"device.name": "Changed after the backup"}, ""); code != 200 {
		t.Fatalf("change: %d %v", code, m)
	}
	if code, m := a.call("POST", "/system/restore", backup, "application/json"); code != 200 {
		t.Fatalf("restore: %d %v", code, m)
	}
	c := box.Sys.Config.Get()
	if c.Device.Name != config.Default(2).Device.Name || c.Ports[0].SIP.Password != sipPass {
		t.Errorf("after restore: device %q, password kept %v", c.Device.Name, c.Ports[0].SIP.Password == sipPass)
	}

	before, rev := files(t, box.StateDir), c.Revision
	code, m = a.call("POST", "/system/upgrade", bytes.Repeat([]byte("unsigned firmware "), 5000), "application/octet-stream")
	if code != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(m["error"]), "nothing was written") {
		t.Errorf("unsigned image: %d %v", code, m)
	}
	if after := files(t, box.StateDir); len(after) != len(before) || box.Sys.Config.Get().Revision != rev {
		t.Errorf("a refused image changed the state: %d files before, %d after", len(before), len(after))
	} else {
		for p, h := range before {
			if after[p] != h {
				t.Errorf("a refused image changed %s", p)
			}
		}
	}
}
