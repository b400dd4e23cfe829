package update_test

import (
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/updatetest"
)

// FuzzBlockControl feeds arbitrary bytes to the boot-control region: the
// backend never fails to open, and the boot decision never picks a slot
// the record calls invalid.
func FuzzBlockControl(f *testing.F) {
	d := updatetest.NewDevice(8192)
	be, err := update.NewBlockBackend(update.Region{Dev: d, Size: 8192}, [2]update.Region{}, update.RunningFromControl, board, "1.0.0")
	if err != nil {
		f.Fatal(err)
	}
	c := update.FactoryControl(board, "1.0.0")
	c.Slots[update.SlotB] = update.SlotInfo{Valid: true, Version: "1.1.0"}
	c.Trial, c.TrialPending, c.TriesLeft = update.SlotB, true, 1
	be.WriteControl(c)
	be.WriteControl(c)
	seed := make([]byte, 8192)
	d.ReadAt(seed, 0)
	f.Add(seed)
	f.Add(seed[:4096])
	f.Add([]byte("OIADBC01\x05\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := updatetest.NewDevice(8192)
		d.WriteAt(b[:min(len(b), 8192)], 0)
		d.Sync()
		be, err := update.NewBlockBackend(update.Region{Dev: d, Size: 8192}, [2]update.Region{}, update.RunningFromControl, board, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		c, err := be.ReadControl()
		if err != nil {
			t.Fatal(err)
		}
		s, next, err := update.ChooseBoot(c, time.Time{})
		if err != nil {
			return
		}
		if !next.Slots[s].Valid {
			t.Fatalf("boots invalid slot %s of %+v", s, c)
		}
	})
}
