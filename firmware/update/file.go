package update

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/update/image"
)

// FileBackend keeps the slots and the boot-control record as files in one
// directory: control.json (replaced by write, fsync, rename, fsync of the
// directory) and slot-a.<part>, slot-b.<part>. It is the backend of the sim
// and of boards whose slots live on a mounted filesystem.
type FileBackend struct {
	fs             config.FS
	dir            string
	board, version string
	osfs           bool
}

// NewFileBackend opens (creating it if needed) the slot directory dir. A box
// that never installed an update runs factoryVersion of board from slot A.
func NewFileBackend(dir, board, factoryVersion string) (*FileBackend, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	b := NewFileBackendFS(config.OSFS{}, dir, board, factoryVersion)
	b.osfs = true
	return b, nil
}

// NewFileBackendFS is NewFileBackend on fsys, whose directory dir exists.
func NewFileBackendFS(fsys config.FS, dir, board, factoryVersion string) *FileBackend {
	return &FileBackend{fs: fsys, dir: dir, board: board, version: factoryVersion}
}

const controlFile = "control.json"

// Running returns the slot the last boot chose ([Control.Booted]).
func (b *FileBackend) Running() (Slot, error) {
	c, err := b.ReadControl()
	return c.Booted, err
}

// ReadControl reads control.json.
func (b *FileBackend) ReadControl() (Control, error) {
	raw, err := b.fs.ReadFile(filepath.Join(b.dir, controlFile))
	if errors.Is(err, fs.ErrNotExist) {
		return FactoryControl(b.board, b.version), nil
	}
	if err != nil {
		return Control{}, fmt.Errorf("update: %w", err)
	}
	return decodeControl(raw)
}

// WriteControl replaces control.json atomically.
func (b *FileBackend) WriteControl(c Control) error {
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	name := filepath.Join(b.dir, controlFile)
	if err := b.writeSynced(name+".tmp", bytes.NewReader(append(raw, '\n'))); err != nil {
		return err
	}
	if err := b.fs.Rename(name+".tmp", name); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := b.fs.SyncDir(b.dir); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

func (b *FileBackend) writeSynced(name string, r io.Reader) error {
	f, err := b.fs.Create(name)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("update: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

func (b *FileBackend) partName(s Slot, name string) string {
	return filepath.Join(b.dir, "slot-"+map[Slot]string{SlotA: "a", SlotB: "b"}[s]+"."+name)
}

// OpenSlot starts rewriting slot s.
func (b *FileBackend) OpenSlot(s Slot) (SlotWriter, error) {
	if s != SlotA && s != SlotB {
		return nil, fmt.Errorf("update: no slot %d", s)
	}
	return &fileSlot{b: b, s: s}, nil
}

// OpenPart opens part name of slot s.
func (b *FileBackend) OpenPart(s Slot, name string) (io.ReadCloser, error) {
	if b.osfs {
		f, err := os.Open(b.partName(s, name))
		if err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
		return f, nil
	}
	raw, err := b.fs.ReadFile(b.partName(s, name))
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	return io.NopCloser(bytes.NewReader(raw)), nil
}

type fileSlot struct {
	b *FileBackend
	s Slot
}

func (w *fileSlot) WritePart(p image.Part, r io.Reader) error {
	return w.b.writeSynced(w.b.partName(w.s, p.Name), r)
}

func (w *fileSlot) Close() error {
	if err := w.b.fs.SyncDir(w.b.dir); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

func decodeControl(raw []byte) (Control, error) {
	var c Control
	if err := json.Unmarshal(raw, &c); err != nil {
		return Control{}, fmt.Errorf("%w: %w", errBadControl, err)
	}
	for _, s := range []Slot{c.Committed, c.Trial, c.Booted} {
		if s != SlotA && s != SlotB {
			return Control{}, fmt.Errorf("%w: slot %d", errBadControl, s)
		}
	}
	return c, nil
}
