package scenario

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/sip/ua"
	"github.com/openiad/openiad/testrig/acs"
	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/signal"
)

// Issue 8, zero touch: a box that knows only its ACS boots, sends Inform
// with 0 BOOTSTRAP, the ACS sets the SIP account of port 1 (AddObject SIP.Client., then
// SetParameterValues) with TR-104
// issue 2 names, the line registers at Kamailio, and the phone on FXS 1
// calls baresip and hears it.
func TestCWMPZeroTouch(t *testing.T) {
	peers.Need(t, "kamailio", "baresip", "xmllint")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: boxUser, Password: boxPass}, {Name: farUser, Password: farPass}}})
	far := peers.NewBaresip(t, peers.BaresipOptions{
		User: farUser, Password: farPass, DisplayName: farName, Registrar: k.Addr().String(), Domain: k.Domain(),
		AutoAnswer: true, ToneFreq: farTone, ToneLevel: farLevel, Codecs: []string{"PCMA"},
	})
	if err := far.WaitRegistered(ctx); err != nil {
		t.Fatalf("baresip did not register: %v", err)
	}
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	box := BootReal(t, 2)
	boxCtx, stopCWMP := context.WithCancel(context.Background())
	t.Cleanup(stopCWMP) // runs before the bench stops

	vs := "Device.Services.VoiceService.1."
	a.OnInform = func(inf *acs.Inform) []acs.RPC {
		if !inf.Has("0 BOOTSTRAP") {
			return nil
		}
		return []acs.RPC{acs.AddObject(vs+"SIP.Client.", "bootstrap-0"), acs.SetParameterValues("bootstrap-1",
			acs.Param{Name: vs + "SIP.Network.1.RegistrarServer", Value: k.Addr().Addr().String()},
			acs.Param{Name: vs + "SIP.Network.1.RegistrarServerPort", Type: "xsd:unsignedInt", Value: strconv.Itoa(int(k.Addr().Port()))},
			acs.Param{Name: vs + "SIP.Network.1.ServerDomain", Value: k.Addr().String()},
			acs.Param{Name: vs + "SIP.Network.1.X_" + datamodel.DefaultOUI + "_DigitMap", Value: "1xxx|[2-9]xxxxxxx"},
			acs.Param{Name: vs + "VoIPProfile.1.RTP.LocalPortMin", Type: "xsd:unsignedInt", Value: "40000"},
			acs.Param{Name: vs + "VoIPProfile.1.RTP.LocalPortMax", Type: "xsd:unsignedInt", Value: "40999"},
			acs.Param{Name: vs + "CallControl.Line.1.DirectoryNumber", Value: boxUser},
			acs.Param{Name: vs + "SIP.Client.1.AuthUserName", Value: boxUser},
			acs.Param{Name: vs + "SIP.Client.1.AuthPassword", Value: boxPass},
			acs.Param{Name: vs + "SIP.Client.1.Enable", Type: "xsd:boolean", Value: "true"},
		)}
	}
	// All the box knows: where its ACS is (a factory default, or DHCP).
	if _, err := box.Sys.Config.Update(config.SourceSystem, "factory", func(c *config.Config) error {
		c.CWMP.Enabled, c.CWMP.URL = true, srv.URL+"/acs"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := box.Sys.StartCWMP(boxCtx, system.CWMPOptions{Dir: t.TempDir(), ConnReqListen: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	s, err := a.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Inform.Has("0 BOOTSTRAP") || !s.Inform.Has("1 BOOT") {
		t.Errorf("first Inform has events %+v, want 0 BOOTSTRAP and 1 BOOT", s.Inform.Events)
	}
	if len(s.Calls) != 2 {
		t.Fatalf("%d RPCs in the bootstrap session, want 2", len(s.Calls))
	}
	if r := s.Calls[0].Reply; r.Method != "AddObjectResponse" || r.Instance != 1 {
		t.Fatalf("AddObject SIP.Client. answered %+v, want instance 1 (port 1)", r)
	}
	if r := s.Calls[1].Reply; r.Method != "SetParameterValuesResponse" {
		if r.Fault != nil {
			t.Fatalf("SetParameterValues refused: %d %s %+v", r.Fault.Code, r.Fault.String, r.Fault.Params)
		}
		t.Fatalf("SetParameterValues answered %s", r.Method)
	}
	if err := acs.CheckSession(s); err != nil {
		t.Error(err)
	}

	c := &carrier{k: k, far: far, box: box, ctx: ctx}
	c.waitRegistered(t)
	if st, _ := box.Sys.Trunk.Registration(1); st.Status != ua.RegRegistered {
		t.Fatalf("registration %v", st)
	}
	p := box.Phones[0]
	must(t, p.OffHook())
	record(p, 0)
	must(t, p.Dial(farUser))
	if _, err := far.Next(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip never answered: %v", err)
	}
	p.Record(time.Second) // media settles
	heard := p.Record(2 * time.Second)
	if f, l := signal.Dominant(heard); f < farTone-5 || f > farTone+5 {
		t.Errorf("the phone hears %.0f Hz at %.1f dBm0, baresip plays %.0f Hz", f, l, farTone)
	}
	must(t, far.Hangup(ctx))
}

// A vendor configuration file by TR-069 Download goes through the
// configuration store like any carrier change; a broken one is refused with
// 9018 and changes nothing.
func TestCWMPConfigFile(t *testing.T) {
	peers.Need(t, "xmllint")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	box := BootReal(t, 1)
	boxCtx, stopCWMP := context.WithCancel(context.Background())
	t.Cleanup(stopCWMP)
	if _, err := box.Sys.Config.Update(config.SourceSystem, "factory", func(c *config.Config) error {
		c.CWMP.Enabled, c.CWMP.URL = true, srv.URL+"/acs"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	next := box.Sys.Config.Get()
	next.Device.Name = "Branch office 12"
	doc, err := json.Marshal(next)
	if err != nil {
		t.Fatal(err)
	}
	a.Serve("good.json", doc)
	a.Serve("broken.json", doc[:len(doc)/2])
	a.Queue(acs.Download("cfg-good", "3 Vendor Configuration File", srv.URL+"/files/good.json", len(doc)))
	client, _, err := box.Sys.StartCWMP(boxCtx, system.CWMPOptions{Dir: t.TempDir(), ConnReqListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key   string
		fault int
	}{{"cfg-good", 0}, {"cfg-broken", 9018}} {
		if tc.key == "cfg-broken" {
			a.Queue(acs.Download("cfg-broken", "3 Vendor Configuration File", srv.URL+"/files/broken.json", 0))
			client.Trigger("6 CONNECTION REQUEST", "")
		}
		s, err := a.Next(ctx) // the Download
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Calls) != 1 || s.Calls[0].Reply.Status != 1 {
			t.Fatalf("%s: Download answered %+v", tc.key, s.Calls)
		}
		if s, err = a.Next(ctx); err != nil { // the outcome
			t.Fatal(err)
		}
		if len(s.Transfers) != 1 || s.Transfers[0].CommandKey != tc.key || s.Transfers[0].FaultCode != tc.fault {
			t.Errorf("%s: TransferComplete %+v, want FaultCode %d", tc.key, s.Transfers, tc.fault)
		}
		if err := acs.CheckSession(s); err != nil {
			t.Error(err)
		}
		if got := box.Sys.Config.Get(); got.Device.Name != "Branch office 12" || !got.CWMP.Enabled {
			t.Errorf("%s: device name %q, TR-069 on %v", tc.key, got.Device.Name, got.CWMP.Enabled)
		}
	}
}

// Issue 8, what the carrier sees of a running box: a call between the two
// phones is in the ACS's view of the box while it lasts (CallStatus of both
// extensions) and afterwards in the TR-104 CallLog with its numbers; the FXS
// line test the ACS requests by SetParameterValues runs the console's line
// check and the next session carries 8 DIAGNOSTICS COMPLETE with its result.
func TestCWMPCallLogAndLineTest(t *testing.T) {
	peers.Need(t, "xmllint")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	box := BootReal(t, 2)
	boxCtx, stopCWMP := context.WithCancel(context.Background())
	t.Cleanup(stopCWMP)
	vs := "Device.Services.VoiceService.1."
	diag := vs + "POTS.FXS.1.DiagTests."
	detail := diag + "X_" + datamodel.DefaultOUI + "_Detail"
	a.OnInform = func(inf *acs.Inform) []acs.RPC {
		if inf.Has("8 DIAGNOSTICS COMPLETE") {
			return []acs.RPC{acs.GetParameterValues(diag+"DiagnosticsState", diag+"TestResult", detail)}
		}
		return nil
	}
	if _, err := box.Sys.Config.Update(config.SourceSystem, "factory", func(c *config.Config) error {
		c.CWMP.Enabled, c.CWMP.URL = true, srv.URL+"/acs"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The line test is the console's and the web page's.
	status := &console.BoxStatus{Board: box.Sys.Board, Switch: box.Sys.Switch}
	client, _, err := box.Sys.StartCWMP(boxCtx, system.CWMPOptions{Dir: t.TempDir(), ConnReqListen: "off",
		Status: datamodel.Status{LineTest: status.DiagLineTest}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Next(ctx); err != nil { // bootstrap
		t.Fatal(err)
	}
	// session asks the box for values in a new session.
	session := func(rpcs ...acs.RPC) *acs.Session {
		t.Helper()
		a.Queue(rpcs...)
		client.Trigger("6 CONNECTION REQUEST", "")
		s, err := a.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Calls) != len(rpcs) {
			t.Fatalf("%d replies to %d RPCs", len(s.Calls), len(rpcs))
		}
		return s
	}
	values := func(r acs.Reply) map[string]string {
		t.Helper()
		if r.Fault != nil {
			t.Fatalf("fault %d %s %+v", r.Fault.Code, r.Fault.String, r.Fault.Params)
		}
		m := map[string]string{}
		for _, p := range r.Values {
			m[p.Name] = p.Value
		}
		return m
	}

	p1, p2 := box.Phones[0], box.Phones[1]
	ext1, ext2 := box.Extension(1), box.Extension(2)
	must(t, p1.OffHook())
	record(p1, 0)
	must(t, p1.Dial(ext2))
	must(t, p2.WaitRing(ctx))
	must(t, p2.OffHook())
	p1.Record(time.Second)
	s := session(acs.GetParameterValues(vs+"CallControl.Extension.1.CallStatus", vs+"CallControl.Extension.2.CallStatus",
		vs+"POTS.FXS.1.Active", vs+"POTS.FXS.2.Active"))
	v := values(s.Calls[0].Reply)
	if v[vs+"CallControl.Extension.1.CallStatus"] != "Connected" || v[vs+"CallControl.Extension.2.CallStatus"] != "Connected" ||
		v[vs+"POTS.FXS.1.Active"] != "true" || v[vs+"POTS.FXS.2.Active"] != "true" {
		t.Errorf("during the call the ACS sees %v, want both extensions Connected and both ports off-hook (Active)", v)
	}
	p1.Record(time.Second)
	must(t, p2.OnHook())
	p1.Record(500 * time.Millisecond)
	must(t, p1.OnHook())
	for box.Sys.CDR.Len() == 0 && ctx.Err() == nil {
		p1.Record(50 * time.Millisecond)
	}

	s = session(acs.GetParameterValues(vs+"CallLog."), acs.SetParameterValues("diag-1",
		acs.Param{Name: diag + "DiagnosticsState", Value: "Requested"}))
	v = values(s.Calls[0].Reply)
	var entries []string
	for name := range v {
		if rest, ok := strings.CutPrefix(name, vs+"CallLog."); ok && strings.HasSuffix(rest, ".CallingPartyNumber") {
			entries = append(entries, vs+"CallLog."+strings.TrimSuffix(rest, "CallingPartyNumber"))
		}
	}
	if len(entries) != 1 {
		t.Fatalf("CallLog has %d entries after one call: %v", len(entries), v)
	}
	e := entries[0]
	if v[e+"CallingPartyNumber"] != ext1 || v[e+"CalledPartyNumber"] != ext2 || v[e+"CallTerminationCause"] != "RemoteDisconnect" {
		t.Errorf("CallLog entry: from %q to %q, ended by %q; the phones: %s called %s, who hung up",
			v[e+"CallingPartyNumber"], v[e+"CalledPartyNumber"], v[e+"CallTerminationCause"], ext1, ext2)
	}
	if d, err := strconv.Atoi(v[e+"Duration"]); err != nil || d < 1 || d > 4 {
		t.Errorf("CallLog Duration %q s, the phones talked about 2 s", v[e+"Duration"])
	}
	if r := s.Calls[1].Reply; r.Method != "SetParameterValuesResponse" {
		t.Fatalf("DiagnosticsState=Requested answered %+v", r)
	}

	s, err = a.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Inform.Has("8 DIAGNOSTICS COMPLETE") || len(s.Calls) != 1 {
		t.Fatalf("after the line test the box opened a session with %+v and %d RPCs", s.Inform.Events, len(s.Calls))
	}
	if err := acs.CheckSession(s); err != nil {
		t.Error(err)
	}
	v = values(s.Calls[0].Reply)
	if v[diag+"DiagnosticsState"] != "Complete" || v[diag+"TestResult"] != "Success" || !strings.Contains(v[detail], "battery feed") {
		t.Errorf("line test of an idle phone: %v", v)
	}
}
