package webui

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/console/auth"
)

// CookieName is the session cookie.
const CookieName = "iad_session"

// LangCookie holds the chosen language.
const LangCookie = "iad_lang"

type session struct {
	id         string
	user       string
	role       auth.Role
	mustChange bool
	created    time.Time
	last       time.Time
}

type sessions struct {
	now  func() time.Time
	idle time.Duration

	mu sync.Mutex
	m  map[string]*session
}

func newSessions(now func() time.Time, idle time.Duration) *sessions {
	return &sessions{now: now, idle: idle, m: map[string]*session{}}
}

// newID returns 128 random bits, URL-safe base64.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for user, dropping the least recently used one
// when the table is full.
func (ss *sessions) create(user string, role auth.Role, mustChange bool) *session {
	now := ss.now()
	se := &session{id: newID(), user: user, role: role, mustChange: mustChange, created: now, last: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.expire(now)
	if len(ss.m) >= MaxSessions {
		var old *session
		for _, o := range ss.m {
			if old == nil || o.last.Before(old.last) {
				old = o
			}
		}
		delete(ss.m, old.id)
	}
	ss.m[se.id] = se
	return se
}

// expire drops idle and old sessions. ss.mu is held.
func (ss *sessions) expire(now time.Time) {
	for id, se := range ss.m {
		if now.Sub(se.last) >= ss.idle || now.Sub(se.created) >= MaxSessionAge {
			delete(ss.m, id)
		}
	}
}

// get returns a copy of the live session id and marks it used, or nil.
func (ss *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	now := ss.now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	se := ss.m[id]
	if se == nil {
		return nil
	}
	if now.Sub(se.last) >= ss.idle || now.Sub(se.created) >= MaxSessionAge {
		delete(ss.m, id)
		return nil
	}
	se.last = now
	c := *se
	return &c
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

// dropUser ends every session of user but keep ("" ends them all).
func (ss *sessions) dropUser(user, keep string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, se := range ss.m {
		if se.user == user && id != keep {
			delete(ss.m, id)
		}
	}
}

// limiter counts failed logins per client address and per account.
type limiter struct {
	now     func() time.Time
	max     int
	lockout time.Duration

	mu sync.Mutex
	m  map[string]*attempts
}

type attempts struct {
	failures int
	last     time.Time
	until    time.Time // locked until
}

// maxTracked bounds the limiter's table; beyond it entries that are
// neither locked nor recent are forgotten first.
const maxTracked = 4096

func newLimiter(now func() time.Time, max int, lockout time.Duration) *limiter {
	return &limiter{now: now, max: max, lockout: lockout, m: map[string]*attempts{}}
}

// locked reports how long the keys are still locked (0: not locked).
func (l *limiter) locked(keys ...string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var left time.Duration
	for _, k := range keys {
		if a := l.m[k]; a != nil && a.until.After(now) {
			left = max(left, a.until.Sub(now))
		}
	}
	return left
}

// fail records a failure for every key and returns the lock-out it
// started (0 when none).
func (l *limiter) fail(keys ...string) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) >= maxTracked {
		for k, a := range l.m {
			if !a.until.After(now) && now.Sub(a.last) > l.lockout {
				delete(l.m, k)
			}
		}
		for k := range l.m { // still full: forget anything unlocked
			if len(l.m) < maxTracked {
				break
			}
			if !l.m[k].until.After(now) {
				delete(l.m, k)
			}
		}
	}
	var started time.Duration
	for _, k := range keys {
		a := l.m[k]
		if a == nil {
			if len(l.m) >= maxTracked {
				continue
			}
			a = &attempts{}
			l.m[k] = a
		}
		if now.Sub(a.last) > l.lockout { // an old run of failures is forgiven
			a.failures = 0
		}
		a.failures++
		a.last = now
		if a.failures >= l.max {
			a.until = now.Add(l.lockout)
			a.failures = 0
			started = l.lockout
		}
	}
	return started
}

func (l *limiter) succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.m, k)
	}
}

func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

func (s *Server) cookie(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// secure reports whether cookies get the Secure attribute: always, but
// for a plain-HTTP request in lab mode.
func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || !s.o.Lab }

func (s *Server) setSession(x *rx, se *session) {
	http.SetCookie(x.w, &http.Cookie{Name: CookieName, Value: se.id, Path: "/", HttpOnly: true,
		Secure: s.secure(x.r), SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSession(x *rx) {
	http.SetCookie(x.w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(x.r), SameSite: http.SameSiteStrictMode})
}

type loginData struct {
	User      string `json:"user,omitempty"`
	Next      string `json:"-"`
	Error     string `json:"error,omitempty"`
	LockedFor int    `json:"lockedForSeconds,omitempty"`
	FirstBoot bool   `json:"-"`
}

func (s *Server) loginPage(x *rx) {
	if x.sess != nil && !x.json {
		http.Redirect(x.w, x.r, "/", http.StatusSeeOther)
		return
	}
	d := loginData{Next: localPath(x.r.URL.Query().Get("next"))}
	if left := s.limiter.locked(clientKey(x.r)); left > 0 {
		d.LockedFor = int((left + time.Second - 1) / time.Second)
		d.Error = x.T("login.locked", humanDuration(left))
	}
	x.page(http.StatusOK, "login", "title.login", "", d)
}

func (s *Server) login(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	user, pw := strings.TrimSpace(v["user"]), v["password"]
	next := localPath(v["next"])
	keys := []string{clientKey(x.r), "user:" + user}
	d := loginData{User: user, Next: next}
	refuse := func(status int, left time.Duration, msg string) {
		if left > 0 {
			d.LockedFor = int((left + time.Second - 1) / time.Second)
			x.w.Header().Set("Retry-After", strconv.Itoa(d.LockedFor))
		}
		d.Error = msg
		if x.json {
			x.writeJSON(status, apiError{Error: msg, Code: map[bool]string{true: "locked", false: "login_failed"}[left > 0], Retry: d.LockedFor})
			return
		}
		x.page(status, "login", "title.login", "", d)
	}
	if left := s.limiter.locked(keys...); left > 0 {
		refuse(http.StatusTooManyRequests, left, x.T("login.locked", humanDuration(left)))
		return
	}
	if len(user) > 64 || len(pw) > auth.MaxPasswordLen*4 {
		s.limiter.fail(keys...)
		refuse(http.StatusUnauthorized, 0, x.T("login.failed"))
		return
	}
	s.verify <- struct{}{}
	ok := s.o.Users.Verify(user, pw)
	<-s.verify
	if !ok {
		s.log.Warn("webui: login failed", "user", user, "from", x.r.RemoteAddr)
		if left := s.limiter.fail(keys...); left > 0 {
			refuse(http.StatusTooManyRequests, left, x.T("login.locked", humanDuration(left)))
			return
		}
		refuse(http.StatusUnauthorized, 0, x.T("login.failed"))
		return
	}
	s.limiter.succeed(keys...)
	role, _ := s.o.Users.Role(user)
	must := s.o.Users.FirstBoot(user)
	if x.sess != nil {
		s.sessions.drop(x.sess.id) // a new ID at every login
	}
	se := s.sessions.create(user, role, must)
	s.setSession(x, se)
	s.log.Info("webui: login", "user", user, "role", string(role), "from", x.r.RemoteAddr)
	if x.json {
		x.writeJSON(http.StatusOK, map[string]any{"ok": true, "user": user, "role": role, "mustChangePassword": must})
		return
	}
	if must {
		next = "/password"
	}
	http.Redirect(x.w, x.r, next, http.StatusSeeOther)
}

func (s *Server) logout(x *rx) {
	s.sessions.drop(x.sess.id)
	s.clearSession(x)
	if x.json {
		x.writeJSON(http.StatusOK, map[string]any{"ok": true})
		return
	}
	http.Redirect(x.w, x.r, "/login", http.StatusSeeOther)
}

type passwordData struct {
	MustChange bool              `json:"mustChangePassword"`
	Policy     string            `json:"policy"`
	Errors     map[string]string `json:"errors,omitempty"`
}

func (s *Server) passwordPage(x *rx) {
	x.page(http.StatusOK, "password", "title.password", "password", passwordData{MustChange: x.sess.mustChange, Policy: x.T("password.policy")})
}

func (s *Server) changePassword(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	d := passwordData{MustChange: x.sess.mustChange, Policy: x.T("password.policy"), Errors: map[string]string{}}
	cur, nw, again := v["current"], v["new"], v["confirm"]
	if _, ok := v["confirm"]; !ok && x.json {
		again = nw
	}
	if left := s.limiter.locked("user:" + x.sess.user); left > 0 {
		d.Errors["current"] = x.T("login.locked", humanDuration(left))
	} else {
		s.verify <- struct{}{}
		ok := s.o.Users.Verify(x.sess.user, cur)
		<-s.verify
		if !ok {
			s.limiter.fail("user:" + x.sess.user)
			d.Errors["current"] = x.T("password.wrong")
		}
	}
	switch {
	case nw != again:
		d.Errors["confirm"] = x.T("password.mismatch")
	case nw == cur:
		d.Errors["new"] = x.T("password.same")
	default:
		if err := auth.CheckPasswordFor(x.sess.user, nw); err != nil {
			d.Errors["new"] = x.T("password.bad", authReason(err))
		}
	}
	if len(d.Errors) == 0 {
		if err := s.o.Users.SetPassword(x.sess.user, nw); err != nil {
			d.Errors["new"] = authReason(err)
		}
	}
	if len(d.Errors) > 0 {
		if x.json {
			e := apiError{Error: x.T("password.refused"), Code: "invalid"}
			for _, k := range []string{"current", "new", "confirm"} {
				if m, ok := d.Errors[k]; ok {
					e.Fields = append(e.Fields, fieldError{Field: k, Reason: m})
				}
			}
			x.writeJSON(http.StatusUnprocessableEntity, e)
			return
		}
		x.page(http.StatusUnprocessableEntity, "password", "title.password", "password", d)
		return
	}
	// A new password ends every other session of the account, and this
	// one continues under a new ID.
	s.sessions.dropUser(x.sess.user, "")
	se := s.sessions.create(x.sess.user, x.sess.role, false)
	s.setSession(x, se)
	x.sess = se
	s.log.Info("webui: password changed", "user", se.user)
	x.done("/", nil)
}

func (s *Server) setLang(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	lang := v["lang"]
	if !validLang(lang) {
		x.fail(http.StatusUnprocessableEntity, "invalid", x.T("err.lang"))
		return
	}
	http.SetCookie(x.w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", HttpOnly: true, MaxAge: 365 * 24 * 3600,
		Secure: s.secure(x.r), SameSite: http.SameSiteStrictMode})
	x.lang = lang
	if x.json {
		x.writeJSON(http.StatusOK, map[string]any{"ok": true, "lang": lang})
		return
	}
	http.Redirect(x.w, x.r, localPath(v["next"]), http.StatusSeeOther)
}

// language picks the page's language: the cookie, else Accept-Language.
func (s *Server) language(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	return fromAcceptLanguage(r.Header.Get("Accept-Language"))
}

// fromAcceptLanguage returns the best of our languages for the header.
func fromAcceptLanguage(h string) string {
	best, bestQ := "en", -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if p, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(p, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if q > bestQ && q > 0 && validLang(base) {
			best, bestQ = base, q
		}
	}
	return best
}

// authReason is an error of package auth for people.
func authReason(err error) string {
	m := strings.TrimPrefix(err.Error(), "auth: ")
	return strings.TrimPrefix(m, "password not accepted: ")
}
