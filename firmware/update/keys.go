package update

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/openiad/openiad/firmware/update/image"
)

//go:embed keys/release.pub
var releasePub []byte

// ReleaseKeys are the public keys every build trusts, from
// firmware/update/keys/release.pub (which may list none).
func ReleaseKeys() []image.PublicKey {
	k, err := image.ParsePublicKeys(releasePub)
	if err != nil {
		panic("update: keys/release.pub: " + err.Error())
	}
	return k
}

// TrustedKeys returns the release keys plus the keys in the files named
// by required (each must exist) and optional (read when it exists).
func TrustedKeys(required []string, optional ...string) ([]image.PublicKey, error) {
	keys := ReleaseKeys()
	for _, f := range required {
		k, err := image.LoadPublicKeys(f)
		if err != nil {
			return nil, fmt.Errorf("update: trusted keys: %w", err)
		}
		keys = append(keys, k...)
	}
	for _, f := range optional {
		b, err := os.ReadFile(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update: trusted keys: %w", err)
		}
		k, err := image.ParsePublicKeys(b)
		if err != nil {
			return nil, fmt.Errorf("update: trusted keys in %s: %w", f, err)
		}
		keys = append(keys, k...)
	}
	return keys, nil
}
