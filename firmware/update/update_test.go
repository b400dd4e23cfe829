package update_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/firmware/update/updatetest"
)

const board = "qemu-virt"

func key(t testing.TB, seed byte) (image.PublicKey, image.PrivateKey) {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// partsOf makes distinct kernel and initramfs contents for a version.
func partsOf(ver string) map[string][]byte {
	return map[string][]byte{
		"kernel":    bytes.Repeat([]byte("kernel "+ver+" "), 2000),
		"initramfs": bytes.Repeat([]byte("init "+ver+" "), 7000),
	}
}

func mkImage(t testing.TB, priv image.PrivateKey, brd, ver string) []byte {
	t.Helper()
	p := partsOf(ver)
	var b bytes.Buffer
	_, err := image.Write(&b, image.Header{Board: brd, Version: ver}, image.KeySigner(priv, "test"),
		image.BytesSource("kernel", p["kernel"]), image.BytesSource("initramfs", p["initramfs"]))
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// counting counts what an Updater writes into the slots.
type counting struct {
	update.Backend
	slotOpens, partWrites, controlWrites int
	bytes                                int64
}

func (c *counting) WriteControl(x update.Control) error {
	c.controlWrites++
	return c.Backend.WriteControl(x)
}

func (c *counting) OpenSlot(s update.Slot) (update.SlotWriter, error) {
	c.slotOpens++
	w, err := c.Backend.OpenSlot(s)
	return &countingWriter{w, c}, err
}

type countingWriter struct {
	update.SlotWriter
	c *counting
}

func (w *countingWriter) WritePart(p image.Part, r io.Reader) error {
	w.c.partWrites++
	return w.SlotWriter.WritePart(p, &countReader{r, w.c})
}

type countReader struct {
	r io.Reader
	c *counting
}

func (r *countReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.c.bytes += int64(n)
	return n, err
}

type box struct {
	t    *testing.T
	be   *counting
	u    *update.Updater
	priv image.PrivateKey
}

func newBox(t *testing.T, factory string) *box {
	t.Helper()
	be, err := update.NewFileBackend(t.TempDir(), board, factory)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv := key(t, 1)
	c := &counting{Backend: be}
	u, err := update.New(update.Options{Backend: c, Board: board, Keys: []image.PublicKey{pub}})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := u.Boot(); err != nil || s != update.SlotA {
		t.Fatalf("first boot: slot %v, %v", s, err)
	}
	return &box{t: t, be: c, u: u, priv: priv}
}

func (b *box) status() update.Status {
	b.t.Helper()
	st, err := b.u.Status()
	if err != nil {
		b.t.Fatal(err)
	}
	return st
}

func (b *box) boot() update.Slot {
	b.t.Helper()
	s, err := b.u.Boot()
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

func (b *box) slotHolds(s update.Slot, ver string) {
	b.t.Helper()
	for name, want := range partsOf(ver) {
		rc, err := b.be.OpenPart(s, name)
		if err != nil {
			b.t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, want) {
			b.t.Errorf("slot %s part %s: %d bytes, not version %s's %d", s, name, len(got), ver, len(want))
		}
	}
}

func healthy() update.Health { return update.Health{Wait: time.Second, Poll: time.Millisecond} }

// The whole happy path: install into B, trial boot, health check, commit.
func TestInstallTrialCommit(t *testing.T) {
	b := newBox(t, "1.0.0")
	m, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.0")), update.InstallOptions{Tag: "acs-42"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "1.1.0" {
		t.Errorf("manifest version %s", m.Version)
	}
	st := b.status()
	if st.Running != update.SlotA || st.Version != "1.0.0" || st.Trial || st.Last.Result != update.ResultPending || st.Last.From != "1.0.0" {
		t.Errorf("after install: %+v", st)
	}
	b.slotHolds(update.SlotB, "1.1.0")

	if s := b.boot(); s != update.SlotB {
		t.Fatalf("the reboot after the install boots %s, want B", s)
	}
	st = b.status()
	if !st.Trial || st.Version != "1.1.0" {
		t.Errorf("trial boot: %+v", st)
	}
	// A second install while on trial would overwrite the good slot.
	if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.2.0")), update.InstallOptions{}); !errors.Is(err, update.ErrBusy) {
		t.Errorf("install during a trial: %v, want ErrBusy", err)
	}
	if err := b.u.Confirm(t.Context(), healthy()); err != nil {
		t.Fatal(err)
	}
	st = b.status()
	if st.Trial || st.Committed != update.SlotB || st.Last.Result != update.ResultCommitted || st.Last.Version != "1.1.0" || st.Last.Tag != "acs-42" {
		t.Errorf("after commit: %+v", st)
	}
	for range 3 {
		if s := b.boot(); s != update.SlotB {
			t.Fatalf("after the commit the box boots %s, want B", s)
		}
	}
	// The next install goes to A, the slot now inactive.
	if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.2.0")), update.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	b.slotHolds(update.SlotA, "1.2.0")
	b.slotHolds(update.SlotB, "1.1.0")
	if s := b.boot(); s != update.SlotA {
		t.Errorf("boots %s, want A", s)
	}
}

// Images the box must not take are refused before a byte reaches a slot.
func TestRefusedBeforeAnyWrite(t *testing.T) {
	_, other := key(t, 9)
	for _, tc := range []struct {
		name  string
		image func(b *box) []byte
		want  error
	}{
		{"other key", func(b *box) []byte { return mkImage(t, other, board, "2.1.0") }, image.ErrUntrusted},
		{"other board", func(b *box) []byte { return mkImage(t, b.priv, "sim-arm64", "2.1.0") }, update.ErrBoard},
		{"downgrade", func(b *box) []byte { return mkImage(t, b.priv, board, "1.9.9") }, update.ErrDowngrade},
		{"manifest edited", func(b *box) []byte {
			return bytes.Replace(mkImage(t, b.priv, board, "2.1.0"), []byte(`"board": "qemu-virt"`), []byte(`"board": "qemu-virX"`), 1)
		}, image.ErrSignature},
		{"not an image", func(b *box) []byte { return []byte("<html>404</html>") }, image.ErrFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBox(t, "2.0.0")
			before := b.status()
			_, err := b.u.Install(t.Context(), bytes.NewReader(tc.image(b)), update.InstallOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Install: %v, want %v", err, tc.want)
			}
			if b.be.slotOpens+b.be.partWrites+b.be.controlWrites != 0 || b.be.bytes != 0 {
				t.Errorf("refused image wrote: %d slot opens, %d parts, %d bytes, %d boot-control records",
					b.be.slotOpens, b.be.partWrites, b.be.bytes, b.be.controlWrites)
			}
			if after := b.status(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("status changed:\n%+v\n%+v", before, after)
			}
			if s := b.boot(); s != update.SlotA {
				t.Errorf("next boot: %s", s)
			}
		})
	}
	t.Run("downgrade allowed", func(t *testing.T) {
		b := newBox(t, "2.0.0")
		if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.9.9")), update.InstallOptions{AllowDowngrade: true}); err != nil {
			t.Fatal(err)
		}
		if s := b.boot(); s != update.SlotB {
			t.Errorf("boots %s", s)
		}
	})
}

// A part whose bytes do not match the manifest leaves the slot invalid and
// the box on the running slot.
func TestCorruptPart(t *testing.T) {
	b := newBox(t, "1.0.0")
	// The box runs 1.1.0 from slot B, so slot A is the one written.
	if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.0")), update.InstallOptions{}); err != nil {
		t.Fatal(err)
	}
	b.boot()
	if err := b.u.Confirm(t.Context(), healthy()); err != nil {
		t.Fatal(err)
	}
	b.boot()
	img := mkImage(t, b.priv, board, "1.2.0")
	i := bytes.LastIndex(img, []byte("init 1.2.0"))
	img[i] = 'I'
	_, err := b.u.Install(t.Context(), bytes.NewReader(img), update.InstallOptions{})
	if !errors.Is(err, image.ErrCorrupt) {
		t.Fatalf("Install: %v, want ErrCorrupt", err)
	}
	st := b.status()
	if st.Slots[update.SlotA].Valid || st.Last.Result != update.ResultFailed || !strings.Contains(st.Last.Reason, "initramfs") {
		t.Errorf("after a corrupt part: %+v", st)
	}
	if st.Running != update.SlotB || st.Version != "1.1.0" || !st.Slots[update.SlotB].Valid {
		t.Errorf("the running slot changed: %+v", st)
	}
	b.slotHolds(update.SlotB, "1.1.0")
	if s := b.boot(); s != update.SlotB {
		t.Errorf("boots %s, want B", s)
	}
}

func TestInstallCancelled(t *testing.T) {
	b := newBox(t, "1.0.0")
	ctx, cancel := context.WithCancel(t.Context())
	img := mkImage(t, b.priv, board, "1.1.0")
	r := &cancelAfter{r: bytes.NewReader(img), n: int64(len(img) / 2), cancel: cancel}
	if _, err := b.u.Install(ctx, r, update.InstallOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Install: %v, want context.Canceled", err)
	}
	if st := b.status(); st.Slots[update.SlotB].Valid || st.Last.Result != update.ResultFailed {
		t.Errorf("after cancel: %+v", st)
	}
}

type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// A trial that fails its health check, or hangs (the watchdog resets the
// box before Confirm), rolls back on the next boot by itself.
func TestRollback(t *testing.T) {
	t.Run("health check fails", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			b := newBox(t, "1.0.0")
			if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.0")), update.InstallOptions{}); err != nil {
				t.Fatal(err)
			}
			b.boot()
			start := time.Now()
			err := b.u.Confirm(t.Context(), update.Health{
				Ready: func() error { return errors.New("media engine not running") },
				Wait:  30 * time.Second,
			})
			if !errors.Is(err, update.ErrHealth) || !strings.Contains(err.Error(), "media engine") {
				t.Fatalf("Confirm: %v", err)
			}
			if d := time.Since(start); d != 30*time.Second {
				t.Errorf("the check gave up after %v, want the bounded wait 30s", d)
			}
			if s := b.boot(); s != update.SlotA {
				t.Fatalf("after a failed health check the box boots %s, want A", s)
			}
			st := b.status()
			if st.Trial || st.Version != "1.0.0" || st.Last.Result != update.ResultRolledBack || !strings.Contains(st.Last.Reason, "media engine not running") {
				t.Errorf("after rollback: %+v", st)
			}
			if s := b.boot(); s != update.SlotA {
				t.Errorf("second boot after rollback: %s", s)
			}
		})
	})
	t.Run("trial hangs", func(t *testing.T) {
		b := newBox(t, "1.0.0")
		if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.0")), update.InstallOptions{}); err != nil {
			t.Fatal(err)
		}
		if s := b.boot(); s != update.SlotB {
			t.Fatalf("trial boots %s", s)
		}
		// no Confirm: the watchdog resets the box
		if s := b.boot(); s != update.SlotA {
			t.Fatalf("after a hung trial the box boots %s, want A", s)
		}
		if st := b.status(); st.Last.Result != update.ResultRolledBack || !strings.Contains(st.Last.Reason, "did not confirm") {
			t.Errorf("after rollback: %+v", st.Last)
		}
		// The box updates again afterwards.
		if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.1")), update.InstallOptions{}); err != nil {
			t.Fatal(err)
		}
		b.slotHolds(update.SlotB, "1.1.1")
	})
}

// SIP registration is waited for at most the bounded wait; it commits as
// soon as the lines register, and after the wait when they never do.
func TestConfirmWaitsForRegistration(t *testing.T) {
	for _, regAfter := range []time.Duration{10 * time.Second, time.Hour} {
		t.Run(fmt.Sprint(regAfter), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := newBox(t, "1.0.0")
				if _, err := b.u.Install(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.0")), update.InstallOptions{}); err != nil {
					t.Fatal(err)
				}
				b.boot()
				start := time.Now()
				readyAt := start.Add(3 * time.Second) // the engine takes 3 s to start
				err := b.u.Confirm(t.Context(), update.Health{
					Ready: func() error {
						if time.Now().Before(readyAt) {
							return errors.New("starting")
						}
						return nil
					},
					Registered: func() bool { return time.Since(start) >= regAfter },
					Wait:       time.Minute,
				})
				if err != nil {
					t.Fatal(err)
				}
				want := min(regAfter, time.Minute)
				if d := time.Since(start); d != want {
					t.Errorf("committed after %v, want %v", d, want)
				}
				if st := b.status(); st.Last.Result != update.ResultCommitted || st.Trial {
					t.Errorf("status %+v", st)
				}
			})
		})
	}
}

// A boot that is no trial has nothing to confirm.
func TestConfirmNoTrial(t *testing.T) {
	b := newBox(t, "1.0.0")
	called := false
	if err := b.u.Confirm(t.Context(), update.Health{Ready: func() error { called = true; return errors.New("x") }}); err != nil || called {
		t.Errorf("Confirm on a normal boot: %v, check called %v", err, called)
	}
}

// ---- power cuts ----

// cutBox is the state the power-cut tests work on: a backend over some
// storage that can be cut and rebooted.
type cutBox interface {
	backend(t *testing.T) update.Backend
	cutAt(n int)
	ops() int
	dead() bool
	reboot(s int) cutBox
	survivals() int
}

type blockBox struct{ d *updatetest.Device }

const slotSize = 256 << 10

func (b blockBox) backend(t *testing.T) update.Backend {
	be, err := update.NewBlockBackend(update.Region{Dev: b.d, Off: 0, Size: 8192},
		[2]update.Region{{Dev: b.d, Off: 8192, Size: slotSize}, {Dev: b.d, Off: 8192 + slotSize, Size: slotSize}},
		update.RunningFromControl, board, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	return be
}
func (b blockBox) cutAt(n int)         { b.d.CutAt(n) }
func (b blockBox) ops() int            { return b.d.Writes() }
func (b blockBox) dead() bool          { return b.d.Dead() }
func (b blockBox) reboot(s int) cutBox { return blockBox{b.d.Reboot(updatetest.Survivals[s])} }
func (b blockBox) survivals() int      { return len(updatetest.Survivals) }

type fileBox struct{ f *configtest.FS }

func (b fileBox) backend(t *testing.T) update.Backend {
	return update.NewFileBackendFS(b.f, "slots", board, "1.0.0")
}
func (b fileBox) cutAt(n int)         { b.f.CutAt(n) }
func (b fileBox) ops() int            { return b.f.Ops() }
func (b fileBox) dead() bool          { return b.f.Dead() }
func (b fileBox) reboot(s int) cutBox { return fileBox{b.f.Reboot(configtest.Survivals[s])} }
func (b fileBox) survivals() int      { return len(configtest.Survivals) }

// cycle is what the power cuts interrupt: install (twice), reboot into
// the trial, confirm, reboot.
func cycle(t *testing.T, box cutBox, u func(update.Backend) *update.Updater, img []byte) {
	be := box.backend(t)
	up := u(be)
	// Twice: the second install overwrites a slot whose trial is pending.
	for range 2 {
		if _, err := up.Install(t.Context(), bytes.NewReader(img), update.InstallOptions{}); err != nil {
			return
		}
	}
	if _, err := up.Boot(); err != nil {
		return
	}
	if err := up.Confirm(t.Context(), healthy()); err != nil {
		return
	}
	up.Boot()
}

func slotSHA(t *testing.T, be update.Backend, s update.Slot, parts []image.Part) error {
	for _, p := range parts {
		rc, err := be.OpenPart(s, p.Name)
		if err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return err
		}
		if n != p.Size || hex.EncodeToString(h.Sum(nil)) != p.SHA256 {
			return fmt.Errorf("slot %s part %s: %d bytes, sha256 %x; record says %d, %s", s, p.Name, n, h.Sum(nil), p.Size, p.SHA256)
		}
	}
	return nil
}

// TestPowerCut cuts the power at every write of an install, its trial boot
// and its commit, on both backends and under every survival policy of the
// unsynced writes; after each cut the next boot finds exactly one bootable
// slot whose parts match the record: the old firmware, or the new one once
// the install's last record write was done.
func TestPowerCut(t *testing.T) {
	pub, priv := key(t, 1)
	u := func(be update.Backend) *update.Updater {
		up, err := update.New(update.Options{Backend: be, Board: board, Keys: []image.PublicKey{pub}})
		if err != nil {
			t.Fatal(err)
		}
		return up
	}
	v1, v2 := mkImage(t, priv, board, "1.1.0"), mkImage(t, priv, board, "1.2.0")
	for _, tc := range []struct {
		name string
		box  cutBox
	}{
		{"block", blockBox{updatetest.NewDevice(8192 + 2*slotSize)}},
		{"file", fileBox{configtest.New()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The old firmware: 1.1.0 installed and committed into slot B.
			base := tc.box
			up := u(base.backend(t))
			up.Boot()
			cycle(t, base, u, v1)
			if st, _ := up.Status(); st.Version != "1.1.0" || st.Trial || st.Running != update.SlotB {
				t.Fatalf("setup: %+v", st)
			}
			base = base.reboot(1) // a clean restart
			probe := base.reboot(1)
			before := probe.ops()
			cycle(t, probe, u, v2)
			total := probe.ops() - before
			if st, _ := u(probe.backend(t)).Status(); st.Version != "1.2.0" || st.Last.Result != update.ResultCommitted {
				t.Fatalf("uncut cycle: %+v", st)
			}
			t.Logf("%s: an install, trial boot and commit take %d writes", tc.name, total)
			seen := map[string]int{}
			for n := 1; n <= total; n++ {
				for sv := range base.survivals() {
					box := base.reboot(1)
					box.cutAt(n)
					cycle(t, box, u, v2)
					if !box.dead() {
						t.Fatalf("write %d: power not cut", n)
					}
					after := box.reboot(sv)
					be := after.backend(t)
					c, err := be.ReadControl()
					if err != nil {
						t.Fatalf("write %d/%d: %v", n, sv, err)
					}
					s, next, err := update.ChooseBoot(c, time.Time{})
					if err != nil {
						t.Fatalf("write %d/%d: no bootable slot: %v\n%+v", n, sv, err, c)
					}
					ver := next.Slots[s].Version
					if ver != "1.1.0" && ver != "1.2.0" {
						t.Fatalf("write %d/%d: boots %s with version %q", n, sv, s, ver)
					}
					if err := slotSHA(t, be, s, next.Slots[s].Parts); err != nil {
						t.Fatalf("write %d/%d: the slot chosen does not hold what the record says: %v", n, sv, err)
					}
					seen[ver]++
					// The box keeps working: boot it, and the next install goes through.
					up := u(be)
					up.Boot()
					up.Confirm(t.Context(), healthy())
					up.Boot()
					if _, err := up.Install(t.Context(), bytes.NewReader(mkImage(t, priv, board, "1.3.0")), update.InstallOptions{}); err != nil {
						t.Fatalf("write %d/%d: install after the cut: %v", n, sv, err)
					}
				}
			}
			if seen["1.1.0"] == 0 || seen["1.2.0"] == 0 {
				t.Errorf("booted versions %v: the cuts did not cover both outcomes", seen)
			}
		})
	}
}
