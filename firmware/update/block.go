package update

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"github.com/openiad/openiad/firmware/update/image"
)

// Device is a block device or a file standing for one: *os.File of
// /dev/vda or of an MTD block device fits. Data written is durable after
// Sync.
type Device interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
}

// Region is a byte range of a Device: a partition, or part of one.
type Region struct {
	Dev       Device
	Off, Size int64
}

// RunningFromControl tells NewBlockBackend to take the running slot from
// the record ([Control.Booted]) rather than from the kernel command line.
const RunningFromControl Slot = -1

// Block layout.
const (
	blockSize   = 4096
	recordMagic = "OIADBC01"
	recordHead  = 16 // magic, length, CRC-32
)

// BlockBackend keeps the slots and the boot-control record on block
// devices. The record has two copies, 4 KiB each, at the start of the
// control region; each write goes to the copy not holding the newest
// record, so a write torn by a power cut leaves the other one. A copy is
// "OIADBC01", the JSON length and its CRC-32 (IEEE), both uint32
// little-endian, then the JSON. A slot's parts lie in its region in
// manifest order, each at a 4096-aligned offset (see [PartOffset]).
type BlockBackend struct {
	mu             sync.Mutex // the record's copies and seq
	ctl            Region
	slots          [2]Region
	running        Slot
	board, version string
	seq            uint64 // of the newest record on the device
}

// NewBlockBackend opens the backend. running is the slot the kernel was
// booted from, or RunningFromControl.
func NewBlockBackend(ctl Region, slots [2]Region, running Slot, board, factoryVersion string) (*BlockBackend, error) {
	if ctl.Size < 2*blockSize {
		return nil, fmt.Errorf("update: control region of %d bytes, need %d", ctl.Size, 2*blockSize)
	}
	if running != RunningFromControl && running != SlotA && running != SlotB {
		return nil, fmt.Errorf("update: no slot %d", running)
	}
	b := &BlockBackend{ctl: ctl, slots: slots, running: running, board: board, version: factoryVersion}
	if _, err := b.ReadControl(); err != nil {
		return nil, err
	}
	return b, nil
}

// Running reports the slot given to NewBlockBackend, or Control.Booted.
func (b *BlockBackend) Running() (Slot, error) {
	if b.running != RunningFromControl {
		return b.running, nil
	}
	c, err := b.ReadControl()
	return c.Booted, err
}

func (b *BlockBackend) readCopy(i int) (Control, bool) {
	buf := make([]byte, blockSize)
	if _, err := b.ctl.Dev.ReadAt(buf, b.ctl.Off+int64(i)*blockSize); err != nil && err != io.EOF {
		return Control{}, false
	}
	if string(buf[:8]) != recordMagic {
		return Control{}, false
	}
	n := binary.LittleEndian.Uint32(buf[8:])
	if n > blockSize-recordHead {
		return Control{}, false
	}
	js := buf[recordHead : recordHead+n]
	if crc32.ChecksumIEEE(js) != binary.LittleEndian.Uint32(buf[12:]) {
		return Control{}, false
	}
	c, err := decodeControl(js)
	return c, err == nil
}

// ReadControl returns the newest valid copy of the record.
func (b *BlockBackend) ReadControl() (Control, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c0, ok0 := b.readCopy(0)
	c1, ok1 := b.readCopy(1)
	switch {
	case ok0 && (!ok1 || c0.Seq >= c1.Seq):
		b.seq = c0.Seq
		return c0, nil
	case ok1:
		b.seq = c1.Seq
		return c1, nil
	}
	b.seq = 0
	return FactoryControl(b.board, b.version), nil
}

// WriteControl writes c, with the next sequence number, over the older copy.
func (b *BlockBackend) WriteControl(c Control) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.Seq = b.seq + 1
	js, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if len(js) > blockSize-recordHead {
		return fmt.Errorf("update: boot-control record of %d bytes", len(js))
	}
	buf := make([]byte, blockSize)
	copy(buf, recordMagic)
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(js)))
	binary.LittleEndian.PutUint32(buf[12:], crc32.ChecksumIEEE(js))
	copy(buf[recordHead:], js)
	off := b.ctl.Off + int64(c.Seq%2)*blockSize
	if _, err := b.ctl.Dev.WriteAt(buf, off); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := b.ctl.Dev.Sync(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	b.seq = c.Seq
	return nil
}

// PartOffset returns where part name lies in a slot region holding parts
// (in manifest order), relative to the region's start.
func PartOffset(parts []image.Part, name string) (off, size int64, ok bool) {
	for _, p := range parts {
		if p.Name == name {
			return off, p.Size, true
		}
		off += roundUp(p.Size)
	}
	return 0, 0, false
}

func roundUp(n int64) int64 { return (n + blockSize - 1) / blockSize * blockSize }

// OpenSlot starts rewriting slot s.
func (b *BlockBackend) OpenSlot(s Slot) (SlotWriter, error) {
	if s != SlotA && s != SlotB {
		return nil, fmt.Errorf("update: no slot %d", s)
	}
	return &blockSlot{r: b.slots[s]}, nil
}

// OpenPart reads part name of slot s, located through the record.
func (b *BlockBackend) OpenPart(s Slot, name string) (io.ReadCloser, error) {
	if s != SlotA && s != SlotB {
		return nil, fmt.Errorf("update: no slot %d", s)
	}
	c, err := b.ReadControl()
	if err != nil {
		return nil, err
	}
	off, size, ok := PartOffset(c.Slots[s].Parts, name)
	if !ok {
		return nil, fmt.Errorf("update: slot %s has no part %q", s, name)
	}
	r := b.slots[s]
	return io.NopCloser(io.NewSectionReader(r.Dev, r.Off+off, size)), nil
}

type blockSlot struct {
	r   Region
	off int64 // next part's offset in the region
}

func (w *blockSlot) WritePart(p image.Part, r io.Reader) error {
	if w.off+roundUp(p.Size) > w.r.Size {
		return fmt.Errorf("%w: part %s (%d bytes) does not fit the slot (%d bytes left)", errTooBig, p.Name, p.Size, w.r.Size-w.off)
	}
	buf := make([]byte, 64<<10)
	pos := w.r.Off + w.off
	var n int64
	for {
		k, err := r.Read(buf)
		if n+int64(k) > p.Size {
			return fmt.Errorf("%w: part %s longer than %d bytes", errTooBig, p.Name, p.Size)
		}
		if k > 0 {
			if _, werr := w.r.Dev.WriteAt(buf[:k], pos+n); werr != nil {
				return fmt.Errorf("update: %w", werr)
			}
			n += int64(k)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	w.off += roundUp(p.Size)
	return nil
}

func (w *blockSlot) Close() error {
	if err := w.r.Dev.Sync(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// Disk layout of [OpenDisk].
const (
	DiskControlSize = 64 << 10
	diskAlign       = 1 << 20
)

// OpenDisk lays a BlockBackend over one whole device (a disk or a
// partition of size bytes): the boot-control record in its first 64 KiB,
// then slot A from 1 MiB, then slot B, the two slots each half of the rest,
// rounded down to whole MiB. A host-side bootloader (a QEMU test harness
// opening the disk image file) and the firmware opening /dev/vdX see the
// same layout.
func OpenDisk(dev Device, size int64, running Slot, board, factoryVersion string) (*BlockBackend, error) {
	half := (size - diskAlign) / 2 / diskAlign * diskAlign
	if half < diskAlign {
		return nil, fmt.Errorf("update: a disk of %d bytes is too small for two slots", size)
	}
	return NewBlockBackend(Region{Dev: dev, Off: 0, Size: DiskControlSize},
		[2]Region{{Dev: dev, Off: diskAlign, Size: half}, {Dev: dev, Off: diskAlign + half, Size: half}},
		running, board, factoryVersion)
}

// ParseSlot reads "A" or "B" (either case), as a kernel command line's
// openiad.slot= says it.
func ParseSlot(s string) (Slot, error) {
	switch s {
	case "A", "a":
		return SlotA, nil
	case "B", "b":
		return SlotB, nil
	}
	return 0, fmt.Errorf("update: no slot %q (A or B)", s)
}
