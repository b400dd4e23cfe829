package cwmp_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/cwmp/cwmptest"
	"github.com/openiad/openiad/testrig/acs"
	"github.com/openiad/openiad/testrig/peers"
)

const (
	pSIPUser   = "Device.Services.VoiceService.1.SIP.Client.1.AuthUserName"
	pSIPPass   = "Device.Services.VoiceService.1.SIP.Client.1.AuthPassword"
	pInterval  = "Device.ManagementServer.PeriodicInformInterval"
	pEnable    = "Device.Services.VoiceService.1.SIP.Client.1.Enable"
	pSoftware  = "Device.DeviceInfo.SoftwareVersion"
	pSerial    = "Device.DeviceInfo.SerialNumber"
	pCRURL     = "Device.ManagementServer.ConnectionRequestURL"
	pLineTmpl  = "Device.Services.VoiceService.1.CallControl.Line."
	boxSerial  = "SIM0001"
	acsUser    = "box"
	acsPass    = "box-secret"
	crUser     = "acs"
	crPassword = "cr-secret"
)

func newModel() *cwmptest.Model {
	m := cwmptest.New(cwmp.DeviceID{Manufacturer: "OpenIAD", OUI: "0050C2", ProductClass: "IAD", SerialNumber: boxSerial},
		map[string]cwmptest.Param{
			pSIPUser:                            {Type: "xsd:string", Writable: true, Max: 64},
			pSIPPass:                            {Type: "xsd:string", Writable: true, Max: 64},
			pEnable:                             {Type: "xsd:boolean", Value: "0", Writable: true},
			pInterval:                           {Type: "xsd:unsignedInt", Value: "86400", Writable: true},
			pSoftware:                           {Type: "xsd:string", Value: "1.0.0"},
			pSerial:                             {Type: "xsd:string", Value: boxSerial},
			"Device.DeviceInfo.HardwareVersion": {Type: "xsd:string", Value: "sim"},
		}, pSoftware, "Device.DeviceInfo.HardwareVersion", "Device.ManagementServer.ParameterKey")
	m.Template(pLineTmpl, map[string]cwmptest.Param{"Enable": {Type: "xsd:boolean", Value: "0", Writable: true}})
	return m
}

type box struct {
	c      *cwmp.Client
	model  *cwmptest.Model
	fs     *configtest.FS
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	sent   [][]byte
	reboot chan struct{}
}

type boxOpts struct {
	fs        *configtest.FS
	model     *cwmptest.Model
	settings  cwmp.Settings
	transport bool // in-memory transport to the ACS
	connReq   bool
	firmware  cwmp.Firmware
	config    func(context.Context, io.Reader) error
	rand      func() float64
}

// boot starts a client against a; it returns once Run is going.
func boot(t *testing.T, a *acs.Server, url string, o boxOpts) *box {
	t.Helper()
	if o.fs == nil {
		o.fs = configtest.New()
	}
	if o.model == nil {
		o.model = newModel()
	}
	s := o.settings
	s.Enabled, s.URL = true, url
	if s.RetryMinimumWait == 0 {
		s.RetryMinimumWait, s.RetryMultiplier = 5*time.Second, 2000
	}
	if s.ConnReqUsername == "" {
		s.ConnReqUsername, s.ConnReqPassword = crUser, crPassword
	}
	b := &box{model: o.model, fs: o.fs, done: make(chan error, 1), reboot: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	opt := cwmp.Options{
		Model: o.model, FS: o.fs, Dir: "/state/cwmp",
		Firmware: o.firmware, ApplyConfig: o.config, Rand: o.rand,
		Reboot: func(context.Context) error {
			select {
			case b.reboot <- struct{}{}:
			default:
			}
			cancel()
			return nil
		},
		FactoryReset: func(context.Context) error { return nil },
		Sent: func(e []byte) {
			b.mu.Lock()
			b.sent = append(b.sent, bytes.Clone(e))
			b.mu.Unlock()
		},
	}
	if o.transport {
		opt.Transport = a.Transport()
	}
	if o.connReq {
		opt.ConnReqListen = "127.0.0.1:0"
	}
	c, err := cwmp.New(opt, s)
	if err != nil {
		t.Fatal(err)
	}
	b.c = c
	go func() { b.done <- c.Run(ctx) }()
	t.Cleanup(b.stop)
	return b
}

// stop is a power cut of the client (the events file stays as it is).
func (b *box) stop() {
	b.cancel()
	<-b.done
	select {
	case b.done <- nil:
	default:
	}
}

func wait(t *testing.T, a *acs.Server) *acs.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := a.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Errors) > 0 {
		t.Errorf("ACS saw protocol errors: %v", s.Errors)
	}
	return s
}

func codes(inf acs.Inform) []string {
	var out []string
	for _, e := range inf.Events {
		out = append(out, e.Code)
	}
	return out
}

func needXmllint(t *testing.T) {
	peers.Need(t, "xmllint")
}

// TestSessionRPCs runs every RPC through a real HTTP session with digest
// authentication, for each CWMP namespace the ACS may pick, and checks the
// answers and every envelope the box sent against the Forum's schemas.
func TestSessionRPCs(t *testing.T) {
	needXmllint(t)
	for _, ns := range []string{acs.CWMP10, acs.CWMP11, acs.CWMP12} {
		t.Run(ns[len(ns)-3:], func(t *testing.T) {
			a := acs.New()
			a.Auth, a.Username, a.Password, a.NS = "digest", acsUser, acsPass, ns
			srv := httptest.NewServer(a)
			defer srv.Close()
			a.Queue(
				acs.GetRPCMethods(),
				acs.GetParameterNames("Device.", true),
				acs.GetParameterNames("Device.DeviceInfo.", false),
				acs.SetParameterValues("key-1", acs.Param{Name: pSIPUser, Value: "1001"}, acs.Param{Name: pEnable, Type: "xsd:boolean", Value: "1"}),
				acs.GetParameterValues("Device.Services.", pInterval),
				acs.SetNotification(2, pSoftware),
				acs.GetParameterAttributes(pSoftware),
				acs.AddObject(pLineTmpl, "key-2"),
				acs.DeleteObject(pLineTmpl+"1.", "key-3"),
				acs.GetParameterValues("Device.Nope."),
				acs.Raw("GetQueuedTransfers", ""),
				acs.ScheduleInform(3600, "later"),
				acs.Download("dl", "2 Web Content", "http://127.0.0.1:1/x", 0),
				acs.FactoryReset(),
				acs.Reboot("rb"),
			)
			b := boot(t, a, srv.URL+"/acs", boxOpts{settings: cwmp.Settings{Username: acsUser, Password: acsPass}})
			s := wait(t, a)
			if got := codes(s.Inform); !slices.Contains(got, "0 BOOTSTRAP") || !slices.Contains(got, "1 BOOT") {
				t.Errorf("first Inform events %v, want 0 BOOTSTRAP and 1 BOOT", got)
			}
			if s.Inform.SerialNumber != boxSerial || s.Inform.Param(pSoftware) != "1.0.0" || s.Inform.MaxEnvelopes != 1 {
				t.Errorf("Inform %+v", s.Inform)
			}
			if len(s.Calls) != 15 {
				t.Fatalf("%d calls answered, want 15", len(s.Calls))
			}
			r := func(i int) acs.Reply { return s.Calls[i].Reply }
			if !slices.Contains(r(0).Methods, "Download") || !slices.Contains(r(0).Methods, "SetParameterValues") {
				t.Errorf("GetRPCMethods: %v", r(0).Methods)
			}
			if n := r(1).Names; len(n) != 3 || n[0].Name != "Device.DeviceInfo." {
				t.Errorf("GetParameterNames Device. next level: %+v", n)
			}
			if n := r(2).Names; len(n) != 3 {
				t.Errorf("GetParameterNames DeviceInfo.: %+v", n)
			}
			if r(3).Method != "SetParameterValuesResponse" || b.model.Get(pSIPUser) != "1001" || b.model.Get(pEnable) != "1" {
				t.Errorf("SetParameterValues: %+v, user %q", r(3), b.model.Get(pSIPUser))
			}
			if b.model.Get("Device.ManagementServer.ParameterKey") != "key-3" {
				t.Errorf("ParameterKey %q", b.model.Get("Device.ManagementServer.ParameterKey"))
			}
			if v := r(4).Values; len(v) != 4 || v[len(v)-1].Type != "xsd:unsignedInt" {
				t.Errorf("GetParameterValues: %+v", v)
			}
			if r(6).Attrs[0].Notification != 2 {
				t.Errorf("GetParameterAttributes: %+v", r(6).Attrs)
			}
			if r(7).Instance != 1 || r(8).Method != "DeleteObjectResponse" {
				t.Errorf("AddObject %+v DeleteObject %+v", r(7), r(8))
			}
			for i, want := range map[int]int{9: 9005, 10: 9000, 12: 9003} {
				if r(i).Fault == nil || r(i).Fault.Code != want {
					t.Errorf("%s: got %+v, want fault %d", s.Calls[i].RPC.Method(), r(i), want)
				}
			}
			if r(13).Method != "FactoryResetResponse" || r(14).Method != "RebootResponse" {
				t.Errorf("FactoryReset %+v, Reboot %+v", r(13), r(14))
			}
			select {
			case <-b.reboot:
			case <-time.After(10 * time.Second):
				t.Error("no reboot after the session")
			}
			if len(s.Envelopes) != 16 {
				t.Errorf("ACS got %d envelopes, want 16", len(s.Envelopes))
			}
			if err := acs.CheckSession(s); err != nil {
				t.Error(err)
			}
			if want := ns; !strings.Contains(string(s.Envelopes[1]), want) {
				t.Errorf("the box did not switch to the ACS's namespace %s", want)
			}
		})
	}
}

// TestSetParameterValuesAllOrNothing: one bad value among good ones changes
// nothing, and the fault names each bad parameter with its code.
func TestSetParameterValuesAllOrNothing(t *testing.T) {
	needXmllint(t)
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	a.Queue(acs.SetParameterValues("k",
		acs.Param{Name: pSIPUser, Value: "1001"},
		acs.Param{Name: pInterval, Type: "xsd:unsignedInt", Value: "-5"},
		acs.Param{Name: pSoftware, Value: "9.9.9"},
		acs.Param{Name: "Device.NoSuch.Thing", Value: "x"},
		acs.Param{Name: pEnable, Type: "xsd:unsignedInt", Value: "1"},
	), acs.GetParameterValues(pSIPUser, pInterval, pSoftware, "Device.ManagementServer.ParameterKey"))
	b := boot(t, a, srv.URL, boxOpts{})
	s := wait(t, a)
	f := s.Calls[0].Reply.Fault
	if f == nil || f.Code != 9003 {
		t.Fatalf("SetParameterValues answered %+v, want fault 9003", s.Calls[0].Reply)
	}
	got := map[string]int{}
	for _, p := range f.Params {
		got[p.Name] = p.Code
	}
	want := map[string]int{pInterval: 9007, pSoftware: 9008, "Device.NoSuch.Thing": 9005, pEnable: 9006}
	if len(got) != len(want) {
		t.Errorf("faults %v, want %v", got, want)
	}
	for n, c := range want {
		if got[n] != c {
			t.Errorf("%s: fault %d, want %d", n, got[n], c)
		}
	}
	vals := s.Calls[1].Reply.Values
	if vals[0].Value != "" || vals[1].Value != "86400" || vals[2].Value != "1.0.0" || vals[3].Value != "" {
		t.Errorf("values changed by a refused SetParameterValues: %+v", vals)
	}
	if b.model.Sets != 0 {
		t.Errorf("model applied %d sets", b.model.Sets)
	}
	if err := acs.CheckSession(s); err != nil {
		t.Error(err)
	}
}

// TestConnectionRequest: curl --digest at the box's Connection Request URL
// starts a session with event 6; wrong credentials do not; a flood gets 503.
func TestConnectionRequest(t *testing.T) {
	peers.Need(t, "curl")
	a := acs.New()
	srv := httptest.NewServer(a)
	defer srv.Close()
	b := boot(t, a, srv.URL, boxOpts{connReq: true})
	first := wait(t, a)
	if slices.Contains(codes(first.Inform), "6 CONNECTION REQUEST") {
		t.Fatal("event 6 before any connection request")
	}
	url := b.c.ConnectionRequestURL()
	if url == "" {
		t.Fatal("no connection request URL")
	}
	curl := func(user string) string {
		out, err := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--digest", "-u", user, url).Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		return string(out)
	}
	if code := curl(crUser + ":wrong"); code != "401" {
		t.Errorf("wrong password: HTTP %s, want 401", code)
	}
	if code := curl(crUser + ":" + crPassword); code != "200" {
		t.Fatalf("connection request: HTTP %s, want 200", code)
	}
	s := wait(t, a)
	if !slices.Contains(codes(s.Inform), "6 CONNECTION REQUEST") {
		t.Errorf("session after a connection request has events %v", codes(s.Inform))
	}
	// A flood: the box keeps answering, with 503 once past its budget.
	saw503 := false
	for range 20 {
		if curl(crUser+":"+crPassword) == "503" {
			saw503 = true
			break
		}
	}
	if !saw503 {
		t.Error("20 connection requests in a row were never refused with 503")
	}
}

// TestEventsPowerCut cuts the power at every write of the event store and
// checks that the next boot finds the events of before or after the change.
func TestEventsPowerCut(t *testing.T) {
	base := configtest.New()
	ev, err := cwmp.OpenEvents(base, "/s")
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Add(cwmp.EventBootstrap, ""); err != nil {
		t.Fatal(err)
	}
	probe := base.Reboot(configtest.KeepUnsynced)
	pe, _ := cwmp.OpenEvents(probe, "/s")
	before := probe.Ops()
	_ = pe.Add(cwmp.EventMReboot, "r1")
	total := probe.Ops() - before
	if total < 4 {
		t.Fatalf("an Add did %d writes", total)
	}
	old := []cwmp.EventStruct{{EventCode: cwmp.EventBootstrap}}
	next := []cwmp.EventStruct{{EventCode: cwmp.EventBootstrap}, {EventCode: cwmp.EventMReboot, CommandKey: "r1"}}
	for n := 1; n <= total; n++ {
		for _, sv := range configtest.Survivals {
			fsys := base.Reboot(configtest.KeepUnsynced)
			e, err := cwmp.OpenEvents(fsys, "/s")
			if err != nil {
				t.Fatal(err)
			}
			fsys.CutAt(n)
			_ = e.Add(cwmp.EventMReboot, "r1")
			after, err := cwmp.OpenEvents(fsys.Reboot(sv), "/s")
			if err != nil {
				t.Fatalf("op %d %v: %v", n, sv, err)
			}
			got := after.Pending()
			if !slices.Equal(got, old) && !slices.Equal(got, next) {
				t.Errorf("cut at op %d (%v): events %v, want %v or %v", n, sv, got, old, next)
			}
		}
	}
}

// TestRebootRules: which events survive a reboot is the table's business;
// BOOTSTRAP, M Reboot and TRANSFER COMPLETE do, PERIODIC and CONNECTION
// REQUEST do not.
func TestRebootRules(t *testing.T) {
	fsys := configtest.New()
	ev, _ := cwmp.OpenEvents(fsys, "/s")
	for _, c := range []string{cwmp.EventBootstrap, cwmp.EventBoot, cwmp.EventPeriodic, cwmp.EventConnReq, cwmp.EventValueChange} {
		if err := ev.Add(c, ""); err != nil {
			t.Fatal(err)
		}
	}
	_ = ev.Add(cwmp.EventMReboot, "k")
	_ = ev.Completed(cwmp.TransferComplete{CommandKey: "fw"})
	after, _ := cwmp.OpenEvents(fsys.Reboot(configtest.LoseUnsynced), "/s")
	var got []string
	for _, e := range after.Pending() {
		got = append(got, e.EventCode)
	}
	want := []string{cwmp.EventBootstrap, cwmp.EventMReboot, cwmp.EventTransfer, cwmp.EventMDownload}
	if !slices.Equal(got, want) {
		t.Errorf("after a reboot: %v, want %v", got, want)
	}
	if after.Transfer() == nil || after.Transfer().CommandKey != "fw" {
		t.Error("the TransferComplete did not survive the reboot")
	}
}
