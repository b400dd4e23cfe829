//go:build linux

package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openiad/openiad/boards"
	_ "github.com/openiad/openiad/boards/sim" // the virtual board
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/webui"
	"golang.org/x/sys/unix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// socat is one socat process joining two pseudo-terminals, reachable
// through the symbolic links dev (the console's UART) and tech (the
// technician's end).
type socat struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startSocat(t *testing.T, dev, tech string) *socat {
	t.Helper()
	bin, err := exec.LookPath("socat")
	if err != nil {
		t.Fatalf("this test needs socat (Debian package socat; tools/ci/deps.sh installs it): %v", err)
	}
	os.Remove(dev)
	os.Remove(tech)
	cmd := exec.Command(bin, "-d", "-d",
		"pty,raw,echo=0,link="+dev, "pty,raw,echo=0,link="+tech)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("socat: %v", err)
	}
	s := &socat{cmd: cmd, done: make(chan struct{})}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "starting data transfer loop") {
				ready <- nil
			}
		}
		ready <- fmt.Errorf("socat ended before the ptys were ready:\n%s", strings.Join(lines, "\n"))
		cmd.Wait()
		close(s.done)
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("socat did not create the ptys within 10 s")
	}
	t.Cleanup(s.stop)
	return s
}

// stop ends socat (SIGTERM, so it removes its links): the pty pair is gone.
func (s *socat) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// tech is the technician's terminal on the far end of the serial line.
type tech struct {
	t    *testing.T
	f    *os.File
	mu   sync.Mutex
	out  bytes.Buffer // everything the console sent
	mark int          // start of the current step in out
	more chan struct{}
	done chan struct{}
}

func openTech(t *testing.T, path string) *tech {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the technician's end: %v", err)
	}
	c := &tech{t: t, f: f, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			c.mu.Lock()
			c.out.Write(buf[:n])
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *tech) close() {
	c.f.Close()
	<-c.done
}

// typ sends keys as the technician types them.
func (c *tech) typ(keys string) {
	c.t.Helper()
	c.mu.Lock()
	c.mark = c.out.Len()
	c.mu.Unlock()
	if _, err := c.f.Write([]byte(keys)); err != nil {
		c.t.Fatalf("typing %q: %v", keys, err)
	}
}

// expect waits until the console has sent want since the last typ, and
// returns what it sent since then.
func (c *tech) expect(want string) string {
	c.t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		got := c.out.String()[c.mark:]
		c.mu.Unlock()
		if strings.Contains(got, want) {
			return got
		}
		select {
		case <-c.more:
		case <-c.done:
			c.t.Fatalf("the line closed while waiting for %q; got:\n%q", want, got)
		case <-deadline.C:
			c.t.Fatalf("waited 10 s for %q; got:\n%q", want, got)
		}
	}
}

// step types keys and waits for want.
func (c *tech) step(keys, want string) string {
	c.t.Helper()
	c.typ(keys)
	return c.expect(want)
}

func (c *tech) transcript() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.out.Bytes())
}

var (
	clock     = regexp.MustCompile(`\d\d:\d\d:\d\d\.\d\d\d`)
	countdown = regexp.MustCompile(`try again in \d+:\d\d`)
)

// render turns what the console sent into what a terminal shows, with the
// parts that change from run to run masked.
func render(raw []byte) string {
	v := console.NewVT(80)
	v.Write(raw)
	s := clock.ReplaceAllString(v.Screen(), "hh:mm:ss.mmm")
	return countdown.ReplaceAllString(s, "try again in m:ss") + "\n"
}

// The console on a real pty, opened through go.bug.st/serial: a
// technician logs in, looks at the ports, changes a setting, watches the
// log, logs out, mistypes the password three times and is locked out;
// then the serial line is unplugged and plugged back, and the console is
// there again.
func TestConsoleOnPTY(t *testing.T) {
	dir := t.TempDir()
	dev, techPath := filepath.Join(dir, "ttyS0"), filepath.Join(dir, "tech")
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	sc := startSocat(t, dev, techPath)

	// The box: the sim board booted the way the firmware boots.
	logs := logbuf.New(logbuf.Options{Size: 500})
	log := slog.New(logs)
	sys, err := system.Start(ctx, system.Options{
		BoardName: "sim",
		BoardOpts: boards.Options{FXS: 4},
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
	users, _, err := auth.Open(filepath.Join(dir, "state", "users"), &auth.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.SetPassword(auth.Admin, "technician"); err != nil {
		t.Fatal(err)
	}
	box := &console.BoxStatus{Board: sys.Board, Report: sys.Report, Switch: sys.Switch, Engine: sys.Engine}
	con, err := console.New(console.Options{
		Device:  dev,
		Users:   users,
		Version: "test",
		Status:  box,
		DSP:     sys.Engine,
		Config:  sys.Config,
		Logs:    logs,
		Log:     log,
		Actions: console.Actions{LineTest: box.LineCheck},
	})
	if err != nil {
		t.Fatal(err)
	}
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-conDone; err != nil {
			t.Errorf("console Run: %v", err)
		}
	}()
	waitFeeds(t, box)

	tt := openTech(t, techPath)
	tt.step("", "login: ")
	tt.step("admin\r", "password: ")
	tt.step("technician\r", "OpenIAD> ")
	out := tt.step("show ports\r", "OpenIAD> ")
	for _, want := range []string{"PORT  KIND  ENABLED  EXT  HOOK", "1     fxs   yes      201  on-hook  forward  0", "4     fxs   yes      204"} {
		if !strings.Contains(out, want) {
			t.Errorf("show ports lacks %q:\n%s", want, out)
		}
	}
	tt.step("line test 2\r", "OpenIAD> ")
	tt.step("config set device.name \"Field Test\"\r", "OpenIAD*> ")
	tt.step("config diff\r", "OpenIAD*> ")
	tt.step("config save\r", "Field Test> ")
	out = tt.step("config show device\r", "Field Test> ")
	if !strings.Contains(out, `device.name    "Field Test"`) {
		t.Errorf("config show after save:\n%s", out)
	}
	if got := sys.Config.Get().Device.Name; got != "Field Test" {
		t.Errorf("the store has device.name %q", got)
	}
	if got := jsonStatusName(t, sys, users, box); got != "Field Test" {
		t.Errorf("the web page's JSON status names the box %q after the console's save", got)
	}
	recs, err := sys.Config.Audit(1)
	if err != nil || len(recs) != 1 || recs[0].Source != config.SourceConsole || recs[0].Who != "admin@ttyS0" || recs[0].Path != "device.name" {
		t.Errorf("audit trail: %+v, %v", recs, err)
	}

	// The live log arrives above the half-typed line, which survives.
	if errs := logs.Records(slog.LevelError, 0); len(errs) > 0 {
		t.Fatalf("the box logged errors while booting (they would show in log tail): %v", errs)
	}
	tt.step("log tail error\r", "stops")
	tt.expect("Field Test> ")
	tt.step("show li", "show li")
	tt.typ("")
	log.Error("field test marker", "port", 3)
	tt.expect("field test marker port=3\r\nField Test> show li")
	tt.step("nes\r", "Field Test> ")
	tt.step("log tail off\r", "Field Test> ")
	tt.step("logout\r", "login: ")

	// Three wrong passwords lock the console; keys typed then are ignored.
	tt.step("admin\r", "password: ")
	tt.step("bad-1\r", "login: ")
	tt.step("admin\rbad-2\r", "1 attempt left")
	tt.expect("login: ")
	tt.step("admin\rbad-3\r", "locked: try again in 1:00")
	tt.step("admin\rtechnician\r", "locked: try again in 0:58")
	got := render(tt.transcript())
	if strings.Contains(got, "technician") || strings.Contains(got, "bad-") {
		t.Error("a password was echoed")
	}
	golden(t, "testdata/pty_session.golden", got)

	// Unplug: the pty pair disappears, the console notices and keeps
	// trying; plug back: the console greets the technician again (still
	// locked out).
	sub := logs.Subscribe(slog.LevelWarn, 16)
	defer sub.Close()
	sc.stop()
	waitLog(t, sub, "console: UART lost; reopening")
	waitLog(t, sub, "console: cannot open the UART; retrying")
	startSocat(t, dev, techPath)
	tt2 := openTech(t, techPath)
	tt2.expect("Field Test console on ttyS0 (board sim, firmware test)")
	tt2.expect("locked: try again in 0:")
}

// waitFeeds waits until call control has powered every line.
func waitFeeds(t *testing.T, box *console.BoxStatus) {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for {
		ok := true
		for _, p := range box.Ports() {
			ok = ok && p.Feed == "forward" && p.State == "idle"
		}
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("lines not powered after 5 s: %+v", box.Ports())
		}
	}
}

func waitLog(t *testing.T, sub *logbuf.Subscription, msg string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-sub.C():
			if r.Message == msg {
				return
			}
		case <-deadline:
			t.Fatalf("no log record %q within 10 s", msg)
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: run go test -run %s -update", path, t.Name())
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("the session differs from %s (go test -update rewrites it):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines shows the lines that differ, for the failure message.
func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, a, c)
		}
	}
	return b.String()
}

// Under `make run` the console runs on the terminal: a tty is put in raw
// mode without echo while the console runs (signals stay on), and the
// settings come back when it stops.
func TestConsoleOnTerminal(t *testing.T) {
	dir := t.TempDir()
	dev, techPath := filepath.Join(dir, "tty"), filepath.Join(dir, "tech")
	startSocat(t, dev, techPath)
	f, err := os.OpenFile(dev, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A terminal as a shell leaves it: line editing and echo on.
	cooked, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cooked.Lflag |= unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN
	cooked.Iflag |= unix.ICRNL
	cooked.Oflag |= unix.OPOST | unix.ONLCR
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, cooked); err != nil {
		t.Fatal(err)
	}
	users, _, err := auth.Open(filepath.Join(dir, "users"), &auth.Options{Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	users.SetPassword(auth.Admin, "technician")
	con, err := console.New(console.Options{In: f, Out: f, Users: users, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- con.Run(ctx) }()

	tt := openTech(t, techPath)
	tt.expect("login: ")
	got, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lflag&(unix.ICANON|unix.ECHO) != 0 || got.Lflag&unix.ISIG == 0 || got.Iflag&unix.ICRNL != 0 {
		t.Errorf("terminal while the console runs: lflag %#x iflag %#x", got.Lflag, got.Iflag)
	}
	tt.step("admin\r", "password: ")
	out := tt.step("technician\rsh\tver\t\r", "OpenIAD> ")
	out += tt.expect("firmware       test")
	if strings.Contains(out, "technician") {
		t.Errorf("the password was echoed:\n%q", out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	back, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if back.Lflag != cooked.Lflag || back.Iflag != cooked.Iflag || back.Oflag != cooked.Oflag {
		t.Errorf("terminal not restored: lflag %#x iflag %#x oflag %#x, want %#x %#x %#x",
			back.Lflag, back.Iflag, back.Oflag, cooked.Lflag, cooked.Iflag, cooked.Oflag)
	}
}

// jsonStatusName logs in to the box's web page (its JSON API, as iadctl
// does) and returns the device name its status reports.
func jsonStatusName(t *testing.T, sys *system.System, users *auth.Store, box *console.BoxStatus) string {
	t.Helper()
	page, err := webui.New(webui.Options{Config: sys.Config, Users: users, Status: box, Version: "test", Lab: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(page)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(`{"user":"admin","password":"technician"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("web login: %s", res.Status)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("Accept", "application/json")
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st struct {
		Name string `json:"name"`
	}
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatalf("JSON status: %s: %v", res.Status, err)
	}
	return st.Name
}
