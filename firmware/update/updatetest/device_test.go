package updatetest

import (
	"bytes"
	"errors"
	"testing"
)

// The fake is the ground truth of the power-cut tests: check that it loses,
// keeps and tears exactly what it says.
func TestDeviceCut(t *testing.T) {
	read := func(d *Device) []byte {
		b := make([]byte, 16)
		d.ReadAt(b, 0)
		return b
	}
	d := NewDevice(16)
	d.WriteAt([]byte("synced!!"), 0)
	d.Sync()
	d.WriteAt([]byte("cached"), 8)
	if got := read(d); !bytes.Equal(got, []byte("synced!!cached\x00\x00")) {
		t.Fatalf("reads before the cut: %q", got)
	}
	d.CutAt(1)
	if _, err := d.WriteAt([]byte("ABCD"), 0); !errors.Is(err, ErrPowerCut) || !d.Dead() {
		t.Fatalf("cut write: %v", err)
	}
	if _, err := d.ReadAt(make([]byte, 1), 0); !errors.Is(err, ErrPowerCut) {
		t.Fatal("a dead device reads")
	}
	for s, want := range map[Survival]string{
		LoseUnsynced: "synced!!\x00\x00\x00\x00\x00\x00\x00\x00",
		KeepUnsynced: "ABCDed!!cached\x00\x00",
		TearUnsynced: "ABnced!!cached\x00\x00",
	} {
		if got := read(d.Reboot(s)); string(got) != want {
			t.Errorf("%s: %q, want %q", s, got, want)
		}
	}
	if d.Writes() != 3 {
		t.Errorf("%d writes counted", d.Writes())
	}
}
