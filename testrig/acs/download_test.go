package acs_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/cwmp/cwmptest"
	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/testrig/acs"
	"github.com/openiad/openiad/testrig/peers"
)

const board = "sim"

func signingKey(t *testing.T, seed byte) (image.PublicKey, image.PrivateKey) {
	t.Helper()
	pub, priv, err := minisign.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{seed}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

func firmwareImage(t *testing.T, priv image.PrivateKey, ver string) []byte {
	t.Helper()
	var b bytes.Buffer
	_, err := image.Write(&b, image.Header{Board: board, Version: ver}, image.KeySigner(priv, "test"),
		image.BytesSource("kernel", bytes.Repeat([]byte("kernel "+ver), 3000)),
		image.BytesSource("initramfs", bytes.Repeat([]byte("init "+ver), 9000)))
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cpe is one boot of a box: its updater and CWMP client.
type cpe struct {
	u        *update.Updater
	c        *cwmp.Client
	cancel   context.CancelFunc
	done     chan struct{}
	rebooted chan struct{}
}

func bootCPE(t *testing.T, dir, acsURL string, keys []image.PublicKey) *cpe {
	t.Helper()
	be, err := update.NewFileBackend(filepath.Join(dir, "slots"), board, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := update.New(update.Options{Backend: be, Board: board, Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Boot(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// The new firmware checks its health and commits itself.
	if err := u.Confirm(ctx, update.Health{Wait: 5 * time.Second, Poll: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	st, _ := u.Status()
	m := cwmptest.New(cwmp.DeviceID{Manufacturer: "OpenIAD", OUI: "0050C2", ProductClass: "IAD", SerialNumber: "SIM0001"},
		map[string]cwmptest.Param{"Device.DeviceInfo.SoftwareVersion": {Type: "xsd:string", Value: st.Version}},
		"Device.DeviceInfo.SoftwareVersion")
	p := &cpe{u: u, cancel: cancel, done: make(chan struct{}), rebooted: make(chan struct{}, 1)}
	c, err := cwmp.New(cwmp.Options{
		Model: m, Dir: dir, Firmware: cwmp.Updater{U: u},
		Reboot: func(context.Context) error {
			p.rebooted <- struct{}{}
			cancel()
			return nil
		},
	}, cwmp.Settings{Enabled: true, URL: acsURL, RetryMinimumWait: 5 * time.Second, RetryMultiplier: 2000})
	if err != nil {
		t.Fatal(err)
	}
	p.c = c
	go func() {
		defer close(p.done)
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *cpe) stop() {
	p.cancel()
	<-p.done
}

func next(t *testing.T, a *acs.Server) *acs.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := a.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) > 0 {
		t.Errorf("ACS saw protocol errors: %v", s.Errors)
	}
	if err := acs.CheckSession(s); err != nil {
		t.Error(err)
	}
	return s
}

func events(s *acs.Session) []string {
	var out []string
	for _, e := range s.Inform.Events {
		out = append(out, e.Code+"/"+e.CommandKey)
	}
	slices.Sort(out)
	return out
}

// TestDownloadFirmware: the ACS has the box download a signed image; the
// box writes it through the A/B update path, reboots into it, commits it
// and reports TransferComplete with FaultCode 0. Then an image signed by an
// unknown key and a corrupted one: each is refused with its fault code and
// the box stays on the firmware it runs.
func TestDownloadFirmware(t *testing.T) {
	peers.Need(t, "xmllint")
	pub, priv := signingKey(t, 1)
	_, stranger := signingKey(t, 2)
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	good := firmwareImage(t, priv, "1.1.0")
	corrupt := bytes.Clone(firmwareImage(t, priv, "1.2.0"))
	corrupt[len(corrupt)-3000] ^= 0x55 // inside the last part
	a.Serve("good.img", good)
	a.Serve("stranger.img", firmwareImage(t, stranger, "1.2.0"))
	a.Serve("corrupt.img", corrupt)
	dir := t.TempDir()

	a.Queue(acs.Download("fw-1.1.0", "1 Firmware Upgrade Image", srv.URL+"/files/good.img", len(good)))
	box := bootCPE(t, dir, srv.URL+"/acs", []image.PublicKey{pub})
	s := next(t, a)
	if r := s.Calls[0].Reply; r.Method != "DownloadResponse" || r.Status != 1 {
		t.Fatalf("Download answered %+v, want DownloadResponse status 1", r)
	}
	select {
	case <-box.rebooted:
	case <-time.After(30 * time.Second):
		t.Fatal("the box did not reboot after writing the image")
	}
	box.stop()

	box = bootCPE(t, dir, srv.URL+"/acs", []image.PublicKey{pub})
	s = next(t, a)
	if got, want := events(s), []string{"1 BOOT/", "7 TRANSFER COMPLETE/", "M Download/fw-1.1.0"}; !slices.Equal(got, want) {
		t.Errorf("events after the update %v, want %v", got, want)
	}
	if len(s.Transfers) != 1 || s.Transfers[0].FaultCode != 0 || s.Transfers[0].CommandKey != "fw-1.1.0" {
		t.Fatalf("TransferComplete %+v, want FaultCode 0 for fw-1.1.0", s.Transfers)
	}
	if v := s.Inform.Param("Device.DeviceInfo.SoftwareVersion"); v != "1.1.0" {
		t.Errorf("the box runs %s after the update, want 1.1.0", v)
	}

	for _, tc := range []struct {
		file  string
		fault int
	}{{"stranger.img", 9019}, {"corrupt.img", 9018}} {
		a.Queue(acs.Download("bad-"+tc.file, "1 Firmware Upgrade Image", srv.URL+"/files/"+tc.file, 0))
		box.c.Trigger(cwmp.EventConnReq, "")
		s = next(t, a) // the session with the Download
		if r := s.Calls[0].Reply; r.Status != 1 {
			t.Fatalf("%s: Download answered %+v", tc.file, r)
		}
		s = next(t, a) // the one with the outcome
		if len(s.Transfers) != 1 || s.Transfers[0].FaultCode != tc.fault {
			t.Errorf("%s: TransferComplete %+v, want FaultCode %d", tc.file, s.Transfers, tc.fault)
		} else {
			t.Logf("%s: TransferComplete %d %q", tc.file, s.Transfers[0].FaultCode, s.Transfers[0].FaultString)
		}
		if !slices.Contains(events(s), "7 TRANSFER COMPLETE/") {
			t.Errorf("%s: events %v", tc.file, events(s))
		}
		select {
		case <-box.rebooted:
			t.Fatalf("%s: the box rebooted for a refused image", tc.file)
		default:
		}
		if st, _ := box.u.Status(); st.Version != "1.1.0" {
			t.Errorf("%s: the box runs %s, want still 1.1.0", tc.file, st.Version)
		}
	}
}
