package cdr_test

import (
	"bytes"
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config/configtest"
)

// filled is a store of 12 records over several files.
func filled(t *testing.T) (*configtest.FS, cdr.Options) {
	fsys := configtest.New()
	o := cdr.Options{MaxFileBytes: 2500, MaxFiles: 10}
	s := open(t, fsys, o)
	for i := range 12 {
		if _, err := s.Append(call(i)); err != nil {
			t.Fatal(err)
		}
	}
	return fsys, o
}

// edit changes the file holding record seq with fn(lines, index of the
// record's line).
func edit(t *testing.T, fsys *configtest.FS, seq string, fn func(lines []string, i int) []string) {
	t.Helper()
	for _, n := range fsys.Names() {
		if !strings.HasPrefix(path.Base(n), "cdr-") {
			continue
		}
		b, _ := fsys.ReadFile(n)
		lines := strings.SplitAfter(string(b), "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, `{"seq":`+seq+`,`) {
				fsys.Put(n, []byte(strings.Join(fn(lines, i), "")))
				return
			}
		}
	}
	t.Fatalf("record %s not found", seq)
}

func TestVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func(t *testing.T, fsys *configtest.FS)
		firstBad uint64
	}{
		{"duration shortened", func(t *testing.T, fsys *configtest.FS) {
			edit(t, fsys, "5", func(l []string, i int) []string {
				l[i] = strings.Replace(l[i], `"duration":35000000000`, `"duration":5000000000`, 1)
				return l
			})
		}, 5},
		{"callee changed", func(t *testing.T, fsys *configtest.FS) {
			edit(t, fsys, "7", func(l []string, i int) []string {
				l[i] = strings.Replace(l[i], `"callee":"07551006"`, `"callee":"201"`, 1)
				return l
			})
		}, 7},
		{"record removed", func(t *testing.T, fsys *configtest.FS) {
			edit(t, fsys, "6", func(l []string, i int) []string { return append(l[:i:i], l[i+1:]...) })
		}, 6},
		{"newest removed", func(t *testing.T, fsys *configtest.FS) {
			edit(t, fsys, "12", func(l []string, i int) []string { return l[:i] })
		}, 12},
		{"oldest file removed", func(t *testing.T, fsys *configtest.FS) {
			fsys.Remove(dir + "/cdr-00000001.jsonl")
		}, 1},
		{"records swapped", func(t *testing.T, fsys *configtest.FS) {
			edit(t, fsys, "8", func(l []string, i int) []string {
				l[i], l[i+1] = l[i+1], l[i]
				return l
			})
		}, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys, o := filled(t)
			c.tamper(t, fsys)
			s, err := cdr.Open(dir, cdr.Options{FS: fsys, MaxFileBytes: o.MaxFileBytes, MaxFiles: o.MaxFiles})
			if err != nil {
				t.Fatal(err)
			}
			rep := s.Verify()
			if rep.OK || rep.FirstBad != c.firstBad {
				t.Fatalf("Verify = %+v, want the first bad record %d", rep, c.firstBad)
			}
			if !errors.Is(rep.Err(), cdr.ErrTampered) || !strings.Contains(rep.Problem, "record") {
				t.Errorf("problem %q, err %v", rep.Problem, rep.Err())
			}
		})
	}
}

// TestVerifyWhileRunning: an alteration made behind a running store's back
// is found by its next Verify.
func TestVerifyWhileRunning(t *testing.T) {
	fsys, o := filled(t)
	o.FS = fsys
	s, err := cdr.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep := s.Verify(); !rep.OK || rep.Records != 12 {
		t.Fatalf("untouched store: %+v", rep)
	}
	edit(t, fsys, "3", func(l []string, i int) []string {
		l[i] = string(bytes.Replace([]byte(l[i]), []byte(`"port":3`), []byte(`"port":1`), 1))
		return l
	})
	if rep := s.Verify(); rep.OK || rep.FirstBad != 3 {
		t.Fatalf("after moving record 3 to port 1: %+v", rep)
	}
}
