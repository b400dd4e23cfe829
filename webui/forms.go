package webui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
	"github.com/openiad/openiad/firmware/syslog"
)

// adminOnlyPaths are the configuration paths only an administrator may
// change: the carrier's management (TR-069) settings. Installers see them
// read-only (markRole).
var adminOnlyPaths = []string{"cwmp"}

// Field kinds.
const (
	kindText     = "text"
	kindNumber   = "number"
	kindBool     = "bool"
	kindSelect   = "select"
	kindDuration = "duration"
	kindList     = "list"
	kindPassword = "password"
	kindTextArea = "textarea" // several lines (a PEM bundle)
)

// field is one form field, named by its configuration path.
type field struct {
	Name    string    `json:"name"`
	Label   string    `json:"label"`
	Kind    string    `json:"kind"`
	Value   string    `json:"value"`
	IsSet   bool      `json:"set,omitempty"` // a password: one is stored
	Options []option  `json:"options,omitempty"`
	Locked  *lockInfo `json:"locked,omitempty"`
	// AdminOnly: the field is under adminOnlyPaths and the account is
	// not an administrator's, so it is shown read-only.
	AdminOnly bool   `json:"adminOnly,omitempty"`
	Error     string `json:"error,omitempty"`
	Hint      string `json:"hint,omitempty"`

	get func(*config.Config) (string, bool) // value, and whether the field still exists
	set func(*config.Config, string) error
}

type option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

type lockInfo struct {
	Path  string    `json:"path"` // the locked path that covers the field
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Param string    `json:"param,omitempty"` // the TR-069 parameter (or object) that holds the lock
}

type section struct {
	Title  string   `json:"title"`
	Fields []*field `json:"fields"`
}

// fieldError is a refusal of one field; Field "" is about the whole form.
type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// formPage is a page of configuration fields.
type formPage struct {
	name  string // "device"
	path  string
	title string // translation key
	nav   string
	build func(x *rx, c *config.Config) []section
	// alias, when set, names the field of the page where a refusal of a
	// field that is not on the page is best shown ("" for none).
	alias func(field string) string
}

// siblings are fields checked together: a refusal of one is also shown
// next to the other when only the other was changed.
var siblings = map[string]string{
	"retryMin": "retryMax", "retryMax": "retryMin",
	"rtpPortMin": "rtpPortMax", "rtpPortMax": "rtpPortMin",
	"flashMin": "flashMax", "flashMax": "flashMin",
}

// normalize moves the store's refusals onto the page's fields: a list
// item's refusal to its list ("codecs[1]" to "codecs", saying which item),
// a refusal of a field checked with a changed sibling to that sibling
// too, and a refusal of a field not on the page to its alias.
func normalize(p *formPage, secs []section, errs []fieldError, submitted map[string]string) []fieldError {
	fields := index(secs)
	var out []fieldError
	for _, e := range errs {
		if fields[e.Field] == nil {
			if i := strings.LastIndexByte(e.Field, '['); i > 0 && strings.HasSuffix(e.Field, "]") && fields[e.Field[:i]] != nil {
				n, err := strconv.Atoi(e.Field[i+1 : len(e.Field)-1])
				if err == nil {
					e = fieldError{Field: e.Field[:i], Reason: fmt.Sprintf("#%d: %s", n+1, e.Reason)}
				}
			}
		}
		if fields[e.Field] == nil && p.alias != nil {
			if a := p.alias(e.Field); a != "" && fields[a] != nil {
				e.Reason = e.Field + ": " + e.Reason
				e.Field = a
			}
		}
		out = append(out, e)
		dot := strings.LastIndexByte(e.Field, '.')
		if dot < 0 {
			continue
		}
		if sib, ok := siblings[e.Field[dot+1:]]; ok {
			other := e.Field[:dot+1] + sib
			_, changedOther := submitted[other]
			_, changedThis := submitted[e.Field]
			if changedOther && !changedThis && fields[other] != nil {
				out = append(out, fieldError{Field: other, Reason: e.Field + ": " + e.Reason})
			}
		}
	}
	return out
}

// formData is what a form page shows.
type formData struct {
	Page     string       `json:"page"`
	Action   string       `json:"-"`
	Sections []section    `json:"sections"`
	Errors   []fieldError `json:"errors,omitempty"`
	Revision int64        `json:"revision"`
	Ports    []int        `json:"-"` // the set-up page's test-call buttons
	Profiles []option     `json:"-"` // the SIP page's remove buttons
	Refused  bool         `json:"-"` // the last save was refused
	Result   string       `json:"-"` // a test call's outcome
	ResultOK bool         `json:"-"`
	// Note says how the page's feature fares now (the remote log).
	Note   string        `json:"note,omitempty"`
	Bad    bool          `json:"-"` // the note is a problem
	Syslog *syslog.Stats `json:"syslog,omitempty"`
}

var errNoLonger = errors.New("webui: no longer exists")

// accessor helpers: each returns a pointer into c, or nil when the
// indexed part is gone (the configuration changed meanwhile).

func port(i int) func(*config.Config) *config.Port {
	return func(c *config.Config) *config.Port {
		if i < len(c.Ports) {
			return &c.Ports[i]
		}
		return nil
	}
}

func profile(i int) func(*config.Config) *config.SIPProfile {
	return func(c *config.Config) *config.SIPProfile {
		if i < len(c.SIP.Profiles) {
			return &c.SIP.Profiles[i]
		}
		return nil
	}
}

func newField[T any](x *rx, name, label, kind string, acc func(*config.Config) *T, show func(T) string, parse func(string, *T) error) *field {
	return &field{
		Name: name, Label: x.T(label), Kind: kind,
		get: func(c *config.Config) (string, bool) {
			p := acc(c)
			if p == nil {
				return "", false
			}
			return show(*p), true
		},
		set: func(c *config.Config, s string) error {
			p := acc(c)
			if p == nil {
				return errNoLonger
			}
			return parse(s, p)
		},
	}
}

var (
	errNotNumber   = errors.New("number")
	errNotBool     = errors.New("bool")
	errNotDuration = errors.New("duration")
	errNotOption   = errors.New("option")
	errTooLong     = errors.New("too long")
	errTooLongPEM  = errors.New("too long PEM")
	errNotTime     = errors.New("time")
)

// maxValueLen bounds any one value before it reaches the store: nothing
// the configuration holds is this long.
const maxValueLen = 4096

func textField(x *rx, name, label string, acc func(*config.Config) *string) *field {
	return newField(x, name, label, kindText, acc, func(v string) string { return v },
		func(s string, p *string) error {
			if len(s) > maxValueLen {
				return errTooLong
			}
			*p = s
			return nil
		})
}

func passwordField(x *rx, name, label string, acc func(*config.Config) *string) *field {
	f := newField(x, name, label, kindPassword, acc, func(v string) string { return v },
		func(s string, p *string) error {
			if len(s) > maxValueLen {
				return errTooLong
			}
			if s != "" { // empty keeps the stored password
				*p = s
			}
			return nil
		})
	f.Hint = x.T("hint.password")
	return f
}

func numberField(x *rx, name, label string, acc func(*config.Config) *int) *field {
	return newField(x, name, label, kindNumber, acc, strconv.Itoa,
		func(s string, p *int) error {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < -1<<31 || n > 1<<31-1 {
				return errNotNumber
			}
			*p = n
			return nil
		})
}

func boolField(x *rx, name, label string, acc func(*config.Config) *bool) *field {
	return newField(x, name, label, kindBool, acc, strconv.FormatBool,
		func(s string, p *bool) error {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true", "on", "1", "yes":
				*p = true
			case "false", "off", "0", "no":
				*p = false
			default:
				return errNotBool
			}
			return nil
		})
}

func durationField(x *rx, name, label string, acc func(*config.Config) *config.Duration) *field {
	f := newField(x, name, label, kindDuration, acc, config.Duration.String,
		func(s string, p *config.Duration) error {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil {
				return errNotDuration
			}
			*p = config.Duration(d)
			return nil
		})
	f.Hint = x.T("hint.duration")
	return f
}

func listField(x *rx, name, label string, acc func(*config.Config) *[]string) *field {
	f := newField(x, name, label, kindList, acc, func(v []string) string { return strings.Join(v, ", ") },
		func(s string, p *[]string) error {
			if len(s) > maxValueLen {
				return errTooLong
			}
			out := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
			if out == nil {
				out = []string{}
			}
			*p = out
			return nil
		})
	f.Hint = x.T("hint.list")
	return f
}

func selectField(x *rx, name, label string, acc func(*config.Config) *string, opts []option) *field {
	f := newField(x, name, label, kindSelect, acc, func(v string) string { return v },
		func(s string, p *string) error {
			if !slices.ContainsFunc(opts, func(o option) bool { return o.Value == s }) {
				return errNotOption
			}
			*p = s
			return nil
		})
	f.Options = opts
	return f
}

func intSelectField(x *rx, name, label string, acc func(*config.Config) *int, opts []option) *field {
	f := numberField(x, name, label, acc)
	f.Kind, f.Options = kindSelect, opts
	set := f.set
	f.set = func(c *config.Config, s string) error {
		if !slices.ContainsFunc(opts, func(o option) bool { return o.Value == strings.TrimSpace(s) }) {
			return errNotOption
		}
		return set(c, s)
	}
	return f
}

func opts(values ...string) []option {
	o := make([]option, len(values))
	for i, v := range values {
		o[i] = option{Value: v, Label: v}
	}
	return o
}

// parseReason translates a field's parse error.
func (x *rx) parseReason(f *field, err error) string {
	switch {
	case errors.Is(err, errNotNumber):
		return x.T("err.number")
	case errors.Is(err, errNotBool):
		return x.T("err.bool")
	case errors.Is(err, errNotDuration):
		return x.T("err.duration")
	case errors.Is(err, errNotOption):
		vals := make([]string, len(f.Options))
		for i, o := range f.Options {
			vals[i] = o.Value
		}
		return x.T("err.option", strings.Join(vals, ", "))
	case errors.Is(err, errTooLong):
		return x.T("err.toolong", maxValueLen)
	case errors.Is(err, errTooLongPEM):
		return x.T("err.toolong", config.MaxCACerts)
	case errors.Is(err, errNotTime):
		return x.T("err.time")
	case errors.Is(err, errNoLonger):
		return x.T("err.gone")
	}
	return err.Error()
}

// covers reports whether a lock on path lock covers the field path p.
func covers(lock, p string) bool {
	rest, ok := strings.CutPrefix(p, lock)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// fill sets the fields' values and locks from c.
func fill(secs []section, c *config.Config) {
	for _, sec := range secs {
		for _, f := range sec.Fields {
			v, _ := f.get(c)
			if f.Kind == kindPassword {
				f.IsSet, v = v != "", ""
			}
			f.Value = v
			for k, l := range c.Locks {
				if covers(k, f.Name) {
					f.Locked = &lockInfo{Path: k, By: string(l.By), At: l.At}
					if n := datamodel.LockParam(c, f.Name); strings.HasPrefix(n, "Device.") {
						f.Locked.Param = n
					}
				}
			}
		}
	}
}

// markRole marks the fields an installer may see but not change.
func markRole(x *rx, secs []section) {
	if x.sess != nil && x.sess.role == auth.RoleAdministrator {
		return
	}
	for _, sec := range secs {
		for _, f := range sec.Fields {
			for _, p := range adminOnlyPaths {
				if covers(p, f.Name) {
					f.AdminOnly = true
				}
			}
		}
	}
}

func index(secs []section) map[string]*field {
	m := map[string]*field{}
	for _, sec := range secs {
		for _, f := range sec.Fields {
			m[f.Name] = f
		}
	}
	return m
}

// valueErrors is returned by values for JSON values of the wrong type.
type valueErrors []fieldError

func (v valueErrors) Error() string { return "webui: values of the wrong type" }

// values reads the request's fields: a URL-encoded form (the last value of
// a repeated name wins, for the hidden "false" before a checkbox) or a
// flat JSON object of strings, numbers and booleans.
func (x *rx) values() (map[string]string, error) {
	mt, _, _ := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	out := map[string]string{}
	if mt == "application/json" {
		dec := json.NewDecoder(x.r.Body)
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("webui: data after the JSON object")
		}
		var bad valueErrors
		for k, v := range m {
			switch v := v.(type) {
			case string:
				out[k] = v
			case json.Number:
				out[k] = v.String()
			case bool:
				out[k] = strconv.FormatBool(v)
			case nil:
				out[k] = ""
			case []any:
				var items []string
				for _, it := range v {
					s, ok := it.(string)
					if !ok {
						bad = append(bad, fieldError{Field: k, Reason: x.T("err.type")})
						break
					}
					items = append(items, s)
				}
				out[k] = strings.Join(items, ",")
			default:
				bad = append(bad, fieldError{Field: k, Reason: x.T("err.type")})
			}
		}
		if bad != nil {
			slices.SortFunc(bad, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
			return out, bad
		}
		return out, nil
	}
	if err := x.r.ParseForm(); err != nil {
		return nil, err
	}
	for k, vs := range x.r.PostForm {
		if len(vs) > 0 {
			out[k] = vs[len(vs)-1]
		}
	}
	return out, nil
}

// badRequest answers a body that could not be read.
func (x *rx) badRequest(err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		x.fail(http.StatusRequestEntityTooLarge, "too_large", x.T("err.toolarge", mbe.Limit))
		return
	}
	x.fail(http.StatusBadRequest, "bad_request", x.T("err.badrequest", err.Error()))
}

// meta are request fields that are not configuration.
var meta = map[string]bool{"next": true}

// update applies the submitted values to the configuration: every name
// must be a field of the page, every value must parse, and the store must
// accept the result. It returns the changes or the refusals.
func (s *Server) update(x *rx, secs []section, v map[string]string) ([]config.Change, []fieldError) {
	fields := index(secs)
	var errs []fieldError
	names := make([]string, 0, len(v))
	for k := range v {
		if !meta[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	scratch := s.o.Config.Get()
	for _, k := range names {
		f := fields[k]
		if f == nil {
			name := k
			if len(name) > 80 {
				name = name[:80] + "..."
			}
			errs = append(errs, fieldError{Field: name, Reason: x.T("err.unknownfield")})
			continue
		}
		if err := f.set(&scratch, v[k]); err != nil {
			errs = append(errs, fieldError{Field: k, Reason: x.parseReason(f, err)})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(names) == 0 {
		return nil, nil
	}
	changes, err := s.o.Config.Update(config.SourceWeb, x.who(), func(c *config.Config) error {
		before := c.Clone()
		for _, k := range names {
			if err := fields[k].set(c, v[k]); err != nil {
				return &config.FieldError{Field: k, Reason: x.parseReason(fields[k], err)}
			}
		}
		return s.checkRole(x, &before, c)
	})
	if err != nil {
		return nil, x.refusals(err)
	}
	return changes, nil
}

// checkRole refuses an installer's changes under adminOnlyPaths.
func (s *Server) checkRole(x *rx, before, after *config.Config) error {
	if x.sess != nil && x.sess.role == auth.RoleAdministrator {
		return nil
	}
	changes, err := config.Diff(before, after)
	if err != nil {
		return err
	}
	var errs []error
	for _, ch := range changes {
		for _, p := range adminOnlyPaths {
			if covers(p, ch.Path) {
				errs = append(errs, &config.FieldError{Field: ch.Path, Reason: x.T("err.adminonly")})
			}
		}
	}
	return errors.Join(errs...)
}

// refusals turns an error of config.Store.Update into field errors.
func (x *rx) refusals(err error) []fieldError {
	var out []fieldError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if le, ok := err.(*config.LockedError); ok {
			out = append(out, fieldError{Field: le.Field, Reason: x.lockedReason(le)})
			return
		}
		if fe, ok := err.(*config.FieldError); ok {
			out = append(out, fieldError{Field: fe.Field, Reason: fe.Reason})
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *config.FieldError
		var le *config.LockedError
		if u := errors.Unwrap(err); u != nil && (errors.As(err, &fe) || errors.As(err, &le)) {
			walk(u) // "config: update: %w" around the errors of our own edit
			return
		}
		out = append(out, fieldError{Reason: strings.TrimPrefix(err.Error(), "config: ")})
	}
	walk(err)
	return out
}

func (x *rx) lockedReason(le *config.LockedError) string {
	if le.Lock == "locks" {
		return x.T("err.locks")
	}
	return x.T("err.locked", string(le.By), le.At.UTC().Format("2006-01-02 15:04 UTC"))
}

// attach puts the refusals next to their fields and returns the rest.
func attach(secs []section, errs []fieldError) []fieldError {
	fields := index(secs)
	var rest []fieldError
	for _, e := range errs {
		if f := fields[e.Field]; f != nil {
			if f.Error != "" {
				f.Error += "; "
			}
			f.Error += e.Reason
			continue
		}
		rest = append(rest, e)
	}
	return rest
}

// formPage serves GET of a form page.
func (s *Server) formPage(p *formPage) handlerFunc {
	return func(x *rx) {
		c := s.o.Config.Get()
		secs := p.build(x, &c)
		fill(secs, &c)
		markRole(x, secs)
		x.page(http.StatusOK, "form", p.title, p.nav, s.formData(x, p, secs, &c))
	}
}

func (s *Server) formData(x *rx, p *formPage, secs []section, c *config.Config) *formData {
	d := &formData{Page: p.name, Action: p.path, Sections: secs, Revision: c.Revision}
	if p == pageSetup {
		for _, pt := range c.Ports {
			d.Ports = append(d.Ports, pt.Index)
		}
	}
	if p == pageSyslog && s.o.Syslog != nil {
		st := s.o.Syslog()
		d.Syslog = &st
		switch {
		case st.Server == "":
			d.Note = x.T("syslog.off")
		case !st.Up && st.LastErr != "":
			d.Note, d.Bad = x.T("syslog.down", st.Server, st.LastErr, st.Sent, st.Dropped), true
		default:
			d.Note = x.T("syslog.up", st.Server, st.Sent, st.Dropped)
		}
	}
	if p.name == "sip" && len(c.SIP.Profiles) > 1 {
		for i, pr := range c.SIP.Profiles {
			d.Profiles = append(d.Profiles, option{Value: strconv.Itoa(i), Label: pr.Name})
		}
	}
	return d
}

// formSave serves POST of a form page.
func (s *Server) formSave(p *formPage) handlerFunc {
	return func(x *rx) {
		v, err := x.values()
		var verrs valueErrors
		if err != nil && !errors.As(err, &verrs) {
			x.badRequest(err)
			return
		}
		c := s.o.Config.Get()
		secs := p.build(x, &c)
		var changes []config.Change
		errs := []fieldError(verrs)
		if errs == nil {
			changes, errs = s.update(x, secs, v)
		}
		if errs == nil {
			out := map[string]any{"changes": changes}
			x.done(p.path, out)
			return
		}
		errs = normalize(p, secs, errs, v)
		if x.json {
			x.writeJSON(http.StatusUnprocessableEntity, apiError{Error: x.T("form.refused"), Code: "invalid", Fields: errs})
			return
		}
		// Show the form again with what was typed and why it was refused.
		fill(secs, &c)
		markRole(x, secs)
		fields := index(secs)
		for k, val := range v {
			if f := fields[k]; f != nil && f.Kind != kindPassword {
				f.Value = val
			}
		}
		d := s.formData(x, p, secs, &c)
		d.Errors = attach(secs, errs)
		d.Refused = true
		x.page(http.StatusUnprocessableEntity, "form", p.title, p.nav, d)
	}
}

// describe is a fieldError list as one line, for logs and messages.
func describe(errs []fieldError) string {
	var b strings.Builder
	for i, e := range errs {
		if i > 0 {
			b.WriteString("; ")
		}
		if e.Field != "" {
			fmt.Fprintf(&b, "%s: ", e.Field)
		}
		b.WriteString(e.Reason)
	}
	return b.String()
}
