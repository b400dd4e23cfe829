package webui

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// concrete turns a route's pattern into a path to request.
func concrete(rt Route) string {
	p := strings.ReplaceAll(rt.Path, "{$}", "")
	return strings.ReplaceAll(p, "{file}", "app.js")
}

// Every route of the table is what the mux serves, with its method.
func TestRoutesAreTheMux(t *testing.T) {
	b := newBench(t, nil)
	routes := b.srv.Routes()
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		if seen[rt.Pattern()] {
			t.Errorf("route %s twice", rt.Pattern())
		}
		seen[rt.Pattern()] = true
		r := httptest.NewRequest(rt.Method, concrete(rt), nil)
		if _, pat := b.srv.mux.Handler(r); pat != rt.Pattern() {
			t.Errorf("%s %s is served by %q, the table says %q", rt.Method, concrete(rt), pat, rt.Pattern())
		}
		switch rt.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
		default:
			t.Errorf("%s: method %s", rt.Pattern(), rt.Method)
		}
		if rt.Page && rt.Method != http.MethodGet {
			t.Errorf("%s: a page is a GET", rt.Pattern())
		}
	}
	// The JSON index lists the same table.
	sid := b.admin(t)
	m := b.do(req{method: "GET", path: "/api", cookie: sid, json: true}).decode(t)
	if got := len(m["routes"].([]any)); got != len(routes) {
		t.Errorf("/api lists %d routes, the table has %d", got, len(routes))
	}
}

// Every mutating route answers 401 without a session (unless public) and
// 403 to a cross-site request, session or not; nothing changes.
func TestMutatingRoutesGuarded(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	before := configJSON(t, b.cfg)
	n := 0
	for _, rt := range b.srv.Routes() {
		if !rt.Mutating() {
			continue
		}
		n++
		for _, asJSON := range []bool{false, true} {
			if !rt.Public {
				r := b.do(req{method: rt.Method, path: concrete(rt), body: form("confirm", "yes"), json: asJSON})
				if r.Code != http.StatusUnauthorized {
					t.Errorf("%s without a session (json %v): %d, want 401", rt.Pattern(), asJSON, r.Code)
				}
			}
			for _, cookie := range []string{"", sid} {
				r := b.do(req{method: rt.Method, path: concrete(rt), body: form("confirm", "yes"), json: asJSON, cookie: cookie, crossSite: true})
				if r.Code != http.StatusForbidden {
					t.Errorf("%s cross-site (session %v, json %v): %d, want 403", rt.Pattern(), cookie != "", asJSON, r.Code)
				}
				if asJSON && r.Code == http.StatusForbidden {
					if m := r.decode(t); m["code"] != "cross_origin" {
						t.Errorf("%s cross-site: %v", rt.Pattern(), m)
					}
				}
			}
		}
		// A GET on a POST route is refused by the mux.
		if r := b.do(req{method: "GET", path: concrete(rt), cookie: sid}); r.Code != http.StatusMethodNotAllowed && !slices.ContainsFunc(b.srv.Routes(), func(o Route) bool {
			return o.Method == http.MethodGet && o.Path == rt.Path
		}) {
			t.Errorf("GET %s: %d, want 405", rt.Path, r.Code)
		}
	}
	if n < 15 {
		t.Errorf("only %d mutating routes", n)
	}
	sameConfig(t, b.cfg, before, "refused requests")
}

// An Origin header from another site is refused even without
// Sec-Fetch-Site (older browsers).
func TestCrossOriginByOrigin(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/settings/device", cookie: sid, body: form("device.name", "x"),
		header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": ""}})
	if r.Code != http.StatusForbidden {
		t.Errorf("foreign Origin: %d", r.Code)
	}
}

var markerRE = regexp.MustCompile(regexp.QuoteMeta(MissingMarker) + `[^\]]*\]\]`)

// Every page renders in both languages, with the language's own words and
// no missing translation, for an administrator; the JSON form of each is
// JSON.
func TestPagesRenderInBothLanguages(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	words := map[string]string{"en": "Log out", "zh": "退出"}
	for _, rt := range b.srv.Routes() {
		if !rt.Page {
			continue
		}
		for _, lang := range languages {
			cookie := sid
			if rt.Path == "/login" {
				cookie = ""
			}
			r := b.do(req{method: "GET", path: concrete(rt), cookie: cookie, lang: lang})
			if r.Code != http.StatusOK {
				t.Errorf("%s in %s: %d", rt.Path, lang, r.Code)
				continue
			}
			body := r.text()
			if m := markerRE.FindAllString(body, -1); m != nil {
				t.Errorf("%s in %s: missing translations %q", rt.Path, lang, m)
			}
			if !strings.Contains(body, `<html lang="`) || !strings.Contains(body, "</html>") {
				t.Errorf("%s in %s: not a whole page", rt.Path, lang)
			}
			if cookie != "" && !strings.Contains(body, words[lang]) {
				t.Errorf("%s in %s: lacks %q", rt.Path, lang, words[lang])
			}
			if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, " onclick") {
				t.Errorf("%s: inline script or style (the CSP forbids it)", rt.Path)
			}
		}
		r := b.do(req{method: "GET", path: concrete(rt), cookie: sid, json: true})
		if rt.Path != "/login" || r.Code == http.StatusOK {
			r.decode(t)
		}
	}
}

// The pages with a self-refreshing part render it alone with ?part=1.
func TestRefreshParts(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	for _, p := range []string{"/?part=1", "/diag/log?part=1&level=debug"} {
		r := b.do(req{method: "GET", path: p, cookie: sid, lang: "zh"})
		if r.Code != 200 || strings.Contains(r.text(), "<html") || markerRE.MatchString(r.text()) {
			t.Errorf("%s: %d\n%s", p, r.Code, clip(r.text()))
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	b := newBench(t, nil)
	for _, p := range []string{"/login", "/static/app.js", "/nowhere"} {
		r := b.do(req{method: "GET", path: p})
		h := r.Header()
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", p, h)
		}
	}
	r := b.do(req{method: "GET", path: "/static/app.js"})
	if r.Code != 200 || !strings.Contains(r.Header().Get("Content-Type"), "javascript") {
		t.Errorf("app.js: %d %q", r.Code, r.Header().Get("Content-Type"))
	}
	if r := b.do(req{method: "GET", path: "/login"}); r.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("pages must not be cached: %q", r.Header().Get("Cache-Control"))
	}
}

// A body over the route's limit is refused with 413, the limit named.
func TestBodyLimit(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	before := configJSON(t, b.cfg)
	big := "device.name=" + strings.Repeat("x", MaxFormBytes+10)
	for _, asJSON := range []bool{false, true} {
		r := b.do(req{method: "POST", path: "/settings/device", cookie: sid, body: big, json: asJSON})
		if r.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("json %v: %d %s", asJSON, r.Code, clip(r.text()))
		}
		mustContain(t, r.text(), "65536")
	}
	r := b.do(req{method: "POST", path: "/login", body: "user=admin&password=" + strings.Repeat("y", MaxFormBytes)})
	if r.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("login: %d", r.Code)
	}
	sameConfig(t, b.cfg, before, "too large bodies")
}
