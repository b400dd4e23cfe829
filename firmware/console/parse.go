package console

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

var (
	errQuote     = errors.New("console: unterminated quote")
	errUsage     = errors.New("console: usage")
	errUnknown   = errors.New("console: unknown command")
	errAmbiguous = errors.New("console: ambiguous command")
)

// usageError is a mistake in a command line: what was wrong and what to
// type instead.
type usageError struct {
	msg  string // what was wrong
	hint string // what to type
}

func (e *usageError) Error() string {
	if e.hint == "" {
		return e.msg
	}
	return e.msg + "\n" + e.hint
}

func (e *usageError) Unwrap() error { return errUsage }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// split breaks a command line into words. Words are separated by spaces;
// "double" or 'single' quotes keep spaces inside a word, and a backslash
// inside double quotes takes the next character literally. An empty quoted
// word ("") is a word. partial reports whether the line ends inside a word
// (for completion: the last word is still being typed).
func split(line string) (words []string, partial bool, err error) {
	var (
		cur    strings.Builder
		inWord bool
		quote  rune
		escape bool
	)
	for _, r := range line {
		switch {
		case escape:
			cur.WriteRune(r)
			escape = false
		case quote == '"' && r == '\\':
			escape = true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escape {
		return words, true, fmt.Errorf("%w: %c is not closed; end the word with another %c", errQuote, quote, quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, inWord, nil
}

// quoteWord returns w as a word split reads back (quoted when needed).
func quoteWord(w string) string {
	if w != "" && !strings.ContainsAny(w, " \t\"'\\") {
		return w
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(w) + `"`
}

// parsed is a resolved command line.
type parsed struct {
	cmd  *command
	path []string // full names of the command and subcommands, "config", "set"
	args []string // the remaining words
}

func (p *parsed) name() string { return strings.Join(p.path, " ") }

// parse resolves a command line against the command tree. Commands and
// subcommands may be shortened to any unique prefix ("sh po" is "show
// ports"). An empty line gives a nil command and no error. Every error is
// a *usageError that says what was wrong and what to type.
func parse(tree []*command, line string) (*parsed, error) {
	words, _, err := split(line)
	if err != nil {
		return nil, usagef("", "%s", userError(err))
	}
	if len(words) == 0 {
		return nil, nil
	}
	p := &parsed{}
	level := tree
	i := 0
	for ; i < len(words) && len(level) > 0; i++ {
		c, err := lookup(level, words[i])
		if err != nil {
			if p.cmd == nil {
				return nil, usagef("type help for the list of commands", "%s", userError(err))
			}
			if p.cmd.run == nil {
				return nil, usagef("type: "+p.cmd.usage(), "%s: %s", p.name(), userError(err))
			}
			break
		}
		p.cmd = c
		p.path = append(p.path, c.name)
		level = c.sub
	}
	p.args = words[i:]
	c := p.cmd
	if c.run == nil { // a group such as "show" without its subject
		return nil, usagef("type: "+c.usage()+", e.g. "+c.path()+" "+c.sub[0].name,
			"%s needs one of: %s", p.name(), strings.Join(names(c.sub), ", "))
	}
	if len(p.args) < c.minArgs {
		return nil, usagef("type: "+c.usage(), "%s: missing %s", p.name(), c.missing(len(p.args)))
	}
	if c.maxArgs >= 0 && len(p.args) > c.maxArgs {
		if c.maxArgs == 0 {
			return nil, usagef("type: "+c.usage(), "%s takes no arguments, got %s", p.name(), quoteWords(p.args))
		}
		return nil, usagef("type: "+c.usage(), "%s: too many arguments: %s", p.name(), quoteWords(p.args[c.maxArgs:]))
	}
	return p, nil
}

func quoteWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = quoteWord(w)
	}
	return strings.Join(q, " ")
}

// lookup finds the command named w, or the only one w is a prefix of.
func lookup(level []*command, w string) (*command, error) {
	var hits []*command
	for _, c := range level {
		if c.name == w || slices.Contains(c.aliases, w) {
			return c, nil
		}
		if !c.hidden && w != "" && strings.HasPrefix(c.name, w) {
			hits = append(hits, c)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return nil, fmt.Errorf("%w %s", errUnknown, quoteWord(w))
	}
	return nil, fmt.Errorf("%w: %s could be %s", errAmbiguous, quoteWord(w), strings.Join(names(hits), ", "))
}

func names(cs []*command) []string {
	var out []string
	for _, c := range cs {
		if !c.hidden {
			out = append(out, c.name)
		}
	}
	return out
}
