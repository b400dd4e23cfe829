// Package auth keeps the box's user accounts: for now the one
// administrator, whose password opens the serial console (and, with the
// web page work, the web page too).
//
// On first boot there is no account file. Open then generates a random
// per-device password, stores only its salted PBKDF2-SHA256 hash and
// returns the password once, for the console (or `make run`) to show. The
// administrator is expected to replace it (console command `password`);
// until then FirstBoot reports true. Losing it means a factory reset:
// deleting the file makes the next boot generate a new one.
//
// The file is <dir>/users.json, mode 0600, written atomically (temporary
// file, fsync, rename, fsync of the folder):
//
//	{"version":1,"users":[{"name":"admin","hash":"pbkdf2-sha256$100000$<salt>$<key>",
//	  "firstBoot":true,"changed":"2026-05-01T12:00:00Z"}]}
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

var (
	errUnknownUser = errors.New("auth: no such user")
	errPassword    = errors.New("auth: password not accepted")
	errFile        = errors.New("auth: account file damaged")
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
	s.users = []user{{Name: Admin, Hash: h, FirstBoot: true, Changed: s.now().UTC()}}
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
