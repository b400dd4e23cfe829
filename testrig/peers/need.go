package peers

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// The Debian package that provides each program the launchers start.
var debianPackage = map[string]string{
	"kamailio": "kamailio",
	"baresip":  "baresip-core",
	"sipp":     "sip-tester",
	"sox":      "sox",
	"node":     "nodejs",
	"npm":      "npm",
	"chromium": "chromium",
}

var errMissing = errors.New("peers: program not installed")

// TB is the part of testing.TB that [Need] uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Missing reports which of programs are not on the PATH, and an error that
// names them with the command that installs them (nil when all are there).
// Programs this package does not know are looked up all the same; their
// hint names the program itself as the package.
func Missing(programs ...string) ([]string, error) {
	var miss []string
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			miss = append(miss, p)
		}
	}
	if len(miss) == 0 {
		return nil, nil
	}
	var pkgs []string
	for _, p := range miss {
		pkg, ok := debianPackage[p]
		if !ok {
			pkg = p
		}
		if !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	return miss, fmt.Errorf("%w: %s; install with `./tools/ci/deps.sh` or `apt-get install -y --no-install-recommends %s`",
		errMissing, strings.Join(miss, ", "), strings.Join(pkgs, " "))
}

// CI reports whether the tests run under continuous integration (CI=true),
// where a missing peer is a failure, never a skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Need checks that programs are installed. When one is missing, the test
// fails (CI=true) or is skipped (otherwise), both with the install hint.
// This is the only place where a peer test may be skipped.
func Need(t TB, programs ...string) {
	t.Helper()
	_, err := Missing(programs...)
	Require(t, err)
}

// Require is the one rule for anything a test needs from the machine (a
// program, a C library, a tool): when err says it is missing, the test
// fails under CI=true, where a missing peer is a failure, and is skipped
// otherwise; err should say how to install it.
func Require(t TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if CI() {
		t.Fatalf("%v (CI=true: a missing peer is a failure)", err)
		return
	}
	t.Skipf("%v", err)
}
