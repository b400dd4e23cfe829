package datamodel

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
)

// Files in Options.Dir.
const (
	StateName = "attributes.json"
)

// state is what the model keeps on flash: the attributes the ACS set, the
// values it last acknowledged (for VALUE CHANGE), ParameterKey and
// ProvisioningCode.
type state struct {
	Version          int                 `json:"version"`
	ParameterKey     string              `json:"parameterKey"`
	ProvisioningCode string              `json:"provisioningCode"`
	Notify           map[string]int      `json:"notify"`           // full name → 0 off, 1 passive, 2 active
	Access           map[string][]string `json:"access,omitempty"` // full name → AccessList
	Acked            map[string]string   `json:"acked"`            // full name → value the ACS last received
	Added            map[string]bool     `json:"added,omitempty"`  // accounts the ACS added ("account:<port>")
}

func newState() state {
	return state{Version: 1, Notify: map[string]int{}, Access: map[string][]string{}, Acked: map[string]string{}, Added: map[string]bool{}}
}

func (s state) clone() state {
	c := s
	c.Notify = maps.Clone(s.Notify)
	c.Access = maps.Clone(s.Access)
	c.Acked = maps.Clone(s.Acked)
	c.Added = maps.Clone(s.Added)
	return c
}

// loadState reads attributes.json; a missing or damaged file gives an
// empty state (logged), never an error: the box must come up.
func loadState(fsys config.FS, dir string, log *slog.Logger) state {
	st := newState()
	data, err := fsys.ReadFile(filepath.Join(dir, StateName))
	if errors.Is(err, fs.ErrNotExist) {
		return st
	}
	if err == nil {
		err = json.Unmarshal(data, &st)
	}
	if err != nil {
		log.Error("datamodel: cannot read the parameter attributes; starting without them", "err", err)
		return newState()
	}
	if st.Notify == nil {
		st.Notify = map[string]int{}
	}
	if st.Access == nil {
		st.Access = map[string][]string{}
	}
	if st.Acked == nil {
		st.Acked = map[string]string{}
	}
	if st.Added == nil {
		st.Added = map[string]bool{}
	}
	return st
}

// saveLocked writes the state atomically: a temporary file, synced, then
// renamed over attributes.json and the folder synced. A power cut leaves
// the old or the new file. m.mu is held.
func (m *Model) saveLocked() {
	if err := m.save(); err != nil {
		m.o.Log.Error("datamodel: cannot store the parameter attributes", "err", err)
	}
}

func (m *Model) save() error {
	data, err := json.Marshal(&m.st)
	if err != nil {
		return err
	}
	return config.ReplaceFile(m.o.FS, m.o.Dir, StateName, data)
}

// notification is the effective notification of parameter p at name.
func (m *Model) notification(p *param, name string) int {
	switch p.notify {
	case notifyForceActive:
		return cwmp.NotifyActive
	case notifyDefaultActive:
		if n, ok := m.st.Notify[name]; ok {
			return n
		}
		return cwmp.NotifyActive
	}
	return m.st.Notify[name]
}

// Attributes answers GetParameterAttributes.
func (m *Model) Attributes(names []string) ([]cwmp.Attr, error) {
	e := m.env()
	s := m.schemaFor(e.c)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(names) == 0 {
		names = []string{""}
	}
	var out []cwmp.Attr
	add := func(en entry) {
		acl := m.st.Access[en.name]
		if acl == nil {
			acl = []string{}
		}
		out = append(out, cwmp.Attr{Name: en.name, Notification: m.notification(en.n.param, en.name), AccessList: slices.Clone(acl)})
	}
	for _, name := range names {
		en, ok := s.lookup(e, name)
		if !ok {
			return nil, faultf(cwmp.FaultInvalidName, "no parameter or object %q", name)
		}
		if !en.isObject() {
			add(en)
			continue
		}
		s.walk(e, en, func(k entry) {
			if !k.isObject() {
				add(k)
			}
		})
	}
	return out, nil
}

// SetAttributes answers SetParameterAttributes: all or nothing, stored
// before it returns. Active notification of a counter or clock
// (activeNotify canDeny) is refused with 9009 when named alone and left
// out under a partial path; so is turning off a forced one.
func (m *Model) SetAttributes(attrs []cwmp.SetAttr) error {
	e := m.env()
	s := m.schemaFor(e.c)
	m.mu.Lock()
	defer m.mu.Unlock()
	type change struct {
		en entry
		a  cwmp.SetAttr
	}
	var changes []change
	for _, a := range attrs {
		if a.NotificationChange && (a.Notification < 0 || a.Notification > 2) {
			return faultf(cwmp.FaultInvalidArguments, "notification %d for %q (0, 1 or 2)", a.Notification, a.Name)
		}
		if a.AccessListChange {
			for _, x := range a.AccessList {
				if x != "Subscriber" {
					return faultf(cwmp.FaultInvalidArguments, "access list entry %q (only \"Subscriber\")", x)
				}
			}
		}
		en, ok := s.lookup(e, a.Name)
		if !ok {
			return faultf(cwmp.FaultInvalidName, "no parameter or object %q", a.Name)
		}
		refused := func(p *param) bool {
			if !a.NotificationChange {
				return false
			}
			return p.notify == notifyCanDeny && a.Notification == cwmp.NotifyActive ||
				p.notify == notifyForceActive && a.Notification != cwmp.NotifyActive
		}
		if !en.isObject() {
			if refused(en.n.param) {
				return faultf(cwmp.FaultNotifyRejected, "notification %d is not available for %q", a.Notification, a.Name)
			}
			changes = append(changes, change{en, a})
			continue
		}
		s.walk(e, en, func(k entry) {
			if !k.isObject() && !refused(k.n.param) {
				changes = append(changes, change{k, a})
			}
		})
	}
	was := m.st.clone()
	for _, c := range changes {
		p := c.en.n.param
		if c.a.NotificationChange {
			was := m.notification(p, c.en.name)
			if c.a.Notification == cwmp.NotifyOff && p.notify == notifyNormal {
				delete(m.st.Notify, c.en.name)
			} else {
				m.st.Notify[c.en.name] = c.a.Notification
			}
			if was == cwmp.NotifyOff && c.a.Notification != cwmp.NotifyOff {
				m.st.Acked[c.en.name] = value(e, c.en).Value // the baseline
			}
			if c.a.Notification == cwmp.NotifyOff {
				delete(m.st.Acked, c.en.name)
			}
		}
		if c.a.AccessListChange {
			if len(c.a.AccessList) == 0 {
				delete(m.st.Access, c.en.name)
			} else {
				m.st.Access[c.en.name] = slices.Clone(c.a.AccessList)
			}
		}
	}
	if err := m.save(); err != nil {
		m.st = was
		return faultf(cwmp.FaultInternal, "storing the attributes: %v", err)
	}
	return nil
}

// watched lists the names whose notification is on: the ones the ACS set
// and the forced ones.
func (m *Model) watched(s *schema) []string {
	var names []string
	for n, v := range m.st.Notify {
		if v != cwmp.NotifyOff {
			names = append(names, n)
		}
	}
	for _, p := range s.params {
		if (p.notify == notifyForceActive || p.notify == notifyDefaultActive) && !strings.Contains(p.name, "{i}") {
			if _, set := m.st.Notify[p.name]; !set {
				names = append(names, p.name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Changes returns the parameters with notification on whose value differs
// from the one last acknowledged, and whether one of them is active.
func (m *Model) Changes() ([]cwmp.Value, bool) {
	e := m.env()
	s := m.schemaFor(e.c)
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []cwmp.Value
	active := false
	for _, name := range m.watched(s) {
		en, ok := s.lookup(e, name)
		if !ok || en.isObject() {
			continue // the object it belonged to is gone
		}
		v := value(e, en)
		old, known := m.st.Acked[name]
		if !known {
			m.st.Acked[name] = v.Value // first sight: the baseline
			continue
		}
		if old == v.Value {
			continue
		}
		out = append(out, v)
		if m.notification(en.n.param, name) == cwmp.NotifyActive {
			active = true
		}
	}
	return out, active
}

// Acknowledge records values the ACS has received (its InformResponse).
func (m *Model) Acknowledge(reported []cwmp.Value) {
	if len(reported) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range reported {
		m.st.Acked[v.Name] = v.Value
	}
	m.sig = ""
	m.saveLocked()
}

// Notify receives when a parameter with active notification changed.
func (m *Model) Notify() <-chan struct{} { return m.notify }

// Run watches the configuration and polls the status every PollEvery,
// signalling Notify when a parameter with active notification changed
// (once per distinct set of changes). It returns when ctx is done.
func (m *Model) Run(ctx context.Context) error {
	cfg, stop := m.o.Config.Watch()
	defer stop()
	t := time.NewTicker(m.o.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cfg:
		case <-t.C:
		}
		m.check()
	}
}

// check signals Notify when active changes differ from the last signal.
func (m *Model) check() {
	changed, active := m.Changes()
	if !active {
		return
	}
	var b strings.Builder
	for _, v := range changed {
		b.WriteString(v.Name + "=" + v.Value + "\n")
	}
	m.mu.Lock()
	same := m.sig == b.String()
	m.sig = b.String()
	m.mu.Unlock()
	if same {
		return
	}
	select {
	case m.notify <- struct{}{}:
	default:
	}
}
