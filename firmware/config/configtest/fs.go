// Package configtest is a fault-injecting, in-memory config.FS for tests of
// anything that must survive a power cut.
//
// FS keeps two states: the volatile one that the running program sees, and
// the durable one that would be found on flash after a power cut. File data
// becomes durable at File.Sync; a created, renamed or removed name at
// SyncDir of its directory. CutAt makes the power fail at the n-th mutating
// operation (create, append-open, write, sync, rename, remove, sync dir):
// that operation fails with ErrPowerCut (a write may land half of its
// bytes), and so does everything after it. Reboot then returns a fresh FS
// holding what survived, where what was not yet durable is lost, kept, torn
// or zeroed according to a Survival policy.
//
// All methods may be called from any goroutine.
package configtest

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"sync"

	"github.com/openiad/openiad/firmware/config"
)

// ErrPowerCut is returned by every operation from the cut on.
var ErrPowerCut = errors.New("configtest: power cut")

// Survival says what happens at a power cut to what was not made durable.
type Survival int

const (
	// LoseUnsynced: unsynced data and pending name changes are lost.
	LoseUnsynced Survival = iota
	// KeepUnsynced: everything made it to flash just in time.
	KeepUnsynced
	// TearUnsynced: half of each file's unsynced bytes and the first half
	// of the pending name changes survive.
	TearUnsynced
	// ZeroUnsynced: name changes survive (journaled metadata) but unsynced
	// file bytes read back as NULs.
	ZeroUnsynced
)

// Survivals lists every policy, for tests that try them all.
var Survivals = []Survival{LoseUnsynced, KeepUnsynced, TearUnsynced, ZeroUnsynced}

func (s Survival) String() string {
	switch s {
	case LoseUnsynced:
		return "lose"
	case KeepUnsynced:
		return "keep"
	case TearUnsynced:
		return "tear"
	case ZeroUnsynced:
		return "zero"
	}
	return "survival?"
}

type inode struct {
	data   []byte // what a reader sees now
	synced []byte // what is on flash
}

type opKind uint8

const (
	opCreate opKind = iota
	opRename
	opRemove
)

type dirOp struct {
	kind     opKind
	name, to string
	ino      *inode
}

// FS is the fault-injecting file system. The zero value is not usable; call
// New.
type FS struct {
	mu      sync.Mutex
	names   map[string]*inode // volatile directory entries
	durable map[string]*inode // directory entries on flash
	pending []dirOp           // name changes not yet on flash, in order
	ops     int               // mutating operations so far
	cutAt   int               // absolute operation number of the power cut; 0 = none
	failAt  int               // absolute operation number that returns failErr; 0 = none
	failErr error
	dead    bool
}

var _ config.FS = (*FS)(nil)

// New returns an empty file system.
func New() *FS {
	return &FS{names: map[string]*inode{}, durable: map[string]*inode{}}
}

// Put stores a durable file, as if written and synced long ago. It does not
// count as an operation.
func (f *FS) Put(name string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name = path.Clean(name)
	ino := &inode{data: slices.Clone(data), synced: slices.Clone(data)}
	f.names[name] = ino
	f.durable[name] = ino
}

// Ops returns the number of mutating operations so far.
func (f *FS) Ops() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops
}

// CutAt makes the power fail at the n-th mutating operation from now
// (n >= 1); n <= 0 cancels a pending cut.
func (f *FS) CutAt(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutAt = 0
	if n > 0 {
		f.cutAt = f.ops + n
	}
}

// FailAt makes the n-th mutating operation from now return err without
// doing anything (a full or failing flash); later operations work.
func (f *FS) FailAt(n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.failErr = 0, nil
	if n > 0 {
		f.failAt, f.failErr = f.ops+n, err
	}
}

// Dead reports whether the power has been cut.
func (f *FS) Dead() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dead
}

// Names returns the names the running program sees, sorted.
func (f *FS) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ns := make([]string, 0, len(f.names))
	for n := range f.names {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// step counts a mutating operation. It returns cut when the power fails at
// this operation, or the error to return.
func (f *FS) step() (cut bool, err error) {
	if f.dead {
		return false, ErrPowerCut
	}
	f.ops++
	if f.cutAt != 0 && f.ops >= f.cutAt {
		f.dead = true
		return true, ErrPowerCut
	}
	if f.failAt != 0 && f.ops == f.failAt {
		f.failAt = 0
		return false, f.failErr
	}
	return false, nil
}

func notExist(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// ReadFile returns what the running program would read.
func (f *FS) ReadFile(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return nil, ErrPowerCut
	}
	ino, ok := f.names[path.Clean(name)]
	if !ok {
		return nil, notExist("open", name)
	}
	return slices.Clone(ino.data), nil
}

// Create creates or truncates a file.
func (f *FS) Create(name string) (config.File, error) {
	return f.open(name, true)
}

// Append opens a file for appending, creating it if missing.
func (f *FS) Append(name string) (config.File, error) {
	return f.open(name, false)
}

func (f *FS) open(name string, trunc bool) (config.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.step(); err != nil {
		return nil, err
	}
	name = path.Clean(name)
	ino, ok := f.names[name]
	if !ok {
		ino = &inode{}
		f.names[name] = ino
		f.pending = append(f.pending, dirOp{kind: opCreate, name: name, ino: ino})
	} else if trunc {
		ino.data = nil
	}
	return &file{fs: f, ino: ino}, nil
}

// Rename moves oldname to newname, replacing newname.
func (f *FS) Rename(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return ErrPowerCut
	}
	oldname, newname = path.Clean(oldname), path.Clean(newname)
	ino, ok := f.names[oldname]
	if !ok {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrNotExist}
	}
	if _, err := f.step(); err != nil {
		return err
	}
	delete(f.names, oldname)
	f.names[newname] = ino
	f.pending = append(f.pending, dirOp{kind: opRename, name: oldname, to: newname, ino: ino})
	return nil
}

// Remove removes a name.
func (f *FS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return ErrPowerCut
	}
	name = path.Clean(name)
	if _, ok := f.names[name]; !ok {
		return notExist("remove", name)
	}
	if _, err := f.step(); err != nil {
		return err
	}
	delete(f.names, name)
	f.pending = append(f.pending, dirOp{kind: opRemove, name: name})
	return nil
}

// SyncDir makes the pending name changes in dir durable.
func (f *FS) SyncDir(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.step(); err != nil {
		return err
	}
	dir = path.Clean(dir)
	rest := f.pending[:0]
	for _, op := range f.pending {
		if path.Dir(op.name) == dir || op.kind == opRename && path.Dir(op.to) == dir {
			apply(f.durable, op)
		} else {
			rest = append(rest, op)
		}
	}
	clear(f.pending[len(rest):])
	f.pending = rest
	return nil
}

func apply(names map[string]*inode, op dirOp) {
	switch op.kind {
	case opCreate:
		names[op.name] = op.ino
	case opRename:
		delete(names, op.name)
		names[op.to] = op.ino
	case opRemove:
		delete(names, op.name)
	}
}

// Reboot returns the file system as found after the power came back: the
// durable state plus whatever of the volatile state the policy lets
// survive. It may be called on a live FS too (a cut right now).
func (f *FS) Reboot(s Survival) *FS {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make(map[string]*inode, len(f.durable))
	for n, ino := range f.durable {
		names[n] = ino
	}
	keep := len(f.pending)
	switch s {
	case LoseUnsynced:
		keep = 0
	case TearUnsynced:
		keep /= 2
	}
	for _, op := range f.pending[:keep] {
		apply(names, op)
	}
	g := New()
	for n, ino := range names {
		d := survive(ino, s)
		g.names[n] = &inode{data: d, synced: slices.Clone(d)}
		g.durable[n] = g.names[n]
	}
	return g
}

func survive(ino *inode, s Survival) []byte {
	appended := bytes.HasPrefix(ino.data, ino.synced)
	switch s {
	case KeepUnsynced:
		return slices.Clone(ino.data)
	case TearUnsynced:
		if appended {
			n := len(ino.synced) + (len(ino.data)-len(ino.synced))/2
			return slices.Clone(ino.data[:n])
		}
		return slices.Clone(ino.data[:len(ino.data)/2])
	case ZeroUnsynced:
		out := make([]byte, len(ino.data))
		if appended {
			copy(out, ino.synced)
		}
		return out
	}
	return slices.Clone(ino.synced)
}

type file struct {
	fs     *FS
	ino    *inode
	closed bool
}

func (h *file) Write(p []byte) (int, error) {
	f := h.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.closed {
		return 0, os.ErrClosed
	}
	cut, err := f.step()
	if cut {
		half := len(p) / 2
		h.ino.data = append(h.ino.data, p[:half]...)
		return half, err
	}
	if err != nil {
		return 0, err
	}
	h.ino.data = append(h.ino.data, p...)
	return len(p), nil
}

func (h *file) Sync() error {
	f := h.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.closed {
		return os.ErrClosed
	}
	if _, err := f.step(); err != nil {
		return err
	}
	h.ino.synced = slices.Clone(h.ino.data)
	return nil
}

func (h *file) Close() error {
	f := h.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.closed {
		return os.ErrClosed
	}
	h.closed = true
	if f.dead {
		return ErrPowerCut
	}
	return nil
}
