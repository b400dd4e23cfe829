package console

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openiad/openiad/firmware/config"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		partial bool
		err     bool
	}{
		{"", nil, false, false},
		{"  show   ports ", []string{"show", "ports"}, false, false},
		{"show po", []string{"show", "po"}, true, false},
		{`config set device.name "Main office"`, []string{"config", "set", "device.name", "Main office"}, true, false},
		{`config set device.name 'it''s' `, []string{"config", "set", "device.name", "its"}, false, false},
		{`say "a \"b\" \\ c"`, []string{"say", `a "b" \ c`}, true, false},
		{`empty "" `, []string{"empty", ""}, false, false},
		{`a"b c"d`, []string{"ab cd"}, true, false},
		{`open "quote`, nil, true, true},
		{"tab\tseparated", []string{"tab", "separated"}, true, false},
	}
	for _, tc := range tests {
		got, partial, err := split(tc.in)
		if (err != nil) != tc.err {
			t.Errorf("split(%q) error %v", tc.in, err)
			continue
		}
		if err == nil && (fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) || partial != tc.partial) {
			t.Errorf("split(%q) = %q, %v; want %q, %v", tc.in, got, partial, tc.want, tc.partial)
		}
	}
	for _, w := range []string{"plain", "", "two words", `q"uote`, `back\slash`, "it's"} {
		got, _, err := split(quoteWord(w))
		if err != nil || len(got) != 1 || got[0] != w {
			t.Errorf("quoteWord(%q) = %s reads back as %q, %v", w, quoteWord(w), got, err)
		}
	}
}

func TestParse(t *testing.T) {
	tree := commands()
	tests := []struct {
		in   string
		name string   // resolved command, "" for an error
		args []string // its arguments
		err  string   // part of the message when an error is expected
	}{
		{"", "", nil, ""},
		{"status", "status", nil, ""},
		{"sh po", "show ports", nil, ""},
		{"show cdr 5", "show cdr", []string{"5"}, ""},
		{"config set device.name 'Main office'", "config set", []string{"device.name", "Main office"}, ""},
		{"conf se x y", "config set", []string{"x", "y"}, ""},
		{"conf s x y", "", nil, "config: ambiguous command: s could be show, set, save"},
		{"exit", "logout", nil, ""},
		{"help config set", "help", []string{"config", "set"}, ""},
		{"line test 2", "line test", []string{"2"}, ""},
		{"ping 192.0.2.1", "ping", []string{"192.0.2.1"}, ""},
		{"log tail", "log tail", nil, ""},
		{"frobnicate", "", nil, `unknown command frobnicate` + "\ntype help for the list of commands"},
		{"s", "", nil, "s could be status, show, sip"},
		{"show", "", nil, "show needs one of: ports, lines"},
		{"show everything", "", nil, "show: unknown command everything\ntype: show ports|lines|"},
		{"show ports now", "", nil, "show ports takes no arguments, got now"},
		{"line test", "", nil, "line test: missing <port>\ntype: line test <port>"},
		{"call 1", "", nil, "call: missing <number>"},
		{"config set", "", nil, "config set: missing <setting>"},
		{"sip trace on off", "", nil, "sip trace: too many arguments: off"},
		{`config set device.name "unclosed`, "", nil, `unterminated quote: " is not closed`},
		{"status 'a b'", "", nil, `status takes no arguments, got "a b"`},
	}
	for _, tc := range tests {
		p, err := parse(tree, tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, errUsage) {
				t.Errorf("parse(%q) = %v, want a usage error with %q", tc.in, err, tc.err)
			}
		case err != nil:
			t.Errorf("parse(%q): %v", tc.in, err)
		case tc.name == "":
			if p != nil {
				t.Errorf("parse(%q) = %v, want nothing", tc.in, p.name())
			}
		case p.name() != tc.name || fmt.Sprint(p.args) != fmt.Sprint(tc.args):
			t.Errorf("parse(%q) = %s %q, want %s %q", tc.in, p.name(), p.args, tc.name, tc.args)
		}
	}
}

// Every command can be reached, and each has what help needs.
func TestCommandTree(t *testing.T) {
	var walk func(cs []*command)
	walk = func(cs []*command) {
		for _, c := range cs {
			if c.summary == "" {
				t.Errorf("%s has no summary", c.path())
			}
			if c.run == nil && len(c.sub) == 0 {
				t.Errorf("%s does nothing", c.path())
			}
			if c.run != nil {
				line := c.path() + strings.Repeat(" 1", c.minArgs)
				p, err := parse(commands(), line)
				if err != nil || p.cmd.path() != c.path() {
					t.Errorf("%q does not reach %s: %v", line, c.path(), err)
				}
			}
			walk(c.sub)
		}
	}
	walk(commands())
}

func TestPaths(t *testing.T) {
	good := map[string]string{
		"sip.profiles[0].codecs":      "sip.profiles[0].codecs",
		"device.name":                 "device.name",
		"ports[0].extension":          "ports[0].extension",
		`locks["device.country"].by`:  `locks["device.country"].by`,
		"dialPlan.firstDigit":         "dialPlan.firstDigit",
		`weird["a]b"]`:                `weird["a]b"]`,
		"a[1][2]":                     "a[1][2]",
		"ports[00].name":              "ports[0].name",
		`device["name"]`:              "device.name",
		`locks["device.country"].at`:  `locks["device.country"].at`,
		`locks["ports[0]"]`:           `locks["ports[0]"]`,
		"dialPlan":                    "dialPlan",
		"ports[0]":                    "ports[0]",
		"device.name.too.deep.really": "device.name.too.deep.really",
	}
	for in, want := range good {
		s, err := parsePath(in)
		if err != nil || pathString(s) != want {
			t.Errorf("parsePath(%q) = %q, %v; want %q", in, pathString(s), err, want)
		}
	}
	for _, bad := range []string{"", ".", "a..b", "a[", "a[x]", "a[-1]", `a["x`, `a["x"`, "a]b", "[0", "a.", "a[99999999]", "a b", "é"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted", bad)
		}
	}
}

func TestSetField(t *testing.T) {
	tests := []struct {
		path, value string
		check       func(c *config.Config) bool
		err         string
	}{
		{"device.name", "Main office", func(c *config.Config) bool { return c.Device.Name == "Main office" }, ""},
		{"device.name", "", func(c *config.Config) bool { return c.Device.Name == "" }, ""}, // invalid, but stageable
		{"ports[1].extension", "333", func(c *config.Config) bool { return c.Ports[1].Extension == "333" }, ""},
		{"ports[0].enabled", "no", func(c *config.Config) bool { return !c.Ports[0].Enabled }, ""},
		{"ports[0].enabled", "ON", func(c *config.Config) bool { return c.Ports[0].Enabled }, ""},
		{"ports[0].index", "3", func(c *config.Config) bool { return c.Ports[0].Index == 3 }, ""},
		{"sip.profiles[0].registrars", " a.example.net, b.example.net,", func(c *config.Config) bool {
			return fmt.Sprint(c.SIP.Profiles[0].Registrars) == "[a.example.net b.example.net]"
		}, ""},
		{"sip.profiles[0].codecs", "", func(c *config.Config) bool { return len(c.SIP.Profiles[0].Codecs) == 0 }, ""},
		{"sip.profiles[0].codecs[1]", "PCMA", func(c *config.Config) bool { return c.SIP.Profiles[0].Codecs[1] == "PCMA" }, ""},
		{"sip.profiles", "x", nil, "is a group of settings"},
		{"dialPlan.interDigit", "4s", func(c *config.Config) bool { return c.DialPlan.InterDigit.D().Seconds() == 4 }, ""},
		{"dialPlan.interDigit", "soon", nil, `bad duration "soon"`},
		{"ports[0].enabled", "maybe", nil, "is yes or no"},
		{"ports[0].index", "1.5", nil, "is a whole number"},
		{"ports[0].index", "99999999999999999999", nil, "is a whole number"},
		{"ports[9].name", "x", nil, "does not exist (ports has 2 entries, from [0])"},
		{"device.colour", "red", nil, "does not exist"},
		{"device.name.first", "x", nil, "device.name is a single value"},
		{"ports[0]", "x", nil, "is a group of settings; set one of them, e.g. ports[0].enabled"},
		{"dialPlan", "x", nil, "is a group of settings"},
		{"revision", "9", nil, "kept by the configuration store"},
		{"schema", "2", nil, "kept by the configuration store"},
		{`locks["device.country"].by`, "web", nil, "only be changed by the carrier"},
		{"ports.x", "1", nil, "does not exist"},
		{"device[0]", "1", nil, "does not exist"},
	}
	for _, tc := range tests {
		c := config.Default(2)
		err := setField(&c, tc.path, tc.value)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("set %s %q: %v, want an error with %q", tc.path, tc.value, err, tc.err)
			}
			if d := config.Default(2); fmt.Sprint(c) != fmt.Sprint(d) {
				t.Errorf("set %s %q: failed but changed the config", tc.path, tc.value)
			}
		case err != nil:
			t.Errorf("set %s %q: %v", tc.path, tc.value, err)
		case !tc.check(&c):
			t.Errorf("set %s %q: not applied: %+v", tc.path, tc.value, c)
		}
	}
}

func TestLeaves(t *testing.T) {
	c := config.Default(1)
	c.Locks = map[string]config.Lock{"device.country": {By: config.SourceCWMP}}
	ls, err := leaves(&c)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range ls {
		got = append(got, l.path+"="+l.value)
	}
	want := []string{"schema=", "revision=0", `device.name="OpenIAD"`, `device.country="CN"`, "ports[0].index=1",
		`ports[0].kind="fxs"`, "ports[0].enabled=true", `ports[0].extension="201"`, `ports[0].name=""`,
		`dialPlan.firstDigit="10s"`, `dialPlan.interDigit="5s"`, `dialPlan.offHookWarning="30s"`,
		`dialPlan.howlerTimeout="1m0s"`, `dialPlan.flashMin="100ms"`, `dialPlan.flashMax="800ms"`,
		`sip.profiles[0].registrars=[]`, `sip.profiles[0].codecs[0]="PCMA"`,
		`locks["device.country"].by="cwmp"`, `locks["device.country"].at="0001-01-01T00:00:00Z"`}
	// The configuration grows with the issues: check that these come in
	// this order, whatever lies between them.
	k := 0
	for _, g := range got {
		if k < len(want) && strings.HasPrefix(g, want[k]) {
			k++
		}
	}
	if k < len(want) {
		t.Errorf("leaves lack %q (in order); got:\n%s", want[k], strings.Join(got, "\n"))
	}
	empty := config.Default(1)
	el, _ := leaves(&empty)
	for _, l := range el {
		if l.path == "locks" && l.value != "{}" {
			t.Errorf("empty locks shown as %s", l.value)
		}
	}
	// Every leaf path the console lists is one the store's diff names.
	d := c.Clone()
	d.Device.Name, d.Ports[0].Extension, d.DialPlan.FlashMax = "x", "299", config.Duration(900e6)
	ch, _ := config.Diff(&c, &d)
	paths := map[string]bool{}
	for _, l := range ls {
		paths[l.path] = true
	}
	for _, x := range ch {
		if !paths[x.Path] {
			t.Errorf("store path %q is not a console setting", x.Path)
		}
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in, indent string
		width      int
		want       string
	}{
		{"short", "", 20, "short"},
		{"the quick brown fox jumps over", "  ", 12, "the quick\n  brown fox\n  jumps over"},
		{"averyveryverylongword x", "", 8, "averyver\nyverylon\ngword x"},
		{"a\nb", "> ", 10, "a\n> b"},
	}
	for _, tc := range tests {
		if got := wrap(tc.in, tc.width, tc.indent); got != tc.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
	if got := fmt.Sprint(fmtDuration(45e9), " ", fmtDuration(60e9), " ", fmtDuration(90e9), " ", fmtDuration(3720e9), " ", fmtDuration(200*3600e9)); got != "45 s 1 min 1m30s 1h02m 8d08h" {
		t.Errorf("fmtDuration: %s", got)
	}
}

// wrap always ends, whatever the width and indent.
func TestWrapNarrow(t *testing.T) {
	for width := 1; width < 12; width++ {
		got := wrap(strings.Repeat("word ", 20), width, strings.Repeat(" ", 10))
		for _, l := range strings.Split(got, "\n") {
			if len(l) > max(width, 1) {
				t.Fatalf("width %d: line %q", width, l)
			}
		}
	}
}
