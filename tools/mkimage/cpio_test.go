package main

import (
	"bytes"
	"strconv"
	"testing"
)

// readNewc reads a newc archive the way the kernel's initramfs unpacker
// does: 110-byte ASCII headers, names and data padded to 4 bytes.
func readNewc(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	off := 0
	field := func(h []byte, i int) uint32 {
		v, err := strconv.ParseUint(string(h[6+8*i:6+8*i+8]), 16, 32)
		if err != nil {
			t.Fatalf("header field %d: %v", i, err)
		}
		return uint32(v)
	}
	align := func(n int) int { return (n + 3) &^ 3 }
	for {
		if off+110 > len(b) {
			t.Fatalf("archive ends without a trailer at %d", off)
		}
		h := b[off : off+110]
		if string(h[:6]) != "070701" {
			t.Fatalf("bad magic %q at %d", h[:6], off)
		}
		size, nsize := int(field(h, 6)), int(field(h, 11))
		name := string(b[off+110 : off+110+nsize-1])
		if b[off+110+nsize-1] != 0 {
			t.Fatalf("name %q not NUL-terminated", name)
		}
		data := align(off + 110 + nsize)
		if name == "TRAILER!!!" {
			return out
		}
		out = append(out, cpioEntry{Name: name, Mode: field(h, 1), Data: b[data : data+size], Major: field(h, 9), Minor: field(h, 10)})
		off = align(data + size)
	}
}

func TestCpioRoundTrip(t *testing.T) {
	in := withParents([]cpioEntry{
		{Name: "init", Mode: modeFile | 0o755, Data: []byte("\x7fELF static firmware")},
		{Name: "dev/console", Mode: modeChr | 0o600, Major: 5, Minor: 1},
		{Name: "lib/modules/ext4.ko", Mode: modeFile | 0o644, Data: bytes.Repeat([]byte{1, 2, 3}, 333)},
		{Name: "lib/modules/order", Mode: modeFile | 0o644, Data: []byte("ext4.ko\n")},
		{Name: "data", Mode: modeDir | 0o755},
	})
	var b bytes.Buffer
	if err := writeCpio(&b, in, 1700000000); err != nil {
		t.Fatal(err)
	}
	got := readNewc(t, b.Bytes())
	want := []string{"data", "dev", "dev/console", "init", "lib", "lib/modules", "lib/modules/ext4.ko", "lib/modules/order"}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, e := range got {
		if e.Name != want[i] {
			t.Errorf("entry %d is %q, want %q (parents before children)", i, e.Name, want[i])
		}
		if !bytes.Equal(e.Data, in[i].Data) || e.Mode != in[i].Mode || e.Major != in[i].Major || e.Minor != in[i].Minor {
			t.Errorf("%s: read back %o %d:%d %d bytes, wrote %o %d:%d %d bytes", e.Name, e.Mode, e.Major, e.Minor, len(e.Data), in[i].Mode, in[i].Major, in[i].Minor, len(in[i].Data))
		}
	}
	if b.Len()%4 != 0 {
		t.Errorf("archive of %d bytes is not padded to 4", b.Len())
	}
}

func TestCpioRefusesBadNames(t *testing.T) {
	for _, name := range []string{"/init", "", "../etc/passwd"} {
		if err := writeCpio(&bytes.Buffer{}, []cpioEntry{{Name: name, Mode: modeFile}}, 0); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

func TestModName(t *testing.T) {
	for in, want := range map[string]string{"virtio-blk": "virtio_blk", "/x/kernel/fs/ext4/ext4.ko": "ext4", "crc32c_generic": "crc32c_generic"} {
		if got := modName(in); got != want {
			t.Errorf("modName(%q) = %q, want %q", in, got, want)
		}
	}
}
