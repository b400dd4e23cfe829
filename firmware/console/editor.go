package console

import (
	"slices"
	"strings"
	"unicode"
)

// Limits of the line editor.
const (
	maxLine    = 512 // runes in a line
	maxHistory = 50  // lines remembered
)

// editor is the line being typed, with its history. It is owned by the
// session goroutine.
type editor struct {
	buf  []rune
	pos  int
	echo bool // false for passwords: nothing is drawn, nothing remembered

	hist  []string
	hpos  int    // position in hist while browsing; len(hist) = the new line
	saved string // the new line, kept while browsing the history
}

// edit outcomes
type editResult uint8

const (
	edNone    editResult = iota // the line changed or nothing happened
	edEnter                     // the line is complete
	edCancel                    // Ctrl-C
	edEOF                       // Ctrl-D on an empty line
	edTab                       // completion wanted
	edRedraw                    // Ctrl-L
	edRefused                   // the key could not be applied (line full)
)

// reset starts a new, empty line.
func (e *editor) reset(echo bool) {
	e.buf, e.pos, e.echo = e.buf[:0], 0, echo
	e.hpos, e.saved = len(e.hist), ""
}

func (e *editor) line() string { return string(e.buf) }

func (e *editor) set(s string) {
	e.buf = append(e.buf[:0], []rune(s)...)
	if len(e.buf) > maxLine {
		e.buf = e.buf[:maxLine]
	}
	e.pos = len(e.buf)
}

// insert puts s at the cursor.
func (e *editor) insert(s string) bool {
	r := []rune(s)
	if len(e.buf)+len(r) > maxLine {
		return false
	}
	e.buf = slices.Insert(e.buf, e.pos, r...)
	e.pos += len(r)
	return true
}

// remember adds a finished line to the history.
func (e *editor) remember(s string) {
	s = strings.TrimSpace(s)
	if s == "" || !e.echo || len(e.hist) > 0 && e.hist[len(e.hist)-1] == s {
		return
	}
	e.hist = append(e.hist, s)
	if len(e.hist) > maxHistory {
		e.hist = slices.Delete(e.hist, 0, len(e.hist)-maxHistory)
	}
}

// key applies k.
func (e *editor) key(k key) editResult {
	switch k {
	case keyEnter:
		return edEnter
	case keyCancel:
		return edCancel
	case keyTab:
		if !e.echo {
			return edNone
		}
		return edTab
	case keyRedraw:
		return edRedraw
	case keyEOF:
		if len(e.buf) == 0 {
			return edEOF
		}
		if e.pos < len(e.buf) {
			e.buf = slices.Delete(e.buf, e.pos, e.pos+1)
		}
	case keyBackspace:
		if e.pos > 0 {
			e.buf = slices.Delete(e.buf, e.pos-1, e.pos)
			e.pos--
		}
	case keyDelete:
		if e.pos < len(e.buf) {
			e.buf = slices.Delete(e.buf, e.pos, e.pos+1)
		}
	case keyLeft:
		e.pos = max(e.pos-1, 0)
	case keyRight:
		e.pos = min(e.pos+1, len(e.buf))
	case keyHome:
		e.pos = 0
	case keyEnd:
		e.pos = len(e.buf)
	case keyKillEnd:
		e.buf = e.buf[:e.pos]
	case keyKillLine:
		e.buf, e.pos = e.buf[:0], 0
	case keyKillWord:
		i := e.pos
		for i > 0 && unicode.IsSpace(e.buf[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(e.buf[i-1]) {
			i--
		}
		e.buf = slices.Delete(e.buf, i, e.pos)
		e.pos = i
	case keyUp, keyDown:
		if !e.echo {
			return edNone
		}
		if e.hpos == len(e.hist) {
			e.saved = string(e.buf)
		}
		switch {
		case k == keyUp && e.hpos > 0:
			e.hpos--
		case k == keyDown && e.hpos < len(e.hist):
			e.hpos++
		default:
			return edNone
		}
		if e.hpos == len(e.hist) {
			e.set(e.saved)
		} else {
			e.set(e.hist[e.hpos])
		}
	default:
		if k < 0 {
			return edNone
		}
		if !e.insert(string(rune(k))) {
			return edRefused
		}
	}
	return edNone
}
