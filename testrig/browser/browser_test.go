package browser

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/sip/ua"
	"github.com/openiad/openiad/testrig/peers"
)

// playwright makes sure node_modules holds playwright-core, installing
// the locked version with `npm ci` when it does not (what
// tools/ci/deps.sh does too).
func playwright(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join("node_modules", "playwright-core", "package.json")); err == nil {
		return
	}
	peers.Need(t, "npm")
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in testrig/browser: %v\n%s", err, out)
	}
}

// Issue 5, check 2: the installer's first visit in headless Chromium
// against the firmware on the sim board, with a Kamailio for the carrier.
// Screenshots of every page in both languages go to the test's artifact
// folder (go test -artifacts -outputdir DIR keeps them), or to
// $BROWSER_OUT when set.
func TestBrowser(t *testing.T) {
	peers.Need(t, "kamailio", "node", "chromium", "tcpdump")
	playwright(t)
	out := os.Getenv("BROWSER_OUT")
	if out == "" {
		out = t.ArtifactDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: sipUser, Password: sipPass}}})
	box := Start(t, 2)
	collector, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer collector.Close()
	syslogMsgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := collector.ReadFrom(buf)
			if err != nil {
				return
			}
			select {
			case syslogMsgs <- string(buf[:n]):
			default:
			}
		}
	}()

	cmd := exec.CommandContext(ctx, "node", "installer.mjs")
	cmd.Env = append(os.Environ(),
		"OPENIAD_URL="+box.URL, "OPENIAD_FIRST="+box.First, "OPENIAD_PASSWORD="+newAdminPassword,
		"OPENIAD_REGISTRAR="+k.Addr().String(), "OPENIAD_SIP_USER="+sipUser, "OPENIAD_SIP_PASSWORD="+sipPass,
		"OPENIAD_SYSLOG="+collector.LocalAddr().String(), "OPENIAD_OUT="+out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	var before map[string][32]byte
	var rev int64
	cfg := func() config.Config { return box.Sys.Config.Get() }
	checks := map[string]func() error{
		"password-changed": func() error {
			if box.Users.FirstBoot(auth.Admin) || !box.Users.Verify(auth.Admin, newAdminPassword) {
				return errors.New("the new password is not the administrator's")
			}
			return nil
		},
		"setup-saved": func() error {
			c := cfg()
			if a := c.Ports[0].SIP; !a.Enabled || a.User != sipUser || a.Password != sipPass || len(c.SIP.Profiles[0].Registrars) != 1 {
				return fmt.Errorf("account %+v, registrars %v", a.User, c.SIP.Profiles[0].Registrars)
			}
			return nil
		},
		"registered": func() error {
			if st, ok := box.Sys.Trunk.Registration(1); !ok || st.Status != ua.RegRegistered {
				return fmt.Errorf("port 1: %v", st)
			}
			return nil
		},
		"test-call": func() error {
			rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
			defer rcancel()
			if err := box.Phones[0].WaitRing(rctx); err != nil {
				return fmt.Errorf("the phone on port 1 did not ring: %w", err)
			}
			box.Phones[0].OffHook()
			err := waitFor(ctx, "the test call ends", 50*time.Millisecond, func() bool { return box.Sys.Lines[0].State() == line.Signalling })
			box.Phones[0].OnHook()
			return err
		},
		"changed": func() error {
			if n := cfg().Device.Name; n != "Changed after the backup" {
				return fmt.Errorf("device name %q", n)
			}
			return nil
		},
		"restored": func() error {
			c := cfg()
			if c.Device.Name != config.Default(2).Device.Name || c.Ports[0].SIP.Password != sipPass {
				return fmt.Errorf("device name %q after the restore", c.Device.Name)
			}
			before, rev = files(t, box.StateDir), c.Revision
			return nil
		},
		"upgrade-refused": func() error {
			after := files(t, box.StateDir)
			if cfg().Revision != rev || len(after) != len(before) {
				return errors.New("the refused image changed the box's state")
			}
			for p, h := range before {
				if after[p] != h {
					return fmt.Errorf("the refused image changed %s", p)
				}
			}
			return nil
		},
		"settings-saved": func() error {
			c := cfg()
			if n := c.Network; n.Mode != "static" || n.Address != "192.0.2.10/24" || n.Gateway != "192.0.2.1" || len(n.DNS) != 1 {
				return fmt.Errorf("network %+v", n)
			}
			if tm := c.Time; len(tm.NTPServers) != 2 || tm.NTPServers[0] != "ntp1.example.net" || tm.Zone != "Europe/Berlin" {
				return fmt.Errorf("time %+v", tm)
			}
			if s := c.Syslog; s.Server != collector.LocalAddr().String() || s.Protocol != "udp" || s.Level != "info" {
				return fmt.Errorf("syslog %+v", s)
			}
			// The box's log reaches the collector as RFC 5424.
			box.Sys.Config.Update(config.SourceSystem, "test", func(c *config.Config) error { c.Device.Name = "Syslog check"; return nil })
			select {
			case m := <-syslogMsgs:
				if !strings.HasPrefix(m, "<") || !strings.Contains(m, ">1 ") || !strings.Contains(m, " openiad openiad ") {
					return fmt.Errorf("not an RFC 5424 message from the box: %q", m)
				}
				t.Logf("syslog: %q", m)
			case <-time.After(15 * time.Second):
				return errors.New("no syslog message reached the collector")
			}
			return nil
		},
		"trace-register": func() error {
			if d := cfg().Ports[0].SIP.DisplayName; d != "Front desk" {
				return fmt.Errorf("display name %q", d)
			}
			return nil
		},
		"pcap": func() error {
			tctx, tcancel := context.WithTimeout(ctx, 20*time.Second)
			defer tcancel()
			dump, err := exec.CommandContext(tctx, "tcpdump", "-nn", "-A", "-r", filepath.Join(out, "capture.pcap")).CombinedOutput()
			if err != nil {
				return fmt.Errorf("tcpdump: %v\n%s", err, dump)
			}
			if !strings.Contains(string(dump), "REGISTER sip:") {
				return fmt.Errorf("no REGISTER in the capture:\n%s", dump)
			}
			csv, err := os.ReadFile(filepath.Join(out, "calls.csv"))
			if err != nil || !strings.HasPrefix(string(csv), "seq,port,extension,") || strings.Count(string(csv), "\n") < 2 {
				return fmt.Errorf("calls.csv: %v %q", err, csv)
			}
			return nil
		},
		"done": func() error { return nil },
	}
	var seen []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		l := sc.Text()
		step, ok := strings.CutPrefix(l, "STEP ")
		if !ok {
			t.Log("browser:", l)
			continue
		}
		seen = append(seen, step)
		check := checks[step]
		if check == nil {
			t.Errorf("unknown step %q", step)
			fmt.Fprintln(stdin, "stop")
			break
		}
		if err := check(); err != nil {
			t.Errorf("after %s: %v", step, err)
			fmt.Fprintln(stdin, "stop")
			break
		}
		fmt.Fprintln(stdin, "ok")
		if step == "done" {
			break
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the browser script failed after steps %v: %v\n%s\nkamailio:\n%s", seen, err, stderr.String(), k.Log())
	}
	if len(seen) != len(checks) {
		t.Errorf("steps %v, want all of %d", seen, len(checks))
	}
	shots, _ := filepath.Glob(filepath.Join(out, "*.png"))
	if len(shots) < 38 {
		t.Errorf("%d screenshots in %s", len(shots), out)
	}
	t.Logf("screenshots in %s", out)
}
