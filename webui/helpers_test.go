package webui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
	"github.com/openiad/openiad/firmware/voip"
	"github.com/openiad/openiad/sip/ua"
)

// clock is a settable clock for sessions and the login limiter.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeStatus is a box with n FXS ports.
type fakeStatus struct {
	n      int
	alarms []console.Alarm
}

func (f *fakeStatus) Ports() []console.PortInfo {
	var out []console.PortInfo
	for i := 1; i <= f.n; i++ {
		st := "idle"
		if i == 2 {
			st = "connected"
		}
		out = append(out, console.PortInfo{Port: i, Kind: "fxs", Hook: "on-hook", Feed: "forward", State: st, Extension: "20" + string(rune('0'+i))})
	}
	return out
}

func (f *fakeStatus) Box() console.BoxInfo {
	return console.BoxInfo{Board: "sim", FXS: f.n, Started: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
}

func (f *fakeStatus) Alarms() []console.Alarm { return f.alarms }

const (
	adminPassword = "fresh-box-pw7"
	testFirst     = "first-boot-pw"
)

// bench is a web page over a real configuration store and account store
// in a temporary folder.
type bench struct {
	t     *testing.T
	srv   *Server
	cfg   *config.Store
	users *auth.Store
	clock *clock
	logs  *logbuf.Buffer
	dir   string
	first string // admin's first-boot password
	opts  Options
	sip   net.PacketConn // the socket under Options.Tap
}

// fakeRecords are call records in memory.
type fakeRecords struct{ recs []cdr.Record }

func (f *fakeRecords) Query(q cdr.Query) ([]cdr.Record, error) {
	var out []cdr.Record
	for i := len(f.recs) - 1; i >= 0; i-- {
		r := f.recs[i]
		if (q.Port == 0 || r.Port == q.Port) && (q.From.IsZero() || !r.Start.Before(q.From)) && (q.To.IsZero() || r.Start.Before(q.To)) {
			out = append(out, r)
		}
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

func (f *fakeRecords) WriteCSV(w io.Writer, q cdr.Query) error {
	recs, _ := f.Query(q)
	fmt.Fprintln(w, "seq,port,caller,callee")
	for _, r := range recs {
		fmt.Fprintf(w, "%d,%d,%s,%s\n", r.Seq, r.Port, r.Caller, r.Callee)
	}
	return nil
}

var testRecords = []cdr.Record{
	{Seq: 1, Port: 1, Extension: "201", Direction: cdr.Out, Caller: "201", Callee: "013800138000", CalleeSent: "013800138000",
		Start: time.Date(2026, 4, 30, 9, 0, 0, 0, time.UTC), Answer: time.Date(2026, 4, 30, 9, 0, 5, 0, time.UTC), End: time.Date(2026, 4, 30, 9, 2, 5, 0, time.UTC),
		Duration: 2 * time.Minute, Cause: cdr.CauseNormal, Q850: 16, ReleasedBy: cdr.ByCaller,
		Quality: cdr.Quality{Codec: "PCMA/8000", PacketsSent: 6000, PacketsReceived: 5990, LossPercent: 0.2, Jitter: 3 * time.Millisecond, MOS: 4.31}},
	{Seq: 2, Port: 2, Extension: "202", Direction: cdr.In, Caller: "02150001111", Callee: "202",
		Start: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC),
		Cause: cdr.CauseNoAnswer, Q850: 19, ReleasedBy: cdr.ByCaller},
}

func newBench(t testing.TB, mod func(*Options)) *bench {
	t.Helper()
	dir := t.TempDir()
	cfgDir := filepath.Join(dir, "config")
	if err := os.MkdirAll(cfgDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// The configuration lives in memory (configtest.FS: no fsync per
	// change, so the fuzz tables stay fast); the state folder holds the
	// accounts.
	store, err := config.Open(configtest.New(), cfgDir, config.Default(4), nil)
	if err != nil {
		t.Fatal(err)
	}
	users, first, err := auth.Open(filepath.Join(dir, "users"), &auth.Options{Iterations: 10})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	sipConn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sipConn.Close() })
	logs := logbuf.New(logbuf.Options{Size: 100, Level: slog.LevelDebug})
	o := Options{
		Config: store, Users: users, Status: &fakeStatus{n: 4, alarms: []console.Alarm{{Severity: "minor", Source: "media", Text: "3 late ticks since boot"}}},
		Registration: func(port int) (ua.RegState, bool) {
			switch port {
			case 1:
				return ua.RegState{Status: ua.RegRegistered, Server: "192.0.2.10:5060", Expires: clk.Now().Add(time.Hour)}, true
			case 2:
				return ua.RegState{Status: ua.RegFailed, Server: "192.0.2.10:5060", Code: 403, Reason: "403 Forbidden"}, true
			}
			return ua.RegState{}, false
		},
		Logs: logs, Version: "test-1.0", Now: clk.Now,
		LineTest: func(_ context.Context, port int) ([]console.Check, error) {
			return []console.Check{{Name: "battery feed", Result: "forward", OK: true}, {Name: "loop", Result: "on-hook", OK: true}}, nil
		},
		Tap: voip.NewTap(sipConn),
		Calls: func() []cdr.Call {
			return []cdr.Call{{Port: 2, Extension: "202", Direction: cdr.Out, Caller: "202", Callee: "013912345678", State: "connected",
				Start: clk.Now().Add(-95 * time.Second), Answer: clk.Now().Add(-90 * time.Second),
				Quality: cdr.Quality{Codec: "PCMU/8000", PacketsReceived: 4500, LossPercent: 1.25, Jitter: 4200 * time.Microsecond, EC: true, ERLE: 31.4, MOS: 4.12}}}
		},
		Records: &fakeRecords{recs: testRecords},
	}
	if mod != nil {
		mod(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	b := &bench{srv: srv, cfg: store, users: users, clock: clk, logs: logs, dir: dir, first: first, opts: o, sip: sipConn}
	if tt, ok := t.(*testing.T); ok {
		b.t = tt
	}
	return b
}

// req is one request to the bench's handler.
type req struct {
	method, path string
	body         string
	ctype        string
	json         bool
	cookie       string
	lang         string
	crossSite    bool
	header       map[string]string
}

type resp struct {
	*httptest.ResponseRecorder
}

func (r resp) text() string { return r.Body.String() }

func (r resp) decode(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.Body.String())
	}
	return m
}

func (b *bench) do(q req) resp {
	var body io.Reader = http.NoBody
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r := httptest.NewRequest(q.method, "https://box.example"+q.path, body)
	r.RemoteAddr = "192.0.2.50:40000"
	if q.ctype != "" {
		r.Header.Set("Content-Type", q.ctype)
	} else if q.body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if q.json {
		r.Header.Set("Accept", "application/json")
	}
	if q.cookie != "" {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: q.cookie})
	}
	if q.lang != "" {
		r.AddCookie(&http.Cookie{Name: LangCookie, Value: q.lang})
	}
	if q.crossSite {
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		r.Header.Set("Origin", "https://evil.example")
	} else if q.method == http.MethodPost {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", "https://box.example")
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	b.srv.ServeHTTP(w, r)
	return resp{w}
}

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

func jsonBody(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sessionOf(t testing.TB, r resp) string {
	t.Helper()
	for _, c := range r.Result().Cookies() {
		if c.Name == CookieName && c.Value != "" {
			return c.Value
		}
	}
	t.Fatalf("no session cookie in the answer (status %d): %s", r.Code, r.Body.String())
	return ""
}

// admin logs in as admin, changes the first-boot password and returns
// the session.
func (b *bench) admin(t testing.TB) string {
	t.Helper()
	r := b.do(req{method: "POST", path: "/login", body: form("user", auth.Admin, "password", b.first)})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/password" {
		t.Fatalf("first login: %d to %q", r.Code, r.Header().Get("Location"))
	}
	sid := sessionOf(t, r)
	r = b.do(req{method: "POST", path: "/password", cookie: sid, body: form("current", b.first, "new", adminPassword, "confirm", adminPassword)})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("password change: %d %s", r.Code, r.Body.String())
	}
	return sessionOf(t, r)
}

// installer adds an installer account and returns its session.
func (b *bench) installer(t testing.TB, adminSID string) string {
	t.Helper()
	r := b.do(req{method: "POST", path: "/users/add", cookie: adminSID, body: form("name", "fitter", "role", "installer", "password", "initial-pw-1")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("add installer: %d %s", r.Code, r.Body.String())
	}
	r = b.do(req{method: "POST", path: "/login", body: form("user", "fitter", "password", "initial-pw-1")})
	sid := sessionOf(t, r)
	r = b.do(req{method: "POST", path: "/password", cookie: sid, body: form("current", "initial-pw-1", "new", "installer-pw-2", "confirm", "installer-pw-2")})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("installer password change: %d %s", r.Code, r.Body.String())
	}
	return sessionOf(t, r)
}

func mustContain(t testing.TB, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("answer lacks %q:\n%s", w, clip(body))
		}
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "..."
	}
	return s
}

func configJSON(t testing.TB, s *config.Store) []byte {
	t.Helper()
	c := s.Get()
	b, err := config.Encode(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameConfig(t testing.TB, s *config.Store, before []byte, what string) {
	t.Helper()
	if after := configJSON(t, s); !bytes.Equal(before, after) {
		t.Errorf("%s changed the stored configuration", what)
	}
}

func newRequest(method, url, body string) *http.Request {
	r := httptest.NewRequest(method, url, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func serve(b *bench, r *http.Request) resp {
	w := httptest.NewRecorder()
	b.srv.ServeHTTP(w, r)
	return resp{w}
}
