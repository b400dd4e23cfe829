package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPasswordFor(t *testing.T) {
	tests := []struct {
		user, pw string
		ok       bool
	}{
		{"admin", "correct horse", true},
		{"admin", "technician", true},
		{"admin", "myAdmin2024", false},
		{"admin", "ADMINADMIN!", false},
		{"admin", "aaaaaaaaaa", false},
		{"admin", "短密码", false},
		{"admin", "长一点的中文密码口令", true},
		{"lee", "short", false},
		{"", "long enough", true},
	}
	for _, tc := range tests {
		err := CheckPasswordFor(tc.user, tc.pw)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPasswordFor(%q, %q) = %v, want ok=%v", tc.user, tc.pw, err, tc.ok)
		}
		if err != nil && !errors.Is(err, errPassword) {
			t.Errorf("CheckPasswordFor(%q, %q): %v is not a password error", tc.user, tc.pw, err)
		}
	}
}

func TestRoles(t *testing.T) {
	dir := t.TempDir()
	s, _, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := s.Role(Admin); !ok || r != RoleAdministrator {
		t.Fatalf("Role(admin) = %q, %v", r, ok)
	}
	if _, ok := s.Role("nobody"); ok {
		t.Fatal("Role of an unknown user")
	}
	bad := []struct {
		name string
		role Role
		pw   string
		want error
	}{
		{"", RoleInstaller, "long enough", errUserName},
		{"Bob", RoleInstaller, "long enough", errUserName},
		{"9lives", RoleInstaller, "long enough", errUserName},
		{"a b", RoleInstaller, "long enough", errUserName},
		{strings.Repeat("x", 33), RoleInstaller, "long enough", errUserName},
		{"bob", "root", "long enough", errRole},
		{"bob", RoleInstaller, "short", errPassword},
		{"bob", RoleInstaller, "bobbobbob!", errPassword},
		{Admin, RoleInstaller, "long enough", errUserExists},
	}
	for _, tc := range bad {
		if err := s.Add(tc.name, tc.role, tc.pw); !errors.Is(err, tc.want) {
			t.Errorf("Add(%q, %q, %q) = %v, want %v", tc.name, tc.role, tc.pw, err, tc.want)
		}
	}
	if err := s.Add("wang.fitter", RoleInstaller, "first-pass-1"); err != nil {
		t.Fatal(err)
	}
	if !s.FirstBoot("wang.fitter") || !s.Verify("wang.fitter", "first-pass-1") {
		t.Error("a new account must log in with its first password and then change it")
	}
	// The file keeps the role; a second Open sees it.
	s2, _, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := s2.Role("wang.fitter"); !ok || r != RoleInstaller {
		t.Errorf("after reopening: Role = %q, %v", r, ok)
	}
	us := s2.Users()
	if len(us) != 2 || us[0].Name != Admin || us[1].Name != "wang.fitter" || us[1].Role != RoleInstaller || !us[1].FirstBoot {
		t.Errorf("Users() = %+v", us)
	}
	if err := s2.Remove(Admin); !errors.Is(err, errLastAdmin) {
		t.Errorf("Remove(admin) = %v", err)
	}
	if err := s2.Remove("nobody"); !errors.Is(err, errUnknownUser) {
		t.Errorf("Remove(nobody) = %v", err)
	}
	if err := s2.Remove("wang.fitter"); err != nil {
		t.Fatal(err)
	}
	if s2.Verify("wang.fitter", "first-pass-1") {
		t.Error("a removed account still logs in")
	}
	for i := len(s2.Users()); i < MaxUsers; i++ {
		if err := s2.Add("user"+string(rune('a'+i)), RoleInstaller, "long enough"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s2.Add("onetoomany", RoleInstaller, "long enough"); !errors.Is(err, errTooMany) {
		t.Errorf("Add past MaxUsers = %v", err)
	}
}

func TestFileWithoutRoles(t *testing.T) {
	// A file from before roles: the administrator stays one.
	dir := t.TempDir()
	s, _, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.users[0].Role = ""
	if err := s.save(); err != nil {
		t.Fatal(err)
	}
	s.mu.Unlock()
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if strings.Contains(string(data), "role") {
		t.Fatalf("file still has a role:\n%s", data)
	}
	s2, _, err := Open(dir, fast)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := s2.Role(Admin); r != RoleAdministrator {
		t.Errorf("role %q", r)
	}
	os.WriteFile(filepath.Join(dir, FileName), []byte(strings.Replace(string(data), `"changed"`, `"role":"root","changed"`, 1)), 0o600)
	if _, _, err := Open(dir, fast); !errors.Is(err, errFile) {
		t.Errorf("unknown role: %v", err)
	}
}
