package datamodel

import (
	"slices"
	"strconv"
	"strings"

	"github.com/openiad/openiad/firmware/config"
)

// notifyRule is what TR-069 allows of a parameter's notification
// attribute (the activeNotify attribute of the Broadband Forum XML).
type notifyRule uint8

const (
	notifyNormal        notifyRule = iota
	notifyCanDeny                  // counters, clocks: active notification is refused
	notifyForceActive              // always active (SoftwareVersion, ProvisioningCode)
	notifyDefaultActive            // active unless the ACS turns it off (ConnectionRequestURL)
)

// getter reads a parameter. ix holds the instance numbers of the {i}
// steps of its name, outermost first.
type getter func(e *env, ix []int) string

// setter writes the canonical value v into c; an error is a refused value
// (fault 9007).
type setter func(e *env, c *config.Config, ix []int, v string) error

// pather names the config field a parameter maps to ("" for status),
// for carrier locks and for telling which config field a refusal is about.
type pather func(c *config.Config, ix []int) string

// param is one row of the table: a parameter, its type and access, and
// where its value lives.
type param struct {
	name   string // full pattern: "Device.Services.VoiceService.1.SIP.Client.{i}.AuthUserName"
	typ    xtype
	get    getter
	set    setter // nil: read-only
	path   pather // nil: not a config field
	notify notifyRule
	secret bool // reads as "" (passwords, TR-069 A.3.2.2)
	// alias marks a second view of a config field another row maps
	// plainly (RegisterURI of the user): locks are named after the other.
	alias bool
	// action, when set, is a side effect to run after the configuration
	// commit succeeded (diagnostics); set is then a validity check only.
	action func(m *Model, ix []int, v string)
}

func (p *param) writable() bool { return p.set != nil }

// table is a multi-instance object: how its instances are listed, added
// and deleted.
type table struct {
	list func(e *env, ix []int) []int                          // instance numbers under the parent instance ix
	add  func(e *env, c *config.Config, ix []int) (int, error) // nil: AddObject not allowed
	del  func(e *env, c *config.Config, ix []int) error        // ix includes the instance; nil: not allowed
	path pather                                                // config path of an instance ("" none)
}

// node is one step of the name tree.
type node struct {
	seg   string // "DeviceInfo", "{i}", "Manufacturer"
	param *param // a leaf
	table *table // set on a "{i}" node
	kids  []*node
	// hide, when set, hides the object for a box without the hardware
	// (POTS.FXO, ISDN without ports).
	hide func(e *env) bool
}

func (n *node) hidden(e *env) bool { return n.hide != nil && n.hide(e) }

func (n *node) child(seg string) *node {
	for _, k := range n.kids {
		if k.seg == seg {
			return k
		}
	}
	return nil
}

// schema is a built parameter tree.
type schema struct {
	root   *node // the node above "Device"
	params []*param
	tables map[string]*table // by pattern ("Device.…Client.{i}")
}

// build makes the tree of params; tables gives the multi-instance objects
// by the pattern up to their "{i}".
func build(tables map[string]*table, params []*param) *schema {
	s := &schema{root: &node{}, params: params, tables: tables}
	for _, p := range params {
		segs := strings.Split(p.name, ".")
		n := s.root
		for i, seg := range segs {
			k := n.child(seg)
			if k == nil {
				k = &node{seg: seg}
				if seg == "{i}" {
					pat := strings.Join(segs[:i+1], ".")
					k.table = tables[pat]
					if k.table == nil {
						panic("datamodel: no table for " + pat)
					}
				}
				n.kids = append(n.kids, k)
			}
			n = k
		}
		if n.param != nil || len(n.kids) > 0 {
			panic("datamodel: duplicate parameter " + p.name)
		}
		n.param = p
	}
	// Tables with no parameters yet must still be reachable.
	for pat, t := range tables {
		segs := strings.Split(pat, ".")
		n := s.root
		for _, seg := range segs {
			k := n.child(seg)
			if k == nil {
				k = &node{seg: seg}
				if seg == "{i}" {
					k.table = t
				}
				n.kids = append(n.kids, k)
			}
			n = k
		}
	}
	return s
}

// hideWhen hides the object at name (a full path without instances,
// ending with ".") when hide says so.
func (s *schema) hideWhen(name string, hide func(e *env) bool) {
	n := s.root
	for _, seg := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if n = n.child(seg); n == nil {
			return
		}
	}
	n.hide = hide
}

// entry is a node at a given instance: a parameter, or an object (name
// ending with ".").
type entry struct {
	name string
	n    *node
	ix   []int
}

func (en entry) isObject() bool { return en.n.param == nil }

// writable is the Writable of GetParameterNames: for a table object
// whether AddObject works, for an instance whether DeleteObject does.
func (en entry) writable() bool {
	if p := en.n.param; p != nil {
		return p.writable()
	}
	if en.n.seg == "{i}" {
		return en.n.table.del != nil
	}
	if len(en.n.kids) == 1 && en.n.kids[0].seg == "{i}" {
		return en.n.kids[0].table.add != nil
	}
	return false
}

// lookup finds name (a parameter, or an object path ending with ".", or
// "" for the root) in the tree at its instances.
func (s *schema) lookup(e *env, name string) (entry, bool) {
	if name == "" {
		return entry{n: s.root}, true
	}
	obj := strings.HasSuffix(name, ".")
	segs := strings.Split(strings.TrimSuffix(name, "."), ".")
	n := s.root
	var ix []int
	for _, seg := range segs {
		if seg == "" {
			return entry{}, false
		}
		k := n.child(seg)
		if k != nil && k.hidden(e) {
			return entry{}, false
		}
		if k == nil {
			k = n.child("{i}")
			if k == nil {
				return entry{}, false
			}
			i, err := strconv.Atoi(seg)
			if err != nil || i < 1 || strconv.Itoa(i) != seg || !slices.Contains(k.table.list(e, ix), i) {
				return entry{}, false
			}
			ix = append(ix, i)
		}
		n = k
	}
	if obj != (n.param == nil) {
		return entry{}, false
	}
	return entry{name: name, n: n, ix: ix}, true
}

// children lists the entries one level below the object en.
func (s *schema) children(e *env, en entry) []entry {
	var out []entry
	for _, k := range en.n.kids {
		if k.hidden(e) {
			continue
		}
		if k.seg == "{i}" {
			for _, i := range k.table.list(e, en.ix) {
				out = append(out, entry{name: en.name + strconv.Itoa(i) + ".", n: k, ix: appendIx(en.ix, i)})
			}
			continue
		}
		name := en.name + k.seg
		if k.param == nil {
			name += "."
		}
		out = append(out, entry{name: name, n: k, ix: en.ix})
	}
	return out
}

// walk visits every entry below the object en (not en itself), depth
// first in table order.
func (s *schema) walk(e *env, en entry, visit func(entry)) {
	for _, k := range s.children(e, en) {
		visit(k)
		if k.isObject() {
			s.walk(e, k, visit)
		}
	}
}

func appendIx(ix []int, i int) []int {
	out := make([]int, len(ix), len(ix)+1)
	copy(out, ix)
	return append(out, i)
}
