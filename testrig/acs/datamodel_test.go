package acs_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
	"github.com/openiad/openiad/testrig/acs"
	"github.com/openiad/openiad/testrig/peers"
)

// TestSetParameterValuesRealTree: against the box's real parameter tree
// and configuration store, a SetParameterValues with one invalid value
// among valid ones changes nothing (same configuration revision, same
// values) and names the bad parameter with its fault code; the same values
// without the bad one are applied.
func TestSetParameterValuesRealTree(t *testing.T) {
	peers.Need(t, "xmllint")
	dir := t.TempDir()
	store, err := config.Open(config.OSFS{}, dir, config.Default(2), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := datamodel.New(datamodel.Options{Config: store, Dir: dir, Device: datamodel.Device{SerialNumber: "SIM0002", FXS: 2}})
	if err != nil {
		t.Fatal(err)
	}
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	vs := "Device.Services.VoiceService.1."
	good := []acs.Param{
		{Name: vs + "SIP.Network.1.RegistrarServer", Value: "sip.example.net"},
		{Name: vs + "SIP.Network.1.RegistrarServerPort", Type: "xsd:unsignedInt", Value: "5080"},
	}
	bad := acs.Param{Name: vs + "VoIPProfile.1.RTP.LocalPortMin", Type: "xsd:unsignedInt", Value: "not-a-number"} // 9006
	outOfRange := acs.Param{Name: vs + "VoIPProfile.1.RTP.LocalPortMax", Type: "xsd:unsignedInt", Value: "70000"} // 9007
	readOnly := acs.Param{Name: "Device.DeviceInfo.SerialNumber", Value: "X"}                                     // 9008
	readBack := acs.GetParameterValues(vs+"SIP.Network.1.RegistrarServer", vs+"SIP.Network.1.RegistrarServerPort", vs+"VoIPProfile.1.RTP.LocalPortMin")
	a.Queue(acs.SetParameterValues("k1", append(append([]acs.Param{}, good...), bad, readOnly)...),
		acs.SetParameterValues("k1", append(append([]acs.Param{}, good...), outOfRange)...), readBack,
		acs.SetParameterValues("k2", good...), readBack)
	rev := store.Get().Revision

	ctx, cancel := context.WithCancel(context.Background())
	if err := os.Mkdir(filepath.Join(dir, "cwmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	c, err := cwmp.New(cwmp.Options{Model: m, Dir: filepath.Join(dir, "cwmp")},
		cwmp.Settings{Enabled: true, URL: srv.URL, RetryMinimumWait: 5 * time.Second, RetryMultiplier: 2000})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		if err := c.Run(ctx); err != nil {
			t.Error(err)
		}
		close(done)
	}()
	defer func() { cancel(); <-done }()
	s := next(t, a)
	if len(s.Calls) != 5 {
		t.Fatalf("%d calls", len(s.Calls))
	}
	f := s.Calls[0].Reply.Fault
	if f == nil || f.Code != 9003 {
		t.Fatalf("SetParameterValues with bad values answered %+v", s.Calls[0].Reply)
	}
	got := map[string]int{}
	for _, p := range f.Params {
		got[p.Name] = p.Code
		t.Logf("refused: %s %d %q", p.Name, p.Code, p.String)
	}
	want := map[string]int{bad.Name: 9006, readOnly.Name: 9008}
	if len(got) != len(want) {
		t.Errorf("faults for %v, want %v", got, want)
	}
	for n, c := range want {
		if got[n] != c {
			t.Errorf("%s: fault %d, want %d", n, got[n], c)
		}
	}
	// A value of the right type that the configuration refuses: 9007 on
	// that parameter (the configuration's complaint names the range's
	// other end, rtpPortMin).
	if f := s.Calls[1].Reply.Fault; f == nil || f.Code != 9003 || len(f.Params) != 1 || f.Params[0].Code != 9007 ||
		f.Params[0].Name != outOfRange.Name {
		t.Errorf("SetParameterValues with a port out of range answered %+v, want one 9007 on %s", f, outOfRange.Name)
	}
	before := s.Calls[2].Reply.Values
	if before[0].Value == "sip.example.net" || before[1].Value == "5080" {
		t.Errorf("values changed by a refused SetParameterValues: %+v", before)
	}
	if r := s.Calls[3].Reply; r.Method != "SetParameterValuesResponse" {
		t.Fatalf("the valid values were refused: %+v %+v", r, r.Fault)
	}
	after := s.Calls[4].Reply.Values
	if after[0].Value != "sip.example.net" || after[1].Value != "5080" {
		t.Errorf("values after a good SetParameterValues: %+v", after)
	}
	if got := store.Get().Revision; got != rev+1 {
		t.Errorf("configuration revision %d → %d, want exactly one change", rev, got)
	}
}
