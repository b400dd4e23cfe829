package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// cpio file types (mode bits) of the newc format.
const (
	modeDir  = 0o040000
	modeFile = 0o100000
	modeChr  = 0o020000
)

var errCpio = errors.New("mkimage: cpio")

// cpioEntry is one file of the initramfs.
type cpioEntry struct {
	Name         string // without a leading slash: "init", "lib/modules/ext4.ko"
	Mode         uint32 // type and permission bits
	Data         []byte // for files
	Major, Minor uint32 // for device nodes
}

// writeCpio writes entries as a newc ("070701") archive, the format the
// kernel unpacks into its rootfs, followed by the trailer. Parent
// directories must come before their files; entries are written in the
// order given. mtime is the same for all (a reproducible image).
func writeCpio(w io.Writer, entries []cpioEntry, mtime int64) error {
	bw := bufio.NewWriter(w)
	var off int64
	write := func(b []byte) error {
		n, err := bw.Write(b)
		off += int64(n)
		return err
	}
	pad := func() error {
		if r := off % 4; r != 0 {
			return write(make([]byte, 4-r))
		}
		return nil
	}
	ino := uint32(1)
	emit := func(e cpioEntry) error {
		if strings.HasPrefix(e.Name, "/") || e.Name == "" || strings.Contains(e.Name, "..") {
			return fmt.Errorf("%w: bad name %q", errCpio, e.Name)
		}
		nlink := uint32(1)
		if e.Mode&0o170000 == modeDir {
			nlink = 2
		}
		hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, e.Mode, 0, 0, nlink, uint32(mtime), len(e.Data), 0, 0, e.Major, e.Minor, len(e.Name)+1, 0)
		ino++
		if err := write([]byte(hdr)); err != nil {
			return err
		}
		if err := write(append([]byte(e.Name), 0)); err != nil {
			return err
		}
		if err := pad(); err != nil {
			return err
		}
		if err := write(e.Data); err != nil {
			return err
		}
		return pad()
	}
	for _, e := range entries {
		if err := emit(e); err != nil {
			return err
		}
	}
	if err := emit(cpioEntry{Name: "TRAILER!!!"}); err != nil {
		return err
	}
	return bw.Flush()
}

// withParents returns entries with every missing parent directory added
// before its first child, sorted so that directories precede their files.
func withParents(entries []cpioEntry) []cpioEntry {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name] = true
	}
	out := append([]cpioEntry(nil), entries...)
	for _, e := range entries {
		for d := parent(e.Name); d != ""; d = parent(d) {
			if !have[d] {
				have[d] = true
				out = append(out, cpioEntry{Name: d, Mode: modeDir | 0o755})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func parent(name string) string {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return ""
	}
	return name[:i]
}
