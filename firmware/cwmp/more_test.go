package cwmp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http/httptest"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/testrig/acs"
)

// TestBasicAuthAndMalformed: basic authentication to the ACS; an ACS
// request that is not XML gets fault 9003 and the session goes on.
func TestBasicAuthAndMalformed(t *testing.T) {
	needXmllint(t)
	a := acs.New()
	a.Auth, a.Username, a.Password = "basic", acsUser, acsPass
	srv := httptest.NewServer(a)
	defer srv.Close()
	a.Queue(acs.Raw("GetParameterValues", "<ParameterNames><string>Device.</string"), acs.GetRPCMethods())
	boot(t, a, srv.URL, boxOpts{settings: cwmp.Settings{Username: acsUser, Password: acsPass}})
	s := wait(t, a)
	if len(s.Calls) != 2 {
		t.Fatalf("%d calls", len(s.Calls))
	}
	if f := s.Calls[0].Reply.Fault; f == nil || f.Code != 9003 {
		t.Errorf("malformed request answered %+v, want fault 9003", s.Calls[0].Reply)
	}
	if s.Calls[1].Reply.Method != "GetRPCMethodsResponse" {
		t.Errorf("after the fault: %+v", s.Calls[1].Reply)
	}
	if err := acs.CheckSession(s); err != nil {
		t.Error(err)
	}
}

// TestHTTPSCASet: the ACS certificate must chain to the configured CA set.
func TestHTTPSCASet(t *testing.T) {
	a := acs.New()
	srv := httptest.NewTLSServer(a)
	defer srv.Close()
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	wrong := otherCA(t)

	b := boot(t, a, srv.URL, boxOpts{settings: cwmp.Settings{CACerts: wrong}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if s, err := a.Next(ctx); err == nil {
		t.Errorf("a session with an ACS whose certificate is not in the CA set: %v", codes(s.Inform))
	}
	cancel()
	if len(a.Attempts()) != 0 {
		t.Errorf("the ACS saw %d requests over an unverified TLS connection", len(a.Attempts()))
	}
	b.stop()
	b = boot(t, a, srv.URL, boxOpts{fs: b.fs, settings: cwmp.Settings{CACerts: ca}})
	s := wait(t, a)
	if !s.Inform.Has("0 BOOTSTRAP") {
		t.Errorf("events %v", codes(s.Inform))
	}
	b.stop()
}

// TestValueChange: a parameter with active notification that changes on
// the box brings a session with 4 VALUE CHANGE and the new value; a
// passive one waits for the next session.
func TestValueChange(t *testing.T) {
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	a.Queue(acs.SetNotification(2, pSIPUser), acs.SetNotification(1, pEnable))
	b := boot(t, a, srv.URL, boxOpts{})
	wait(t, a)
	b.model.Change(pEnable, "1") // passive: no session of its own
	b.model.Change(pSIPUser, "2002")
	s := wait(t, a)
	if !s.Inform.Has("4 VALUE CHANGE") || s.Inform.Param(pSIPUser) != "2002" || s.Inform.Param(pEnable) != "1" {
		t.Errorf("Inform after a change: events %v params %+v", codes(s.Inform), s.Inform.Params)
	}
	b.c.Trigger(cwmp.EventConnReq, "")
	s = wait(t, a)
	if s.Inform.Has("4 VALUE CHANGE") || s.Inform.Param(pSIPUser) != "" {
		t.Errorf("the change was reported again: %v %+v", codes(s.Inform), s.Inform.Params)
	}
}

// TestRebootRPC: Reboot is carried out after the session, and the next
// boot informs with 1 BOOT and M Reboot with the command key.
func TestRebootRPC(t *testing.T) {
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	a.Queue(acs.Reboot("rb-7"))
	b := boot(t, a, srv.URL, boxOpts{})
	s := wait(t, a)
	if s.Calls[0].Reply.Method != "RebootResponse" {
		t.Fatalf("Reboot answered %+v", s.Calls[0].Reply)
	}
	select {
	case <-b.reboot:
	case <-time.After(10 * time.Second):
		t.Fatal("no reboot")
	}
	b.stop()
	boot(t, a, srv.URL, boxOpts{fs: b.fs, model: b.model})
	s = wait(t, a)
	got := s.Inform.Events
	if !slices.Contains(got, acs.Event{Code: "1 BOOT"}) || !slices.Contains(got, acs.Event{Code: "M Reboot", CommandKey: "rb-7"}) || s.Inform.Has("0 BOOTSTRAP") {
		t.Errorf("events after the ACS's reboot: %+v", got)
	}
}

// TestScheduleInform: a session DelaySeconds later with 3 SCHEDULED and
// M ScheduleInform.
func TestScheduleInform(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := acs.New()
		a.Queue(acs.ScheduleInform(600, "sched-1"))
		start := time.Now()
		b := boot(t, a, "http://acs.example/", boxOpts{transport: true})
		pass(time.Hour)
		b.stop()
		s := drain(a)
		if len(s) != 2 {
			t.Fatalf("%d sessions, want 2", len(s))
		}
		inf := s[1].Inform
		if !inf.CurrentTime.Equal(start.Add(600*time.Second)) || !slices.Contains(inf.Events, acs.Event{Code: "M ScheduleInform", CommandKey: "sched-1"}) || !inf.Has("3 SCHEDULED") {
			t.Errorf("scheduled session at %v with %+v", inf.CurrentTime.Sub(start), inf.Events)
		}
	})
}

// TestDownloadConfig: a vendor configuration file goes to ApplyConfig and
// its TransferComplete follows at once.
func TestDownloadConfig(t *testing.T) {
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	doc := []byte(`{"schema":3}`)
	a.Serve("box.json", doc)
	a.Queue(acs.Download("cfg-1", "3 Vendor Configuration File", srv.URL+"/files/box.json", len(doc)))
	got := make(chan []byte, 1)
	boot(t, a, srv.URL, boxOpts{config: func(_ context.Context, r io.Reader) error {
		b, err := io.ReadAll(r)
		got <- b
		return err
	}})
	s := wait(t, a)
	if s.Calls[0].Reply.Status != 1 {
		t.Fatalf("Download answered %+v", s.Calls[0].Reply)
	}
	s = wait(t, a)
	if string(<-got) != string(doc) {
		t.Error("ApplyConfig did not get the file")
	}
	if len(s.Transfers) != 1 || s.Transfers[0].FaultCode != 0 || s.Transfers[0].CommandKey != "cfg-1" {
		t.Errorf("TransferComplete %+v", s.Transfers)
	}
}

// otherCA makes a self-signed CA certificate that signed nothing.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not the ACS's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestHoldRequests: while the ACS holds requests the TransferComplete
// waits; it goes in a later session, after the back-off.
func TestHoldRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := acs.New()
		a.SetHold(true)
		a.Serve("box.json", []byte("{}"))
		a.Queue(acs.Download("cfg-h", "3 Vendor Configuration File", "http://acs.example/files/box.json", 2))
		b := boot(t, a, "http://acs.example/", boxOpts{transport: true, config: func(context.Context, io.Reader) error { return nil }})
		pass(3 * time.Second)
		held := drain(a)
		if len(held) != 2 || len(held[1].Transfers) != 0 || !held[1].Inform.Has("7 TRANSFER COMPLETE") {
			t.Fatalf("with requests held: %d sessions, transfers %+v", len(held), held[len(held)-1].Transfers)
		}
		a.SetHold(false)
		pass(time.Minute)
		b.stop()
		s := drain(a)
		if len(s) != 1 || len(s[0].Transfers) != 1 || s[0].Transfers[0].CommandKey != "cfg-h" {
			t.Fatalf("after the hold: %d sessions", len(s))
		}
	})
}
