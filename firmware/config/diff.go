package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Change is one changed field: its path, and its old and new value as JSON.
// Old is nil when the field did not exist before (a port was added), New is
// nil when it is gone (a port was removed).
type Change struct {
	Path string          `json:"path"`
	Old  json.RawMessage `json:"old,omitempty"`
	New  json.RawMessage `json:"new,omitempty"`
}

func (c Change) String() string {
	show := func(v json.RawMessage) string {
		if v == nil {
			return "(none)"
		}
		return string(v)
	}
	return c.Path + ": " + show(c.Old) + " -> " + show(c.New)
}

// Diff returns the field-level changes from a to b, leaf by leaf, in
// document order (changes and additions in the order of b, then removals
// in the order of a). Revision is not compared.
func Diff(a, b *Config) ([]Change, error) {
	la, err := leaves(a)
	if err != nil {
		return nil, err
	}
	lb, err := leaves(b)
	if err != nil {
		return nil, err
	}
	old := make(map[string]json.RawMessage, len(la))
	for _, l := range la {
		old[l.path] = l.val
	}
	seen := make(map[string]bool, len(lb))
	var out []Change
	for _, l := range lb {
		seen[l.path] = true
		if l.path == "revision" {
			continue
		}
		o, ok := old[l.path]
		switch {
		case !ok:
			out = append(out, Change{Path: l.path, New: l.val})
		case !bytes.Equal(o, l.val):
			out = append(out, Change{Path: l.path, Old: o, New: l.val})
		}
	}
	for _, l := range la {
		if !seen[l.path] && l.path != "revision" {
			out = append(out, Change{Path: l.path, Old: l.val})
		}
	}
	for i := range out {
		if Secret(out[i].Path) {
			out[i].Old, out[i].New = redact(out[i].Old), redact(out[i].New)
		}
	}
	return out, nil
}

var hidden = json.RawMessage(`"***"`)

func redact(v json.RawMessage) json.RawMessage {
	if v == nil || string(v) == `""` {
		return v
	}
	return hidden
}

type leaf struct {
	path string
	val  json.RawMessage
}

// leaves flattens the JSON form of c into (path, value) pairs in document
// order. Empty objects and arrays produce no leaf.
func leaves(c *Config) ([]leaf, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []leaf
	if err := flatten(dec, "", &out); err != nil {
		return nil, fmt.Errorf("config: flatten: %w", err)
	}
	return out, nil
}

var errShape = errors.New("unexpected JSON token")

func flatten(dec *json.Decoder, path string, out *[]leaf) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return errShape
				}
				if err := flatten(dec, joinKey(path, k), out); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := flatten(dec, path+"["+strconv.Itoa(i)+"]", out); err != nil {
					return err
				}
			}
		default:
			return errShape
		}
		end, err := dec.Token()
		if err != nil {
			return err
		}
		if _, ok := end.(json.Delim); !ok {
			return errShape
		}
		return nil
	default:
		v, err := json.Marshal(t) // string, json.Number, bool or nil
		if err != nil {
			return err
		}
		if path == "" {
			return errShape
		}
		*out = append(*out, leaf{path, v})
		return nil
	}
}

// keyPath renders an object key as a path step: ".name" for identifiers,
// `["key"]` for anything else. The first step has no dot.
func keyPath(k string) string {
	if k != "" && identLen(k) == len(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

// joinKey appends the object key k to path.
func joinKey(path, k string) string {
	s := keyPath(k)
	if path == "" && s[0] == '.' {
		return s[1:]
	}
	return path + s
}

// covers reports whether a lock on path lock covers the field path p.
func covers(lock, p string) bool {
	if !strings.HasPrefix(p, lock) {
		return false
	}
	rest := p[len(lock):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
