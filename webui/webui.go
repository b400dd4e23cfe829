package webui

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
	"github.com/openiad/openiad/firmware/syslog"
	"github.com/openiad/openiad/firmware/voip"
	"github.com/openiad/openiad/sip/ua"
)

// Defaults of Options.
const (
	DefaultIdleTimeout = 15 * time.Minute
	DefaultMaxFailures = 5
	DefaultLockout     = 5 * time.Minute
	// MaxSessionAge ends a session however busy it is.
	MaxSessionAge = 12 * time.Hour
	// MaxSessions is the most sessions kept; the least recently used goes.
	MaxSessions = 32
)

// Limits of request bodies (http.MaxBytesReader).
const (
	MaxFormBytes   = 64 << 10 // forms and JSON requests
	MaxBackupBytes = 1 << 20  // a configuration backup (config.MaxFileSize and an envelope)
	MaxImageBytes  = 64 << 20 // a firmware image
)

var (
	errNoConfig = errors.New("webui: Options.Config is required")
	errNoUsers  = errors.New("webui: Options.Users is required")
)

// ConfigStore is the configuration; *config.Store implements it.
type ConfigStore interface {
	Get() config.Config
	Update(src config.Source, who string, fn func(*config.Config) error) ([]config.Change, error)
}

// Users are the accounts; *auth.Store implements it.
type Users interface {
	Verify(user, password string) bool
	FirstBoot(user string) bool
	SetPassword(user, password string) error
	Role(user string) (auth.Role, bool)
	Users() []auth.Account
	Add(name string, role auth.Role, password string) error
	Remove(name string) error
}

// Logs is the recent log; *logbuf.Buffer implements it.
type Logs interface {
	Records(min slog.Level, n int) []logbuf.Record
}

// Options wire the web page to the box. Config and Users are required;
// every other part may be nil, and the page then says that the feature is
// not available on this build.
type Options struct {
	Config ConfigStore
	Users  Users
	// Status gives the ports, the board and the alarms
	// (*console.BoxStatus implements it).
	Status console.Status
	// Registration is the SIP registration of a port's account
	// ((*voip.Trunk).Registration).
	Registration func(port int) (ua.RegState, bool)
	Logs         Logs
	Version      string // firmware version
	// LineTest tests the line of a port, from 1 ((*console.BoxStatus).LineCheck).
	LineTest func(ctx context.Context, port int) ([]console.Check, error)
	// TestCall rings the phone on a port (from 1) and returns once the
	// call is offered; see RingTest.
	TestCall func(ctx context.Context, port int) error
	// Net is what ping and traceroute use (console.SystemNet{}).
	Net console.Net
	// Tap shows the SIP messages (live trace) and the calls' RTP and RTCP
	// (packet capture): (*system.System).SIPTap.
	Tap *voip.Tap
	// Calls lists the calls in progress with their live quality
	// ((*system.System).Calls); Records are the call detail records
	// (*cdr.Store).
	Calls   func() []cdr.Call
	Records Records
	// Syslog tells how the remote log fares ((*syslog.Client).Stats),
	// shown on the syslog settings page.
	Syslog func() syslog.Stats
	// Reboot restarts the box; FactoryReset erases the configuration and
	// the accounts and restarts it. Both may return before the restart.
	Reboot       func(ctx context.Context) error
	FactoryReset func(ctx context.Context) error
	// Upgrade checks a firmware image (signature, board, version) and
	// installs it, writing nothing unless every check passes. Nil refuses
	// every image: this build cannot check signatures.
	Upgrade func(ctx context.Context, image io.Reader) error
	Log     *slog.Logger
	// Now is the clock of sessions and the login limiter (time.Now when nil).
	Now func() time.Time
	// IdleTimeout, MaxFailures and Lockout tune sessions and the login
	// limiter (the Default... constants when 0).
	IdleTimeout time.Duration
	MaxFailures int
	Lockout     time.Duration
	// Lab leaves the Secure attribute off cookies on plain-HTTP requests,
	// for ServeOptions.Lab. Never set it on a box in the field.
	Lab bool
}

// Route is one entry of the route table.
type Route struct {
	Method string `json:"method"` // GET or POST
	Path   string `json:"path"`   // as registered on the mux ("/{$}" is the status page)
	Public bool   `json:"public"` // no session needed
	Admin  bool   `json:"admin"`  // administrators only
	Page   bool   `json:"page"`   // a GET that renders a page in both languages
}

// Pattern is the route's http.ServeMux pattern.
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// Mutating reports whether the route may change something.
func (r Route) Mutating() bool { return r.Method != http.MethodGet && r.Method != http.MethodHead }

// Server is the web page; it is an http.Handler.
type Server struct {
	o        Options
	log      *slog.Logger
	now      func() time.Time
	routes   []Route
	mux      *http.ServeMux
	handler  http.Handler
	cop      *http.CrossOriginProtection
	sessions *sessions
	limiter  *limiter
	views    *views
	verify   chan struct{} // one password check at a time

	capturing atomic.Bool // one packet capture at a time
}

type handlerFunc func(x *rx)

// New builds the web page.
func New(o Options) (*Server, error) {
	if o.Config == nil {
		return nil, errNoConfig
	}
	if o.Users == nil {
		return nil, errNoUsers
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultLockout
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{
		o:        o,
		log:      o.Log,
		now:      o.Now,
		mux:      http.NewServeMux(),
		cop:      http.NewCrossOriginProtection(),
		sessions: newSessions(o.Now, o.IdleTimeout),
		limiter:  newLimiter(o.Now, o.MaxFailures, o.Lockout),
		views:    v,
		verify:   make(chan struct{}, 1),
	}
	s.cop.SetDenyHandler(http.HandlerFunc(s.crossOrigin))
	s.register()
	s.handler = s.cop.Handler(s.mux)
	return s, nil
}

// Routes lists every route of the page, as registered on the mux.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// ServeHTTP serves the page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.handler.ServeHTTP(w, r)
}

// register fills the route table and the mux.
func (s *Server) register() {
	type opt uint8
	const (
		public opt = 1 << iota
		admin
		page
	)
	add := func(method, path string, o opt, limit int64, f handlerFunc) {
		rt := Route{Method: method, Path: path, Public: o&public != 0, Admin: o&admin != 0, Page: o&page != 0}
		s.routes = append(s.routes, rt)
		s.mux.Handle(rt.Pattern(), s.wrap(rt, limit, f))
	}
	get, post := http.MethodGet, http.MethodPost

	add(get, "/login", public|page, MaxFormBytes, s.loginPage)
	add(post, "/login", public, MaxFormBytes, s.login)
	add(post, "/logout", 0, MaxFormBytes, s.logout)
	add(post, "/lang", public, MaxFormBytes, s.setLang)
	add(get, "/password", page, MaxFormBytes, s.passwordPage)
	add(post, "/password", 0, MaxFormBytes, s.changePassword)
	add(get, "/api", 0, MaxFormBytes, s.apiIndex)

	add(get, "/{$}", page, MaxFormBytes, s.statusPage)

	add(get, "/setup", page, MaxFormBytes, s.formPage(pageSetup))
	add(post, "/setup", 0, MaxFormBytes, s.formSave(pageSetup))
	add(post, "/setup/test-call", 0, MaxFormBytes, s.testCall)

	for _, p := range settingsPages {
		limit := int64(MaxFormBytes)
		if p == pageCWMP {
			limit += 3 * config.MaxCACerts // a PEM bundle, URL-encoded
		}
		add(get, p.path, page, MaxFormBytes, s.formPage(p))
		add(post, p.path, 0, limit, s.formSave(p))
	}
	add(post, "/settings/sip/add", 0, MaxFormBytes, s.addProfile)
	add(post, "/settings/sip/remove", 0, MaxFormBytes, s.removeProfile)

	add(get, "/users", admin|page, MaxFormBytes, s.usersPage)
	add(post, "/users/add", admin, MaxFormBytes, s.addUser)
	add(post, "/users/remove", admin, MaxFormBytes, s.removeUser)

	add(get, "/system", page, MaxFormBytes, s.systemPage)
	add(get, "/system/backup", 0, MaxFormBytes, s.backup)
	add(post, "/system/restore", 0, MaxBackupBytes+MaxFormBytes, s.restore)
	add(post, "/system/reboot", 0, MaxFormBytes, s.reboot)
	add(post, "/system/factory-reset", 0, MaxFormBytes, s.factoryReset)
	add(post, "/system/upgrade", 0, MaxImageBytes+MaxFormBytes, s.upgrade)

	add(get, "/calls", page, MaxFormBytes, s.callsPage)
	add(get, "/calls.csv", 0, MaxFormBytes, s.callsCSV)

	add(get, "/diag", page, MaxFormBytes, s.diagPage)
	add(get, "/diag/log", page, MaxFormBytes, s.logPage)
	add(post, "/diag/line-test", 0, MaxFormBytes, s.lineTest)
	add(post, "/diag/ping", 0, MaxFormBytes, s.ping)
	add(post, "/diag/traceroute", 0, MaxFormBytes, s.traceroute)
	add(get, "/diag/sip-trace", 0, MaxFormBytes, s.sipTrace)
	add(get, "/diag/sip-trace/stream", 0, MaxFormBytes, s.sipTraceStream)
	add(post, "/diag/capture", 0, MaxFormBytes, s.capture)

	static, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // the embedded tree is part of the binary
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	add(get, "/static/{file}", public, 0, func(x *rx) {
		x.w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(x.w, x.r)
	})
}

// wrap turns a handler of the table into an http.Handler: body limit,
// language, session, password-change gate and role.
func (s *Server) wrap(rt Route, limit int64, f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		x := &rx{s: s, w: w, r: r, route: rt, json: wantsJSON(r)}
		x.lang = s.language(r)
		x.sess = s.sessions.get(s.cookie(r))
		if rt.Path != "/static/{file}" {
			w.Header().Set("Cache-Control", "no-store")
		}
		switch {
		case rt.Public:
		case x.sess == nil:
			s.unauthenticated(x)
			return
		case x.sess.mustChange && rt.Path != "/password" && rt.Path != "/logout":
			if !x.json && r.Method == http.MethodGet {
				http.Redirect(w, r, "/password", http.StatusSeeOther)
				return
			}
			x.fail(http.StatusForbidden, "password_change_required", x.T("err.mustchange"))
			return
		case rt.Admin && x.sess.role != auth.RoleAdministrator:
			x.fail(http.StatusForbidden, "forbidden", x.T("err.role"))
			return
		}
		f(x)
	})
}

func (s *Server) unauthenticated(x *rx) {
	if !x.json && x.r.Method == http.MethodGet {
		next := x.r.URL.Path
		if next == "/" {
			http.Redirect(x.w, x.r, "/login", http.StatusSeeOther)
			return
		}
		http.Redirect(x.w, x.r, "/login?next="+urlQueryEscape(next), http.StatusSeeOther)
		return
	}
	x.fail(http.StatusUnauthorized, "login_required", x.T("err.login"))
}

func (s *Server) crossOrigin(w http.ResponseWriter, r *http.Request) {
	x := &rx{s: s, w: w, r: r, json: wantsJSON(r), lang: s.language(r)}
	x.fail(http.StatusForbidden, "cross_origin", x.T("err.crossorigin"))
}

// wantsJSON reports whether the client asked for JSON.
func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "application/json") {
			return true
		}
	}
	return false
}

func (s *Server) apiIndex(x *rx) {
	x.writeJSON(http.StatusOK, map[string]any{"version": s.o.Version, "routes": s.routes})
}
