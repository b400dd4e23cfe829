package image

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"aead.dev/minisign"
)

// PublicKey and PrivateKey are minisign keys.
type (
	PublicKey  = minisign.PublicKey
	PrivateKey = minisign.PrivateKey
)

// A Signer signs manifest.json bytes and returns a minisign signature file.
// [KeySigner] signs with a key in memory; a build may as well call Debian's
// minisign.
type Signer func(manifest []byte) (sig []byte, err error)

// KeySigner signs with key: prehashed Ed25519 ("ED", what minisign ≥ 0.8
// makes), with a trusted comment naming the time of signing.
func KeySigner(key PrivateKey, trustedComment string) Signer {
	return func(manifest []byte) ([]byte, error) {
		r := minisign.NewReader(bytes.NewReader(manifest))
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, fmt.Errorf("image: sign: %w", err)
		}
		untrusted := fmt.Sprintf("signature from openiad key %X", key.ID())
		return r.SignWithComments(key, trustedComment, untrusted), nil
	}
}

// Verify checks that sig is a valid signature of msg by one of keys. It
// returns ErrUntrusted when the signature is well-formed but its key ID is
// none of keys, and ErrSignature when it is malformed or does not verify.
func Verify(keys []PublicKey, msg, sig []byte) error {
	var s minisign.Signature
	if len(sig) > MaxSignature {
		return fmt.Errorf("%w: %d bytes", ErrSignature, len(sig))
	}
	if err := s.UnmarshalText(sig); err != nil {
		return fmt.Errorf("%w: %w", ErrSignature, err)
	}
	for _, k := range keys {
		if k.ID() != s.KeyID {
			continue
		}
		if minisign.Verify(k, msg, sig) {
			return nil
		}
		return fmt.Errorf("%w: does not verify with key %X", ErrSignature, k.ID())
	}
	return fmt.Errorf("%w: key %X", ErrUntrusted, s.KeyID)
}

// ParsePublicKeys reads a list of minisign public keys: one per line, the
// base64 form ("RW…"), as in the second line of a minisign .pub file.
// Blank lines, lines starting with '#' and minisign's "untrusted comment:"
// lines are skipped, so a .pub file or several concatenated are a list.
func ParsePublicKeys(text []byte) ([]PublicKey, error) {
	var keys []PublicKey
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "untrusted comment:") {
			continue
		}
		var k PublicKey
		if err := k.UnmarshalText([]byte(line)); err != nil {
			return nil, fmt.Errorf("image: public key on line %d: %w", n, err)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("image: public keys: %w", err)
	}
	return keys, nil
}

// LoadPrivateKey reads a minisign secret key file: unencrypted (as
// `iadsign keygen` and `minisign -G -W` write it), or encrypted with
// password (minisign's scrypt scheme).
func LoadPrivateKey(path, password string) (PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("image: %w", err)
	}
	var k PrivateKey
	if minisign.IsEncrypted(b) {
		k, err = minisign.DecryptKey(password, b)
	} else {
		err = k.UnmarshalText(bytes.TrimSpace(b))
	}
	if err != nil {
		return PrivateKey{}, fmt.Errorf("image: %s: %w", path, err)
	}
	return k, nil
}

// LoadPublicKeys reads a file of public keys (see [ParsePublicKeys]).
func LoadPublicKeys(path string) ([]PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return ParsePublicKeys(b)
}
