package console_test

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/testrig/phone"
)

// Issue 6: `sip trace on` during a call placed by a testrig phone shows
// the INVITE on the technician's serial console, and `show registrations`
// lists the port's account.
func TestSIPTraceOnPTY(t *testing.T) {
	dir := t.TempDir()
	dev, techPath := filepath.Join(dir, "ttyS0"), filepath.Join(dir, "tech")
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	startSocat(t, dev, techPath)

	// A carrier address where nobody answers: the INVITE goes out and is
	// retransmitted, which is all the trace needs.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()

	logs := logbuf.New(logbuf.Options{Size: 500})
	log := slog.New(logs)
	board, err := sim.New(sim.Options{FXS: 2, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := board.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	sys, err := system.Start(ctx, system.Options{
		Board:     board.Boards(),
		StateDir:  filepath.Join(dir, "state"),
		Log:       log,
		SIPListen: netip.MustParseAddrPort("127.0.0.1:0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		sys.Wait()
	}()
	if _, err := sys.Config.Update(config.SourceSystem, "test", func(c *config.Config) error {
		c.SIP.Profiles[0].Domain = dead.LocalAddr().String()
		c.SIP.Profiles[0].RTPPortMin, c.SIP.Profiles[0].RTPPortMax = 41000, 41099
		c.Ports[0].SIP = config.PortSIP{Enabled: true, User: "2001", Password: "pw"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	users, _, err := auth.Open(filepath.Join(dir, "state", "users"), &auth.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.SetPassword(auth.Admin, "technician"); err != nil {
		t.Fatal(err)
	}
	box := &console.BoxStatus{Board: sys.Board, Report: sys.Report, Switch: sys.Switch, Engine: sys.Engine}
	con, err := console.New(console.Options{
		Device: dev, Users: users, Version: "test", Status: box, DSP: console.SystemDSP{Sys: sys},
		Config: sys.Config, Logs: logs, Log: log, SIP: console.SystemSIP{Sys: sys},
	})
	if err != nil {
		t.Fatal(err)
	}
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(ctx) }()
	defer func() {
		cancel()
		<-conDone
	}()

	tt := openTech(t, techPath)
	tt.step("", "login: ")
	tt.step("admin\r", "password: ")
	tt.step("technician\r", "OpenIAD> ")
	out := tt.step("show registrations\r", "OpenIAD> ")
	if !strings.Contains(out, "FXS 1") || !strings.Contains(out, "sip:2001@") {
		t.Errorf("show registrations does not list FXS 1's account:\n%s", out)
	}
	tt.step("sip trace on\r", "OpenIAD> ")

	conn, err := board.Attach(1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := phone.Attach(conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.OffHook(); err != nil {
		t.Fatal(err)
	}
	p.Record(300 * time.Millisecond)
	if err := p.Dial("90000"); err != nil { // a 5-digit service number of the default digit map
		t.Fatal(err)
	}
	trace := tt.expect("INVITE sip:90000@")
	if !strings.Contains(trace, dead.LocalAddr().String()) {
		t.Errorf("the trace does not show where the INVITE went:\n%s", trace)
	}
	tt.step("sip trace off\r", "OpenIAD> ")

	// The channel figures of the port in the call, and a clear word for a
	// channel that does not exist.
	out = tt.step("dsp stats 0\r", "concealed")
	for _, want := range []string{"channel    0", "ERLE", "jitter", "loss"} {
		if !strings.Contains(out, want) {
			t.Errorf("dsp stats 0 does not show %s:\n%s", want, out)
		}
	}
	tt.step("dsp stats 9999\r", "there is no channel 9999 (0 to ")
}
