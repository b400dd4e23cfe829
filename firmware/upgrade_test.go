package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
)

// The box upgrades itself from the console: the image (signed by a key in
// <state>/trusted.pub) goes into slot B, the box reboots into it for a
// trial, the health check passes and the slot is committed.
func TestUpgradeFromTheConsole(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	pub, priv, err := minisign.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	pubText, _ := pub.MarshalText()
	if err := os.WriteFile(filepath.Join(dir, "trusted.pub"), pubText, 0o644); err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	if _, err := image.Write(&img, image.Header{Board: "sim", Version: "99.0.0"}, image.KeySigner(priv, "test"),
		image.BytesSource("kernel", bytes.Repeat([]byte("k"), 4096)), image.BytesSource("initramfs", bytes.Repeat([]byte("i"), 8192))); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(img.Bytes()) }))
	defer srv.Close()

	tm, done := boot(t, ctx, dir)
	tm.typ("upgrade " + srv.URL + "/openiad-sim-99.0.0.img\r")
	select {
	case err := <-done:
		if !errors.Is(err, errReboot) {
			t.Fatalf("run returned %v, want the reboot after the upgrade; output:\n%s", err, tm.text())
		}
	case <-ctx.Done():
		t.Fatalf("no reboot after the upgrade; output:\n%s", tm.text())
	}
	tm.wait(ctx, regexp.MustCompile(`(installed 99\.0\.0; rebooting)`))

	// The next boot is the trial; its health check commits slot B.
	in, keys := io.Pipe()
	defer keys.Close()
	tm2 := &term{t: t, keys: keys}
	ctx2, stop := context.WithCancel(ctx)
	done2 := make(chan error, 1)
	go func() {
		done2 <- run(ctx2, []string{"-listen", "127.0.0.1:0", "-sip", "127.0.0.1:0", "-web", "", "-web-http", "", "-state", dir, "-log-level", "info"}, in, tm2)
	}()
	tm2.wait(ctx, regexp.MustCompile(`msg="update: slots" running=B version=99\.0\.0 trial=true`))
	tm2.wait(ctx, regexp.MustCompile(`(msg="update: trial boot healthy; slot committed")`))
	stop()
	<-done2
	be, err := update.NewFileBackend(filepath.Join(dir, "slots"), "sim", "0.0.0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := be.ReadControl()
	if err != nil {
		t.Fatal(err)
	}
	if c.Committed != update.SlotB || c.Last.Result != update.ResultCommitted || c.Last.Version != "99.0.0" || c.TrialPending {
		t.Errorf("boot-control record after the trial: %+v", c)
	}
}

// The installer uploads an image on the web page: it is installed into
// slot B and the box reboots; an image signed by another key is refused
// with nothing written.
func TestUpgradeFromTheWebPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	key := func(seed byte) (minisign.PublicKey, minisign.PrivateKey) {
		pub, priv, err := minisign.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
		if err != nil {
			t.Fatal(err)
		}
		return pub, priv
	}
	pub, priv := key(7)
	_, other := key(8)
	pubText, _ := pub.MarshalText()
	trust := filepath.Join(t.TempDir(), "dev.pub")
	os.WriteFile(trust, pubText, 0o644)
	mk := func(k minisign.PrivateKey) []byte {
		var img bytes.Buffer
		if _, err := image.Write(&img, image.Header{Board: "sim", Version: "99.0.0"}, image.KeySigner(k, "test"),
			image.BytesSource("kernel", bytes.Repeat([]byte("k"), 4096)), image.BytesSource("initramfs", bytes.Repeat([]byte("i"), 8192))); err != nil {
			t.Fatal(err)
		}
		return img.Bytes()
	}

	in, keys := io.Pipe()
	defer keys.Close()
	tm := &term{t: t, keys: keys}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-sip", "127.0.0.1:0", "-web", "127.0.0.1:0", "-web-http", "",
			"-state", dir, "-log-level", "warn", "-trust", trust}, in, tm)
	}()
	pw := tm.wait(ctx, regexp.MustCompile(`password of this box is\s+([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})`))
	addr := tm.wait(ctx, regexp.MustCompile(`web page: https://([0-9.:]+)/`))

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the box's own certificate; the test does not pin it
	}}
	post := func(path, ctype string, body []byte) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "POST", "https://"+addr+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("/login", "application/json", []byte(`{"user":"admin","password":"`+pw+`"}`)); code >= 300 {
		t.Fatalf("login: %d %s", code, body)
	}
	if code, body := post("/password", "application/json", []byte(`{"current":"`+pw+`","new":"installer-pass-1","confirm":"installer-pass-1"}`)); code >= 300 {
		t.Fatalf("password: %d %s", code, body)
	}
	code, body := post("/system/upgrade", "application/octet-stream", mk(other))
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "untrusted key") {
		t.Errorf("image signed by another key: %d %s", code, body)
	}
	if _, err := os.Stat(filepath.Join(dir, "slots", "slot-b.kernel")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused image wrote slot B (%v)", err)
	}
	code, body = post("/system/upgrade", "application/octet-stream", mk(priv))
	if code != http.StatusAccepted {
		t.Fatalf("signed image: %d %s", code, body)
	}
	select {
	case err := <-done:
		if !errors.Is(err, errReboot) {
			t.Fatalf("run returned %v, want the reboot after the upgrade", err)
		}
	case <-ctx.Done():
		t.Fatalf("no reboot after the upgrade; output:\n%s", tm.text())
	}
	be, err := update.NewFileBackend(filepath.Join(dir, "slots"), "sim", "0.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := be.ReadControl(); err != nil || !c.TrialPending || c.Trial != update.SlotB || c.Slots[update.SlotB].Version != "99.0.0" {
		t.Errorf("boot-control record after the upload: %+v, %v", c, err)
	}
}
