package update_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
)

// One disk image file, two parties: the firmware in the guest (told its
// slot by the kernel command line) installs; the bootloader on the host
// (a QEMU harness) reads the record, decides, and loads the slot's parts.
func TestDiskHostBootloader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const size = 8 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	pub, priv := key(t, 1)
	guest := func(running update.Slot) *update.Updater {
		be, err := update.OpenDisk(f, size, running, board, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		u, err := update.New(update.Options{Backend: be, Board: board, Keys: []image.PublicKey{pub}})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	bootloader := func() (update.Slot, map[string][]byte) {
		be, err := update.OpenDisk(f, size, update.RunningFromControl, board, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		c, err := be.ReadControl()
		if err != nil {
			t.Fatal(err)
		}
		s, next, err := update.ChooseBoot(c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := be.WriteControl(next); err != nil {
			t.Fatal(err)
		}
		parts := map[string][]byte{}
		for _, p := range next.Slots[s].Parts {
			rc, err := be.OpenPart(s, p.Name)
			if err != nil {
				t.Fatal(err)
			}
			parts[p.Name], _ = io.ReadAll(rc)
		}
		return s, parts
	}

	if s, _ := bootloader(); s != update.SlotA {
		t.Fatalf("a blank disk boots %s", s)
	}
	// The factory fills slot A.
	be, err := update.OpenDisk(f, size, update.RunningFromControl, board, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := update.Provision(be, update.SlotA, bytes.NewReader(mkImage(t, priv, board, "1.0.5")), []image.PublicKey{pub}); err != nil {
		t.Fatal(err)
	}
	if s, parts := bootloader(); s != update.SlotA || !bytes.Equal(parts["kernel"], partsOf("1.0.5")["kernel"]) {
		t.Fatalf("a provisioned disk boots %s with a %d-byte kernel", s, len(parts["kernel"]))
	}
	if st, _ := guest(update.SlotA).Status(); st.Version != "1.0.5" || st.Trial {
		t.Fatalf("the provisioned guest: %+v", st)
	}
	if _, err := guest(update.SlotA).Install(t.Context(), bytes.NewReader(mkImage(t, priv, board, "1.1.0")), update.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	s, parts := bootloader()
	if s != update.SlotB {
		t.Fatalf("after the install the bootloader boots %s", s)
	}
	for name, want := range partsOf("1.1.0") {
		if !bytes.Equal(parts[name], want) {
			t.Errorf("the bootloader loads %d bytes of %s, want version 1.1.0's %d", len(parts[name]), name, len(want))
		}
	}
	u := guest(update.SlotB)
	if st, _ := u.Status(); !st.Trial || st.Version != "1.1.0" {
		t.Fatalf("the guest in the trial: %+v", st)
	}
	if err := u.Confirm(t.Context(), healthy()); err != nil {
		t.Fatal(err)
	}
	if s, _ := bootloader(); s != update.SlotB {
		t.Errorf("after the commit the bootloader boots %s", s)
	}
	if st, _ := guest(update.SlotB).Status(); st.Trial || st.Last.Result != update.ResultCommitted {
		t.Errorf("after the commit: %+v", st)
	}
}
