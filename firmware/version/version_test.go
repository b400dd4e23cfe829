package version

import (
	"testing"
)

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0},
		{"1.2.3", "1.2.4", -1},
		{"1.10.0", "1.9.9", 1},
		{"2.0.0", "1.99.99", 1},
		{"0.0.0", "0.0.1", -1},
	} {
		got, err := Compare(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("Compare(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.3-rc1", "-1.2.3", "+1.2.3", "1..3", "v1.2.3", "1234567.0.0"} {
		if _, err := Parse(s); !IsSyntax(err) {
			t.Errorf("Parse(%q) = %v; want a syntax error", s, err)
		}
	}
	if _, err := Parse(Version); err != nil {
		t.Errorf("the default Version %q does not parse: %v", Version, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.2.3", "0.0.0", "10.20.30", "1.2", "01.1.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		if v.String() != s {
			t.Fatalf("Parse(%q) = %v, does not format back", s, v)
		}
	})
}
