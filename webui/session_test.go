package webui

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/console/auth"
)

func TestFirstLoginForcesNewPassword(t *testing.T) {
	b := newBench(t, nil)
	if b.first == "" {
		t.Fatal("no first-boot password")
	}
	r := b.do(req{method: "POST", path: "/login", body: form("user", "admin", "password", b.first)})
	if r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/password" {
		t.Fatalf("first login: %d to %q", r.Code, r.Header().Get("Location"))
	}
	sid := sessionOf(t, r)
	// Every page but the password page is closed until the change.
	for _, p := range []string{"/", "/settings/device", "/system", "/users"} {
		if r := b.do(req{method: "GET", path: p, cookie: sid}); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/password" {
			t.Errorf("GET %s before the change: %d %q", p, r.Code, r.Header().Get("Location"))
		}
		if r := b.do(req{method: "GET", path: p, cookie: sid, json: true}); r.Code != http.StatusForbidden || r.decode(t)["code"] != "password_change_required" {
			t.Errorf("GET %s as JSON before the change: %d", p, r.Code)
		}
	}
	before := configJSON(t, b.cfg)
	if r := b.do(req{method: "POST", path: "/settings/device", cookie: sid, body: form("device.name", "x")}); r.Code != http.StatusForbidden {
		t.Errorf("a change before the password: %d", r.Code)
	}
	sameConfig(t, b.cfg, before, "a change before the password")
	r = b.do(req{method: "GET", path: "/password", cookie: sid, lang: "zh"})
	mustContain(t, r.text(), "密码规则", "8 到 128 个字符")

	// The policy, each rule with its message next to the field.
	bad := []struct{ current, nw, confirm, field, msg string }{
		{"wrong", "good-new-pw1", "good-new-pw1", "current", "This is not the current password"},
		{b.first, "short", "short", "new", "at least 8"},
		{b.first, "my-admin-pw", "my-admin-pw", "new", "contains the user name"},
		{b.first, "xxxxxxxxxx", "xxxxxxxxxx", "new", "one character repeated"},
		{b.first, "good-new-pw1", "good-new-pw2", "confirm", "differ"},
		{b.first, b.first, b.first, "new", "must differ from the current"},
	}
	for _, tc := range bad {
		r := b.do(req{method: "POST", path: "/password", cookie: sid, json: true, ctype: "application/json",
			body: jsonBody(t, map[string]string{"current": tc.current, "new": tc.nw, "confirm": tc.confirm})})
		if r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%+v: %d", tc, r.Code)
			continue
		}
		m := r.decode(t)
		fields, _ := m["fields"].([]any)
		found := false
		for _, f := range fields {
			f := f.(map[string]any)
			if f["field"] == tc.field && strings.Contains(f["reason"].(string), tc.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("%+v: %v", tc, m)
		}
	}
	if !b.users.FirstBoot(auth.Admin) {
		t.Fatal("refused changes changed the password")
	}
	r = b.do(req{method: "POST", path: "/password", cookie: sid, body: form("current", b.first, "new", adminPassword, "confirm", adminPassword)})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("change: %d %s", r.Code, clip(r.text()))
	}
	nsid := sessionOf(t, r)
	if nsid == sid {
		t.Error("the session ID must change with the password")
	}
	if r := b.do(req{method: "GET", path: "/", cookie: sid}); r.Code != http.StatusSeeOther || r.Header().Get("Location") != "/login" {
		t.Errorf("the old session still works: %d", r.Code)
	}
	if r := b.do(req{method: "GET", path: "/", cookie: nsid}); r.Code != http.StatusOK {
		t.Errorf("the new session: %d", r.Code)
	}
	if b.users.FirstBoot(auth.Admin) || !b.users.Verify(auth.Admin, adminPassword) {
		t.Error("password not stored")
	}
	// The first-boot password is gone for good.
	if r := b.do(req{method: "POST", path: "/login", body: form("user", "admin", "password", b.first)}); r.Code != http.StatusUnauthorized {
		t.Errorf("first-boot password after the change: %d", r.Code)
	}
}

func TestSessionCookie(t *testing.T) {
	b := newBench(t, nil)
	r := b.do(req{method: "POST", path: "/login", body: form("user", "admin", "password", b.first)})
	var c *http.Cookie
	for _, k := range r.Result().Cookies() {
		if k.Name == CookieName {
			c = k
		}
	}
	if c == nil {
		t.Fatal("no cookie")
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie %+v", c)
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(raw) != 16 {
		t.Errorf("session ID %q is not 128 bits", c.Value)
	}
	ids := map[string]bool{}
	for range 50 {
		id := newID()
		if ids[id] {
			t.Fatal("repeated session ID")
		}
		ids[id] = true
	}
	// A forged or unknown ID is no session.
	for _, id := range []string{"", "x", strings.Repeat("A", 22), c.Value + "x"} {
		if r := b.do(req{method: "GET", path: "/", cookie: id, json: true}); r.Code != http.StatusUnauthorized {
			t.Errorf("cookie %q: %d", id, r.Code)
		}
	}
}

func TestLabCookieOverHTTP(t *testing.T) {
	b := newBench(t, func(o *Options) { o.Lab = true })
	r := httptestPost(b, "http://box.example/login", form("user", "admin", "password", b.first))
	for _, k := range r.Result().Cookies() {
		if k.Name == CookieName && k.Secure {
			t.Error("lab mode over plain HTTP: Secure cookie would never come back")
		}
	}
}

func TestIdleTimeoutAndLogout(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	b.clock.Add(DefaultIdleTimeout - time.Second)
	if r := b.do(req{method: "GET", path: "/", cookie: sid}); r.Code != http.StatusOK {
		t.Fatalf("before the idle timeout: %d", r.Code)
	}
	b.clock.Add(DefaultIdleTimeout - time.Second) // each request restarts the idle time
	if r := b.do(req{method: "GET", path: "/", cookie: sid}); r.Code != http.StatusOK {
		t.Fatalf("a used session timed out: %d", r.Code)
	}
	b.clock.Add(DefaultIdleTimeout)
	if r := b.do(req{method: "GET", path: "/", cookie: sid, json: true}); r.Code != http.StatusUnauthorized {
		t.Errorf("after the idle timeout: %d", r.Code)
	}

	sid = login(t, b, "admin", adminPassword)
	r := b.do(req{method: "POST", path: "/logout", cookie: sid})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Code)
	}
	for _, k := range r.Result().Cookies() {
		if k.Name == CookieName && (k.MaxAge >= 0 || k.Value != "") {
			t.Errorf("logout leaves the cookie: %+v", k)
		}
	}
	if r := b.do(req{method: "GET", path: "/", cookie: sid, json: true}); r.Code != http.StatusUnauthorized {
		t.Errorf("after logout: %d", r.Code)
	}

	// However busy, a session ends after MaxSessionAge.
	sid = login(t, b, "admin", adminPassword)
	for range int(MaxSessionAge / (DefaultIdleTimeout / 2)) {
		b.clock.Add(DefaultIdleTimeout / 2)
		b.do(req{method: "GET", path: "/", cookie: sid})
	}
	if r := b.do(req{method: "GET", path: "/", cookie: sid, json: true}); r.Code != http.StatusUnauthorized {
		t.Errorf("after MaxSessionAge: %d", r.Code)
	}
}

func login(t testing.TB, b *bench, user, pw string) string {
	t.Helper()
	r := b.do(req{method: "POST", path: "/login", body: form("user", user, "password", pw)})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("login %s: %d %s", user, r.Code, clip(r.text()))
	}
	return sessionOf(t, r)
}

func TestLoginLockout(t *testing.T) {
	b := newBench(t, nil)
	b.admin(t)
	for i := 1; i < DefaultMaxFailures; i++ {
		r := b.do(req{method: "POST", path: "/login", body: form("user", "admin", "password", "guess"+strconv.Itoa(i))})
		if r.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.Code)
		}
		mustContain(t, r.text(), "Wrong user or password")
	}
	r := b.do(req{method: "POST", path: "/login", body: form("user", "admin", "password", "guess5")})
	if r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") != "300" {
		t.Fatalf("the failure that locks: %d, Retry-After %q", r.Code, r.Header().Get("Retry-After"))
	}
	mustContain(t, r.text(), "Too many failed logins", "5m 00s")
	// Locked: even the right password is refused, and the page says so.
	b.clock.Add(time.Minute)
	r = b.do(req{method: "POST", path: "/login", body: form("user", "admin", "password", adminPassword), json: true})
	if r.Code != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d", r.Code)
	}
	if m := r.decode(t); m["code"] != "locked" || m["retryAfterSeconds"].(float64) != 240 {
		t.Errorf("JSON while locked: %v", m)
	}
	r = b.do(req{method: "GET", path: "/login", lang: "zh"})
	mustContain(t, r.text(), "登录失败次数过多", "4m 00s")
	// The account is locked from other addresses too.
	r2 := httptestPost(b, "https://box.example/login", form("user", "admin", "password", adminPassword))
	if r2.Code != http.StatusTooManyRequests {
		t.Errorf("another address, same account: %d", r2.Code)
	}
	b.clock.Add(4 * time.Minute)
	login(t, b, "admin", adminPassword)
}

func TestRoles(t *testing.T) {
	b := newBench(t, nil)
	asid := b.admin(t)
	isid := b.installer(t, asid)
	for _, rt := range b.srv.Routes() {
		if !rt.Admin {
			continue
		}
		r := b.do(req{method: rt.Method, path: concrete(rt), cookie: isid, body: form("name", "fitter"), json: true})
		if r.Code != http.StatusForbidden || r.decode(t)["code"] != "forbidden" {
			t.Errorf("installer %s: %d", rt.Pattern(), r.Code)
		}
	}
	if r := b.do(req{method: "GET", path: "/", cookie: isid}); strings.Contains(r.text(), `href="/users"`) {
		t.Error("the installer's menu shows the accounts page")
	}
	if r := b.do(req{method: "GET", path: "/system/backup?passwords=1", cookie: isid}); r.Code != http.StatusForbidden {
		t.Errorf("installer backup with passwords: %d", r.Code)
	}
	// The installer sets up lines.
	r := b.do(req{method: "POST", path: "/settings/ports", cookie: isid, body: form("ports[0].name", "Front desk")})
	if r.Code != http.StatusSeeOther {
		t.Errorf("installer changes a port: %d %s", r.Code, clip(r.text()))
	}
	if got := b.cfg.Get().Ports[0].Name; got != "Front desk" {
		t.Errorf("port name %q", got)
	}
	rec, _ := b.cfg.Audit(1)
	if len(rec) != 1 || rec[0].Who != "fitter@web" || rec[0].Source != "web" {
		t.Errorf("audit %+v", rec)
	}
	// Removing the installer ends its session.
	if r := b.do(req{method: "POST", path: "/users/remove", cookie: asid, body: form("name", "fitter")}); r.Code != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.Code)
	}
	if r := b.do(req{method: "GET", path: "/", cookie: isid, json: true}); r.Code != http.StatusUnauthorized {
		t.Errorf("a removed account's session: %d", r.Code)
	}
	// The administrator cannot remove admin or itself.
	for _, n := range []string{"admin"} {
		if r := b.do(req{method: "POST", path: "/users/remove", cookie: asid, body: form("name", n), json: true}); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("remove %s: %d", n, r.Code)
		}
	}
	r = b.do(req{method: "POST", path: "/users/add", cookie: asid, body: form("name", "Bad Name", "role", "installer", "password", "whatever-1")})
	if r.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad name: %d", r.Code)
	}
	mustContain(t, r.text(), "use a-z")
}

// An installer may not change the administrator-only paths; with no
// such field in the configuration yet, checkRole is tested directly.
func TestCheckRole(t *testing.T) {
	b := newBench(t, nil)
	x := &rx{s: b.srv, lang: "en", sess: &session{user: "fitter", role: auth.RoleInstaller}}
	before := b.cfg.Get()
	after := before.Clone()
	after.Locks = nil
	if err := b.srv.checkRole(x, &before, &after); err != nil {
		t.Errorf("no admin-only change: %v", err)
	}
	old := adminOnlyPaths
	adminOnlyPaths = []string{"device"}
	defer func() { adminOnlyPaths = old }()
	after.Device.Name = "changed"
	err := b.srv.checkRole(x, &before, &after)
	if errs := x.refusals(err); len(errs) != 1 || errs[0].Field != "device.name" {
		t.Errorf("installer, admin-only path: %v", err)
	}
	x.sess.role = auth.RoleAdministrator
	if err := b.srv.checkRole(x, &before, &after); err != nil {
		t.Errorf("administrator: %v", err)
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"en-US,en;q=0.9,zh-CN;q=0.8", "en"},
		{"fr-FR, zh-Hans;q=0.5", "zh"},
		{"de", "en"},
		{"zh;q=0, en;q=0.1", "en"},
		{"zh;q=abc", "en"},
		{"ZH-TW", "zh"},
	}
	for _, tc := range tests {
		if got := fromAcceptLanguage(tc.header); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.header, got, tc.want)
		}
	}
	b := newBench(t, nil)
	r := b.do(req{method: "GET", path: "/login", header: map[string]string{"Accept-Language": "zh-CN"}})
	mustContain(t, r.text(), `lang="zh-CN"`, "登录")
	// The switch sets a cookie and goes back, only to a local page.
	for _, next := range []string{"/settings/ports", "//evil.example/x", "https://evil.example/"} {
		r = b.do(req{method: "POST", path: "/lang", body: form("lang", "zh", "next", next)})
		want := next
		if !strings.HasPrefix(next, "/settings") {
			want = "/"
		}
		if r.Code != http.StatusSeeOther || r.Header().Get("Location") != want {
			t.Errorf("next %q: %d to %q", next, r.Code, r.Header().Get("Location"))
		}
	}
	var lc *http.Cookie
	for _, c := range r.Result().Cookies() {
		if c.Name == LangCookie {
			lc = c
		}
	}
	if lc == nil || lc.Value != "zh" {
		t.Fatalf("language cookie %+v", lc)
	}
	if r := b.do(req{method: "POST", path: "/lang", body: form("lang", "fr")}); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown language: %d", r.Code)
	}
}

func httptestPost(b *bench, url, body string) resp {
	r := newRequest("POST", url, body)
	r.RemoteAddr = "198.51.100.7:5555"
	return serve(b, r)
}
