package datamodel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/version"
)

// DefaultOUI is the manufacturer OUI used when Device.OUI is empty: a
// locally administered value (the second-lowest bit of the first octet is
// set), so it is nobody's assigned OUI. A product sets its manufacturer's.
const DefaultOUI = "02AD00"

// Device is the identity of the box as the data model reports it.
type Device struct {
	Manufacturer    string
	OUI             string // six upper-case hex digits; DefaultOUI when empty
	ModelName       string
	ProductClass    string
	SerialNumber    string
	HardwareVersion string
	SoftwareVersion string // version.Version when empty
	// The ports of the board: POTS.FXO and ISDN.PRI appear only when it
	// has them.
	FXS, FXO, E1 int
	Started      time.Time // boot time, for DeviceInfo.UpTime
}

// Check is one line of a line test (as the console and web page show it).
type Check struct {
	Name   string
	Result string
	OK     bool
}

// Registration is where a port account's registration stands, as
// sip/ua reports it: State is ua.RegStatus.String() ("disabled",
// "registering", "registered", "failed", "stopped"), Code the last SIP
// status (0 for none or a timeout).
type Registration struct {
	State string
	Code  int
}

// LogFile is one vendor log file (DeviceInfo.VendorLogFile).
type LogFile struct {
	Name        string
	MaximumSize uint32
	Persistent  bool
}

// Status are the live facts of the box. Every function may be nil; the
// parameters then read as empty, zero or "Disabled".
type Status struct {
	Registration func(port int) (Registration, bool)
	Hook         func(port int) (offHook, ok bool)
	LineState    func(port int) string // call-control state name ("idle", "connected", ...)
	LineTest     func(ctx context.Context, port int) ([]Check, error)
	WAN          func() (addr netip.Prefix, dhcp bool)
	DNS          func() []netip.Addr
	TimeSynced   func() bool
	Logs         func() []LogFile
	Records      func(n int) []cdr.Record // newest first, n = 0 all ((*cdr.Store).Last)
	Now          func() time.Time         // the clock; time.Now when nil
}

// Options say what the model serves and where it keeps its attributes.
type Options struct {
	Config  *config.Store // required
	FS      config.FS     // nil: the operating system's
	Dir     string        // attributes.json lives here; the folder must exist
	Device  Device
	Status  Status
	Runtime cwmp.Runtime // may be nil
	// Diagnostics is called when a diagnostic test the ACS requested has
	// finished (the client then queues "8 DIAGNOSTICS COMPLETE").
	Diagnostics func()
	// PollEvery is how often Run re-reads the status for active
	// notification (default 10 s).
	PollEvery time.Duration
	Log       *slog.Logger
}

// Model is the parameter tree of the box; it implements cwmp.Model. All
// methods may be called from any goroutine.
type Model struct {
	o      Options
	oui    string
	v1, v2 *schema

	mu     sync.Mutex // guards st, diags, lastSig; serialises RPCs that write
	st     state
	diags  map[int]*diag
	sig    string
	notify chan struct{}
}

var _ cwmp.Model = (*Model)(nil)

var errAbort = errors.New("datamodel: refused")

// New builds the model and loads its attributes from o.Dir.
func New(o Options) (*Model, error) {
	if o.Config == nil {
		return nil, errors.New("datamodel: Options.Config is required")
	}
	if o.FS == nil {
		o.FS = config.OSFS{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 10 * time.Second
	}
	if o.Device.SoftwareVersion == "" {
		o.Device.SoftwareVersion = version.Version
	}
	oui := strings.ToUpper(o.Device.OUI)
	if oui == "" {
		oui = DefaultOUI
	}
	o.Device.OUI = oui
	m := &Model{o: o, oui: oui, diags: map[int]*diag{}, notify: make(chan struct{}, 1)}
	m.v2 = build(tablesFor(m, false), paramsFor(m, false))
	m.v1 = build(tablesFor(m, true), paramsFor(m, true))
	hideAbsent(m.v2)
	m.st = loadState(o.FS, o.Dir, o.Log)
	return m, nil
}

// VendorPrefix is the prefix of this model's vendor extensions:
// "X_<OUI>_".
func (m *Model) VendorPrefix() string { return "X_" + m.oui + "_" }

// env is one request's view: a configuration snapshot and the status.
type env struct {
	m     *Model
	c     *config.Config
	now   time.Time
	cache map[string]any
}

func (m *Model) env() *env {
	c := m.o.Config.Get()
	return m.envFor(&c)
}

func (m *Model) envFor(c *config.Config) *env {
	now := time.Now()
	if m.o.Status.Now != nil {
		now = m.o.Status.Now()
	}
	return &env{m: m, c: c, now: now, cache: map[string]any{}}
}

func (m *Model) schemaFor(c *config.Config) *schema {
	if c.CWMP.DataModel == config.DataModelTR104v1 {
		return m.v1
	}
	return m.v2
}

func faultf(code int, format string, args ...any) *cwmp.Fault {
	return &cwmp.Fault{Code: code, String: fmt.Sprintf(format, args...)}
}

// DeviceID names the box in Inform.
func (m *Model) DeviceID() cwmp.DeviceID {
	d := m.o.Device
	return cwmp.DeviceID{Manufacturer: d.Manufacturer, OUI: m.oui, ProductClass: d.ProductClass, SerialNumber: d.SerialNumber}
}

// Names answers GetParameterNames.
func (m *Model) Names(path string, nextLevel bool) ([]cwmp.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.env()
	s := m.schemaFor(e.c)
	en, ok := s.lookup(e, path)
	if !ok {
		return nil, faultf(cwmp.FaultInvalidName, "no parameter or object %q", path)
	}
	if !en.isObject() {
		if nextLevel {
			return nil, faultf(cwmp.FaultInvalidArguments, "NextLevel is true for the parameter %q", path)
		}
		return []cwmp.Info{{Name: en.name, Writable: en.writable()}}, nil
	}
	var out []cwmp.Info
	if nextLevel {
		for _, k := range s.children(e, en) {
			out = append(out, cwmp.Info{Name: k.name, Writable: k.writable()})
		}
		return out, nil
	}
	if path != "" {
		out = append(out, cwmp.Info{Name: en.name, Writable: en.writable()})
	}
	s.walk(e, en, func(k entry) { out = append(out, cwmp.Info{Name: k.name, Writable: k.writable()}) })
	return out, nil
}

// Values answers GetParameterValues.
func (m *Model) Values(names []string) ([]cwmp.Value, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.env()
	s := m.schemaFor(e.c)
	if len(names) == 0 {
		names = []string{""}
	}
	var out []cwmp.Value
	for _, name := range names {
		en, ok := s.lookup(e, name)
		if !ok {
			return nil, faultf(cwmp.FaultInvalidName, "no parameter or object %q", name)
		}
		if !en.isObject() {
			out = append(out, value(e, en))
			continue
		}
		s.walk(e, en, func(k entry) {
			if !k.isObject() {
				out = append(out, value(e, k))
			}
		})
	}
	return out, nil
}

func value(e *env, en entry) cwmp.Value {
	p := en.n.param
	v := ""
	if !p.secret {
		v = p.get(e, en.ix)
	}
	return cwmp.Value{Name: en.name, Type: p.typ.xsd(), Value: v}
}

// op is one checked parameter of a SetParameterValues.
type op struct {
	en entry
	v  string
}

// Set applies SetParameterValues: every value or none, in one
// configuration change from config.SourceCWMP.
func (m *Model) Set(values []cwmp.Value, key string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v.Name] {
			return 0, faultf(cwmp.FaultInvalidArguments, "%q appears twice", v.Name)
		}
		seen[v.Name] = true
	}
	if len(key) > 32 {
		return 0, faultf(cwmp.FaultInvalidArguments, "ParameterKey is longer than 32 characters")
	}
	e := m.env()
	s := m.schemaFor(e.c)
	var faults []cwmp.ParamFault
	bad := func(name string, code int, format string, args ...any) {
		faults = append(faults, cwmp.ParamFault{Name: name, Code: code, String: fmt.Sprintf(format, args...)})
	}
	var ops []op
	for _, v := range values {
		en, ok := s.lookup(e, v.Name)
		if !ok || en.isObject() {
			bad(v.Name, cwmp.FaultInvalidName, "no such parameter")
			continue
		}
		p := en.n.param
		if !p.writable() {
			bad(v.Name, cwmp.FaultNotWritable, "the parameter is read-only")
			continue
		}
		if v.Type != "" {
			t, ok := parseXSD(v.Type)
			if !ok || (t != p.typ && t != tString) {
				bad(v.Name, cwmp.FaultInvalidType, "is %s, given as %s", p.typ.xsd(), v.Type)
				continue
			}
		}
		cv, err := canon(p.typ, v.Value)
		if err != nil {
			bad(v.Name, cwmp.FaultInvalidType, "%q is not a valid %s", v.Value, p.typ)
			continue
		}
		ops = append(ops, op{en, cv})
	}
	if len(faults) == 0 {
		refused := false
		_, err := m.o.Config.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
			if len(m.apply(c, ops)) > 0 {
				refused = true
				return errAbort
			}
			normalize(c)
			return nil
		})
		if err != nil && !refused {
			if faults = m.configFaults(e.c, ops, err); len(faults) == 0 {
				return 0, faultf(cwmp.FaultInternal, "%v", err)
			}
			return 0, &cwmp.SetFault{Faults: faults}
		}
		if err == nil {
			m.applied(ops, key)
			return 0, nil
		}
	}
	// The request fails, but the ACS learns about every faulty parameter
	// at once (TR-069 A.3.2.1: one SetParameterValuesFault each): the
	// value checks of the other parameters run on a copy of the
	// configuration.
	faults = append(faults, m.valueFaults(e.c, ops)...)
	order := map[string]int{}
	for i, v := range values {
		order[v.Name] = i
	}
	slices.SortStableFunc(faults, func(a, b cwmp.ParamFault) int { return order[a.Name] - order[b.Name] })
	return 0, &cwmp.SetFault{Faults: faults}
}

// applied finishes a Set whose values are in the configuration: the
// parameters' actions run, the values are acknowledged and ParameterKey
// becomes key. m.mu is held.
func (m *Model) applied(ops []op, key string) {
	for _, o := range ops {
		if a := o.en.n.param.action; a != nil {
			a(m, o.en.ix, o.v) // m.mu is held
		}
	}
	// The ACS's own changes are not value changes to report back.
	after := m.env()
	for _, o := range ops {
		m.st.Acked[o.en.name] = o.en.n.param.get(after, o.en.ix)
	}
	m.st.ParameterKey = key
	m.saveLocked()
}

// apply writes the values of ops into c and returns a 9007 fault for each
// value the parameter's own checks refuse.
func (m *Model) apply(c *config.Config, ops []op) []cwmp.ParamFault {
	var faults []cwmp.ParamFault
	ce := m.envFor(c)
	for _, o := range ops {
		if err := o.en.n.param.set(ce, c, o.en.ix, o.v); err != nil {
			faults = append(faults, cwmp.ParamFault{Name: o.en.name, Code: cwmp.FaultInvalidValue, String: err.Error()})
		}
	}
	return faults
}

// valueFaults runs the value checks of ops without committing anything:
// the parameters' own checks on a copy of old, then the configuration's
// validation of the values that passed them, whose complaints
// configFaults maps back to the parameters.
func (m *Model) valueFaults(old *config.Config, ops []op) []cwmp.ParamFault {
	next := old.Clone()
	faults := m.apply(&next, ops)
	if len(faults) > 0 {
		ops = slices.DeleteFunc(slices.Clone(ops), func(o op) bool {
			return slices.ContainsFunc(faults, func(f cwmp.ParamFault) bool { return f.Name == o.en.name })
		})
		next = old.Clone()
		m.apply(&next, ops)
	}
	if len(ops) == 0 {
		return faults
	}
	normalize(&next)
	v := next.Clone()
	if err := v.Validate(); err != nil {
		faults = append(faults, m.configFaults(old, ops, err)...)
	}
	return faults
}

// configFaults maps the refusal of the configuration store back to the
// parameters of the request (c is the configuration before it): a field
// error goes to the parameter that writes that field; else to the
// parameters without which the error goes away (a range check names one
// end of the range when the request changed the other); else to one
// whose object holds the field; else to the first.
func (m *Model) configFaults(c *config.Config, ops []op, err error) []cwmp.ParamFault {
	var fes []*config.FieldError
	collectFieldErrors(err, &fes)
	if len(fes) == 0 || len(ops) == 0 {
		return nil
	}
	var out []cwmp.ParamFault
	done := map[string]bool{}
	add := func(name string, fe *config.FieldError) {
		if done[name] {
			return
		}
		done[name] = true
		out = append(out, cwmp.ParamFault{Name: name, Code: cwmp.FaultInvalidValue, String: fe.Field + ": " + fe.Reason})
	}
	var without map[int][]*config.FieldError // op index → the field errors of the request without it
	for _, fe := range fes {
		name := ""
		best := -1
		for _, o := range ops {
			p := o.en.n.param
			if p.path == nil {
				continue
			}
			cp := p.path(c, o.en.ix)
			if cp == "" {
				continue
			}
			if cp == fe.Field || covers(cp, fe.Field) || covers(fe.Field, cp) {
				name, best = o.en.name, 2
				break
			}
			if best < 1 && sameObject(cp, fe.Field) {
				name, best = o.en.name, 1
			}
		}
		if best == 2 {
			add(name, fe)
			continue
		}
		if without == nil && len(ops) <= maxBlame {
			without = m.counterfactuals(c, ops)
		}
		blamed := false
		for i, o := range ops {
			rest, ok := without[i]
			if ok && !slices.ContainsFunc(rest, func(x *config.FieldError) bool { return x.Field == fe.Field }) {
				add(o.en.name, fe)
				blamed = true
			}
		}
		if blamed {
			continue
		}
		if name == "" {
			name = ops[0].en.name
		}
		add(name, fe)
	}
	return out
}

// maxBlame bounds the requests whose configuration faults are pinned down
// by validating them once without each parameter (quadratic work); larger
// ones fall back to the parameter of the same object.
const maxBlame = 64

// counterfactuals validates the request once without each of its
// parameters and returns, per left-out op, the field errors that remain
// (no entry when the rest of the request fails the parameters' own
// checks: that tells nothing).
func (m *Model) counterfactuals(c *config.Config, ops []op) map[int][]*config.FieldError {
	out := map[int][]*config.FieldError{}
	for i := range ops {
		rest := slices.Concat(ops[:i], ops[i+1:])
		next := c.Clone()
		if len(m.apply(&next, rest)) > 0 {
			continue
		}
		normalize(&next)
		var fes []*config.FieldError
		v := next.Clone()
		if err := v.Validate(); err != nil {
			collectFieldErrors(err, &fes)
		}
		out[i] = fes
	}
	return out
}

func collectFieldErrors(err error, out *[]*config.FieldError) {
	var fe *config.FieldError
	if errors.As(err, &fe) && fe == err {
		*out = append(*out, fe)
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			collectFieldErrors(e, out)
		}
		return
	}
	if errors.As(err, &fe) {
		*out = append(*out, fe)
	}
}

// covers reports whether the config path p is lock or below it.
func covers(lock, p string) bool {
	if !strings.HasPrefix(p, lock) {
		return false
	}
	rest := p[len(lock):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

// sameObject reports whether two config paths are fields of the same
// array element ("ports[0].sip.user" and "ports[0].sip.profile").
func sameObject(a, b string) bool {
	i := strings.IndexByte(a, ']')
	return i > 0 && strings.HasPrefix(b, a[:i+1])
}

// AddObject adds an instance of the table at path ("….Client.").
func (m *Model) AddObject(path, key string) (uint32, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.env()
	s := m.schemaFor(e.c)
	en, ok := s.lookup(e, path)
	if !ok || !en.isObject() || len(en.n.kids) != 1 || en.n.kids[0].seg != "{i}" || en.n.kids[0].table.add == nil {
		return 0, 0, faultf(cwmp.FaultInvalidName, "%q is not an object the ACS can add to", path)
	}
	t := en.n.kids[0].table
	added := maps.Clone(m.st.Added)
	var inst int
	var ferr error
	_, err := m.o.Config.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		var err error
		inst, err = t.add(m.envFor(c), c, en.ix)
		if err != nil {
			ferr = err
			return errAbort
		}
		return nil
	})
	if err != nil {
		m.st.Added = added
		return 0, 0, rpcFault(ferr, err)
	}
	m.st.ParameterKey = key
	m.saveLocked()
	return uint32(inst), 0, nil
}

// DeleteObject deletes the instance at path ("….Client.2.").
func (m *Model) DeleteObject(path, key string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.env()
	s := m.schemaFor(e.c)
	en, ok := s.lookup(e, path)
	if !ok || !en.isObject() || en.n.seg != "{i}" || en.n.table.del == nil {
		return 0, faultf(cwmp.FaultInvalidName, "%q is not an object instance the ACS can delete", path)
	}
	var ferr error
	added := maps.Clone(m.st.Added)
	_, err := m.o.Config.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		if err := en.n.table.del(m.envFor(c), c, en.ix); err != nil {
			ferr = err
			return errAbort
		}
		return nil
	})
	if err != nil {
		m.st.Added = added
		return 0, rpcFault(ferr, err)
	}
	m.st.ParameterKey = key
	m.saveLocked()
	return 0, nil
}

// rpcFault turns the refusal of an add or delete into a CWMP fault.
func rpcFault(own, err error) error {
	var f *cwmp.Fault
	if errors.As(own, &f) {
		return f
	}
	if own != nil {
		return faultf(cwmp.FaultRequestDenied, "%v", own)
	}
	var fe *config.FieldError
	if errors.As(err, &fe) {
		return faultf(cwmp.FaultRequestDenied, "%v", err)
	}
	return faultf(cwmp.FaultInternal, "%v", err)
}

// Inform returns the forced-inform parameters of TR-181 and the WAN
// address.
func (m *Model) Inform() []cwmp.Value {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := []string{
		"Device.RootDataModelVersion",
		"Device.DeviceInfo.HardwareVersion",
		"Device.DeviceInfo.SoftwareVersion",
		"Device.DeviceInfo.ProvisioningCode",
		"Device.ManagementServer.ParameterKey",
		"Device.ManagementServer.ConnectionRequestURL",
		"Device.ManagementServer.AliasBasedAddressing",
		"Device.IP.Interface.1.IPv4Address.1.IPAddress",
	}
	e := m.env()
	s := m.schemaFor(e.c)
	out := make([]cwmp.Value, 0, len(names))
	for _, n := range names {
		if en, ok := s.lookup(e, n); ok && !en.isObject() {
			out = append(out, value(e, en))
		}
	}
	return out
}
