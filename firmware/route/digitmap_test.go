package route

import (
	"errors"
	"strings"
	"testing"
)

func TestDigitMapMatch(t *testing.T) {
	cn, err := ParseDigitMap("([2-9]xxxxxxx|1[3-9]xxxxxxxxx|0[1-9]xx.T|11[0-9]|#|*xx#)")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		digits string
		want   Result
	}{
		{"", Partial},
		{"2", Partial},
		{"2345678", Partial},
		{"23456789", Complete},
		{"234567890", NoMatch},
		{"1", Partial},
		{"11", Partial},
		{"110", Complete},
		{"119", Complete},
		{"13812345678", Complete},
		{"1381234567", Partial},
		{"12", NoMatch},
		{"01", Partial},
		{"010", Timer},
		{"0101", Timer},
		{"01012345678", Timer},
		{"00", NoMatch},
		{"#", Complete},
		{"*72#", Complete},
		{"*72", Partial},
		{"2a", NoMatch},
		{"2 3", NoMatch},
	}
	for _, c := range cases {
		if got := cn.Match(c.digits); got != c.want {
			t.Errorf("Match(%q) = %s, want %s", c.digits, got, c.want)
		}
	}
}

func TestDigitMapRepeatAndLetters(t *testing.T) {
	if _, err := ParseDigitMap("9x.#|A[b-d]|x.T"); err == nil {
		t.Fatal("range of letters accepted")
	}
	m, err := ParseDigitMap("9x.#|AB|x.T")
	if err != nil {
		t.Fatal(err)
	}
	for digits, want := range map[string]Result{
		"9":      Timer, // x.T: a lone 9 after the timer; or more digits
		"9#":     Complete,
		"9123#":  Complete,
		"ab":     Complete,
		"A":      Partial,
		"555":    Timer,
		"5#":     NoMatch,
		"912345": Timer,
	} {
		if got := m.Match(digits); got != want {
			t.Errorf("Match(%q) = %s, want %s", digits, got, want)
		}
	}
}

func TestDigitMapSyntaxErrors(t *testing.T) {
	for _, bad := range []string{"", "|", "2xx|", "[2-9", "[]", "[9-2]x", ".2", "xT5", "x..", "2y", "T.", strings.Repeat("x", MaxMapLen+1)} {
		_, err := ParseDigitMap(bad)
		if !errors.Is(err, errSyntax) {
			t.Errorf("ParseDigitMap(%q) error %v, want a syntax error", bad, err)
		}
	}
}

func FuzzDigitMap(f *testing.F) {
	for _, s := range []string{"[2-9]xxxxxxx|1[3-9]xxxxxxxxx", "0x.T", "(x.#)", "*xx#|#", "[*#]x"} {
		f.Add(s, "13812345678")
	}
	f.Fuzz(func(t *testing.T, m, digits string) {
		dm, err := ParseDigitMap(m)
		if err != nil {
			if !errors.Is(err, errSyntax) {
				t.Fatalf("error not wrapping errSyntax: %v", err)
			}
			return
		}
		if len(digits) > 64 {
			digits = digits[:64]
		}
		r := dm.Match(digits)
		// A prefix of a matching string is never NoMatch.
		if r != NoMatch && len(digits) > 0 && dm.Match(digits[:len(digits)-1]) == NoMatch {
			t.Fatalf("%q: %q is %s but its prefix is no match", m, digits, r)
		}
	})
}
