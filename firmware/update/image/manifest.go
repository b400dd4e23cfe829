// Package image reads and writes OpenIAD firmware images.
//
// An image (.img) is an uncompressed POSIX tar stream whose entries are, in
// this order:
//
//  1. manifest.json: {"format":1,"board":"qemu-virt","version":"1.2.3",
//     "built":"RFC3339","parts":[{"name":"kernel","size":N,"sha256":"hex"},…]}
//  2. manifest.json.minisig: a minisign signature (Ed25519, prehashed "ED"
//     or legacy "Ed") of the manifest.json bytes;
//  3. each part, in manifest order, named as in the manifest.
//
// [Write] builds an image (tools/mkimage uses it); [NewReader] checks the
// manifest's signature against trusted public keys before it yields any part,
// and checks each part's size and SHA-256 while it streams, so firmware/update
// can copy an image into a slot without holding it in memory. Keys and
// signatures are in minisign's formats, so Debian's minisign signs and
// verifies them too (see [ParsePublicKeys], [KeySigner]).
//
// A Reader is used by one goroutine; the functions are safe for concurrent use.
package image

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openiad/openiad/firmware/version"
)

// Entry names of the manifest and its signature.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.json.minisig"
)

// Format is the manifest format this package writes and reads.
const Format = 1

// Limits on what a Reader accepts.
const (
	MaxManifest  = 64 << 10
	MaxSignature = 4 << 10
	MaxParts     = 16
	MaxPartSize  = 1 << 30
	maxName      = 64
)

var (
	// ErrManifest: the manifest is malformed.
	ErrManifest = errors.New("image: bad manifest")
	// ErrSignature: the manifest's signature is missing, malformed or does not verify.
	ErrSignature = errors.New("image: bad signature")
	// ErrUntrusted: the manifest is signed by a key the box does not trust.
	ErrUntrusted = errors.New("image: signed by an untrusted key")
	// ErrFormat: the tar stream is not laid out as an image.
	ErrFormat = errors.New("image: not a firmware image")
	// ErrCorrupt: a part's size or SHA-256 differs from the manifest.
	ErrCorrupt = errors.New("image: corrupt part")
)

// Part describes one part of the image.
type Part struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// Manifest describes an image: which board it is for, its version and parts.
type Manifest struct {
	Format  int       `json:"format"`
	Board   string    `json:"board"`
	Version string    `json:"version"`
	Built   time.Time `json:"built"`
	Parts   []Part    `json:"parts"`
}

// Size is the sum of the parts' sizes.
func (m Manifest) Size() int64 {
	var n int64
	for _, p := range m.Parts {
		n += p.Size
	}
	return n
}

// Part returns the part named name.
func (m Manifest) Part(name string) (Part, bool) {
	for _, p := range m.Parts {
		if p.Name == name {
			return p, true
		}
	}
	return Part{}, false
}

// Validate checks the manifest's fields: format, board and part names
// (lower-case letters, digits, '.', '_', '-'), version, sizes and hashes.
func (m Manifest) Validate() error {
	if m.Format != Format {
		return fmt.Errorf("%w: format %d, want %d", ErrManifest, m.Format, Format)
	}
	if !validName(m.Board) {
		return fmt.Errorf("%w: board %q", ErrManifest, m.Board)
	}
	if _, err := version.Parse(m.Version); err != nil {
		return fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if len(m.Parts) == 0 || len(m.Parts) > MaxParts {
		return fmt.Errorf("%w: %d parts (1..%d)", ErrManifest, len(m.Parts), MaxParts)
	}
	seen := map[string]bool{}
	for i, p := range m.Parts {
		if !validName(p.Name) || p.Name == ManifestName || p.Name == SignatureName || seen[p.Name] {
			return fmt.Errorf("%w: parts[%d].name %q", ErrManifest, i, p.Name)
		}
		seen[p.Name] = true
		if p.Size < 0 || p.Size > MaxPartSize {
			return fmt.Errorf("%w: parts[%d].size %d", ErrManifest, i, p.Size)
		}
		if b, err := hex.DecodeString(p.SHA256); err != nil || len(b) != 32 || hex.EncodeToString(b) != p.SHA256 {
			return fmt.Errorf("%w: parts[%d].sha256 %q", ErrManifest, i, p.SHA256)
		}
	}
	return nil
}

func validName(s string) bool {
	if s == "" || len(s) > maxName || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ParseManifest decodes and validates manifest.json bytes. Unknown fields
// are refused: a manifest is signed, so what it says must be understood.
func ParseManifest(b []byte) (Manifest, error) {
	if len(b) > MaxManifest {
		return Manifest{}, fmt.Errorf("%w: %d bytes (max %d)", ErrManifest, len(b), MaxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("%w: trailing data", ErrManifest)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Marshal encodes m as manifest.json bytes (indented, newline-terminated).
func (m Manifest) Marshal() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return append(b, '\n'), nil
}
