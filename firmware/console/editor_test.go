package console

import (
	"fmt"
	"strings"
	"testing"
)

func decodeAll(in string) []key {
	var d decoder
	var out []key
	for i := 0; i < len(in); i++ {
		if k, ok := d.feed(in[i]); ok {
			out = append(out, k)
		}
	}
	return out
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []key
	}{
		{"text", "ab", []key{'a', 'b'}},
		{"CR", "a\r", []key{'a', keyEnter}},
		{"CRLF is one Enter", "\r\n\r\n", []key{keyEnter, keyEnter}},
		{"LF alone", "\n\n", []key{keyEnter, keyEnter}},
		{"VT100 arrows", "\x1b[A\x1b[B\x1b[C\x1b[D", []key{keyUp, keyDown, keyRight, keyLeft}},
		{"application arrows", "\x1bOA\x1bOD", []key{keyUp, keyLeft}},
		{"home end delete", "\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[3~\x1b[7~\x1b[8~", []key{keyHome, keyEnd, keyHome, keyEnd, keyDelete, keyHome, keyEnd}},
		{"modified arrow", "\x1b[1;5C", []key{keyRight}},
		{"unknown CSI dropped", "\x1b[5~x\x1b[Z", []key{'x'}},
		{"ESC then letter", "\x1bx", []key{'x'}},
		{"ESC then control", "\x1b[\r", []key{keyEnter}},
		{"dumb terminal keys", "\x01\x02\x05\x06\x10\x0e", []key{keyHome, keyLeft, keyEnd, keyRight, keyUp, keyDown}},
		{"editing keys", "\x08\x7f\x0b\x15\x17\x0c\t", []key{keyBackspace, keyBackspace, keyKillEnd, keyKillLine, keyKillWord, keyRedraw, keyTab}},
		{"ctrl-c ctrl-d", "\x03\x04", []key{keyCancel, keyEOF}},
		{"other controls ignored", "\x00\x07\x1a", nil},
		{"UTF-8", "é€", []key{'é', '€'}},
		{"broken UTF-8", "\xc3a\xff", []key{'a'}},
		{"UTF-8 control", "\u0085", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeAll(tc.in)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("decode(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// A key split over two reads decodes the same.
func TestDecoderSplit(t *testing.T) {
	in := "ab\x1b[3~\x1bOC€\r\n"
	want := fmt.Sprint(decodeAll(in))
	for cut := range len(in) {
		var d decoder
		var got []key
		for _, part := range []string{in[:cut], in[cut:]} {
			for i := 0; i < len(part); i++ {
				if k, ok := d.feed(part[i]); ok {
					got = append(got, k)
				}
			}
		}
		if fmt.Sprint(got) != want {
			t.Fatalf("cut at %d: %v, want %s", cut, got, want)
		}
	}
}

func TestEditor(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		pos  int
	}{
		{"type", "show", "show", 4},
		{"backspace", "shox\x7fw", "show", 4},
		{"insert in the middle", "sow\x02\x02h", "show", 2},
		{"home and end", "how\x01s\x05!", "show!", 5},
		{"delete", "sshow\x01\x1b[3~", "show", 0},
		{"ctrl-d deletes under the cursor", "sxhow\x01\x06\x04", "show", 1},
		{"kill to end", "show ports\x01\x06\x06\x06\x06\x0b", "show", 4},
		{"kill line", "show ports\x15x", "x", 1},
		{"kill word", "show ports  \x17", "show ", 5},
		{"left stops at start", "a\x02\x02\x02b", "ba", 1},
		{"right stops at end", "a\x06\x06b", "ab", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e editor
			e.reset(true)
			for _, k := range decodeAll(tc.in) {
				e.key(k)
			}
			if e.line() != tc.want || e.pos != tc.pos {
				t.Errorf("line %q pos %d, want %q %d", e.line(), e.pos, tc.want, tc.pos)
			}
		})
	}
}

func TestEditorResults(t *testing.T) {
	var e editor
	e.reset(true)
	for _, tc := range []struct {
		k    key
		want editResult
	}{
		{keyEOF, edEOF}, {'a', edNone}, {keyEOF, edNone}, {keyTab, edTab}, {keyEnter, edEnter},
		{keyCancel, edCancel}, {keyRedraw, edRedraw},
	} {
		if got := e.key(tc.k); got != tc.want {
			t.Errorf("key %v = %v, want %v", tc.k, got, tc.want)
		}
	}
	e.reset(false) // password: no completion, no history
	if got := e.key(keyTab); got != edNone {
		t.Errorf("tab in a password = %v", got)
	}
	e.reset(true)
	e.set(strings.Repeat("x", maxLine))
	if got := e.key('y'); got != edRefused || len(e.buf) != maxLine {
		t.Errorf("full line: %v, %d runes", got, len(e.buf))
	}
}

func TestHistory(t *testing.T) {
	var e editor
	e.reset(true)
	for _, l := range []string{"status", "show ports", "show ports", "  ", "config diff"} {
		e.remember(l)
	}
	e.reset(false)
	e.remember("secret") // passwords are never remembered
	if fmt.Sprint(e.hist) != "[status show ports config diff]" {
		t.Fatalf("history %q", e.hist)
	}
	e.reset(true)
	e.insert("half")
	steps := []struct {
		k    key
		want string
	}{
		{keyUp, "config diff"}, {keyUp, "show ports"}, {keyUp, "status"}, {keyUp, "status"},
		{keyDown, "show ports"}, {keyDown, "config diff"}, {keyDown, "half"}, {keyDown, "half"},
	}
	for i, s := range steps {
		e.key(s.k)
		if e.line() != s.want || e.pos != len([]rune(s.want)) {
			t.Fatalf("step %d: %q at %d, want %q", i, e.line(), e.pos, s.want)
		}
	}
	for i := range maxHistory + 10 {
		e.remember(fmt.Sprint("cmd ", i))
	}
	if len(e.hist) != maxHistory || e.hist[0] != "cmd 10" {
		t.Errorf("history holds %d, first %q", len(e.hist), e.hist[0])
	}
}

// drawn renders a sequence of Show calls through a Screen on a vt.
func TestScreenShow(t *testing.T) {
	type show struct {
		prompt, text string
		pos          int
	}
	tests := []struct {
		name  string
		shows []show
		line  string
		col   int
	}{
		{"prompt", []show{{"> ", "", 0}}, ">", 2},
		{"typing", []show{{"> ", "s", 1}, {"> ", "sh", 2}, {"> ", "sho", 3}}, "> sho", 5},
		{"backspace", []show{{"> ", "sho", 3}, {"> ", "sh", 2}}, "> sh", 4},
		{"cursor moves", []show{{"> ", "show", 4}, {"> ", "show", 1}, {"> ", "show", 3}}, "> show", 5},
		{"insert in the middle", []show{{"> ", "sow", 1}, {"> ", "show", 2}}, "> show", 4},
		{"shorter line", []show{{"> ", "show ports", 10}, {"> ", "show", 4}}, "> show", 6},
		{"new prompt", []show{{"login: ", "admin", 5}, {"password: ", "", 0}}, "password:", 10},
		{"shorter prompt", []show{{"password: ", "", 0}, {"> ", "x", 1}}, "> x", 3},
		{"long line scrolls", []show{{"> ", strings.Repeat("a", 20) + strings.Repeat("b", 20), 40}}, "> " + strings.Repeat("a", 12) + strings.Repeat("b", 20), 34},
		{"long line, cursor home", []show{{"> ", strings.Repeat("a", 20) + strings.Repeat("b", 20), 40}, {"> ", strings.Repeat("a", 20) + strings.Repeat("b", 20), 0}},
			"> " + strings.Repeat("a", 20) + strings.Repeat("b", 12), 2},
		{"unicode", []show{{"> ", "Zürich", 6}, {"> ", "Zürich", 2}}, "> Zürich", 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := newVT(80)
			s := NewScreen(v, true, 35)
			for _, sh := range tc.shows {
				s.Show(sh.prompt, []rune(sh.text), sh.pos)
			}
			line, col := v.current()
			if line != tc.line || col != tc.col {
				t.Errorf("line %q col %d, want %q col %d", line, col, tc.line, tc.col)
			}
			if len(line) >= 35 && tc.name != "unicode" {
				t.Errorf("line longer than the screen: %d", len(line))
			}
		})
	}
}

// Text written while the prompt is shown goes above it; the half-typed
// line comes back intact with the cursor where it was.
func TestScreenAbovePrompt(t *testing.T) {
	v := newVT(80)
	s := NewScreen(v, true, 80)
	s.Write([]byte("boot\n"))
	s.Show("OpenIAD> ", []rune("show por"), 6)
	s.Write([]byte("12:00:00.000 WARN  something happened\n"))
	s.Write([]byte("no newline at the end"))
	s.Show("OpenIAD> ", []rune("show port"), 9)
	want := "boot\n12:00:00.000 WARN  something happened\nno newline at the end\nOpenIAD> show port"
	if got := v.screen(); got != want {
		t.Errorf("screen:\n%s\nwant:\n%s", got, want)
	}
	if _, col := v.current(); col != len("OpenIAD> show port") {
		t.Errorf("cursor at %d", col)
	}
	s.Commit("^C")
	s.Write([]byte("after\n"))
	s.Hide() // nothing shown: no effect
	want += "^C\nafter\n"
	if got := v.screen(); got != want {
		t.Errorf("after commit:\n%q\nwant\n%q", got, want)
	}
	s.Show("> ", []rune("abc"), 1)
	s.Redraw()
	s.Hide()
	if line, col := v.current(); line != "" || col != 0 {
		t.Errorf("after hide: %q at %d", line, col)
	}
	if got := v.screen(); !strings.HasSuffix(got, "after\n> abc\n") {
		t.Errorf("after redraw and hide:\n%q", got)
	}
}

func TestScreenNewlines(t *testing.T) {
	var b strings.Builder
	s := NewScreen(&b, true, 0)
	s.Write([]byte("a\nb\r\nc\n\n"))
	if b.String() != "a\r\nb\r\nc\r\n\r\n" {
		t.Errorf("crlf: %q", b.String())
	}
	b.Reset()
	s = NewScreen(&b, false, 0)
	s.Write([]byte("a\nb\n"))
	if b.String() != "a\nb\n" {
		t.Errorf("no crlf: %q", b.String())
	}
}
