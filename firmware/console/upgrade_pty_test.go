//go:build linux

package console_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
	fwupdate "github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
)

// signedImage is an image for board at ver signed by the key from seed.
func signedImage(t *testing.T, seed byte, board, ver string) ([]byte, image.PublicKey) {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_, err = image.Write(&b, image.Header{Board: board, Version: ver}, image.KeySigner(priv, "test"),
		image.BytesSource("kernel", bytes.Repeat([]byte("k"), 300<<10)),
		image.BytesSource("initramfs", bytes.Repeat([]byte("i"), 700<<10)))
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), pub
}

// A technician on the serial console upgrades the box from a web server:
// images signed by another key, for another board, or missing are refused
// with the reason; a good one streams into the inactive slot, and the box
// reboots into it for a trial boot.
func TestUpgradeOnPTY(t *testing.T) {
	dir := t.TempDir()
	dev, techPath := filepath.Join(dir, "ttyS0"), filepath.Join(dir, "tech")
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	startSocat(t, dev, techPath)

	good, trusted := signedImage(t, 1, "sim", "1.1.0")
	otherKey, _ := signedImage(t, 2, "sim", "1.1.0")
	otherBoard, _ := signedImage(t, 1, "qemu-virt", "1.1.0")
	images := map[string][]byte{"/good.img": good, "/other-key.img": otherKey, "/other-board.img": otherBoard}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := images[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer srv.Close()

	be, err := fwupdate.NewFileBackend(filepath.Join(dir, "slots"), "sim", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := fwupdate.New(fwupdate.Options{Backend: be, Board: "sim", Keys: []image.PublicKey{trusted}})
	if err != nil {
		t.Fatal(err)
	}
	rebooted := make(chan struct{}, 1)
	reboot := func(context.Context) error { rebooted <- struct{}{}; return nil }

	users, _, err := auth.Open(filepath.Join(dir, "users"), &auth.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.SetPassword(auth.Admin, "technician"); err != nil {
		t.Fatal(err)
	}
	logs := logbuf.New(logbuf.Options{Size: 100})
	con, err := console.New(console.Options{
		Device: dev, Users: users, Version: "1.0.0", Logs: logs, Log: slog.New(logs),
		Actions: console.Actions{Upgrade: u.ConsoleUpgrade(reboot)},
	})
	if err != nil {
		t.Fatal(err)
	}
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-conDone; err != nil {
			t.Errorf("console Run: %v", err)
		}
	}()

	tt := openTech(t, techPath)
	tt.step("", "login: ")
	tt.step("admin\r", "password: ")
	tt.step("technician\r", "OpenIAD> ")
	for _, tc := range []struct{ path, want string }{
		{"/other-key.img", "signed by an untrusted key"},
		{"/other-board.img", "image is for another board: \"qemu-virt\", this box is \"sim\""},
		{"/missing.img", "404 Not Found"},
	} {
		out := tt.step("upgrade "+srv.URL+tc.path+"\r", "OpenIAD> ")
		if !strings.Contains(out, "error: ") || !strings.Contains(out, tc.want) {
			t.Errorf("upgrade %s:\n%s\nwant an error with %q", tc.path, out, tc.want)
		}
	}
	if st, _ := u.Status(); st.Slots[fwupdate.SlotB].Valid || st.Last.Result != fwupdate.ResultNone {
		t.Fatalf("refused images changed the slots: %+v", st)
	}

	tt.typ("upgrade " + srv.URL + "/good.img\r")
	out := tt.expect("rebooting into it")
	for _, want := range []string{"fetching " + srv.URL + "/good.img", "signature OK: sim 1.1.0, 2 parts, 1.0 MiB; writing slot B", "100% written", "installed 1.1.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("upgrade of the good image lacks %q:\n%s", want, out)
		}
	}
	select {
	case <-rebooted:
	case <-ctx.Done():
		t.Fatal("the box did not reboot after the upgrade")
	}
	st, err := u.Status()
	if err != nil || !st.Slots[fwupdate.SlotB].Valid || st.Slots[fwupdate.SlotB].Version != "1.1.0" || st.Last.Result != fwupdate.ResultPending {
		t.Fatalf("after the upgrade: %+v, %v", st, err)
	}
	if s, err := u.Boot(); err != nil || s != fwupdate.SlotB {
		t.Errorf("the reboot boots %v, %v; want slot B", s, err)
	}
}
