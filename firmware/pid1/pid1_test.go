//go:build linux

package pid1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// No order file: an image without modules boots without complaint.
func TestNoModules(t *testing.T) {
	dir := t.TempDir()
	mods, err := LoadModules(dir, filepath.Join(dir, "order"), nil)
	if err != nil || len(mods) != 0 {
		t.Errorf("LoadModules without an order file = %v, %v", mods, err)
	}
}

// A module that is missing or is no module is reported by name; the
// kernel never gets junk (finit_module checks the ELF and refuses it).
func TestBadModulesAreReported(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "junk.ko"), []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	order := filepath.Join(dir, "order")
	if err := os.WriteFile(order, []byte("missing.ko\njunk.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mods, err := LoadModules(dir, order, nil)
	if len(mods) != 0 {
		t.Errorf("loaded %v", mods)
	}
	if err == nil || !strings.Contains(err.Error(), "missing.ko") || !strings.Contains(err.Error(), "junk.ko") {
		t.Errorf("error %v does not name both modules", err)
	}
}
