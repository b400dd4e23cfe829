package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"
)

// A Source is a part to put into an image: its name and how to read it.
// Write opens it twice (once to hash it, once to copy it) and checks that
// both reads agree.
type Source struct {
	Name string
	Open func() (io.ReadCloser, error)
}

// FileSource is a part read from the file at path.
func FileSource(name, path string) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// BytesSource is a part held in memory.
func BytesSource(name string, b []byte) Source {
	return Source{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

// Header is what an image says about itself besides its parts.
type Header struct {
	Board   string
	Version string
	Built   time.Time // zero: now
}

// Write writes an image of parts, in order, to w: it hashes every part,
// builds and signs the manifest, then writes the tar stream. It returns the
// manifest written.
func Write(w io.Writer, h Header, sign Signer, parts ...Source) (Manifest, error) {
	built := h.Built
	if built.IsZero() {
		built = time.Now()
	}
	m := Manifest{Format: Format, Board: h.Board, Version: h.Version, Built: built.UTC().Truncate(time.Second)}
	for _, s := range parts {
		n, sum, err := hashSource(s, io.Discard)
		if err != nil {
			return Manifest{}, err
		}
		m.Parts = append(m.Parts, Part{Name: s.Name, Size: n, SHA256: sum})
	}
	mb, err := m.Marshal()
	if err != nil {
		return Manifest{}, err
	}
	sig, err := sign(mb)
	if err != nil {
		return Manifest{}, fmt.Errorf("image: sign: %w", err)
	}
	tw := tar.NewWriter(w)
	hdr := func(name string, size int64) error {
		return tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644,
			ModTime: m.Built, Format: tar.FormatPAX,
		})
	}
	for _, e := range []struct {
		name string
		b    []byte
	}{{ManifestName, mb}, {SignatureName, sig}} {
		if err := hdr(e.name, int64(len(e.b))); err != nil {
			return Manifest{}, fmt.Errorf("image: %w", err)
		}
		if _, err := tw.Write(e.b); err != nil {
			return Manifest{}, fmt.Errorf("image: %w", err)
		}
	}
	for i, s := range parts {
		p := m.Parts[i]
		if err := hdr(p.Name, p.Size); err != nil {
			return Manifest{}, fmt.Errorf("image: %w", err)
		}
		n, sum, err := hashSource(s, tw)
		if err != nil {
			return Manifest{}, err
		}
		if n != p.Size || sum != p.SHA256 {
			return Manifest{}, fmt.Errorf("image: part %s changed while the image was written", p.Name)
		}
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("image: %w", err)
	}
	return m, nil
}

func hashSource(s Source, w io.Writer) (int64, string, error) {
	rc, err := s.Open()
	if err != nil {
		return 0, "", fmt.Errorf("image: part %s: %w", s.Name, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(h, w), rc)
	if err != nil {
		return 0, "", fmt.Errorf("image: part %s: %w", s.Name, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
