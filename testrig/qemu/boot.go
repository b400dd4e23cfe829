package qemu

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/openiad/openiad/firmware/update"
)

// Booted is what the bootloader chose.
type Booted struct {
	Slot    update.Slot
	Trial   bool
	Control update.Control // the record as written for this boot
	// Kernel and Initrd are the chosen slot's parts, extracted; "" when the
	// slot holds no installed image (the factory firmware boots).
	Kernel, Initrd string
}

// Boot is the qemu-virt bootloader, run on the host before each start of
// QEMU (QEMU's -kernel/-initrd loading is the virt machine's boot ROM):
// it reads the boot-control record of the slot disk image, decides with
// update.ChooseBoot (a pending trial spends a try; a trial with none left
// is rolled back), writes the record back, and extracts the chosen slot's
// kernel and initramfs into dir. The guest learns the slot from
// openiad.slot= on its command line. This is the documented alternative to
// U-Boot in boards/qemu-virt.
func Boot(disk, board, factoryVersion, dir string) (Booted, error) {
	if board == "" {
		board = "qemu-virt"
	}
	f, err := os.OpenFile(disk, os.O_RDWR, 0)
	if err != nil {
		return Booted{}, fmt.Errorf("%w: slot disk: %w", errQEMU, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Booted{}, fmt.Errorf("%w: slot disk: %w", errQEMU, err)
	}
	be, err := update.OpenDisk(f, st.Size(), update.RunningFromControl, board, factoryVersion)
	if err != nil {
		return Booted{}, fmt.Errorf("%w: slot disk: %w", errQEMU, err)
	}
	c, err := be.ReadControl()
	if err != nil {
		return Booted{}, fmt.Errorf("%w: slot disk: %w", errQEMU, err)
	}
	slot, next, err := update.ChooseBoot(c, time.Now())
	if err != nil {
		return Booted{}, fmt.Errorf("%w: no bootable slot: %w", errQEMU, err)
	}
	if !reflect.DeepEqual(next, c) {
		if err := be.WriteControl(next); err != nil {
			return Booted{}, fmt.Errorf("%w: slot disk: %w", errQEMU, err)
		}
	}
	b := Booted{Slot: slot, Trial: next.BootedTrial, Control: next}
	if len(next.Slots[slot].Parts) == 0 {
		return b, nil
	}
	for _, part := range []struct {
		name string
		dst  *string
	}{{"kernel", &b.Kernel}, {"initramfs", &b.Initrd}} {
		path := filepath.Join(dir, "slot-"+slot.String()+"-"+part.name)
		if err := extract(be, slot, part.name, path); err != nil {
			return Booted{}, err
		}
		*part.dst = path
	}
	return b, nil
}

func extract(be update.Backend, s update.Slot, name, path string) error {
	r, err := be.OpenPart(s, name)
	if err != nil {
		return fmt.Errorf("%w: slot %s: %s: %w", errQEMU, s, name, err)
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%w: %w", errQEMU, err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: slot %s: %s: %w", errQEMU, s, name, err)
	}
	return nil
}

// ReadControl reads the boot-control record of a slot disk image (while
// the guest runs: a snapshot).
func ReadControl(disk, board, factoryVersion string) (update.Control, error) {
	f, err := os.Open(disk)
	if err != nil {
		return update.Control{}, fmt.Errorf("%w: slot disk: %w", errQEMU, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return update.Control{}, fmt.Errorf("%w: %w", errQEMU, err)
	}
	be, err := update.OpenDisk(readOnly{f}, st.Size(), update.RunningFromControl, board, factoryVersion)
	if err != nil {
		return update.Control{}, fmt.Errorf("%w: %w", errQEMU, err)
	}
	return be.ReadControl()
}

type readOnly struct{ *os.File }

func (readOnly) WriteAt([]byte, int64) (int, error) { return 0, os.ErrPermission }
func (readOnly) Sync() error                        { return nil }
