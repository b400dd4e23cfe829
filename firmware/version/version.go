// Package version holds the firmware's version and compares versions.
//
// Version is set at link time:
//
//	go build -ldflags "-X github.com/openiad/openiad/firmware/version.Version=1.2.3" ./firmware
//
// A build without it is a development build, version "0.0.0": every signed
// image is newer. Versions are semantic versions MAJOR.MINOR.PATCH (no
// pre-release or build suffix: the update path compares them strictly).
// Everything here is safe for concurrent use; Version is written only by the
// linker.
package version

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Version is the running firmware's version, set with -ldflags -X.
var Version = "0.0.0"

var errSyntax = errors.New("version: not MAJOR.MINOR.PATCH")

// Semver is a parsed MAJOR.MINOR.PATCH version.
type Semver struct{ Major, Minor, Patch int }

// String formats v as MAJOR.MINOR.PATCH.
func (v Semver) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
func (v Semver) Compare(w Semver) int {
	for _, d := range [3]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		if d < 0 {
			return -1
		}
		if d > 0 {
			return 1
		}
	}
	return 0
}

// Parse reads "MAJOR.MINOR.PATCH": decimal numbers without signs or
// leading zeros (except "0" itself), each below one million.
func Parse(s string) (Semver, error) {
	f := strings.Split(s, ".")
	if len(f) != 3 {
		return Semver{}, fmt.Errorf("%w: %q", errSyntax, s)
	}
	var n [3]int
	for i, x := range f {
		if x == "" || len(x) > 6 || (len(x) > 1 && x[0] == '0') || strings.Trim(x, "0123456789") != "" {
			return Semver{}, fmt.Errorf("%w: %q", errSyntax, s)
		}
		n[i], _ = strconv.Atoi(x)
	}
	return Semver{n[0], n[1], n[2]}, nil
}

// Compare parses a and b and compares them like [Semver.Compare].
func Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// IsSyntax reports whether err is a malformed version.
func IsSyntax(err error) bool { return errors.Is(err, errSyntax) }
