package console

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// command is a node of the command tree: a command, or a group whose
// subcommands say what to do ("show" -> "ports").
type command struct {
	name     string
	aliases  []string // other names, matched exactly
	hidden   bool     // not listed, not completed, not matched by prefix
	args     string   // usage of the arguments, "<port> <number>"
	summary  string   // one line for the help list
	help     string   // more for help <command>
	sub      []*command
	parent   *command
	minArgs  int
	maxArgs  int  // -1: any number
	async    bool // runs in its own goroutine: may block, Ctrl-C cancels it
	run      func(x *exec) error
	complete func(s *session, done []string) []string // candidates for the next argument
}

// path is the full name, "config set".
func (c *command) path() string {
	if c.parent == nil {
		return c.name
	}
	return c.parent.path() + " " + c.name
}

// usage is how to type the command.
func (c *command) usage() string {
	u := c.path()
	switch {
	case c.run == nil && len(c.sub) > 0:
		u += " " + strings.Join(names(c.sub), "|")
	case c.args != "":
		u += " " + c.args
	}
	return u
}

// missing names the arguments from the n-th on that must be given.
func (c *command) missing(n int) string {
	words := strings.Fields(c.args)
	var need []string
	for i := n; i < c.minArgs && i < len(words); i++ {
		need = append(need, words[i])
	}
	if len(need) == 0 {
		return "arguments"
	}
	return strings.Join(need, " ")
}

// exec is one run of a command.
type exec struct {
	ctx   context.Context
	s     *session
	out   *lineWriter
	args  []string
	path  []string
	async bool

	// Snapshot for async commands, which must not read the session.
	staged  int
	whoSnap string
	askFn   func(prompt string, echo, fresh bool) (string, error)
}

// snapshot copies what an async command may need from the session.
func (x *exec) snapshot() {
	x.staged = x.s.cand.count()
	x.whoSnap = x.s.who
	asks := x.s.asks
	x.askFn = func(prompt string, echo, fresh bool) (string, error) {
		req := &askReq{prompt: prompt, echo: echo, fresh: fresh, reply: make(chan string, 1)}
		select {
		case asks <- req:
		case <-x.ctx.Done():
			return "", x.ctx.Err()
		}
		select {
		case r, ok := <-req.reply:
			if !ok {
				return "", context.Canceled
			}
			return r, nil
		case <-x.ctx.Done():
			return "", x.ctx.Err()
		}
	}
}

// ask puts a question to the technician and returns the answer; echo
// false hides what is typed. Only async commands may ask.
func (x *exec) ask(prompt string, echo bool) (string, error) {
	return x.doAsk(prompt, echo, false)
}

// confirm asks for a confirmation that keys typed ahead (a pasted block)
// cannot give.
func (x *exec) confirm(prompt string) (string, error) {
	return x.doAsk(prompt, true, true)
}

func (x *exec) doAsk(prompt string, echo, fresh bool) (string, error) {
	x.out.Flush()
	if x.askFn == nil {
		return "", fmt.Errorf("console: %s cannot ask here", strings.Join(x.path, " "))
	}
	return x.askFn(prompt, echo, fresh)
}

func (x *exec) o() *Options { return x.s.o }

func (x *exec) printf(format string, args ...any) { fmt.Fprintf(x.out, format, args...) }

// wrapf prints a paragraph wrapped to the terminal width.
func (x *exec) wrapf(indent, format string, args ...any) {
	x.printf("%s\n", wrap(fmt.Sprintf(format, args...), x.o().Width-1, indent))
}

// table prints rows in aligned columns.
func (x *exec) table(header []string, rows [][]string) {
	tw := tabwriter.NewWriter(x.out, 0, 0, 2, ' ', 0)
	if header != nil {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// commands builds the command tree.
func commands() []*command {
	tree := []*command{
		{name: "help", args: "[command]", maxArgs: -1, run: cmdHelp, complete: completeHelp,
			summary: "list the commands, or explain one",
			help:    "help alone lists the commands; help <command> explains one, e.g. help config set."},
		{name: "status", maxArgs: 0, run: cmdStatus,
			summary: "the box at a glance",
			help:    "One screen: ports, SIP, configuration, alarms and the media loop."},
		{name: "show", summary: "ports, lines, calls, registrations, trunks, alarms, version, board, cdr [n]",
			help: "Shows one part of the box; type the subject after show, e.g. show ports.",
			sub: []*command{
				{name: "ports", maxArgs: 0, run: cmdShowPorts, summary: "the telephone ports: kind, extension, hook, line feed"},
				{name: "lines", maxArgs: 0, run: cmdShowLines, summary: "call control of each port: state, channel"},
				{name: "calls", maxArgs: 0, run: cmdShowCalls, summary: "the calls in progress"},
				{name: "registrations", maxArgs: 0, run: cmdShowRegistrations, summary: "SIP registrations"},
				{name: "trunks", maxArgs: 0, run: cmdShowTrunks, summary: "FXO and E1 trunks"},
				{name: "alarms", maxArgs: 0, run: cmdShowAlarms, summary: "the alarms active now"},
				{name: "version", maxArgs: 0, run: cmdShowVersion, summary: "firmware and platform versions"},
				{name: "board", maxArgs: 0, run: cmdShowBoard, summary: "the board, its drivers and facts"},
				{name: "cdr", args: "[n] [port N]", maxArgs: 3, run: cmdShowCDR, summary: "the last n call detail records (default 10), newest first",
					help: "show cdr lists the newest call records first: show cdr 20 the last 20, show cdr port 2 those of port 2, show cdr 5 port 2 both. MOS is the estimated call quality (1-4.5). cdr verify checks that no record was altered."},
			}},
		{name: "cdr", summary: "check and add up the call detail records",
			sub: []*command{
				{name: "totals", maxArgs: 0, run: cmdCDRTotals,
					summary: "calls and charged time per extension",
					help:    "Adds up the call records kept, per port: calls, answered calls, and the time of answered calls out to the carrier (the ones that cost), also in started minutes as carriers bill; internal calls are free, incoming ones paid by the caller."},
				{name: "verify", maxArgs: 0, run: cmdCDRVerify,
					summary: "check that no call record was altered or removed",
					help:    "Reads every call record back from storage and checks the hash chain that links each record to the one before: an altered, removed or inserted record is named."},
			}},
		{name: "line", summary: "test the line of a port",
			sub: []*command{
				{name: "test", args: "<port>", minArgs: 1, maxArgs: 1, async: true, run: cmdLineTest, complete: completePorts,
					summary: "test the line of a port",
					help:    "Checks the line of one port, e.g. line test 1. Ctrl-C stops the test."},
			}},
		{name: "call", args: "<port> <number>", minArgs: 2, maxArgs: 2, async: true, run: cmdCall, complete: completePorts,
			summary: "place a test call from a port",
			help:    "Places a test call from a port to a number, e.g. call 1 202, and reports its progress. Ctrl-C ends it."},
		{name: "sip", summary: "show SIP messages live",
			sub: []*command{
				{name: "trace", args: "on|off", minArgs: 1, maxArgs: 1, run: cmdSIPTrace, complete: keywords("on", "off"),
					summary: "show SIP messages live",
					help:    "sip trace on prints every SIP message the box sends or receives above the prompt while you keep typing; sip trace off (or Ctrl-C on an empty line) stops it."},
			}},
		{name: "log", summary: "show the log live",
			sub: []*command{
				{name: "tail", args: "[debug|info|warn|error|off]", maxArgs: 1, run: cmdLogTail, complete: keywords("debug", "info", "warn", "error", "off"),
					summary: "show the log live: debug, info, warn, error",
					help:    "log tail [level] prints the last records at or above level (info when not given), then new ones as they come, above the prompt while you keep typing. log tail off (or Ctrl-C on an empty line) stops it."},
			}},
		{name: "config", summary: "show, get, set, diff, save, revert",
			help: "Changes are staged in a candidate copy with config set, reviewed with config diff, and take effect with config save, which checks them like the web page does (validation, carrier locks) and records them in the audit trail. config revert drops them. Names of settings are as in config show; Tab completes them.",
			sub: []*command{
				{name: "show", args: "[prefix]", maxArgs: 1, run: cmdConfigShow, complete: completeConfigPaths,
					summary: "the configuration in effect (settings starting with prefix)"},
				{name: "get", args: "<setting>", minArgs: 1, maxArgs: 1, run: cmdConfigGet, complete: completeConfigPaths,
					summary: "one setting, or a group such as ports[0]"},
				{name: "set", args: "<setting> <value>", minArgs: 1, maxArgs: 2, run: cmdConfigSet, complete: completeConfigSet,
					summary: "stage a new value (quote values with spaces)",
					help: `Stages a new value in the candidate, e.g. config set device.name "Main office" or config set dialPlan.interDigit 4s. ` +
						`A list of names is set whole, comma-separated: config set sip.profiles[0].registrars "a.example.net, b.example.net". ` +
						`For a password give only the setting: the console asks for the value without showing it. Nothing changes until config save.`},
				{name: "diff", maxArgs: 0, run: cmdConfigDiff, summary: "the staged changes"},
				{name: "save", maxArgs: 0, run: cmdConfigSave, summary: "check the staged changes and put them in effect"},
				{name: "revert", maxArgs: 0, run: cmdConfigRevert, summary: "drop the staged changes"},
			}},
		{name: "dsp", summary: "media loop and channel figures",
			sub: []*command{
				{name: "stats", args: "[channel]", maxArgs: 1, run: cmdDSPStats, complete: completeChannels,
					summary: "media loop counters, or one channel's figures",
					help:    "dsp stats shows the media loop; dsp stats <channel> one channel's echo canceller, jitter, loss and concealment. show lines lists the channel of each port."},
			}},
		{name: "ping", args: "<host> [count]", minArgs: 1, maxArgs: 2, async: true, run: cmdPing,
			summary: "ICMP echo to a host (Ctrl-C stops)",
			help:    "Sends count echo requests (default 4) one second apart, e.g. ping 192.0.2.1. Ctrl-C stops early."},
		{name: "traceroute", args: "<host>", minArgs: 1, maxArgs: 1, async: true, run: cmdTraceroute,
			summary: "the routers on the way to a host",
			help:    "Sends echo requests with growing TTL and lists who answers, up to 30 hops. Ctrl-C stops."},
		{name: "password", maxArgs: 0, async: true, run: cmdPassword,
			summary: "change the administrator password"},
		{name: "reboot", maxArgs: 0, async: true, run: cmdReboot,
			summary: "restart the box"},
		{name: "factory-reset", maxArgs: 0, async: true, run: cmdFactoryReset,
			summary: "erase configuration and accounts (asks first)"},
		{name: "upgrade", args: "<url>", minArgs: 1, maxArgs: 1, async: true, run: cmdUpgrade,
			summary: "install a signed firmware image"},
		{name: "logout", aliases: []string{"exit", "quit"}, maxArgs: 0, run: cmdLogout,
			summary: "end the session (Ctrl-D does too)"},
	}
	var link func(parent *command, cs []*command)
	link = func(parent *command, cs []*command) {
		for _, c := range cs {
			c.parent = parent
			link(c, c.sub)
		}
	}
	link(nil, tree)
	return tree
}

func cmdHelp(x *exec) error {
	if len(x.args) == 0 {
		x.printf("Commands (help <command> explains one; they may be shortened, e.g. sh po):\n")
		var rows [][]string
		for _, c := range x.s.c.tree {
			if c.hidden {
				continue
			}
			syn := c.usage()
			if c.run == nil && len(c.sub) == 1 { // "line test <port>"
				syn = c.sub[0].usage()
			}
			if c.name == "show" || c.name == "config" {
				syn = c.name + " <what>"
			}
			rows = append(rows, []string{"  " + syn, c.summary})
		}
		helpTable(x, rows)
		x.printf("Keys: Tab completes; Up/Down or Ctrl-P/Ctrl-N recall; Ctrl-C cancels.\n")
		return nil
	}
	level := x.s.c.tree
	var c *command
	for _, w := range x.args {
		if len(level) == 0 {
			break
		}
		n, err := lookup(level, w)
		if err != nil {
			return usagef("type help for the list of commands", "help: %v", userError(err))
		}
		c, level = n, n.sub
	}
	x.printf("usage: %s\n", c.usage())
	if c.help != "" {
		x.wrapf("  ", "  %s", c.help)
	} else if c.summary != "" {
		x.wrapf("  ", "  %s", c.summary)
	}
	if len(c.sub) > 0 {
		var rows [][]string
		for _, sc := range c.sub {
			rows = append(rows, []string{"  " + sc.usage(), sc.summary})
		}
		helpTable(x, rows)
	}
	return nil
}

// helpTable prints synopsis/summary pairs, wrapping summaries to the width.
func helpTable(x *exec, rows [][]string) {
	w := 0
	for _, r := range rows {
		w = max(w, len(r[0]))
	}
	w = min(w, 30)
	for _, r := range rows {
		pad := strings.Repeat(" ", w+2)
		if len(r[0]) > w {
			x.printf("%s\n", r[0])
			x.printf("%s\n", wrap(pad+r[1], x.o().Width-1, pad))
			continue
		}
		line := r[0] + strings.Repeat(" ", w+2-len(r[0])) + r[1]
		x.printf("%s\n", wrap(line, x.o().Width-1, pad))
	}
}

// userError drops the package prefix from an error meant for people.
func userError(err error) string {
	return strings.TrimPrefix(err.Error(), "console: ")
}

func completeHelp(s *session, done []string) []string {
	level := s.c.tree
	for _, w := range done {
		c, err := lookup(level, w)
		if err != nil {
			return nil
		}
		level = c.sub
	}
	return names(level)
}

func keywords(words ...string) func(*session, []string) []string {
	return func(_ *session, done []string) []string {
		if len(done) > 0 {
			return nil
		}
		return words
	}
}

func completePorts(s *session, done []string) []string {
	if len(done) > 0 || s.o.Status == nil {
		return nil
	}
	var out []string
	for _, p := range s.o.Status.Ports() {
		out = append(out, strconv.Itoa(p.Port))
	}
	return out
}

func completeChannels(s *session, done []string) []string {
	if len(done) > 0 || s.o.Status == nil {
		return nil
	}
	var out []string
	for _, p := range s.o.Status.Ports() {
		out = append(out, strconv.Itoa(p.Channel))
	}
	return out
}

// completions returns the candidates for the word being typed at the end of
// before, and that word.
func completions(s *session, before string) (cands []string, word string) {
	words, partial, _ := split(before)
	if partial && len(words) > 0 {
		word = words[len(words)-1]
		words = words[:len(words)-1]
	}
	level := s.c.tree
	var cmd *command
	i := 0
	for ; i < len(words) && len(level) > 0; i++ {
		c, err := lookup(level, words[i])
		if err != nil {
			if cmd == nil || cmd.run == nil {
				return nil, word
			}
			break
		}
		cmd, level = c, c.sub
	}
	var all []string
	switch {
	case len(level) > 0 && i == len(words):
		all = names(level)
	case cmd != nil && cmd.complete != nil:
		all = cmd.complete(s, words[i:])
	}
	for _, c := range all {
		if strings.HasPrefix(c, word) {
			cands = append(cands, c)
		}
	}
	slices.Sort(cands)
	return slices.Compact(cands), word
}

// columns lays out words in columns across width.
func columns(words []string, width int) string {
	w := 0
	for _, s := range words {
		w = max(w, len(s))
	}
	w += 2
	per := max(width/w, 1)
	var b strings.Builder
	for i, s := range words {
		b.WriteString(s)
		if (i+1)%per == 0 || i == len(words)-1 {
			b.WriteByte('\n')
		} else {
			b.WriteString(strings.Repeat(" ", w-len(s)))
		}
	}
	return b.String()
}

// wrap breaks text into lines of at most width columns at spaces; lines
// after the first start with indent. Existing newlines are kept.
func wrap(text string, width int, indent string) string {
	if len([]rune(indent)) >= width/2 {
		indent = "" // a narrow screen: no room to indent
	}
	var b strings.Builder
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
			if !strings.HasPrefix(para, indent) {
				para = indent + para
			}
		}
		for {
			r := []rune(para)
			if len(r) <= width {
				b.WriteString(para)
				break
			}
			cut := -1
			for j := width; j > len([]rune(indent)); j-- {
				if r[j] == ' ' {
					cut = j
					break
				}
			}
			if cut < 0 {
				cut = width
			}
			b.WriteString(strings.TrimRight(string(r[:cut]), " "))
			b.WriteByte('\n')
			para = indent + strings.TrimLeft(string(r[cut:]), " ")
		}
	}
	return b.String()
}

// sanitize replaces control characters so text from the network cannot
// drive the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// fmtDuration prints d for people: "1m0s" becomes "1 min", "10m0s" "10 min",
// "45s" "45 s", "1h2m" "1h02m".
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour && d%time.Minute == 0:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%02dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
