package console

import (
	"bytes"
	"io"
	"sync"
	"unicode/utf8"
)

// Screen is one terminal's output: it draws the line being edited and
// prints everything else above it. Text written while a prompt is on the
// screen (log records, SIP messages, the firmware's own log when the
// console shares the terminal under `make run`) appears on lines of its
// own and the prompt with the half-typed line is drawn again below it.
//
// It uses nothing but CR, BS, spaces and printable characters, so it works
// the same on a dumb terminal and a VT100. Lines longer than the width
// scroll sideways instead of wrapping.
//
// Every method may be called from any goroutine.
type Screen struct {
	mu    sync.Mutex
	w     io.Writer
	crlf  bool
	width int
	err   error // the first write error; later writes are dropped

	shown  bool   // an edit line is on the screen
	prompt string // drawn prompt
	vis    []rune // drawn part of the text
	col    int    // cursor position within vis
	off    int    // offset of vis in the text
	bol    bool   // (when !shown) the output is at the start of a line

	buf []byte
}

// NewScreen returns a Screen writing to w. When crlf is set, "\n" is sent
// as "\r\n" (a raw serial line); leave it off for a terminal that does its
// own output processing. width is the number of columns (80 when 0).
func NewScreen(w io.Writer, crlf bool, width int) *Screen {
	if width <= 0 {
		width = 80
	}
	return &Screen{w: w, crlf: crlf, width: max(width, 20), bol: true}
}

// Err returns the first error the terminal returned.
func (s *Screen) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Write prints p above the edit line, if one is shown. Text printed while
// no edit line is shown goes out as it is.
func (s *Screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(p) == 0 {
		return 0, s.err
	}
	if s.shown {
		s.clearLine()
		s.text(p)
		if p[len(p)-1] != '\n' {
			s.text([]byte{'\n'})
		}
		s.redraw()
	} else {
		s.text(p)
	}
	s.flush()
	if s.err != nil {
		return 0, s.err
	}
	return len(p), nil
}

// text appends p to the output buffer, converting newlines.
func (s *Screen) text(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.buf = append(s.buf, p...)
			s.bol = false
			return
		}
		s.buf = append(s.buf, p[:i]...)
		if s.crlf && (i == 0 && !s.lastCR() || i > 0 && p[i-1] != '\r') {
			s.buf = append(s.buf, '\r')
		}
		s.buf = append(s.buf, '\n')
		s.bol = true
		p = p[i+1:]
	}
}

func (s *Screen) lastCR() bool { return len(s.buf) > 0 && s.buf[len(s.buf)-1] == '\r' }

func (s *Screen) flush() {
	if len(s.buf) == 0 {
		return
	}
	if s.err == nil {
		_, s.err = s.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
}

func (s *Screen) spaces(n int) {
	for range n {
		s.buf = append(s.buf, ' ')
	}
}

func (s *Screen) backs(n int) {
	for range n {
		s.buf = append(s.buf, '\b')
	}
}

// clearLine blanks the edit line and puts the cursor at its start.
func (s *Screen) clearLine() {
	s.buf = append(s.buf, '\r')
	s.spaces(utf8.RuneCountInString(s.prompt) + len(s.vis))
	s.buf = append(s.buf, '\r')
	s.bol = true
}

// redraw draws the edit line from the start of an empty line.
func (s *Screen) redraw() {
	s.buf = append(s.buf, s.prompt...)
	s.buf = appendRunes(s.buf, s.vis)
	s.backs(len(s.vis) - s.col)
}

func appendRunes(b []byte, r []rune) []byte {
	for _, c := range r {
		b = utf8.AppendRune(b, c)
	}
	return b
}

// Show draws the edit line: prompt, then text with the cursor at pos. Only
// what changed since the last Show is sent.
func (s *Screen) Show(prompt string, text []rune, pos int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pos = min(max(pos, 0), len(text))
	avail := max(s.width-1-utf8.RuneCountInString(prompt), 8)
	off := 0
	if len(text) > avail {
		off = s.off
		if !s.shown || prompt != s.prompt {
			off = 0
		}
		switch {
		case pos < off:
			off = max(pos-avail/2, 0)
		case pos > off+avail:
			off = pos - avail + min(avail/4, len(text)-pos)
		}
		off = min(off, len(text)-avail)
		if pos-off > avail {
			off = pos - avail
		}
	}
	vis := text[off:min(len(text), off+avail)]
	col := pos - off

	switch {
	case !s.shown:
		if !s.bol {
			s.text([]byte{'\n'})
		}
		s.prompt, s.off = prompt, off
		s.vis = append(s.vis[:0], vis...)
		s.col = col
		s.redraw()
	case prompt == s.prompt && off == s.off:
		k := 0
		for k < len(vis) && k < len(s.vis) && vis[k] == s.vis[k] {
			k++
		}
		if k == len(vis) && k == len(s.vis) { // only the cursor moves
			if col < s.col {
				s.backs(s.col - col)
			} else {
				s.buf = appendRunes(s.buf, vis[s.col:col])
			}
			s.col = col
			break
		}
		// Go to the first difference, rewrite from there, blank the rest.
		if s.col > k {
			s.backs(s.col - k)
		} else {
			s.buf = appendRunes(s.buf, s.vis[s.col:k])
		}
		s.buf = appendRunes(s.buf, vis[k:])
		pad := max(len(s.vis)-len(vis), 0)
		s.spaces(pad)
		s.backs(len(vis) + pad - col)
		s.vis = append(s.vis[:0], vis...)
		s.col = col
	default:
		old := utf8.RuneCountInString(s.prompt) + len(s.vis)
		s.buf = append(s.buf, '\r')
		s.prompt, s.off = prompt, off
		s.vis = append(s.vis[:0], vis...)
		s.col = col
		s.buf = append(s.buf, prompt...)
		s.buf = appendRunes(s.buf, vis)
		pad := max(old-utf8.RuneCountInString(prompt)-len(vis), 0)
		s.spaces(pad)
		s.backs(len(vis) + pad - col)
	}
	s.shown = true
	s.flush()
}

// Commit ends the edit line: it writes suffix (such as "^C") after the text
// and moves to a new line. Later output goes below it.
func (s *Screen) Commit(suffix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shown {
		s.buf = appendRunes(s.buf, s.vis[s.col:])
	}
	s.buf = append(s.buf, suffix...)
	s.shown = false
	s.vis = s.vis[:0]
	s.text([]byte{'\n'})
	s.flush()
}

// Redraw draws the edit line again on a fresh line (Ctrl-L, or after the
// terminal was garbled).
func (s *Screen) Redraw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.shown {
		return
	}
	s.buf = appendRunes(s.buf, s.vis[s.col:])
	s.text([]byte{'\n'})
	s.col = len(s.vis)
	s.redraw()
	s.flush()
}

// Hide removes the edit line from the screen, leaving the cursor at the
// start of the empty line.
func (s *Screen) Hide() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.shown {
		return
	}
	s.clearLine()
	s.shown = false
	s.vis = s.vis[:0]
	s.flush()
}

// Bell rings the terminal's bell (a refused key, nothing to complete).
func (s *Screen) Bell() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, '\a')
	s.flush()
}
