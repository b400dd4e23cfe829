package image_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/testrig/peers"
)

// key makes a key pair from a fixed seed, so fuzz seeds stay valid.
func key(t testing.TB, seed byte) (image.PublicKey, image.PrivateKey) {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

var built = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func parts() []image.Source {
	kernel := bytes.Repeat([]byte("kernel "), 3000)
	initramfs := bytes.Repeat([]byte{0x1f, 0x8b, 0, 1, 2, 3}, 5000)
	return []image.Source{image.BytesSource("kernel", kernel), image.BytesSource("initramfs", initramfs)}
}

func build(t testing.TB, sign image.Signer, h image.Header, src ...image.Source) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := image.Write(&b, h, sign, src...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func header() image.Header { return image.Header{Board: "qemu-virt", Version: "1.2.3", Built: built} }

func readAll(t testing.TB, img []byte, keys ...image.PublicKey) (image.Manifest, map[string][]byte, error) {
	t.Helper()
	r, err := image.NewReader(bytes.NewReader(img), keys)
	if err != nil {
		return image.Manifest{}, nil, err
	}
	got := map[string][]byte{}
	for {
		p, pr, err := r.Next()
		if err == io.EOF {
			return r.Manifest(), got, nil
		}
		if err != nil {
			return r.Manifest(), got, err
		}
		b, err := io.ReadAll(pr)
		if err != nil {
			return r.Manifest(), got, err
		}
		got[p.Name] = b
	}
}

func TestRoundTrip(t *testing.T) {
	pub, priv := key(t, 1)
	img := build(t, image.KeySigner(priv, "test"), header(), parts()...)
	m, got, err := readAll(t, img, pub)
	if err != nil {
		t.Fatal(err)
	}
	if m.Board != "qemu-virt" || m.Version != "1.2.3" || !m.Built.Equal(built) || len(m.Parts) != 2 {
		t.Errorf("manifest = %+v", m)
	}
	for _, s := range parts() {
		rc, _ := s.Open()
		want, _ := io.ReadAll(rc)
		if !bytes.Equal(got[s.Name], want) {
			t.Errorf("part %s: %d bytes read, %d written", s.Name, len(got[s.Name]), len(want))
		}
	}
	// The tar stream is what tar(1) would list: manifest, signature, parts.
	tr := tar.NewReader(bytes.NewReader(img))
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, " ") != "manifest.json manifest.json.minisig kernel initramfs" {
		t.Errorf("entries = %v", names)
	}
}

func TestRefusals(t *testing.T) {
	pub, priv := key(t, 1)
	otherPub, otherPriv := key(t, 2)
	good := build(t, image.KeySigner(priv, "test"), header(), parts()...)

	t.Run("other key", func(t *testing.T) {
		img := build(t, image.KeySigner(otherPriv, "test"), header(), parts()...)
		if _, err := image.NewReader(bytes.NewReader(img), []image.PublicKey{pub}); !errors.Is(err, image.ErrUntrusted) {
			t.Errorf("err = %v, want ErrUntrusted", err)
		}
		if _, err := image.NewReader(bytes.NewReader(img), []image.PublicKey{pub, otherPub}); err != nil {
			t.Errorf("with both keys trusted: %v", err)
		}
	})
	t.Run("no keys", func(t *testing.T) {
		if _, err := image.NewReader(bytes.NewReader(good), nil); !errors.Is(err, image.ErrUntrusted) {
			t.Errorf("err = %v, want ErrUntrusted", err)
		}
	})
	t.Run("manifest edited after signing", func(t *testing.T) {
		img := bytes.Replace(good, []byte(`"version": "1.2.3"`), []byte(`"version": "9.2.3"`), 1)
		if bytes.Equal(img, good) {
			t.Fatal("version not found in the image")
		}
		if _, err := image.NewReader(bytes.NewReader(img), []image.PublicKey{pub}); !errors.Is(err, image.ErrSignature) {
			t.Errorf("err = %v, want ErrSignature", err)
		}
	})
	t.Run("corrupt part", func(t *testing.T) {
		img := bytes.Clone(good)
		i := bytes.LastIndex(img, []byte{0x1f, 0x8b, 0, 1})
		img[i+2] ^= 0xff
		_, got, err := readAll(t, img, pub)
		if !errors.Is(err, image.ErrCorrupt) || !strings.Contains(err.Error(), "initramfs") {
			t.Errorf("err = %v, want ErrCorrupt naming initramfs", err)
		}
		if _, ok := got["initramfs"]; ok {
			t.Error("the corrupt part was read to its end without an error")
		}
	})
	t.Run("truncated", func(t *testing.T) {
		for _, n := range []int{0, 100, 1024, len(good) / 2, len(good) - 2048} {
			_, _, err := readAll(t, good[:n], pub)
			if err == nil {
				t.Errorf("truncated at %d of %d: no error", n, len(good))
			}
		}
	})
}

func TestWriteRejectsBadHeader(t *testing.T) {
	_, priv := key(t, 1)
	for _, h := range []image.Header{
		{Board: "", Version: "1.0.0"},
		{Board: "Qemu Virt", Version: "1.0.0"},
		{Board: "qemu-virt", Version: "1.0"},
	} {
		if _, err := image.Write(io.Discard, h, image.KeySigner(priv, "x"), parts()...); !errors.Is(err, image.ErrManifest) {
			t.Errorf("Write(%+v) = %v, want ErrManifest", h, err)
		}
	}
	if _, err := image.Write(io.Discard, header(), image.KeySigner(priv, "x"), image.BytesSource("../etc", nil)); !errors.Is(err, image.ErrManifest) {
		t.Errorf("a part named ../etc: %v, want ErrManifest", err)
	}
}

// Debian's minisign signs an image our Reader accepts (prehashed and
// legacy), and verifies the signature our Writer made.
func TestMinisignInterop(t *testing.T) {
	peers.Need(t, "minisign")
	dir := t.TempDir()
	sec, pubFile := filepath.Join(dir, "m.key"), filepath.Join(dir, "m.pub")
	ms := func(args ...string) {
		t.Helper()
		cmd := exec.Command("minisign", args...)
		cmd.Stdin = strings.NewReader("")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("minisign %v: %v\n%s", args, err, out)
		}
	}
	ms("-G", "-W", "-p", pubFile, "-s", sec)
	keys, err := image.LoadPublicKeys(pubFile)
	if err != nil || len(keys) != 1 {
		t.Fatalf("LoadPublicKeys(minisign's .pub) = %v, %v", keys, err)
	}
	for _, legacy := range []bool{false, true} {
		signer := func(manifest []byte) ([]byte, error) {
			f := filepath.Join(dir, "manifest.json")
			if err := os.WriteFile(f, manifest, 0o644); err != nil {
				return nil, err
			}
			args := []string{"-S", "-s", sec, "-m", f, "-x", f + ".minisig"}
			if legacy {
				args = append(args, "-l")
			}
			ms(args...)
			return os.ReadFile(f + ".minisig")
		}
		img := build(t, signer, header(), parts()...)
		if _, err := image.Check(bytes.NewReader(img), keys); err != nil {
			t.Errorf("image signed by minisign (legacy %v): %v", legacy, err)
		}
	}

	// Our key files work in minisign too, and our signature verifies there.
	_, priv := key(t, 3)
	ourSec, ourPub := filepath.Join(dir, "ours.key"), filepath.Join(dir, "ours.pub")
	pt, _ := priv.Public().(minisign.PublicKey).MarshalText()
	st, _ := priv.MarshalText()
	os.WriteFile(ourPub, pt, 0o644)
	os.WriteFile(ourSec, st, 0o600)
	img := build(t, image.KeySigner(priv, "timestamp:1\tfile:manifest.json"), header(), parts()...)
	r, err := image.NewReader(bytes.NewReader(img), []image.PublicKey{priv.Public().(minisign.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	m, sig := r.RawManifest()
	mf := filepath.Join(dir, "ours.json")
	os.WriteFile(mf, m, 0o644)
	os.WriteFile(mf+".minisig", sig, 0o644)
	ms("-V", "-p", ourPub, "-m", mf)
	// and a tampered manifest fails there as here
	os.WriteFile(mf, append(m, ' '), 0o644)
	if out, err := exec.Command("minisign", "-V", "-p", ourPub, "-m", mf).CombinedOutput(); err == nil {
		t.Errorf("minisign accepted a tampered manifest:\n%s", out)
	}
	// minisign signs with the secret key file we wrote
	ms("-S", "-s", ourSec, "-m", mf, "-x", mf+".2")
	sig2, _ := os.ReadFile(mf + ".2")
	if err := image.Verify([]image.PublicKey{priv.Public().(minisign.PublicKey)}, append(m, ' '), sig2); err != nil {
		t.Errorf("minisign's signature with our key file: %v", err)
	}
}

func FuzzReader(f *testing.F) {
	pub, priv := key(f, 1)
	f.Add(build(f, image.KeySigner(priv, "seed"), header(), parts()...))
	f.Add(build(f, image.KeySigner(priv, "seed"), header(), image.BytesSource("kernel", []byte("k"))))
	f.Fuzz(func(t *testing.T, img []byte) {
		r, err := image.NewReader(bytes.NewReader(img), []image.PublicKey{pub})
		if err != nil {
			return
		}
		m := r.Manifest()
		if err := m.Validate(); err != nil {
			t.Fatalf("reader accepted an invalid manifest: %v", err)
		}
		for i := 0; ; i++ {
			p, pr, err := r.Next()
			if err != nil {
				return
			}
			if p != m.Parts[i] {
				t.Fatalf("part %d = %+v, manifest has %+v", i, p, m.Parts[i])
			}
			n, _ := io.Copy(io.Discard, pr)
			if n > p.Size {
				t.Fatalf("part %s: %d bytes read, manifest says %d", p.Name, n, p.Size)
			}
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":1,"board":"qemu-virt","version":"1.2.3","built":"2026-11-22T12:00:00Z","parts":[{"name":"kernel","size":3,"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}]}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`{"format":1,"board":"x","version":"1.2.3","parts":[],"extra":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := image.ParseManifest(b)
		if err != nil {
			return
		}
		out, err := m.Marshal()
		if err != nil {
			t.Fatalf("parsed manifest does not marshal: %v", err)
		}
		m2, err := image.ParseManifest(out)
		if err != nil || m2.Version != m.Version || len(m2.Parts) != len(m.Parts) {
			t.Fatalf("round trip: %+v, %v", m2, err)
		}
	})
}

func FuzzParsePublicKeys(f *testing.F) {
	f.Add([]byte("untrusted comment: minisign public key: FFB49883FE9D38FF\nRWT/OJ3+g5i0/yK21vBK/LmyXij/FgOMPXUf40yQM7Exeay4mY5SLt8h\n"))
	f.Add([]byte("# none\n\n"))
	f.Add([]byte("RWT\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := image.ParsePublicKeys(b)
		if err != nil {
			return
		}
		for _, k := range keys {
			txt, _ := k.MarshalText()
			again, err := image.ParsePublicKeys(txt)
			if err != nil || len(again) != 1 || !again[0].Equal(k) {
				t.Fatalf("key %X does not round-trip: %v", k.ID(), err)
			}
		}
	})
}
