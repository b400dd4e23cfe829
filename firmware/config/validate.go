package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/openiad/openiad/dsp/tone"
)

// FieldError says which field of a Config is wrong and why. Field is a
// JSON-path-like name ("device.country", "ports[2].extension",
// "dialPlan.flashMax"); array positions count from 0.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return "config: " + e.Field + ": " + e.Reason }

// Limits of the configuration. Timers outside these ranges are refused.
const (
	MaxPorts        = 64 // ports per box
	MaxExtensionLen = 8  // digits
	MaxNameLen      = 64 // characters in device and port names
)

// timer ranges, checked by Validate.
var timerLimits = []struct {
	field    string
	get      func(*DialPlan) Duration
	min, max time.Duration
}{
	{"dialPlan.firstDigit", func(d *DialPlan) Duration { return d.FirstDigit }, time.Second, 2 * time.Minute},
	{"dialPlan.interDigit", func(d *DialPlan) Duration { return d.InterDigit }, time.Second, time.Minute},
	{"dialPlan.offHookWarning", func(d *DialPlan) Duration { return d.OffHookWarning }, time.Second, 10 * time.Minute},
	{"dialPlan.howlerTimeout", func(d *DialPlan) Duration { return d.HowlerTimeout }, time.Second, 10 * time.Minute},
	{"dialPlan.flashMin", func(d *DialPlan) Duration { return d.FlashMin }, 20 * time.Millisecond, time.Second},
	{"dialPlan.flashMax", func(d *DialPlan) Duration { return d.FlashMax }, 50 * time.Millisecond, 2 * time.Second},
}

// Validate checks c and returns nil or an errors.Join of *FieldError, one
// per problem, in document order.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}

	if c.Schema != SchemaVersion {
		bad("schema", "is %d, this firmware writes %d", c.Schema, SchemaVersion)
	}
	if c.Revision < 0 {
		bad("revision", "is negative (%d)", c.Revision)
	}

	// device
	if r := checkName(c.Device.Name, true); r != "" {
		bad("device.name", "%s", r)
	}
	if r := checkCountry(c.Device.Country); r != "" {
		bad("device.country", "%s", r)
	}

	// ports
	if len(c.Ports) > MaxPorts {
		bad("ports", "has %d ports, at most %d allowed", len(c.Ports), MaxPorts)
	}
	byIndex := map[int]int{} // port index -> array position
	type ext struct {
		pos int
		num string
	}
	var exts []ext
	for i := range c.Ports {
		p := &c.Ports[i]
		f := fmt.Sprintf("ports[%d]", i)
		switch {
		case p.Index < 1 || p.Index > len(c.Ports):
			bad(f+".index", "is %d, must be between 1 and %d (the number of ports)", p.Index, len(c.Ports))
		default:
			if j, dup := byIndex[p.Index]; dup {
				bad(f+".index", "%d is already used by ports[%d]", p.Index, j)
			} else {
				byIndex[p.Index] = i
			}
		}
		if p.Kind != KindFXS {
			bad(f+".kind", "is %q, must be %q", p.Kind, KindFXS)
		}
		switch {
		case p.Extension == "":
			if p.Enabled {
				bad(f+".extension", "is empty, an enabled port needs one")
			}
		case len(p.Extension) > MaxExtensionLen || !allDigits(p.Extension):
			bad(f+".extension", "is %q, must be 1 to %d digits 0-9", p.Extension, MaxExtensionLen)
		default:
			exts = append(exts, ext{i, p.Extension})
		}
		if r := checkName(p.Name, false); r != "" {
			bad(f+".name", "%s", r)
		}
	}
	// Unique extensions, none a prefix of another: a digit map could never
	// reach the longer one. (Skipped for an oversized list, already refused,
	// to keep hostile files cheap to check.)
	if len(c.Ports) > MaxPorts {
		exts = nil
	}
	for a := range exts {
		for b := range exts {
			if a == b {
				continue
			}
			x, y := exts[a], exts[b]
			f := fmt.Sprintf("ports[%d].extension", x.pos)
			switch {
			case x.num == y.num && y.pos < x.pos:
				bad(f, "%q is already used by ports[%d]", x.num, y.pos)
			case x.num != y.num && strings.HasPrefix(y.num, x.num):
				bad(f, "%q is a prefix of %q (ports[%d]): the longer one could never be dialled", x.num, y.num, y.pos)
			}
		}
	}

	// dial plan
	for _, l := range timerLimits {
		v := l.get(&c.DialPlan).D()
		if v < l.min || v > l.max {
			bad(l.field, "is %v, must be between %v and %v", v, l.min, l.max)
		}
	}
	if c.DialPlan.FlashMin >= c.DialPlan.FlashMax {
		bad("dialPlan.flashMin", "(%v) must be shorter than dialPlan.flashMax (%v)", c.DialPlan.FlashMin, c.DialPlan.FlashMax)
	}

	c.validateSIP(bad)
	c.validateManagement(bad)

	// locks
	for _, k := range sortedKeys(c.Locks) {
		f := "locks" + keyPath(k)
		if !validPath(k) {
			bad(f, "%q is not a field path such as \"device.country\" or \"ports[0].extension\"", k)
		}
		if l := c.Locks[k]; !l.By.Valid() {
			bad(f+".by", "is %q, not a known source", l.By)
		}
	}
	return errors.Join(errs...)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func checkName(s string, required bool) string {
	switch {
	case s == "" && required:
		return "is empty"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case utf8.RuneCountInString(s) > MaxNameLen:
		return fmt.Sprintf("is longer than %d characters", MaxNameLen)
	case strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "contains control characters"
	}
	return ""
}

func checkCountry(s string) string {
	if len(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return fmt.Sprintf("is %q, must be an upper-case ISO 3166 alpha-2 code such as \"CN\"", s)
	}
	if _, err := tone.Lookup(s); err != nil {
		return fmt.Sprintf("%q has no tone plan (known: %s)", s, strings.Join(tone.Countries(), ", "))
	}
	return ""
}

// validPath reports whether p is a field path as produced by the diff:
// identifiers joined by dots, [n] array positions and ["key"] map keys.
func validPath(p string) bool {
	if p == "" {
		return false
	}
	first := true
	for p != "" {
		switch {
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return false
			}
			in := p[1:end]
			if strings.HasPrefix(in, `"`) {
				// a quoted key may contain ']'; find the closing quote
				s, err := strconv.QuotedPrefix(p[1:])
				if err != nil || !strings.HasPrefix(p[1+len(s):], "]") {
					return false
				}
				end = 1 + len(s)
			} else if in == "" || !allDigits(in) {
				return false
			}
			p = p[end+1:]
		case first || p[0] == '.':
			if !first {
				p = p[1:]
			}
			n := identLen(p)
			if n == 0 {
				return false
			}
			p = p[n:]
		default:
			return false
		}
		first = false
	}
	return true
}

func identLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return i
	}
	return len(s)
}
