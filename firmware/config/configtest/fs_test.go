package configtest

import (
	"errors"
	"io/fs"
	"testing"
)

func write(t *testing.T, f *FS, name, data string, sync bool) {
	t.Helper()
	h, err := f.Append(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := h.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}

func read(f *FS, name string) string {
	b, err := f.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return "<none>"
	}
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// TestSurvival pins what each policy keeps of unsynced data and names.
func TestSurvival(t *testing.T) {
	setup := func(t *testing.T) *FS {
		f := New()
		write(t, f, "d/a", "synced", true)
		if err := f.SyncDir("d"); err != nil {
			t.Fatal(err)
		}
		write(t, f, "d/a", "+more", false) // appended, not synced
		write(t, f, "d/b", "bbbb", true)   // synced data, name not synced
		if err := f.Rename("d/b", "d/c"); err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		s       Survival
		a, b, c string
	}{
		{LoseUnsynced, "synced", "<none>", "<none>"},
		{KeepUnsynced, "synced+more", "<none>", "bbbb"},
		{TearUnsynced, "synced+m", "bbbb", "<none>"}, // half the bytes; the create but not the rename
		{ZeroUnsynced, "synced\x00\x00\x00\x00\x00", "<none>", "bbbb"},
	}
	for _, tt := range tests {
		t.Run(tt.s.String(), func(t *testing.T) {
			g := setup(t).Reboot(tt.s)
			if a, b, c := read(g, "d/a"), read(g, "d/b"), read(g, "d/c"); a != tt.a || b != tt.b || c != tt.c {
				t.Errorf("after reboot a=%q b=%q c=%q, want %q %q %q", a, b, c, tt.a, tt.b, tt.c)
			}
		})
	}
}

func TestSyncDirMakesNamesDurable(t *testing.T) {
	f := New()
	write(t, f, "d/x", "1", true)
	write(t, f, "e/y", "2", true)
	if err := f.SyncDir("d"); err != nil {
		t.Fatal(err)
	}
	g := f.Reboot(LoseUnsynced)
	if read(g, "d/x") != "1" || read(g, "e/y") != "<none>" {
		t.Errorf("d/x=%q e/y=%q", read(g, "d/x"), read(g, "e/y"))
	}
	if err := f.Remove("d/x"); err != nil {
		t.Fatal(err)
	}
	if read(f.Reboot(LoseUnsynced), "d/x") != "1" || read(f.Reboot(KeepUnsynced), "d/x") != "<none>" {
		t.Errorf("an unsynced remove")
	}
}

func TestCut(t *testing.T) {
	f := New()
	f.Put("a", []byte("old"))
	f.CutAt(3) // create, write, write (cut)
	h, err := f.Create("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Write([]byte("newnew")); err != nil {
		t.Fatal(err)
	}
	n, err := h.Write([]byte("abcd"))
	if !errors.Is(err, ErrPowerCut) || n != 2 || !f.Dead() {
		t.Fatalf("cut write = %d, %v, dead %v", n, err, f.Dead())
	}
	if err := h.Sync(); !errors.Is(err, ErrPowerCut) {
		t.Errorf("sync after the cut: %v", err)
	}
	if _, err := f.ReadFile("a"); !errors.Is(err, ErrPowerCut) {
		t.Errorf("read after the cut: %v", err)
	}
	if got := read(f.Reboot(KeepUnsynced), "a"); got != "newnewab" {
		t.Errorf("keep: %q", got)
	}
	if got := read(f.Reboot(LoseUnsynced), "a"); got != "old" {
		t.Errorf("lose: %q", got)
	}
	if got := read(f.Reboot(ZeroUnsynced), "a"); got != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("zero: %q", got)
	}
	g := f.Reboot(LoseUnsynced)
	if g.Dead() || g.Ops() != 0 {
		t.Errorf("a rebooted FS is dead or has operations")
	}
}

func TestFailAt(t *testing.T) {
	f := New()
	bad := errors.New("disk full")
	f.FailAt(2, bad)
	h, _ := f.Create("a")
	if _, err := h.Write([]byte("x")); !errors.Is(err, bad) {
		t.Errorf("write = %v, want disk full", err)
	}
	if _, err := h.Write([]byte("y")); err != nil || f.Dead() {
		t.Errorf("write after a failure = %v", err)
	}
	if read(f, "a") != "y" {
		t.Errorf("a = %q", read(f, "a"))
	}
	if err := f.Rename("missing", "b"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("rename missing = %v", err)
	}
}
