package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
)

var errSetting = errors.New("console: setting")

// edit is one staged change: a setting and the value typed for it.
type edit struct {
	path  string
	value string
}

// candidate is the session's staged configuration: the edits, applied in
// order on top of the configuration in effect. Keeping edits rather than
// a whole copy means a save changes only what the technician changed,
// even when the web page or the carrier changed something else meanwhile.
type candidate struct {
	edits []edit
	base  int64 // revision in effect when the first edit was staged
}

func (c *candidate) pending() bool { return len(c.edits) > 0 }
func (c *candidate) count() int    { return len(c.edits) }
func (c *candidate) drop()         { c.edits, c.base = nil, 0 }

// apply applies the edits to cfg.
func (c *candidate) apply(cfg *config.Config) error {
	for _, e := range c.edits {
		if err := setField(cfg, e.path, e.value); err != nil {
			return err
		}
	}
	return nil
}

// step is one step of a setting path: an object key or an array index.
type step struct {
	key   string
	index int // -1 for a key
}

// parsePath reads a setting path as the store names fields:
// "device.name", "ports[0].extension", `locks["device.country"].by`.
func parsePath(p string) ([]step, error) {
	var out []step
	rest := p
	for first := true; rest != ""; first = false {
		switch {
		case rest[0] == '[':
			if strings.HasPrefix(rest, `["`) {
				q, err := strconv.QuotedPrefix(rest[1:])
				if err != nil || !strings.HasPrefix(rest[1+len(q):], "]") {
					return nil, fmt.Errorf("%w %s: a quoted key needs a closing \"]", errSetting, quoteWord(p))
				}
				k, _ := strconv.Unquote(q)
				out = append(out, step{key: k, index: -1})
				rest = rest[2+len(q):]
				continue
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%w %s: [ without ]", errSetting, quoteWord(p))
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 || n > 1<<20 {
				return nil, fmt.Errorf("%w %s: %s is not a position such as [0]", errSetting, quoteWord(p), quoteWord(rest[:end+1]))
			}
			out = append(out, step{index: n})
			rest = rest[end+1:]
		default:
			if !first {
				if rest[0] != '.' {
					return nil, fmt.Errorf("%w %s: expected . or [ before %s", errSetting, quoteWord(p), quoteWord(rest))
				}
				rest = rest[1:]
			}
			n := 0
			for n < len(rest) && rest[n] != '.' && rest[n] != '[' {
				n++
			}
			if n == 0 {
				return nil, fmt.Errorf("%w %s: empty name", errSetting, quoteWord(p))
			}
			if !isIdent(rest[:n]) {
				return nil, fmt.Errorf("%w %s: %s is not a name such as device.name", errSetting, quoteWord(p), quoteWord(rest[:n]))
			}
			out = append(out, step{key: rest[:n], index: -1})
			rest = rest[n:]
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty name", errSetting)
	}
	return out, nil
}

// tree returns the configuration as a JSON tree (maps, slices, json.Number).
func tree(cfg *config.Config) (any, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err = dec.Decode(&v)
	return v, err
}

// setField sets the setting at path in cfg to value, converted to the
// setting's type. Only existing leaves can be set; the store's own fields
// and the carrier locks cannot.
func setField(cfg *config.Config, path, value string) error {
	steps, err := parsePath(path)
	if err != nil {
		return err
	}
	switch steps[0].key {
	case "schema", "revision":
		return fmt.Errorf("%w %s is kept by the configuration store and cannot be set", errSetting, path)
	case "locks":
		return fmt.Errorf("%w %s: carrier locks can only be changed by the carrier (TR-069)", errSetting, path)
	}
	root, err := tree(cfg)
	if err != nil {
		return err
	}
	var parent any
	cur := root
	for i, st := range steps {
		parent = cur
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[st.key]
			if st.index >= 0 || !ok {
				return fmt.Errorf("%w %s does not exist; type config show to list the settings", errSetting, quoteWord(path))
			}
			cur = v
		case []any:
			if st.index < 0 || st.index >= len(node) {
				return fmt.Errorf("%w %s does not exist (%s has %d entries, from [0]); type config show to list the settings",
					errSetting, quoteWord(path), pathString(steps[:i]), len(node))
			}
			cur = node[st.index]
		default:
			return fmt.Errorf("%w %s does not exist: %s is a single value", errSetting, quoteWord(path), pathString(steps[:i]))
		}
	}
	var nv any
	switch old := cur.(type) {
	case string:
		nv = value
	case bool:
		b, ok := parseBool(value)
		if !ok {
			return fmt.Errorf("%w %s is yes or no (true/false, on/off), not %s", errSetting, path, quoteWord(value))
		}
		nv = b
	case json.Number:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%w %s is a whole number, not %s", errSetting, path, quoteWord(value))
		}
		nv = json.Number(strconv.FormatInt(n, 10))
	case []any:
		if !stringList(old) {
			return fmt.Errorf("%w %s is a group of settings; set one of them, e.g. %s", errSetting, path, firstLeaf(path, old))
		}
		list := []any{}
		for _, f := range strings.Split(value, ",") {
			if f = strings.TrimSpace(f); f != "" {
				list = append(list, f)
			}
		}
		nv = list
	case map[string]any:
		return fmt.Errorf("%w %s is a group of settings; set one of them, e.g. %s", errSetting, path, firstLeaf(path, old))
	default:
		return fmt.Errorf("%w %s cannot be set from the console", errSetting, path)
	}
	last := steps[len(steps)-1]
	switch p := parent.(type) {
	case map[string]any:
		p[last.key] = nv
	case []any:
		p[last.index] = nv
	}
	b, err := json.Marshal(root)
	if err != nil {
		return err
	}
	var next config.Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&next); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w %s: %s is not a valid value", errSetting, path, quoteWord(value))
		}
		// Text decoders (durations) say what they want.
		return fmt.Errorf("%w %s: %v", errSetting, path, strings.TrimPrefix(err.Error(), "config: "))
	}
	*cfg = next.Clone()
	return nil
}

// stringList reports whether v is a list that holds strings (or nothing):
// such a list is set whole, from comma-separated values.
func stringList(v []any) bool {
	for _, e := range v {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "yes", "y", "true", "on", "1", "enable", "enabled":
		return true, true
	case "no", "n", "false", "off", "0", "disable", "disabled":
		return false, true
	}
	return false, false
}

func pathString(steps []step) string {
	var b strings.Builder
	for i, s := range steps {
		switch {
		case s.index >= 0:
			fmt.Fprintf(&b, "[%d]", s.index)
		case isIdent(s.key):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			b.WriteString("[" + strconv.Quote(s.key) + "]")
		}
	}
	return b.String()
}

func firstLeaf(path string, v any) string {
	switch n := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) > 0 {
			return firstLeaf(path+"."+keys[0], n[keys[0]])
		}
	case []any:
		if len(n) > 0 {
			return firstLeaf(path+"[0]", n[0])
		}
	}
	return path
}

// isIdent reports whether k can be written after a dot in a path.
func isIdent(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// leaf is one setting with its JSON value.
type leaf struct {
	path  string
	value string
}

// leaves lists the settings of cfg in document order.
func leaves(cfg *config.Config) ([]leaf, error) {
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []leaf
	err = walk(dec, "", &out)
	return out, err
}

func walk(dec *json.Decoder, path string, out *[]leaf) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); ok {
		n0 := len(*out)
		switch d {
		case '{':
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				p := path
				switch {
				case isIdent(k) && p == "":
					p = k
				case isIdent(k):
					p += "." + k
				default:
					p += "[" + strconv.Quote(k) + "]"
				}
				if err := walk(dec, p, out); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; dec.More(); i++ {
				if err := walk(dec, path+"["+strconv.Itoa(i)+"]", out); err != nil {
					return err
				}
			}
		}
		if len(*out) == n0 && path != "" { // an empty list or group is a setting too
			empty := "[]"
			if d == '{' {
				empty = "{}"
			}
			*out = append(*out, leaf{path, empty})
		}
		_, err := dec.Token() // the closing delimiter
		return err
	}
	v, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	*out = append(*out, leaf{path, string(v)})
	return nil
}

// under reports whether setting p is prefix itself or inside it.
func under(p, prefix string) bool {
	if !strings.HasPrefix(p, prefix) {
		return false
	}
	rest := p[len(prefix):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}

func (x *exec) store() (ConfigStore, error) {
	if x.o().Config == nil {
		return nil, errors.New(noConfig)
	}
	return x.o().Config, nil
}

// shown is how a setting's value is shown: secrets (passwords) as "***".
func shown(path, value string) string {
	if config.Secret(path) && value != `""` {
		return `"***"`
	}
	return value
}

// candidateConfig returns the configuration in effect and the candidate.
func (s *session) candidateConfig() (cur, cand config.Config, err error) {
	cur = s.o.Config.Get()
	cand = cur.Clone()
	err = s.cand.apply(&cand)
	return cur, cand, err
}

// lockedBy names the source of the lock covering setting p, if any.
func lockedBy(cfg *config.Config, p string) string {
	for k, l := range cfg.Locks {
		if under(p, k) {
			return string(l.By)
		}
	}
	return ""
}

// lockParam names the TR-069 parameter whose carrier lock covers p (as
// ": Device.…"), "" when there is none.
func lockParam(cfg *config.Config, p string) string {
	if n := datamodel.LockParam(cfg, p); strings.HasPrefix(n, "Device.") {
		return ": " + n
	}
	return ""
}

// stagedValues maps the settings of the candidate to their values.
func (s *session) stagedValues() map[string]string {
	out := map[string]string{}
	if !s.cand.pending() {
		return out
	}
	_, cand, err := s.candidateConfig()
	if err != nil {
		return out
	}
	ls, _ := leaves(&cand)
	for _, l := range ls {
		out[l.path] = l.value
	}
	return out
}

func cmdConfigShow(x *exec) error {
	st, err := x.store()
	if err != nil {
		return err
	}
	cfg := st.Get()
	ls, err := leaves(&cfg)
	if err != nil {
		return err
	}
	prefix := ""
	if len(x.args) == 1 {
		prefix = x.args[0]
	}
	staged := x.s.stagedValues()
	var sel []leaf
	w := 0
	for _, l := range ls {
		if strings.HasPrefix(l.path, prefix) {
			sel = append(sel, l)
			w = max(w, len(l.path))
		}
	}
	if len(sel) == 0 {
		return usagef("type config show alone to list every setting", "config show: no setting starts with %s", quoteWord(prefix))
	}
	w = min(w, 30)
	for _, l := range sel {
		line := fmt.Sprintf("%-*s %s", w, l.path, shown(l.path, l.value))
		if by := lockedBy(&cfg, l.path); by != "" {
			line += "  (locked by " + by + lockParam(&cfg, l.path) + ")"
		}
		if v, ok := staged[l.path]; ok && v != l.value {
			line += "  (staged: " + shown(l.path, v) + ")"
		}
		x.printf("%s\n", wrap(line, x.o().Width-1, strings.Repeat(" ", w+1)))
	}
	if n := x.s.cand.count(); n > 0 {
		x.printf("(%s not saved: config diff shows them, config save applies them)\n", plural(n, "staged change"))
	}
	return nil
}

func cmdConfigGet(x *exec) error {
	st, err := x.store()
	if err != nil {
		return err
	}
	p := x.args[0]
	if steps, err := parsePath(p); err == nil {
		p = pathString(steps)
	}
	cfg := st.Get()
	ls, err := leaves(&cfg)
	if err != nil {
		return err
	}
	staged := x.s.stagedValues()
	n := 0
	for _, l := range ls {
		if !under(l.path, p) {
			continue
		}
		n++
		line := l.path + " = " + shown(l.path, l.value)
		if v, ok := staged[l.path]; ok && v != l.value {
			line += "  (staged: " + shown(l.path, v) + ", not saved)"
		}
		x.printf("%s\n", wrap(line, x.o().Width-1, "    "))
	}
	if n == 0 {
		return usagef("type config show to list the settings, or press Tab after config get", "config get: there is no setting %s", quoteWord(x.args[0]))
	}
	return nil
}

func cmdConfigSet(x *exec) error {
	if _, err := x.store(); err != nil {
		return err
	}
	if len(x.args) == 1 {
		p := x.args[0]
		if !config.Secret(p) {
			return usagef("type: config set <setting> <value>, e.g. config set device.name \"Main office\"", "config set: missing <value>")
		}
		// A password is typed without echo and kept out of the history.
		x.s.hidden = &hiddenInput{prompt: "value of " + p + " (not shown): ", fn: func(v string) {
			w := newLineWriter(x.s.scr)
			if err := stage(&exec{ctx: x.ctx, s: x.s, out: w, path: x.path}, p, v); err != nil {
				w.Flush()
				x.s.showError(err)
			}
			w.Flush()
		}}
		return nil
	}
	return stage(x, x.args[0], x.args[1])
}

// stage adds the edit "set p to v" to the candidate.
func stage(x *exec, p, v string) error {
	cur := x.o().Config.Get()
	cand := cur.Clone()
	if err := x.s.cand.apply(&cand); err != nil {
		return err
	}
	before := cand.Clone()
	if err := setField(&cand, p, v); err != nil {
		return usagef("type: config set <setting> <value>, e.g. config set device.name \"Main office\"", "config set: %s", userError(err))
	}
	// Name the setting as the store does ("ports[0].extension").
	steps, _ := parsePath(p)
	p = pathString(steps)
	if by := lockedBy(&cur, p); by != "" {
		x.wrapf("  ", "note: %s is locked by %s%s; config save will refuse it", p, by, lockParam(&cur, p))
	}
	ch, err := config.Diff(&before, &cand)
	if err != nil {
		return err
	}
	if len(ch) == 0 {
		x.printf("%s is already %s: nothing staged\n", p, shown(p, leafValue(&cand, p)))
		return nil
	}
	if x.s.cand.count() == 0 {
		x.s.cand.base = cur.Revision
	}
	x.s.cand.edits = slices.DeleteFunc(x.s.cand.edits, func(e edit) bool { return e.path == p })
	if leafValue(&cur, p) != leafValue(&cand, p) {
		x.s.cand.edits = append(x.s.cand.edits, edit{path: p, value: v})
		for _, c := range ch {
			x.wrapf("    ", "staged: %s", c)
		}
	} else { // back to the value in effect: nothing left to stage
		x.printf("%s is back to %s, its value in effect: unstaged\n", p, shown(p, leafValue(&cur, p)))
	}
	if err := cand.Validate(); err != nil {
		x.printf("note: with the staged changes the configuration is not valid yet:\n")
		for _, e := range flatErrors(err) {
			x.wrapf("    ", "  %s", strings.TrimPrefix(e.Error(), "config: "))
		}
		x.printf("config save will refuse it until that is fixed.\n")
	}
	if n := x.s.cand.count(); n > 0 {
		x.printf("%s; config diff reviews, config save applies.\n", plural(n, "staged change"))
	}
	return nil
}

// leafValue is the value of setting p in cfg (a list as its JSON).
func leafValue(cfg *config.Config, p string) string {
	root, err := tree(cfg)
	if err != nil {
		return "(none)"
	}
	steps, err := parsePath(p)
	if err != nil {
		return "(none)"
	}
	cur := root
	for _, st := range steps {
		switch n := cur.(type) {
		case map[string]any:
			cur = n[st.key]
		case []any:
			if st.index < 0 || st.index >= len(n) {
				return "(none)"
			}
			cur = n[st.index]
		default:
			return "(none)"
		}
	}
	b, err := json.Marshal(cur)
	if err != nil || cur == nil {
		return "(none)"
	}
	return string(b)
}

// flatErrors unpacks errors.Join trees.
func flatErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatErrors(e)...)
		}
		return out
	}
	return []error{err}
}

func cmdConfigDiff(x *exec) error {
	if _, err := x.store(); err != nil {
		return err
	}
	if !x.s.cand.pending() {
		x.printf("no staged changes\n")
		return nil
	}
	cur, cand, err := x.s.candidateConfig()
	if err != nil {
		return fmt.Errorf("the staged changes no longer apply: %s; type config revert and stage them again", userError(err))
	}
	ch, err := config.Diff(&cur, &cand)
	if err != nil {
		return err
	}
	if cur.Revision != x.s.cand.base {
		x.wrapf("  ", "note: the configuration changed since you began (revision %d, now %d); config save applies only your changes", x.s.cand.base, cur.Revision)
	}
	if len(ch) == 0 {
		x.printf("the staged changes match the configuration in effect: nothing to save\n")
		return nil
	}
	for _, c := range ch {
		x.wrapf("    ", "%s", c.String())
	}
	return nil
}

func cmdConfigSave(x *exec) error {
	st, err := x.store()
	if err != nil {
		return err
	}
	if !x.s.cand.pending() {
		x.printf("nothing to save: no staged changes (stage some with config set)\n")
		return nil
	}
	ch, err := st.Update(config.SourceConsole, x.s.who, x.s.cand.apply)
	if err != nil {
		x.printf("not saved:\n")
		for _, e := range flatErrors(err) {
			x.wrapf("    ", "  %s", strings.TrimPrefix(e.Error(), "config: "))
		}
		var fe *config.FieldError
		var le *config.LockedError
		switch {
		case errors.As(err, &le):
			x.wrapf("", "Carrier-locked settings can only be changed over TR-069; config revert drops the staged changes.")
		case errors.As(err, &fe):
			x.wrapf("", "Fix it with config set <setting> <value>, or drop the staged changes with config revert.")
		default:
			x.wrapf("", "The staged changes are kept; config revert drops them.")
		}
		return nil
	}
	x.s.cand.drop()
	if len(ch) == 0 {
		x.printf("nothing to save: the staged changes match the configuration in effect\n")
		return nil
	}
	x.printf("saved: revision %d, %s\n", st.Get().Revision, plural(len(ch), "change"))
	for _, c := range ch {
		x.wrapf("    ", "  %s", c.String())
	}
	return nil
}

func cmdConfigRevert(x *exec) error {
	if _, err := x.store(); err != nil {
		return err
	}
	n := x.s.cand.count()
	x.s.cand.drop()
	if n == 0 {
		x.printf("no staged changes to drop\n")
		return nil
	}
	x.printf("dropped %s; the configuration in effect is unchanged\n", plural(n, "staged change"))
	return nil
}

// settingNames lists what config get and set accept: every setting, and
// lists of strings as a whole.
func settingNames(cfg *config.Config) []string {
	ls, _ := leaves(cfg)
	var out []string
	for _, l := range ls {
		if strings.HasPrefix(l.path, "locks") || l.path == "schema" || l.path == "revision" {
			continue
		}
		if i := strings.LastIndexByte(l.path, '['); i > 0 && strings.HasSuffix(l.path, "]") && strings.HasPrefix(l.value, `"`) {
			if list := l.path[:i]; !slices.Contains(out, list) {
				out = append(out, list)
			}
		}
		out = append(out, l.path)
	}
	return out
}

// completeConfigPaths offers the setting names.
func completeConfigPaths(s *session, done []string) []string {
	if len(done) > 0 || s.o.Config == nil {
		return nil
	}
	cfg := s.o.Config.Get()
	return settingNames(&cfg)
}

// completeConfigSet offers setting names, then values for yes/no settings
// and countries.
func completeConfigSet(s *session, done []string) []string {
	switch {
	case len(done) == 0:
		return completeConfigPaths(s, nil)
	case len(done) == 1 && s.o.Config != nil:
		if done[0] == "device.country" {
			return tone.Countries()
		}
		cfg := s.o.Config.Get()
		switch leafValue(&cfg, done[0]) {
		case "true", "false":
			return []string{"yes", "no"}
		}
	}
	return nil
}
