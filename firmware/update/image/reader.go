package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// A Reader streams the parts of an image whose manifest it has verified.
type Reader struct {
	tr   *tar.Reader
	m    Manifest
	raw  []byte
	sig  []byte
	next int
	cur  *partReader
}

// NewReader reads the manifest and its signature from r and verifies them
// against keys. It fails with ErrUntrusted (signed by another key),
// ErrSignature, ErrManifest or ErrFormat before it yields any part.
func NewReader(r io.Reader, keys []PublicKey) (*Reader, error) {
	tr := tar.NewReader(r)
	raw, err := readSmall(tr, ManifestName, MaxManifest)
	if err != nil {
		return nil, err
	}
	sig, err := readSmall(tr, SignatureName, MaxSignature)
	if err != nil {
		return nil, err
	}
	// The signature first: an unsigned manifest is not even parsed.
	if err := Verify(keys, raw, sig); err != nil {
		return nil, err
	}
	m, err := ParseManifest(raw)
	if err != nil {
		return nil, err
	}
	return &Reader{tr: tr, m: m, raw: raw, sig: sig}, nil
}

// Manifest returns the verified manifest.
func (r *Reader) Manifest() Manifest { return r.m }

// RawManifest returns the manifest.json bytes and their signature as read.
func (r *Reader) RawManifest() (manifest, sig []byte) { return r.raw, r.sig }

// Next returns the next part and a reader of its bytes. The reader returns
// ErrCorrupt instead of io.EOF when the bytes differ in size or SHA-256 from
// the manifest, so a consumer must treat what it read as void unless it
// reached io.EOF. After the last part, Next checks that the image ends there
// and returns io.EOF. Next skips what is left unread of the previous part
// (and checks it).
func (r *Reader) Next() (Part, io.Reader, error) {
	if r.cur != nil && r.cur.err == nil {
		if _, err := io.Copy(io.Discard, r.cur); err != nil {
			return Part{}, nil, err
		}
	}
	if r.cur != nil && !errors.Is(r.cur.err, io.EOF) {
		return Part{}, nil, r.cur.err
	}
	if r.next == len(r.m.Parts) {
		if _, err := r.tr.Next(); err != io.EOF {
			if err == nil {
				err = errors.New("an entry after the last part")
			}
			return Part{}, nil, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		return Part{}, nil, io.EOF
	}
	p := r.m.Parts[r.next]
	hdr, err := r.tr.Next()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Part{}, nil, fmt.Errorf("%w: part %s: %w", ErrCorrupt, p.Name, err)
	}
	if hdr.Name != p.Name || hdr.Typeflag != tar.TypeReg {
		return Part{}, nil, fmt.Errorf("%w: entry %q where part %s should be", ErrFormat, hdr.Name, p.Name)
	}
	if hdr.Size != p.Size {
		return Part{}, nil, fmt.Errorf("%w: part %s is %d bytes, manifest says %d", ErrCorrupt, p.Name, hdr.Size, p.Size)
	}
	r.next++
	r.cur = &partReader{r: r.tr, p: p, h: sha256.New()}
	return p, r.cur, nil
}

type partReader struct {
	r   io.Reader
	p   Part
	h   hash.Hash
	n   int64
	err error
}

func (pr *partReader) Read(b []byte) (int, error) {
	if pr.err != nil {
		return 0, pr.err
	}
	n, err := pr.r.Read(b)
	pr.h.Write(b[:n])
	pr.n += int64(n)
	if pr.n > pr.p.Size {
		pr.err = fmt.Errorf("%w: part %s longer than %d bytes", ErrCorrupt, pr.p.Name, pr.p.Size)
		return 0, pr.err
	}
	switch {
	case err == io.EOF:
		if pr.n != pr.p.Size {
			pr.err = fmt.Errorf("%w: part %s: %d of %d bytes", ErrCorrupt, pr.p.Name, pr.n, pr.p.Size)
		} else if sum := hex.EncodeToString(pr.h.Sum(nil)); sum != pr.p.SHA256 {
			pr.err = fmt.Errorf("%w: part %s: SHA-256 %s, manifest says %s", ErrCorrupt, pr.p.Name, sum, pr.p.SHA256)
		} else {
			pr.err = io.EOF
		}
		// Bytes of a corrupt part are not handed out with the error.
		if pr.err != io.EOF {
			return 0, pr.err
		}
		return n, pr.err
	case err != nil:
		pr.err = fmt.Errorf("%w: part %s: %w", ErrCorrupt, pr.p.Name, err)
		return n, pr.err
	}
	return n, nil
}

func readSmall(tr *tar.Reader, name string, max int64) ([]byte, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFormat, name, err)
	}
	if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%w: first entries must be %s and %s, found %q", ErrFormat, ManifestName, SignatureName, hdr.Name)
	}
	if hdr.Size > max {
		return nil, fmt.Errorf("%w: %s is %d bytes (max %d)", ErrFormat, name, hdr.Size, max)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, io.LimitReader(tr, max+1)); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFormat, name, err)
	}
	return b.Bytes(), nil
}

// Check reads a whole image from r and verifies it: signature, manifest and
// every part. It returns the manifest.
func Check(r io.Reader, keys []PublicKey) (Manifest, error) {
	ir, err := NewReader(r, keys)
	if err != nil {
		return Manifest{}, err
	}
	for {
		_, pr, err := ir.Next()
		if err == io.EOF {
			return ir.Manifest(), nil
		}
		if err != nil {
			return Manifest{}, err
		}
		if _, err := io.Copy(io.Discard, pr); err != nil {
			return Manifest{}, err
		}
	}
}
