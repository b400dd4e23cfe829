package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/testrig/peers"
)

func TestKeygenSignVerify(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"keygen", "-dir", keys}, &out); err != nil {
		t.Fatal(err)
	}
	pub1, _ := os.ReadFile(filepath.Join(keys, "openiad.pub"))
	if fi, err := os.Stat(filepath.Join(keys, "openiad.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret key file: %v, %v", fi, err)
	}
	// A second keygen keeps the keys: images signed before stay valid.
	if err := run(t.Context(), []string{"keygen", "-dir", keys}, &out); err != nil {
		t.Fatal(err)
	}
	if pub2, _ := os.ReadFile(filepath.Join(keys, "openiad.pub")); !bytes.Equal(pub1, pub2) {
		t.Error("keygen replaced existing keys")
	}

	f := filepath.Join(dir, "manifest.json")
	os.WriteFile(f, []byte(`{"format":1}`), 0o644)
	if err := run(t.Context(), []string{"sign", "-key", filepath.Join(keys, "openiad.key"), f}, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"verify", "-pub", filepath.Join(keys, "openiad.pub"), f}, &out); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f, []byte(`{"format":2}`), 0o644)
	if err := run(t.Context(), []string{"verify", "-pub", filepath.Join(keys, "openiad.pub"), f}, &out); err == nil {
		t.Error("a changed file verified")
	}

	// check: a whole image.
	k, err := image.LoadPrivateKey(filepath.Join(keys, "openiad.key"), "")
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "x.img")
	w, _ := os.Create(img)
	if _, err := image.Write(w, image.Header{Board: "sim", Version: "1.0.0"}, image.KeySigner(k, "t"), image.BytesSource("kernel", []byte("k"))); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out.Reset()
	if err := run(t.Context(), []string{"check", "-pub", filepath.Join(keys, "openiad.pub"), img}, &out); err != nil || !strings.Contains(out.String(), "board sim, version 1.0.0") {
		t.Errorf("check: %v, %q", err, out.String())
	}

	// minisign reads our key files.
	peers.Need(t, "minisign")
	os.WriteFile(f, []byte("hello"), 0o644)
	if err := run(t.Context(), []string{"sign", "-key", filepath.Join(keys, "openiad.key"), f}, &out); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("minisign", "-V", "-p", filepath.Join(keys, "openiad.pub"), "-m", f).CombinedOutput(); err != nil {
		t.Errorf("minisign -V: %v\n%s", err, b)
	}
}
