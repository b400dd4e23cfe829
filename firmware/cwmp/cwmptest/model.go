// Package cwmptest is an in-memory cwmp.Model for tests of the CWMP client:
// a flat list of typed parameters, notification attributes, value-change
// tracking and instances added under object templates.
//
// All methods may be called from any goroutine.
package cwmptest

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/openiad/openiad/firmware/cwmp"
)

// Param is one parameter of the fake tree.
type Param struct {
	Type     string // "xsd:string", "xsd:unsignedInt", "xsd:boolean", ...
	Value    string
	Writable bool
	Max      int // for strings: the longest value accepted (0: any)
}

// Model is the fake tree.
type Model struct {
	mu        sync.Mutex
	id        cwmp.DeviceID
	params    map[string]*Param
	inform    []string
	attrs     map[string]int
	reported  map[string]string
	templates map[string]map[string]Param // "Device.X.Line." -> leaf -> param
	next      map[string]uint32
	notify    chan struct{}
	Sets      int // successful Set calls
}

// New returns a model with params; inform names the forced-inform ones.
func New(id cwmp.DeviceID, params map[string]Param, inform ...string) *Model {
	m := &Model{id: id, params: map[string]*Param{}, inform: inform, attrs: map[string]int{}, reported: map[string]string{},
		templates: map[string]map[string]Param{}, next: map[string]uint32{}, notify: make(chan struct{}, 1)}
	for n, p := range params {
		m.params[n] = &p
	}
	m.params["Device.ManagementServer.ParameterKey"] = &Param{Type: "xsd:string"}
	return m
}

// Template lets AddObject create instances of object (ending with ".")
// with the given leaves.
func (m *Model) Template(object string, leaves map[string]Param) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.templates[object] = leaves
}

// Get returns a parameter's value.
func (m *Model) Get(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.params[name]; p != nil {
		return p.Value
	}
	return ""
}

// Change sets a value from the box's side (as the web page would).
func (m *Model) Change(name, value string) {
	m.mu.Lock()
	p := m.params[name]
	if p != nil {
		p.Value = value
	}
	active := m.attrs[name] == cwmp.NotifyActive
	m.mu.Unlock()
	if active {
		select {
		case m.notify <- struct{}{}:
		default:
		}
	}
}

func fault(code int) *cwmp.Fault { return &cwmp.Fault{Code: code, String: cwmp.FaultText(code)} }

// DeviceID implements cwmp.Model.
func (m *Model) DeviceID() cwmp.DeviceID { return m.id }

func (m *Model) sorted() []string { return slices.Sorted(maps.Keys(m.params)) }

// Names implements cwmp.Model.
func (m *Model) Names(path string, nextLevel bool) ([]cwmp.Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.params[path]; ok {
		if nextLevel {
			return nil, fault(cwmp.FaultInvalidArguments)
		}
		return []cwmp.Info{{Name: path, Writable: p.Writable}}, nil
	}
	if path != "" && !strings.HasSuffix(path, ".") {
		return nil, fault(cwmp.FaultInvalidName)
	}
	seen := map[string]bool{}
	var out []cwmp.Info
	found := false
	for _, n := range m.sorted() {
		rest, ok := strings.CutPrefix(n, path)
		if !ok {
			continue
		}
		found = true
		parts := strings.Split(rest, ".")
		limit := len(parts)
		if nextLevel {
			limit = 1
		}
		for i := 0; i < limit && i < len(parts)-1; i++ {
			obj := path + strings.Join(parts[:i+1], ".") + "."
			if !seen[obj] {
				seen[obj] = true
				_, tmpl := m.templates[strings.TrimSuffix(strings.TrimSuffix(obj, "."), "."+lastSeg(obj))+"."]
				out = append(out, cwmp.Info{Name: obj, Writable: tmpl})
			}
		}
		if len(parts) <= limit {
			out = append(out, cwmp.Info{Name: n, Writable: m.params[n].Writable})
		}
	}
	if !found {
		return nil, fault(cwmp.FaultInvalidName)
	}
	return out, nil
}

func lastSeg(obj string) string {
	s := strings.TrimSuffix(obj, ".")
	return s[strings.LastIndexByte(s, '.')+1:]
}

// Values implements cwmp.Model.
func (m *Model) Values(names []string) ([]cwmp.Value, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []cwmp.Value
	for _, name := range names {
		if p, ok := m.params[name]; ok {
			out = append(out, cwmp.Value{Name: name, Type: p.Type, Value: p.Value})
			continue
		}
		if name != "" && !strings.HasSuffix(name, ".") {
			return nil, fault(cwmp.FaultInvalidName)
		}
		n0 := len(out)
		for _, n := range m.sorted() {
			if strings.HasPrefix(n, name) {
				p := m.params[n]
				out = append(out, cwmp.Value{Name: n, Type: p.Type, Value: p.Value})
			}
		}
		if len(out) == n0 {
			return nil, fault(cwmp.FaultInvalidName)
		}
	}
	return out, nil
}

func valid(p *Param, v cwmp.Value) int {
	if v.Type != p.Type && v.Type != "xsd:string" {
		return cwmp.FaultInvalidType
	}
	switch p.Type {
	case "xsd:unsignedInt":
		if _, err := strconv.ParseUint(v.Value, 10, 32); err != nil {
			return cwmp.FaultInvalidValue
		}
	case "xsd:int":
		if _, err := strconv.ParseInt(v.Value, 10, 32); err != nil {
			return cwmp.FaultInvalidValue
		}
	case "xsd:boolean":
		switch v.Value {
		case "0", "1", "true", "false":
		default:
			return cwmp.FaultInvalidValue
		}
	case "xsd:string":
		if p.Max > 0 && len(v.Value) > p.Max {
			return cwmp.FaultInvalidValue
		}
	}
	return 0
}

// Set implements cwmp.Model: every value or none.
func (m *Model) Set(values []cwmp.Value, key string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var faults []cwmp.ParamFault
	for _, v := range values {
		p, ok := m.params[v.Name]
		code := 0
		switch {
		case !ok:
			code = cwmp.FaultInvalidName
		case !p.Writable:
			code = cwmp.FaultNotWritable
		default:
			code = valid(p, v)
		}
		if code != 0 {
			faults = append(faults, cwmp.ParamFault{Name: v.Name, Code: code, String: cwmp.FaultText(code)})
		}
	}
	if len(faults) > 0 {
		return 0, &cwmp.SetFault{Faults: faults}
	}
	for _, v := range values {
		m.params[v.Name].Value = v.Value
	}
	m.params["Device.ManagementServer.ParameterKey"].Value = key
	m.Sets++
	return 0, nil
}

// Attributes implements cwmp.Model.
func (m *Model) Attributes(names []string) ([]cwmp.Attr, error) {
	vals, err := m.Values(names)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []cwmp.Attr
	for _, v := range vals {
		out = append(out, cwmp.Attr{Name: v.Name, Notification: m.attrs[v.Name]})
	}
	return out, nil
}

// SetAttributes implements cwmp.Model.
func (m *Model) SetAttributes(attrs []cwmp.SetAttr) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range attrs {
		if _, ok := m.params[a.Name]; !ok {
			return fault(cwmp.FaultInvalidName)
		}
		if a.Notification < 0 || a.Notification > 2 {
			return fault(cwmp.FaultInvalidArguments)
		}
	}
	for _, a := range attrs {
		if a.NotificationChange {
			m.attrs[a.Name] = a.Notification
			m.reported[a.Name] = m.params[a.Name].Value
		}
	}
	return nil
}

// AddObject implements cwmp.Model.
func (m *Model) AddObject(path, key string) (uint32, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	leaves, ok := m.templates[path]
	if !ok {
		return 0, 0, fault(cwmp.FaultInvalidName)
	}
	m.next[path]++
	n := m.next[path]
	for leaf, p := range leaves {
		m.params[path+strconv.Itoa(int(n))+"."+leaf] = &p
	}
	m.params["Device.ManagementServer.ParameterKey"].Value = key
	return n, 0, nil
}

// DeleteObject implements cwmp.Model.
func (m *Model) DeleteObject(path, key string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	found := false
	for n := range m.params {
		if strings.HasPrefix(n, path) {
			delete(m.params, n)
			found = true
		}
	}
	if !found || !strings.HasSuffix(path, ".") {
		return 0, fault(cwmp.FaultInvalidName)
	}
	m.params["Device.ManagementServer.ParameterKey"].Value = key
	return 0, nil
}

// Inform implements cwmp.Model.
func (m *Model) Inform() []cwmp.Value {
	v, _ := m.Values(m.inform)
	return v
}

// Changes implements cwmp.Model.
func (m *Model) Changes() ([]cwmp.Value, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []cwmp.Value
	active := false
	for _, n := range slices.Sorted(maps.Keys(m.attrs)) {
		p := m.params[n]
		if m.attrs[n] == cwmp.NotifyOff || p == nil || m.reported[n] == p.Value {
			continue
		}
		out = append(out, cwmp.Value{Name: n, Type: p.Type, Value: p.Value})
		active = active || m.attrs[n] == cwmp.NotifyActive
	}
	return out, active
}

// Acknowledge implements cwmp.Model.
func (m *Model) Acknowledge(vals []cwmp.Value) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range vals {
		m.reported[v.Name] = v.Value
	}
}

// Notify implements cwmp.Model.
func (m *Model) Notify() <-chan struct{} { return m.notify }
