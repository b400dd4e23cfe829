package webui

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed templates static
var assets embed.FS

// pageNames are the page templates; each is parsed with layout.html.
var pageNames = []string{"login", "password", "status", "form", "users", "system", "diag", "log", "message", "calls"}

// views holds the parsed templates: one set per language, so that the
// template function T is bound to its language at parse time.
type views struct {
	t map[string]map[string]*template.Template // lang -> page -> template
}

func loadViews() (*views, error) {
	v := &views{t: map[string]map[string]*template.Template{}}
	for _, lang := range languages {
		v.t[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs(lang)).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("webui: template %s: %w", name, err)
			}
			v.t[lang][name] = t
		}
	}
	return v, nil
}

func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"T":  func(key string, args ...any) string { return translate(lang, key, args...) },
		"TV": func(prefix, value string) string { return translateValue(lang, prefix, value) },
		"since": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		},
		"dur": func(d time.Duration) string { return humanDuration(d) },
		"ms": func(d time.Duration) string {
			return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
		},
		"lower": strings.ToLower,
	}
}

// view is what the layout renders; Data is the page's own.
type view struct {
	Lang    string
	User    string
	Role    string
	Admin   bool
	Nav     string // the active menu entry
	Title   string // translated
	Path    string // the page, for the language switch to come back to
	Flash   string // translated notice ("saved")
	Error   string // a message for the whole page
	Version string
	Data    any
}

// rx is one request on its way through a handler.
type rx struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	route Route
	json  bool
	lang  string
	sess  *session
}

// T translates key into the request's language.
func (x *rx) T(key string, args ...any) string { return translate(x.lang, key, args...) }

// who is the audit trail's name for the request's user.
func (x *rx) who() string {
	if x.sess == nil {
		return "web"
	}
	return x.sess.user + "@web"
}

func (x *rx) writeJSON(status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		x.s.log.Error("webui: encode JSON", "err", err)
		http.Error(x.w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	x.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	x.w.WriteHeader(status)
	x.w.Write(append(b, '\n'))
}

// apiError is the JSON body of every refusal.
type apiError struct {
	Error  string       `json:"error"`
	Code   string       `json:"code"`
	Fields []fieldError `json:"fields,omitempty"`
	Retry  int          `json:"retryAfterSeconds,omitempty"`
}

// fail answers with an error message: JSON, or a page with the message.
func (x *rx) fail(status int, code, msg string) {
	if x.json {
		x.writeJSON(status, apiError{Error: msg, Code: code})
		return
	}
	x.page(status, "message", "title.error", "", messageData{Message: msg, Error: true})
}

type messageData struct {
	Message string
	Error   bool
	Back    string // a link back, "" for none
}

// page renders a page (or its JSON form when asked).
func (x *rx) page(status int, name, titleKey, nav string, data any) {
	if x.json {
		x.writeJSON(status, data)
		return
	}
	v := view{Lang: x.lang, Nav: nav, Title: x.T(titleKey), Path: x.r.URL.Path, Version: x.s.o.Version, Data: data}
	if x.sess != nil {
		v.User, v.Role, v.Admin = x.sess.user, string(x.sess.role), x.sess.role == "administrator"
		if x.sess.mustChange {
			v.Nav = "password-only"
		}
	}
	if x.r.URL.Query().Get("saved") == "1" {
		v.Flash = x.T("flash.saved")
	}
	x.html(status, name, &v)
}

// html executes a template into a buffer and writes it; "?part=1" renders
// only the page's self-refreshing part.
func (x *rx) html(status int, name string, v *view) {
	t := x.s.views.t[x.lang][name]
	entry := "layout"
	if x.r.URL.Query().Get("part") == "1" && t.Lookup("part") != nil {
		entry = "part"
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, entry, v); err != nil {
		x.s.log.Error("webui: render", "page", name, "err", err)
		http.Error(x.w, "internal error", http.StatusInternalServerError)
		return
	}
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	x.w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	x.w.WriteHeader(status)
	x.w.Write(b.Bytes())
}

// done answers a successful change: a redirect back to the page for a
// browser, {"ok":true,...} for JSON.
func (x *rx) done(back string, v map[string]any) {
	if x.json {
		if v == nil {
			v = map[string]any{}
		}
		v["ok"] = true
		x.writeJSON(http.StatusOK, v)
		return
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(x.w, x.r, back+sep+"saved=1", http.StatusSeeOther)
}

// localPath returns p when it is a path on this site, else "/".
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\x00") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return u.Path
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	sec := d / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %02dh %02dm", days, h, m)
	case h > 0:
		return fmt.Sprintf("%dh %02dm %02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}
