package config

import (
	"io"
	"os"
	"path/filepath"
)

// FS is the little of a file system the Store needs. Names are slash or OS
// paths as the implementation understands them; the Store joins them with
// path/filepath. ReadFile reports a missing file with an error for which
// errors.Is(err, fs.ErrNotExist) holds, and so does Remove.
//
// Durability is what the Store relies on: data written to a File is durable
// only after File.Sync, and a created, renamed or removed name only after
// SyncDir of its directory. configtest.FS models exactly that.
type FS interface {
	ReadFile(name string) ([]byte, error)
	Create(name string) (File, error) // create or truncate, write only
	Append(name string) (File, error) // open for appending, create if missing
	Rename(oldname, newname string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// File is an open file of an FS.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// OSFS is the FS of the operating system.
type OSFS struct{}

// ReadFile reads the named file.
func (OSFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Create creates or truncates the named file with mode 0600.
func (OSFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
}

// Append opens the named file for appending, creating it with mode 0600.
func (OSFS) Append(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
}

// Rename renames oldname to newname, replacing newname atomically.
func (OSFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }

// Remove removes the named file.
func (OSFS) Remove(name string) error { return os.Remove(name) }

// SyncDir makes the names in dir durable (fsync of the directory).
func (OSFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReplaceFile makes data the content of name in dir, all or nothing across
// a power cut: it writes a temporary file beside it (name+".tmp"),
// fsyncs and closes it, renames it over name and fsyncs dir. The stores of
// the box (configuration, call records, TR-069 events and attributes)
// share it.
func ReplaceFile(fsys FS, dir, name string, data []byte) error {
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, path)
	}
	if err == nil {
		err = fsys.SyncDir(dir)
	}
	return err
}
