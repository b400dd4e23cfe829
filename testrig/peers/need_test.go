package peers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/openiad/openiad/testrig/peers"
)

// fakeTB records what Need does to a test.
type fakeTB struct{ fatal, skip string }

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }
func (f *fakeTB) Skipf(format string, args ...any)  { f.skip = fmt.Sprintf(format, args...) }

func TestNeed(t *testing.T) {
	const missing = "openiad-no-such-program"
	for _, tc := range []struct {
		name, ci string
		programs []string
		fatal    bool
		skip     bool
		hint     string
	}{
		{"present", "true", []string{"sh"}, false, false, ""},
		{"missing under CI", "true", []string{"sh", missing}, true, false, "apt-get install -y --no-install-recommends " + missing},
		{"missing outside CI", "", []string{missing}, false, true, "./tools/ci/deps.sh"},
		{"CI=false is not CI", "false", []string{missing}, false, true, missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			var f fakeTB
			peers.Need(&f, tc.programs...)
			if (f.fatal != "") != tc.fatal || (f.skip != "") != tc.skip {
				t.Fatalf("fatal %q, skip %q; want fatal %v, skip %v", f.fatal, f.skip, tc.fatal, tc.skip)
			}
			if msg := f.fatal + f.skip; !strings.Contains(msg, tc.hint) {
				t.Fatalf("message %q lacks %q", msg, tc.hint)
			}
		})
	}
}

func TestMissingNamesDebianPackages(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing is installed here
	miss, err := peers.Missing("kamailio", "baresip", "sipp")
	if len(miss) != 3 || err == nil {
		t.Fatalf("missing %v, error %v; want all three", miss, err)
	}
	want := "apt-get install -y --no-install-recommends kamailio baresip-core sip-tester"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("hint %q, want %q", err, want)
	}
}
