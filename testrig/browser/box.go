// Package browser is the lab bench for the installer's web page: the
// firmware booted on the sim board with its web page (package webui)
// served over HTTPS on 127.0.0.1, a testrig phone on every port, and the
// end-to-end tests that drive the page through its JSON API and through
// Debian's headless Chromium (Playwright, playwright-core from npm, see
// package.json and installer.mjs).
//
// Start may be called from any test goroutine; everything it starts stops
// when the test ends.
package browser

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
	"github.com/openiad/openiad/firmware/syslog"
	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/webui"
)

// Box is a booted box with its web page.
type Box struct {
	Sys         *system.System
	Board       *sim.Board
	Phones      []*phone.Phone // Phones[0] is on FXS 1
	Users       *auth.Store
	Web         *webui.Server
	URL         string         // https://127.0.0.1:port
	First       string         // the administrator's first-boot password
	Fingerprint string         // SHA-256 of the page's certificate
	StateDir    string         // configuration, accounts and certificate live here
	Syslog      *syslog.Client // the remote log, following config syslog.*
}

// Version is the firmware version the bench's page shows.
const Version = "bench"

// Start boots a box with fxs FXS ports on the sim board, its SIP user
// agent on 127.0.0.1, and serves its web page on 127.0.0.1 over HTTPS.
func Start(t testing.TB, fxs int) *Box {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	lv := slog.LevelInfo
	logs := logbuf.New(logbuf.Options{Size: 500, Level: lv})
	var h slog.Handler = logs
	if os.Getenv("BROWSER_LOG") != "" {
		h = slog.NewMultiHandler(logs, slog.NewTextHandler(os.Stderr, nil))
	}
	remote := syslog.New(syslog.Options{})
	log := slog.New(slog.NewMultiHandler(h, remote.Handler()))
	board, err := sim.New(sim.Options{FXS: fxs, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := board.Start(ctx); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	started := time.Now()
	sys, err := system.Start(ctx, system.Options{Board: board.Boards(), StateDir: state, Log: log,
		SIPListen: mustAddrPort("127.0.0.1:0")})
	if err != nil {
		t.Fatal(err)
	}
	b := &Box{Sys: sys, Board: board, StateDir: state, Syslog: remote}
	go remote.Run(ctx)
	go remote.Follow(ctx, sys.Config, log)
	var phones []*phone.Phone
	stopped := make(chan error, 1)
	t.Cleanup(func() {
		for _, p := range phones {
			p.Close()
		}
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("web page: %v", err)
		}
		sys.Wait()
		board.Close()
	})
	users, first, err := auth.Open(filepath.Join(state, "users"), &auth.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	b.Users, b.First = users, first
	box := &console.BoxStatus{Board: sys.Board, Report: sys.Report, Switch: sys.Switch, Engine: sys.Engine, Started: started}
	var records webui.Records
	if sys.CDR != nil {
		records = sys.CDR
	}
	web, err := webui.New(webui.Options{
		Config: sys.Config, Users: users, Status: box, Registration: sys.Trunk.Registration,
		Logs: logs, Version: Version, LineTest: box.LineCheck,
		TestCall: webui.RingTest(sys.Switch, 30*time.Second), Log: log,
		Tap: sys.SIPTap, Calls: sys.Calls, Records: records, Syslog: remote.Stats,
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Web = web
	cert, _, err := webui.LoadCertificate(filepath.Join(state, "webui"), nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Fingerprint = webui.Fingerprint(cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.URL = "https://" + ln.Addr().String()
	go func() {
		stopped <- webui.Serve(ctx, web, webui.ServeOptions{HTTPSListener: ln, Certificate: &cert, Log: log})
	}()
	for port := 1; port <= fxs; port++ {
		conn, err := board.Attach(port)
		if err != nil {
			t.Fatal(err)
		}
		p, err := phone.Attach(conn, port)
		if err != nil {
			t.Fatalf("phone on FXS %d: %v", port, err)
		}
		phones = append(phones, p)
	}
	b.Phones = phones
	return b
}
