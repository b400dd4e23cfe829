package auth

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var fast = &Options{Iterations: 1000}

func TestFirstBoot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "users")
	s, first, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$`).MatchString(first) {
		t.Fatalf("first-boot password %q", first)
	}
	if !s.FirstBoot(Admin) {
		t.Error("FirstBoot false on first boot")
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(data), first) {
		t.Fatal("the password itself is stored")
	}
	if !strings.Contains(string(data), `"hash": "pbkdf2-sha256$1000$`) {
		t.Errorf("file:\n%s", data)
	}

	// Second boot: same password, nothing to show.
	s2, again, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again != "" {
		t.Errorf("second boot shows a password again: %q", again)
	}
	tests := []struct {
		user, pw string
		want     bool
	}{
		{Admin, first, true},
		{Admin, first + "x", false},
		{Admin, "", false},
		{Admin, strings.ToUpper(first), false},
		{"root", first, false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := s2.Verify(tc.user, tc.pw); got != tc.want {
			t.Errorf("Verify(%q, %q) = %v", tc.user, tc.pw, got)
		}
	}
}

func TestSetPassword(t *testing.T) {
	dir := t.TempDir()
	s, first, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{"short", "", "tab\there!", strings.Repeat("x", MaxPasswordLen+1), "bad\xffutf8!"}
	for _, pw := range bad {
		if err := s.SetPassword(Admin, pw); !errors.Is(err, errPassword) {
			t.Errorf("SetPassword(%q) = %v, want a refusal", pw, err)
		}
	}
	if err := s.SetPassword("root", "long enough"); !errors.Is(err, errUnknownUser) {
		t.Errorf("unknown user: %v", err)
	}
	if err := s.SetPassword(Admin, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if s.Verify(Admin, first) || !s.Verify(Admin, "correct horse") || s.FirstBoot(Admin) {
		t.Error("new password not in effect")
	}
	s2, _, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Verify(Admin, "correct horse") || s2.FirstBoot(Admin) {
		t.Error("new password not stored")
	}
	if _, err := os.Stat(filepath.Join(dir, FileName+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Error("temporary file left behind")
	}
}

func TestDamagedFile(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not json", "{"},
		{"unknown field", `{"version":1,"users":[],"extra":1}`},
		{"newer", `{"version":2,"users":[]}`},
		{"bad scheme", `{"version":1,"users":[{"name":"admin","hash":"md5$1$x$y"}]}`},
		{"bad iterations", `{"version":1,"users":[{"name":"admin","hash":"pbkdf2-sha256$0$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`},
		{"short key", `{"version":1,"users":[{"name":"admin","hash":"pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA$AAAA"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Open(dir, fast); !errors.Is(err, errFile) {
				t.Fatalf("Open = %v, want a damaged-file error", err)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		p := Generate()
		if len(p) != 14 || strings.ContainsAny(p, "01lIO") || seen[p] {
			t.Fatalf("password %q", p)
		}
		seen[p] = true
	}
}
