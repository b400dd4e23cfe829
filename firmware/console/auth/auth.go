// Package auth keeps the box's user accounts: the administrator "admin",
// whose password opens the serial console and the web page, and the
// accounts the administrator adds on the web page. Each account has a role:
// RoleAdministrator may change everything, RoleInstaller everything but the
// accounts and the carrier's management (TR-069) settings. The web page
// enforces roles; the console lets every account in.
//
// On first boot there is no account file. Open then generates a random
// per-device password, stores only its salted PBKDF2-SHA256 hash and
// returns the password once, for the console (or `make run`) to show. The
// administrator is expected to replace it (console command `password`);
// until then FirstBoot reports true. Losing it means a factory reset:
// deleting the file makes the next boot generate a new one.
//
// An account added with Add also starts with FirstBoot true: its first
// login must choose a new password.
//
// The file is <dir>/users.json, mode 0600, written atomically (temporary
// file, fsync, rename, fsync of the folder):
//
//	{"version":1,"users":[{"name":"admin","hash":"pbkdf2-sha256$100000$<salt>$<key>",
//	  "firstBoot":true,"changed":"2026-05-01T12:00:00Z","role":"administrator"}]}
//
// "role" may be missing (files written before roles existed): such an
// account is an administrator.
//
// salt and key are unpadded standard base64; the iteration count travels
// with each hash so it can grow without invalidating stored passwords.
//
// Concurrency: every method of Store may be called from any goroutine.
package auth

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Admin is the administrator's user name.
const Admin = "admin"

// FileName is the account file in the store's folder.
const FileName = "users.json"

// Password rules for SetPassword.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 128
)

// DefaultIterations is the PBKDF2 iteration count of new hashes: a
// fraction of a second per login on an ARMv7 box (0.17 s on a desktop
// x86 core under the race detector). The console's lock-out after three
// failures bounds guessing anyway.
const DefaultIterations = 100_000

const (
	saltLen = 16
	keyLen  = 32
	scheme  = "pbkdf2-sha256"
	version = 1
)

// Role says what an account may do.
type Role string

// The roles.
const (
	RoleAdministrator Role = "administrator" // everything
	RoleInstaller     Role = "installer"     // everything but accounts and TR-069
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdministrator || r == RoleInstaller }

// MaxUsers is the most accounts the store keeps.
const MaxUsers = 16

var (
	errUnknownUser = errors.New("auth: no such user")
	errPassword    = errors.New("auth: password not accepted")
	errFile        = errors.New("auth: account file damaged")
	errUserName    = errors.New("auth: user name not accepted")
	errUserExists  = errors.New("auth: user already exists")
	errRole        = errors.New("auth: unknown role")
	errLastAdmin   = errors.New("auth: the administrator account cannot be removed")
	errTooMany     = errors.New("auth: too many accounts")
)

// Options tune a Store.
type Options struct {
	// Iterations of PBKDF2 for new hashes (DefaultIterations when 0).
	// Tests lower it; the firmware leaves it alone.
	Iterations int
	// Now returns the time recorded with a password change (time.Now when nil).
	Now func() time.Time
}

// Store holds the accounts of the box.
type Store struct {
	dir  string
	iter int
	now  func() time.Time

	mu    sync.Mutex
	users []user
}

type user struct {
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	FirstBoot bool      `json:"firstBoot"`
	Changed   time.Time `json:"changed"`
	Role      Role      `json:"role,omitempty"`
}

func (u *user) role() Role {
	if u.Role == "" {
		return RoleAdministrator
	}
	return u.Role
}

type file struct {
	Version int    `json:"version"`
	Users   []user `json:"users"`
}

// Open loads the accounts from dir, creating dir and the administrator
// account when there is none. first is the generated first-boot password
// when Open just created the account, "" otherwise: show it once, never log
// it. A damaged file is an error (the box then runs without a console
// login rather than guessing); removing the file regenerates it.
func Open(dir string, o *Options) (s *Store, first string, err error) {
	s = &Store{dir: dir, iter: DefaultIterations, now: time.Now}
	if o != nil && o.Iterations > 0 {
		s.iter = o.Iterations
	}
	if o != nil && o.Now != nil {
		s.now = o.Now
	}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	switch {
	case err == nil:
		var f file
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			return nil, "", fmt.Errorf("%w: %s: %v", errFile, FileName, err)
		}
		if f.Version != version {
			return nil, "", fmt.Errorf("%w: %s has version %d, this firmware reads %d", errFile, FileName, f.Version, version)
		}
		for _, u := range f.Users {
			if _, _, _, err := parseHash(u.Hash); err != nil {
				return nil, "", fmt.Errorf("%w: user %q: %v", errFile, u.Name, err)
			}
			if u.Role != "" && !u.Role.Valid() {
				return nil, "", fmt.Errorf("%w: user %q: unknown role %q", errFile, u.Name, u.Role)
			}
		}
		s.users = f.Users
		return s, "", nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("auth: %w", err)
	}
	first = Generate()
	h, err := s.hash(first)
	if err != nil {
		return nil, "", err
	}
	s.users = []user{{Name: Admin, Hash: h, FirstBoot: true, Changed: s.now().UTC(), Role: RoleAdministrator}}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("auth: %w", err)
	}
	if err := s.save(); err != nil {
		return nil, "", err
	}
	return s, first, nil
}

// alphabet leaves out look-alikes (0/O, 1/l/I) so a password read off a
// screen can be typed back.
const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// Generate returns a new random password: three groups of four characters
// from a 32-letter alphabet (60 bits), such as "k7dm-q2xa-9fpe".
func Generate() string {
	var raw [12]byte
	rand.Read(raw[:])
	var b strings.Builder
	for i, c := range raw {
		if i > 0 && i%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(c)%len(alphabet)]) // 256 is a multiple of 32: no bias
	}
	return b.String()
}

func (s *Store) hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha256.New, password, salt, s.iter, keyLen)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	enc := base64.RawStdEncoding
	return scheme + "$" + strconv.Itoa(s.iter) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

func parseHash(h string) (iter int, salt, key []byte, err error) {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != scheme {
		return 0, nil, nil, fmt.Errorf("hash is not %s", scheme)
	}
	iter, err = strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10_000_000 {
		return 0, nil, nil, fmt.Errorf("bad iteration count %q", parts[1])
	}
	enc := base64.RawStdEncoding
	if salt, err = enc.DecodeString(parts[2]); err != nil || len(salt) < 8 {
		return 0, nil, nil, fmt.Errorf("bad salt")
	}
	if key, err = enc.DecodeString(parts[3]); err != nil || len(key) != keyLen {
		return 0, nil, nil, fmt.Errorf("bad key")
	}
	return iter, salt, key, nil
}

func (s *Store) find(name string) *user {
	for i := range s.users {
		if s.users[i].Name == name {
			return &s.users[i]
		}
	}
	return nil
}

// Verify reports whether password is the password of user name. It takes
// the same time whether or not the user exists.
func (s *Store) Verify(name, password string) bool {
	s.mu.Lock()
	u := s.find(name)
	h := ""
	if u != nil {
		h = u.Hash
	}
	s.mu.Unlock()
	iter, salt, key, err := parseHash(h)
	if err != nil { // unknown user: spend the same effort, then refuse
		iter, salt, key = s.iter, make([]byte, saltLen), make([]byte, keyLen)
	}
	got, kerr := pbkdf2.Key(sha256.New, password, salt, iter, keyLen)
	return kerr == nil && subtle.ConstantTimeCompare(got, key) == 1 && err == nil
}

// FirstBoot reports whether user name still has the generated password.
func (s *Store) FirstBoot(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.find(name)
	return u != nil && u.FirstBoot
}

// CheckPassword says what is wrong with password as a new password, or nil.
func CheckPassword(password string) error {
	switch n := utf8.RuneCountInString(password); {
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: not valid UTF-8", errPassword)
	case n < MinPasswordLen:
		return fmt.Errorf("%w: %d characters, at least %d needed", errPassword, n, MinPasswordLen)
	case n > MaxPasswordLen:
		return fmt.Errorf("%w: longer than %d characters", errPassword, MaxPasswordLen)
	}
	for _, r := range password {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("%w: contains control characters", errPassword)
		}
	}
	return nil
}

// SetPassword gives user name a new password and stores it.
func (s *Store) SetPassword(name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	h, err := s.hash(password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.find(name)
	if u == nil {
		return fmt.Errorf("%w %q", errUnknownUser, name)
	}
	old := *u
	u.Hash, u.FirstBoot, u.Changed = h, false, s.now().UTC()
	if err := s.save(); err != nil {
		*u = old
		return err
	}
	return nil
}

// save writes the accounts atomically. s.mu is held (or s is not shared yet).
func (s *Store) save() error {
	data, err := json.MarshalIndent(file{Version: version, Users: s.users}, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	data = append(data, '\n')
	path := filepath.Join(s.dir, FileName)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("auth: store %s: %w", FileName, werr)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// PolicyText states the password rules of CheckPasswordFor, for people.
const PolicyText = "8 to 128 characters, no control characters, not containing the user name, not one character repeated"

// CheckPasswordFor says what is wrong with password as user name's new
// password, or nil: the rules of CheckPassword, and the password must not
// contain the user name (in any case) nor be one character repeated.
func CheckPasswordFor(name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	if name != "" && strings.Contains(strings.ToLower(password), strings.ToLower(name)) {
		return fmt.Errorf("%w: contains the user name", errPassword)
	}
	r, _ := utf8.DecodeRuneInString(password)
	if strings.Trim(password, string(r)) == "" {
		return fmt.Errorf("%w: one character repeated", errPassword)
	}
	return nil
}

// Account is what may be shown of an account: never its hash.
type Account struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	FirstBoot bool      `json:"mustChangePassword"` // still on a password it did not choose
	Changed   time.Time `json:"changed"`            // last password change
}

// Users lists the accounts in the order they were added.
func (s *Store) Users() []Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Account, 0, len(s.users))
	for i := range s.users {
		u := &s.users[i]
		out = append(out, Account{Name: u.Name, Role: u.role(), FirstBoot: u.FirstBoot, Changed: u.Changed})
	}
	return out
}

// Role returns the role of user name, and false when there is no such user.
func (s *Store) Role(name string) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.find(name)
	if u == nil {
		return "", false
	}
	return u.role(), true
}

// CheckUserName says what is wrong with name as a new user name, or nil:
// 1 to 32 characters from a-z, 0-9, '.', '_' and '-', starting with a
// letter.
func CheckUserName(name string) error {
	if name == "" || len(name) > 32 {
		return fmt.Errorf("%w: must be 1 to 32 characters", errUserName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'):
		default:
			return fmt.Errorf("%w: %q: use a-z, 0-9, '.', '_' and '-', starting with a letter", errUserName, name)
		}
	}
	return nil
}

// Add creates an account with a first password that must be changed at
// its first login (FirstBoot is true until SetPassword).
func (s *Store) Add(name string, role Role, password string) error {
	if err := CheckUserName(name); err != nil {
		return err
	}
	if !role.Valid() {
		return fmt.Errorf("%w %q (want %s or %s)", errRole, role, RoleAdministrator, RoleInstaller)
	}
	if err := CheckPasswordFor(name, password); err != nil {
		return err
	}
	h, err := s.hash(password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find(name) != nil {
		return fmt.Errorf("%w: %q", errUserExists, name)
	}
	if len(s.users) >= MaxUsers {
		return fmt.Errorf("%w: at most %d", errTooMany, MaxUsers)
	}
	s.users = append(s.users, user{Name: name, Hash: h, FirstBoot: true, Changed: s.now().UTC(), Role: role})
	if err := s.save(); err != nil {
		s.users = s.users[:len(s.users)-1]
		return err
	}
	return nil
}

// Remove deletes the account name. The administrator account "admin"
// cannot be removed: the console and a lost-password recovery rely on it.
func (s *Store) Remove(name string) error {
	if name == Admin {
		return errLastAdmin
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.users {
		if s.users[i].Name == name {
			old := s.users
			s.users = append(s.users[:i:i], s.users[i+1:]...)
			if err := s.save(); err != nil {
				s.users = old
				return err
			}
			return nil
		}
	}
	return fmt.Errorf("%w %q", errUnknownUser, name)
}
