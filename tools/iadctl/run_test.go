package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/voip"
	"github.com/openiad/openiad/webui"
)

type box struct {
	srv   *httptest.Server
	cfg   *config.Store
	first string
	pin   string
	tap   *voip.Tap
}

type status struct{}

func (status) Ports() []console.PortInfo {
	return []console.PortInfo{{Port: 1, Kind: "fxs", Hook: "on-hook", State: "idle", Extension: "201"}, {Port: 2, Kind: "fxs", Hook: "off-hook", State: "dialtone", Extension: "202"}}
}
func (status) Box() console.BoxInfo    { return console.BoxInfo{Board: "sim", FXS: 2} }
func (status) Alarms() []console.Alarm { return nil }

func newBox(t *testing.T) *box {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "config"), 0o700)
	store, err := config.Open(config.OSFS{}, filepath.Join(dir, "config"), config.Default(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	users, first, err := auth.Open(filepath.Join(dir, "users"), &auth.Options{Iterations: 10})
	if err != nil {
		t.Fatal(err)
	}
	sip, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sip.Close() })
	tap := voip.NewTap(sip)
	h, err := webui.New(webui.Options{Config: store, Users: users, Status: status{}, Version: "t1", Tap: tap})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes of TestIadctlCertificate
	srv.StartTLS()
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().Raw)
	return &box{srv: srv, cfg: store, first: first, pin: hex.EncodeToString(sum[:]), tap: tap}
}

func (b *box) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	all := append([]string{"-url", b.srv.URL, "-pin", b.pin}, args...)
	err := run(context.Background(), all, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestIadctl(t *testing.T) {
	b := newBox(t)
	// First login: the account must choose a password first.
	_, err := b.run(t, b.first+"\n", "status")
	if err == nil || !strings.Contains(err.Error(), "iadctl password") {
		t.Fatalf("status before the password change: %v", err)
	}
	out, err := b.run(t, b.first+"\nshort\n", "password")
	if err == nil || !strings.Contains(err.Error(), "new: Not accepted: 5 characters, at least 8 needed") {
		t.Fatalf("short password: %v %s", err, out)
	}
	if out, err := b.run(t, b.first+"\nnew-secret-9\n", "password"); err != nil || !strings.Contains(out, "password changed") {
		t.Fatalf("password: %v %s", err, out)
	}
	t.Setenv("IADCTL_PASSWORD", "new-secret-9")

	out, err = b.run(t, "", "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"firmware t1 on board sim", "2     fxs   202  off-hook  dialtone  none", "no alarms"} {
		if !strings.Contains(out, w) {
			t.Errorf("status lacks %q:\n%s", w, out)
		}
	}

	out, err = b.run(t, "", "set", "ports", "ports[0].extension=301", "ports[1].name=Fax")
	if err != nil || !strings.Contains(out, `ports[0].extension: "201" -> "301"`) {
		t.Fatalf("set: %v %s", err, out)
	}
	if c := b.cfg.Get(); c.Ports[0].Extension != "301" || c.Ports[1].Name != "Fax" {
		t.Errorf("config %+v", c.Ports)
	}
	_, err = b.run(t, "", "set", "dialplan", "dialPlan.firstDigit=forever")
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != 422 || !strings.Contains(err.Error(), "dialPlan.firstDigit: is not a duration") {
		t.Errorf("bad value: %v", err)
	}
	out, err = b.run(t, "", "get", "accounts")
	if err != nil || !strings.Contains(out, `ports[0].sip.password=(not set)`) || !strings.Contains(out, `ports[1].sip.user=""`) {
		t.Errorf("get: %v %s", err, out)
	}

	backup, err := b.run(t, "", "backup")
	if err != nil || !strings.Contains(backup, `"format": "openiad-config-backup"`) {
		t.Fatalf("backup: %v %s", err, backup)
	}
	file := filepath.Join(t.TempDir(), "b.json")
	os.WriteFile(file, []byte(backup), 0o600)
	b.run(t, "", "set", "ports", "ports[1].name=Changed")
	if out, err := b.run(t, "", "restore", file); err != nil || !strings.Contains(out, "Configuration restored (1 changes)") {
		t.Errorf("restore: %v %s", err, out)
	}
	if b.cfg.Get().Ports[1].Name != "Fax" {
		t.Error("not restored")
	}
	img := filepath.Join(t.TempDir(), "fw.img")
	os.WriteFile(img, []byte("not signed"), 0o600)
	if _, err := b.run(t, "", "upgrade", img); err == nil || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("upgrade: %v", err)
	}
	if out, err := b.run(t, "", "log", "-level", "warn"); err != nil {
		t.Errorf("log: %v %s", err, out)
	}
	if out, err := b.run(t, "", "routes"); err != nil || !strings.Contains(out, `"path": "/system/restore"`) {
		t.Errorf("routes: %v", err)
	}
	if _, err := b.run(t, "", "test-call", "1"); err == nil || !strings.Contains(err.Error(), "Not available on this build") {
		t.Errorf("test-call without the hook: %v", err)
	}
	if _, err := b.run(t, "", "frobnicate"); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: %v", err)
	}
}

// sip-trace prints the SIP messages that pass; capture writes a pcap file.
func TestIadctlTraceAndCapture(t *testing.T) {
	b := newBox(t)
	if _, err := b.run(t, b.first+"\nnew-secret-9\n", "password"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IADCTL_PASSWORD", "new-secret-9")
	far, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				b.tap.WriteTo([]byte("REGISTER sip:carrier.example SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n"), far.LocalAddr())
			}
		}
	})
	out, err := b.run(t, "", "sip-trace", "1")
	file := filepath.Join(t.TempDir(), "c.pcap")
	out2, err2 := b.run(t, "", "capture", "1", file)
	close(done)
	wg.Wait()
	if err != nil || !strings.Contains(out, "-> to "+far.LocalAddr().String()+"\nREGISTER sip:carrier.example SIP/2.0") {
		t.Errorf("sip-trace: %v\n%s", err, out)
	}
	pcap, _ := os.ReadFile(file)
	if err2 != nil || len(pcap) < 100 || !bytes.Contains(pcap, []byte("REGISTER sip:carrier.example")) || !strings.Contains(out2, "bytes of pcap in") {
		t.Errorf("capture: %v %d bytes\n%s", err2, len(pcap), out2)
	}
	if _, err := b.run(t, "", "capture", "0", file); err == nil || !strings.Contains(err.Error(), "seconds") {
		t.Errorf("capture 0 s: %v", err)
	}
	if _, err := b.run(t, "", "calls"); err != nil {
		t.Errorf("calls: %v", err)
	}
}

func TestIadctlCertificate(t *testing.T) {
	b := newBox(t)
	t.Setenv("IADCTL_PASSWORD", "whatever")
	var out bytes.Buffer
	err := run(context.Background(), []string{"-url", b.srv.URL, "-pin", strings.Repeat("ab", 32), "status"}, strings.NewReader(""), &out, &out)
	if !errors.Is(err, errPin) {
		t.Errorf("wrong pin: %v", err)
	}
	err = run(context.Background(), []string{"-url", b.srv.URL, "status"}, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("no pin, no -k: %v", err)
	}
	err = run(context.Background(), []string{"-url", b.srv.URL, "-k", "status"}, strings.NewReader(""), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "Wrong user or password") {
		t.Errorf("-k, wrong password: %v", err)
	}
}
