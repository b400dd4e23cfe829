package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/openiad/openiad/boards"
	_ "github.com/openiad/openiad/boards/sim" // the virtual board, used when no hardware is found
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
	"github.com/openiad/openiad/firmware/logbuf"
	"github.com/openiad/openiad/firmware/syslog"
	"github.com/openiad/openiad/firmware/system"
	fwversion "github.com/openiad/openiad/firmware/version"
	"github.com/openiad/openiad/webui"
)

// version is the firmware's version: firmware/version.Version, set at
// build time with -ldflags "-X github.com/openiad/openiad/firmware/version.Version=...".
var version = fwversion.Version

// errReboot is what run returns when the box was asked to restart; main
// starts the program again.
var errReboot = errors.New("reboot requested")

func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("openiad", flag.ContinueOnError)
	fs.SetOutput(stdout)
	board := fs.String("board", "", "board to open (default: the first that loads; "+strings.Join(boards.Drivers(), ", ")+")")
	fxs := fs.Int("fxs", 0, "FXS ports wanted from a virtual board (default 4, at most 64)")
	listen := fs.String("listen", "127.0.0.1:7070", "where the sim board serves its lines to testrig phones")
	state := fs.String("state", "./var", "folder for configuration, call records and logs")
	web := fs.String("web", "127.0.0.1:8443", "where the web page listens for HTTPS (\"\" turns it off; on a box \":443\")")
	webHTTP := fs.String("web-http", "127.0.0.1:8080", "plain-HTTP address that redirects to HTTPS (\"\" for none; on a box \":80\")")
	webLab := fs.Bool("web-lab", false, "lab bench only: serve the web page over plain HTTP as well, without the redirect")
	sipAddr := fs.String("sip", "", "where the SIP user agent listens, e.g. 127.0.0.1:5060 (default: every address, on the configured SIP port)")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	uf := addUpdateFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var sipListen netip.AddrPort
	if *sipAddr != "" {
		a, err := netip.ParseAddrPort(*sipAddr)
		if err != nil {
			return fmt.Errorf("-sip: %w (want address:port, e.g. 127.0.0.1:5060)", err)
		}
		sipListen = a
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	// Logs and the console share the terminal: the Screen prints log lines
	// above the console's prompt without breaking the line being typed.
	scr := console.NewScreen(stdout, false, 80)
	logs := logbuf.New(logbuf.Options{Size: 1000, Level: lv})
	// The remote syslog collector (config syslog.*): off until Follow
	// below applies the configuration.
	remote := syslog.New(syslog.Options{})
	log := slog.New(slog.NewMultiHandler(slog.NewTextHandler(scr, &slog.HandlerOptions{Level: lv}), logs, remote.Handler()))
	started := time.Now()
	log.Info("OpenIAD starting", "version", version)

	ctx, cancelCause := context.WithCancelCause(ctx)
	cancel := func() { cancelCause(nil) }
	defer cancel()
	sys, err := system.Start(ctx, system.Options{
		BoardName: *board,
		BoardOpts: boards.Options{FXS: *fxs, Listen: *listen},
		StateDir:  *state,
		SIPListen: sipListen,
		Log:       log,
	})
	if err != nil {
		return err
	}
	go remote.Run(ctx)
	go remote.Follow(ctx, sys.Config, log)
	if onSystem != nil { // PID 1: network, clock, watchdog (init_linux.go)
		onSystem(ctx, sys, log)
	}
	fmt.Fprintf(scr, "\nboard %s is up with %d FXS ports\n", sys.Board.Name, len(sys.Board.FXS))
	for _, k := range slices.Sorted(maps.Keys(sys.Board.Info)) {
		fmt.Fprintf(scr, "  %s: %s\n", k, sys.Board.Info[k])
	}
	for _, l := range sys.Lines {
		fmt.Fprintf(scr, "  FXS %d: extension %s\n", l.Port(), l.Extension())
	}
	if addr := sys.Board.Info["listen"]; addr != "" {
		fmt.Fprintf(scr, "attach a phone:  go run ./testrig/cmd/phone -addr %s -port 1\n\n", addr)
	}
	users, first, err := auth.Open(filepath.Join(*state, "users"), nil)
	if err != nil {
		cancel()
		sys.Wait()
		return err
	}
	box := &console.BoxStatus{Board: sys.Board, Report: sys.Report, Switch: sys.Switch, Engine: sys.Engine, Started: started}
	reboot := func(context.Context) error {
		log.Warn("rebooting")
		cancelCause(errReboot)
		return nil
	}
	factoryReset := func(ctx context.Context) error {
		log.Warn("factory reset: configuration and accounts erased")
		if _, err := sys.Config.FactoryReset("console", config.Default(len(sys.Board.FXS))); err != nil {
			return err
		}
		// The next boot makes a new per-device password.
		if err := os.Remove(filepath.Join(*state, "users", auth.FileName)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return reboot(ctx)
	}
	upd, err := startUpdater(ctx, uf, *state, sys, log, reboot)
	if err != nil {
		cancel()
		sys.Wait()
		return err
	}
	// TR-069: the carrier's ACS (idle until config cwmp.enabled).
	if _, _, err := sys.StartCWMP(ctx, system.CWMPOptions{Dir: filepath.Join(*state, "cwmp"),
		Device:   datamodel.Device{Started: started},
		Status:   datamodel.Status{LineTest: box.DiagLineTest},
		Firmware: cwmp.Updater{U: upd}, Reboot: reboot, FactoryReset: factoryReset}); err != nil {
		cancel()
		sys.Wait()
		return err
	}
	var cdrs console.CDRs
	if sys.CDR != nil {
		cdrs = sys.CDR
	}
	con, err := console.New(console.Options{
		CDRs: cdrs, Calls: sys,
		Device: sys.Board.Console, // "" on the sim board: this terminal
		In:     stdin, Screen: scr, Users: users, FirstPassword: first,
		Version: version, Status: box, DSP: console.SystemDSP{Sys: sys}, Config: sys.Config,
		Logs: logs, Log: log,
		Actions: console.Actions{LineTest: box.LineCheck, Reboot: reboot, FactoryReset: factoryReset, TestCall: sys.TestCall,
			Upgrade: upd.ConsoleUpgrade(reboot)},
		SIP: console.SystemSIP{Sys: sys},
	})
	if err != nil {
		cancel()
		sys.Wait()
		return err
	}
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(ctx) }()
	webDone := make(chan error, 1)
	if *web == "" {
		webDone <- nil
	} else {
		var records webui.Records
		if sys.CDR != nil {
			records = sys.CDR
		}
		page, err := webui.New(webui.Options{
			Config: sys.Config, Users: users, Status: box, Registration: sys.Trunk.Registration,
			Logs: logs, Version: version, LineTest: box.LineCheck,
			TestCall: webui.RingTest(sys.Switch, 30*time.Second), Net: console.SystemNet{},
			Reboot: reboot, FactoryReset: factoryReset, Upgrade: upd.WebUpgrade(reboot, time.Second),
			Tap: sys.SIPTap, Calls: sys.Calls, Records: records, Syslog: remote.Stats,
			Log: log, Lab: *webLab,
		})
		if err != nil {
			cancel()
			<-conDone
			sys.Wait()
			return err
		}
		cert, _, err := webui.LoadCertificate(filepath.Join(*state, "webui"), nil)
		if err != nil {
			cancel()
			<-conDone
			sys.Wait()
			return err
		}
		go func() {
			webDone <- webui.Serve(ctx, page, webui.ServeOptions{HTTPS: *web, HTTP: *webHTTP, Lab: *webLab, Certificate: &cert, Log: log,
				Ready: func(a, _ net.Addr) {
					fmt.Fprintf(scr, "web page: https://%s/  (certificate SHA-256 %s)\n", a, webui.Fingerprint(cert))
				}})
		}()
	}
	<-ctx.Done()
	if err := <-conDone; err != nil {
		log.Error("console", "err", err)
	}
	if err := <-webDone; err != nil {
		log.Error("web page", "err", err)
	}
	if errors.Is(context.Cause(ctx), errReboot) {
		err := sys.Wait()
		if err != nil {
			log.Error("shutting down", "err", err)
		}
		return errReboot
	}
	log.Info("OpenIAD stopping")
	return sys.Wait()
}
