// Package route decides where a dialled number goes: digit maps that tell
// when a number is complete, and (later) class of service, least-cost
// routing and call records. Everything here is pure and safe for concurrent
// use once built.
package route

import (
	"errors"
	"fmt"
	"strings"
)

var errSyntax = errors.New("route: digit map syntax")

// Result is how a dialled string stands against a digit map.
type Result uint8

const (
	NoMatch  Result = iota // no pattern can match, whatever is dialled next
	Partial                // some pattern may match with more digits
	Complete               // a pattern matches and no longer one can: dial now
	Timer                  // a pattern matches but a longer one might: dial when the inter-digit timer (short) expires
)

var resultNames = [...]string{"no match", "partial", "complete", "timer"}

func (r Result) String() string { return resultNames[r] }

// DigitMap is a compiled digit map in the syntax of RFC 3435 §2.1.5 (the
// MGCP digit map every ATA uses): alternatives separated by "|", each a
// sequence of elements:
//
//	0-9 * # A-D   that digit
//	x             any digit 0-9
//	[1-5*#]       one of a set (ranges of digits allowed)
//	.             the previous element repeated zero or more times
//	T             the inter-digit timer: the pattern matches only once it expires
//
// Example: "[2-9]xxxxxxx|1[3-9]xxxxxxxxx|0x.T|11[0-9]|#" for China.
// Parentheses around the whole map are accepted.
type DigitMap struct {
	src      string
	patterns [][]element
}

type element struct {
	set    [16]bool // which keys match, indexed by keyIndex
	repeat bool     // followed by "."
	timer  bool     // the T marker (matches no key)
}

const keys = "0123456789*#ABCD"

func keyIndex(c byte) int {
	if c >= 'a' && c <= 'd' {
		c -= 'a' - 'A'
	}
	return strings.IndexByte(keys, c)
}

// MaxMapLen bounds the length of a digit map's text.
const MaxMapLen = 2048

// ParseDigitMap compiles a digit map; errors say where the text is wrong.
func ParseDigitMap(s string) (*DigitMap, error) {
	if len(s) > MaxMapLen {
		return nil, fmt.Errorf("%w: longer than %d characters", errSyntax, MaxMapLen)
	}
	text := strings.TrimSpace(s)
	if strings.HasPrefix(text, "(") && strings.HasSuffix(text, ")") {
		text = text[1 : len(text)-1]
	}
	m := &DigitMap{src: s}
	for n, alt := range strings.Split(text, "|") {
		p, err := parsePattern(strings.TrimSpace(alt))
		if err != nil {
			return nil, fmt.Errorf("%w: alternative %d %q: %v", errSyntax, n+1, alt, err)
		}
		m.patterns = append(m.patterns, p)
	}
	return m, nil
}

func parsePattern(s string) ([]element, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	var p []element
	for i := 0; i < len(s); i++ {
		c := s[i]
		var e element
		switch {
		case c == 'x' || c == 'X':
			for k := range 10 {
				e.set[k] = true
			}
		case c == 'T' || c == 't':
			e.timer = true
			if i != len(s)-1 {
				return nil, fmt.Errorf("the timer marker T must end the pattern (at %d)", i+1)
			}
		case c == '.':
			if len(p) == 0 || p[len(p)-1].timer || p[len(p)-1].repeat {
				return nil, fmt.Errorf("'.' must follow a digit, x or set (at %d)", i+1)
			}
			p[len(p)-1].repeat = true
			continue
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("'[' at %d is not closed", i+1)
			}
			if err := parseSet(s[i+1:i+end], &e.set); err != nil {
				return nil, fmt.Errorf("set at %d: %v", i+1, err)
			}
			i += end
		default:
			k := keyIndex(c)
			if k < 0 {
				return nil, fmt.Errorf("unexpected %q at %d", c, i+1)
			}
			e.set[k] = true
		}
		p = append(p, e)
	}
	return p, nil
}

func parseSet(s string, set *[16]bool) error {
	if s == "" {
		return errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i+2 < len(s) && s[i+1] == '-' {
			lo, hi := c, s[i+2]
			if lo < '0' || lo > '9' || hi < '0' || hi > '9' || lo > hi {
				return fmt.Errorf("bad range %c-%c", lo, hi)
			}
			for d := lo; d <= hi; d++ {
				set[d-'0'] = true
			}
			i += 2
			continue
		}
		k := keyIndex(c)
		if k < 0 {
			return fmt.Errorf("unexpected %q", c)
		}
		set[k] = true
	}
	return nil
}

// String is the map's text.
func (m *DigitMap) String() string { return m.src }

// Match tells how digits stand against the map. Letters a-d count as A-D;
// any other character makes NoMatch.
func (m *DigitMap) Match(digits string) Result {
	best := NoMatch
	for _, p := range m.patterns {
		if r := matchPattern(p, digits); r > best {
			best = r
		}
	}
	return best
}

// matchPattern runs the pattern as a small NFA over the digits.
func matchPattern(p []element, digits string) Result {
	// states: positions in p (len(p) = past the end).
	cur := closure(p, map[int]bool{0: true})
	for i := 0; i < len(digits); i++ {
		k := keyIndex(digits[i])
		if k < 0 {
			return NoMatch
		}
		next := map[int]bool{}
		for s := range cur {
			if s >= len(p) || p[s].timer {
				continue
			}
			if p[s].set[k] {
				if p[s].repeat {
					next[s] = true
				} else {
					next[s+1] = true
				}
			}
		}
		if len(next) == 0 {
			return NoMatch
		}
		cur = closure(p, next)
	}
	done, timer, more := false, false, false
	for s := range cur {
		switch {
		case s == len(p):
			done = true
		case p[s].timer && s == len(p)-1:
			timer = true
		default:
			more = true
		}
	}
	switch {
	case done && !more:
		return Complete
	case done || timer:
		return Timer
	case more:
		return Partial
	}
	return NoMatch
}

// closure adds the states reachable without a digit: past repeated elements.
func closure(p []element, states map[int]bool) map[int]bool {
	for changed := true; changed; {
		changed = false
		for s := range states {
			if s < len(p) && p[s].repeat && !states[s+1] {
				states[s+1] = true
				changed = true
			}
		}
	}
	return states
}
