package datamodel

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/openiad/openiad/firmware/config"
)

// Carrier locks (vendor extension Device.X_<OUI>_LockedParameters).
//
// The ACS locks parameters by writing their names, comma-separated, to
// Device.X_<OUI>_LockedParameters (a string, readWrite): full parameter
// names ("Device.Services.VoiceService.1.CallControl.Line.1.DirectoryNumber")
// or object instances ending with "." ("Device.Services.VoiceService.1.SIP.Network.1."
// locks the whole profile). Each name becomes the configuration path it
// maps to in config.Locks (By "cwmp"): the web page and the console then
// show the field read-only and refuse to change it, and only TR-069 may.
// Writing the parameter replaces the whole set, so an empty string unlocks
// everything; reading it lists the locks in the current data-model flavour.
// A name that does not map to a configuration field is refused with 9007.
// The change is part of the same configuration commit as the rest of the
// SetParameterValues, so locking and setting a value in one request is
// atomic. LockParam tells the web page and the console which parameter
// locked a field.

func lockParam(m *Model, name string) *param {
	return rw(name, tString, fixed("locks"),
		func(e *env, _ []int) string {
			s := e.m.schemaFor(e.c)
			var names []string
			for _, k := range sortedKeys(e.c.Locks) {
				if n := s.nameFor(e, k); n != "" {
					names = append(names, n)
				}
			}
			return strings.Join(names, ",")
		},
		func(e *env, c *config.Config, _ []int, v string) error {
			s := e.m.schemaFor(c)
			locks := map[string]config.Lock{}
			for _, n := range strings.Split(v, ",") {
				n = strings.TrimSpace(n)
				if n == "" {
					continue
				}
				p, err := s.configPath(e, n)
				if err != nil {
					return err
				}
				l, had := c.Locks[p]
				if !had {
					l = config.Lock{By: config.SourceCWMP, At: e.now.UTC()}
				}
				locks[p] = l
			}
			c.Locks = locks
			return nil
		})
}

// configPath maps a parameter or object instance name to its
// configuration field.
func (s *schema) configPath(e *env, name string) (string, error) {
	en, ok := s.lookup(e, name)
	if !ok {
		return "", fmt.Errorf("%q: no such parameter or object", name)
	}
	var p string
	switch {
	case en.n.param != nil && en.n.param.path != nil:
		p = en.n.param.path(e.c, en.ix)
	case en.n.seg == "{i}" && en.n.table.path != nil:
		p = en.n.table.path(e.c, en.ix)
	}
	if p == "" || p == "locks" || strings.Contains(p, "[-1]") {
		return "", fmt.Errorf("%q is not a setting that can be locked", name)
	}
	return p, nil
}

// nameFor maps a configuration path back to the first parameter (or
// object instance) of the tree that maps to it, "" when none does.
func (s *schema) nameFor(e *env, path string) string {
	found := ""
	visit := func(en entry) {
		if found != "" {
			return
		}
		var p string
		switch {
		case en.n.param != nil && en.n.param.path != nil && !en.n.param.alias:
			p = en.n.param.path(e.c, en.ix)
		case en.n.seg == "{i}" && en.n.table.path != nil:
			p = en.n.table.path(e.c, en.ix)
		}
		if p == path && p != "locks" {
			found = en.name
		}
	}
	s.walk(e, entry{n: s.root}, visit)
	return found
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

var (
	plainOnce  sync.Once
	plainModel *Model
)

// LockParam returns the TR-069 name of the carrier-locked parameter (or
// object) whose lock covers the configuration field path in c, in c's
// data-model flavour, and "" when no lock covers it. The web page and the
// console use it to say which carrier parameter locked a field. Vendor
// extensions are named with DefaultOUI here.
func LockParam(c *config.Config, path string) string {
	plainOnce.Do(func() {
		plainModel = &Model{oui: DefaultOUI, st: newState(), diags: map[int]*diag{}}
		plainModel.o.Device.OUI = DefaultOUI
		plainModel.v2 = build(tablesFor(plainModel, false), paramsFor(plainModel, false))
		plainModel.v1 = build(tablesFor(plainModel, true), paramsFor(plainModel, true))
		hideAbsent(plainModel.v2)
	})
	for _, k := range sortedKeys(c.Locks) {
		if covers(k, path) {
			e := plainModel.envFor(c)
			if n := plainModel.schemaFor(c).nameFor(e, k); n != "" {
				return n
			}
			return k
		}
	}
	return ""
}
