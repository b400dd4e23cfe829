package console

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// vt is the simplest terminal there is, for the tests: CR returns to the
// first column, LF goes down one line in the same column (as a raw serial
// line does), BS moves left, BEL is ignored, printable characters
// overwrite; a line wraps at width. Any other control character is kept
// visibly as "^X" so that escape sequences leaking out fail the tests.
type vt struct {
	mu       sync.Mutex
	width    int
	lines    [][]rune
	row, col int
	pend     []byte // an incomplete UTF-8 sequence
	n        int    // bytes written
	changed  chan struct{}
}

func newVT(width int) *vt {
	return &vt{width: width, lines: [][]rune{nil}, changed: make(chan struct{}, 1)}
}

func (v *vt) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.n += len(p)
	b := append(v.pend, p...)
	for len(b) > 0 {
		if !utf8.FullRune(b) {
			break
		}
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch r {
		case '\r':
			v.col = 0
		case '\n':
			v.row++
			for len(v.lines) <= v.row {
				v.lines = append(v.lines, nil)
			}
		case '\b':
			v.col = max(v.col-1, 0)
		case '\a':
		default:
			if r < ' ' || r == 0x7f {
				v.put('^')
				v.put(r + '@')
				continue
			}
			v.put(r)
		}
	}
	v.pend = append([]byte(nil), b...)
	select {
	case v.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (v *vt) put(r rune) {
	if v.col >= v.width {
		v.col = 0
		v.row++
		for len(v.lines) <= v.row {
			v.lines = append(v.lines, nil)
		}
	}
	l := v.lines[v.row]
	for len(l) <= v.col {
		l = append(l, ' ')
	}
	l[v.col] = r
	v.lines[v.row] = l
	v.col++
}

// screen returns the text on the terminal, trailing spaces trimmed.
func (v *vt) screen() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]string, len(v.lines))
	for i, l := range v.lines {
		out[i] = strings.TrimRight(string(l), " ")
	}
	return strings.Join(out, "\n")
}

// current returns the line the cursor is on and the cursor column.
func (v *vt) current() (string, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return strings.TrimRight(string(v.lines[v.row]), " "), v.col
}

// from returns the screen from line n on, and the number of lines now.
func (v *vt) from(n int) (string, int) {
	s := v.screen()
	lines := strings.Split(s, "\n")
	if n > len(lines) {
		n = len(lines)
	}
	return strings.Join(lines[n:], "\n"), len(lines)
}
