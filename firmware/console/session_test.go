package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/console/auth"
)

func TestGreetingAndLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, func(o *Options) { o.FirstPassword = "k7dm-q2xa-9fpe" })
		screen := r.term.screen()
		r.want(screen, "OpenIAD console on ttyTEST0 (board sim, firmware test)",
			"First boot: the administrator password of this box is", "    k7dm-q2xa-9fpe", "It is shown only this once.")
		if r.line() != "login:" {
			t.Fatalf("prompt %q", r.line())
		}
		out := r.step("\r\radmin\r")
		if r.line() != "password:" {
			t.Fatalf("after the user name: %q\n%s", r.line(), out)
		}
		out = r.step(testPassword)
		r.wantNot(out, testPassword) // not echoed
		out = r.step("\r")
		r.want(out, "Welcome, admin. Type help for the commands; Tab completes, Ctrl-D logs out.")
		r.wantNot(out, "first-boot password") // the rig's password was changed
		if r.line() != "OpenIAD>" {
			t.Fatalf("shell prompt %q", r.line())
		}
		out = r.step("\x04") // Ctrl-D on an empty line
		r.want(out, "logged out")
		if r.line() != "login:" {
			t.Fatalf("after Ctrl-D: %q", r.line())
		}

		// The first-boot password is shown once only, not on reconnect.
		r.unplug()
		r.plug()
		elapse(DefaultRetry)
		synctest.Wait()
		if n := strings.Count(r.term.screen(), "k7dm-q2xa-9fpe"); n != 1 {
			t.Errorf("first-boot password shown %d times", n)
		}
		if r.line() != "login:" {
			t.Fatalf("after reconnect: %q", r.line())
		}
	})
}

func TestFirstBootPasswordNote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.status.alarms = []Alarm{{Severity: "major", Source: "port 2", Text: "the line feed is open"}}
		dir := t.TempDir()
		users, first, err := auth.Open(dir, &auth.Options{Iterations: 10})
		if err != nil {
			t.Fatal(err)
		}
		r.con.o.Users = users
		out := r.step("admin\r" + first + "\r")
		r.want(out, "This box still has its first-boot password: type password to set your own.",
			"1 alarm active: type show alarms.")
	})
}

// Three wrong passwords lock the console for a minute, with a countdown;
// keys typed meanwhile are ignored; replugging does not help; then the
// right password works again.
func TestLockout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		start := time.Now()
		out := r.step("admin\rwrong1\r")
		r.want(out, "login incorrect: 2 attempts left before a 1 min lock-out")
		out = r.step("admin\rwrong2\r")
		r.want(out, "login incorrect: 1 attempt left before a 1 min lock-out")
		out = r.step("root\r" + testPassword + "\r") // unknown user counts too
		r.want(out, "login incorrect: 3 failed attempts, the console is locked for 1 min")
		if r.line() != "locked: try again in 1:00" {
			t.Fatalf("countdown %q", r.line())
		}
		elapse(30 * time.Second)
		synctest.Wait()
		if r.line() != "locked: try again in 0:30" {
			t.Fatalf("after 30 s: %q", r.line())
		}
		out = r.step("admin\r" + testPassword + "\r")
		r.wantNot(out, "Welcome")
		r.wantNot(out, testPassword)

		// A new terminal does not lift the lock-out.
		r.unplug()
		r.plug()
		elapse(DefaultRetry)
		synctest.Wait()
		if r.line() != "locked: try again in 0:29" {
			t.Fatalf("after replugging: %q", r.line())
		}
		elapse(time.Until(start.Add(DefaultLockout)) - time.Second)
		synctest.Wait()
		if r.line() != "locked: try again in 0:01" {
			t.Fatalf("a second before the end: %q", r.line())
		}
		elapse(time.Second)
		synctest.Wait()
		r.want(r.term.screen(), "the console is unlocked")
		if r.line() != "login:" {
			t.Fatalf("after the lock-out: %q", r.line())
		}
		r.login()
		// A success clears the count: two more failures do not lock.
		r.step("\x04")
		r.step("admin\rbad\radmin\rbad\r")
		if strings.HasPrefix(r.line(), "locked") {
			t.Fatal("locked after two failures following a success")
		}
	})
}

func TestIdleLogout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, func(o *Options) { o.IdleTimeout = 5 * time.Minute })
		r.login()
		r.step("config set device.name Idle\r")
		elapse(4 * time.Minute)
		r.step("sh") // a key restarts the idle time
		elapse(4*time.Minute + 59*time.Second)
		synctest.Wait()
		if r.line() != "OpenIAD*> sh" {
			t.Fatalf("logged out too early: %q", r.line())
		}
		elapse(time.Second)
		synctest.Wait()
		out, _ := r.term.from(0)
		r.want(out, "1 staged change not saved and dropped", "no key pressed for 5 min: logged out")
		if r.line() != "login:" {
			t.Fatalf("after idle: %q", r.line())
		}
		if r.store.Get().Device.Name != "OpenIAD" {
			t.Error("the staged change reached the store")
		}
		// A running command holds the logout off until it ends.
		r.login()
		r.net.rtt = 0
		r.net.lost = map[int]bool{}
		for i := 1; i <= 200; i++ {
			r.net.lost[i] = true // 200 * 2 s = 6m40s of pinging
		}
		r.step("ping 192.0.2.1 200\r")
		elapse(6 * time.Minute)
		synctest.Wait()
		if strings.HasPrefix(r.line(), "login") {
			t.Fatal("logged out while a command ran")
		}
		elapse(time.Minute)
		synctest.Wait()
		r.want(r.term.screen(), "200 sent, 0 received, 100% lost")
		if r.line() != "OpenIAD>" {
			t.Fatalf("after ping: %q", r.line())
		}
		elapse(5 * time.Minute)
		synctest.Wait()
		if r.line() != "login:" {
			t.Fatalf("idle after ping: %q", r.line())
		}
	})
}

func TestConfigEditing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		rev := r.store.Get().Revision

		out := r.step("config set device.name \"Field Test\"\r")
		r.want(out, `staged: device.name: "OpenIAD" -> "Field Test"`, "1 staged change; config diff reviews, config save applies.")
		if r.line() != "OpenIAD*>" {
			t.Errorf("prompt with staged changes: %q", r.line())
		}
		out = r.step("config get device.name\r")
		r.want(out, `device.name = "OpenIAD"  (staged: "Field Test", not saved)`)
		out = r.step("config set ports[1].extension 201\r")
		r.want(out, `staged: ports[1].extension: "202" -> "201"`,
			"note: with the staged changes the configuration is not valid yet:",
			`ports[1].extension: "201" is already used by ports[0]`)
		out = r.step("config diff\r")
		r.want(out, `device.name: "OpenIAD" -> "Field Test"`, `ports[1].extension: "202" -> "201"`)
		out = r.step("config save\r")
		r.want(out, "not saved:", `ports[1].extension: "201" is already used by ports[0]`, "Fix it with config set")
		if r.store.Get().Revision != rev {
			t.Fatal("an invalid candidate was saved")
		}
		out = r.step("config set ports[1].extension 202\r")
		r.want(out, `ports[1].extension is back to "202", its value in effect: unstaged`)
		out = r.step("config set dialPlan.interDigit soon\r")
		r.want(out, `config set: setting dialPlan.interDigit: bad duration "soon"`)
		out = r.step("config set device.colour red\r")
		r.want(out, "config set: setting device.colour does not exist; type config show to list the")
		out = r.step("config save\r")
		r.want(out, "saved: revision", `device.name: "OpenIAD" -> "Field Test"`)
		c := r.store.Get()
		if c.Device.Name != "Field Test" || c.Revision != rev+1 || c.Ports[1].Extension != "202" {
			t.Fatalf("store after save: rev %d name %q ext %q", c.Revision, c.Device.Name, c.Ports[1].Extension)
		}
		recs, err := r.store.Audit(1)
		if err != nil || len(recs) != 1 || recs[0].Source != config.SourceConsole || recs[0].Who != "admin@ttyTEST0" || recs[0].Path != "device.name" {
			t.Fatalf("audit: %+v, %v", recs, err)
		}
		if r.line() != "Field Test>" {
			t.Errorf("prompt after save: %q", r.line())
		}
		out = r.step("config show device\r")
		r.want(out, `device.name    "Field Test"`, `device.country "CN"`)
		r.wantNot(out, "staged")

		// revert drops; nothing without save reaches the store.
		r.step("config set device.country US\r")
		out = r.step("config revert\r")
		r.want(out, "dropped 1 staged change; the configuration in effect is unchanged")
		out = r.step("config diff\r")
		r.want(out, "no staged changes")
		out = r.step("config save\r")
		r.want(out, "nothing to save: no staged changes")
		if r.store.Get().Revision != rev+1 {
			t.Fatal("revert or an empty save changed the store")
		}

		// Carrier locks: refused by the store, said clearly.
		if _, err := r.store.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
			c.Locks["device.country"] = config.Lock{By: config.SourceCWMP}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out = r.step("config set device.country US\r")
		// The carrier parameter that holds the lock is named (wrapped at the width).
		r.want(out, "note: device.country is locked by cwmp:", "Device.Services.VoiceService.1.POTS.Region; config save will refuse it")
		out = r.step("config save\r")
		r.want(out, "not saved:", "device.country is locked by cwmp", "only be changed over TR-069")
		out = r.step("config show device.country\r")
		r.want(out, `device.country "CN"  (locked by cwmp:`, `Device.Services.VoiceService.1.POTS.Region)  (staged: "US")`, "1 staged change not saved")
		out = r.step("config set locks x\r")
		r.want(out, "carrier locks can only be changed by the carrier")
		out = r.step("config set revision 99\r")
		r.want(out, "revision is kept by the configuration store")
		out = r.step("config get nothing\r")
		r.want(out, "config get: there is no setting nothing")
		out = r.step("config show zz\r")
		r.want(out, "config show: no setting starts with zz")
		out = r.step("config set device.country CN\r")
		r.want(out, `device.country is back to "CN", its value in effect: unstaged`)
		out = r.step("config set device.country CN\r")
		r.want(out, `device.country is already "CN": nothing staged`)
	})
}

// Passwords in the configuration are typed without echo and never shown
// or remembered.
func TestConfigSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		out := r.step("config set ports[0].sip.password\r")
		if r.line() != "value of ports[0].sip.password (not shown):" {
			t.Fatalf("prompt %q\n%s", r.line(), out)
		}
		out += r.step("Hunter2-secret\r")
		r.want(out, `staged: ports[0].sip.password: "" -> "***"`)
		out += r.step("config set ports[1].sip.password Other-secret\r")
		out += r.step("config get ports[0].sip\r")
		out += r.step("config diff\r")
		r.step("config save\r")
		out += r.step("config show ports\r")
		r.wantNot(out, "Hunter2")
		if n := strings.Count(r.term.screen(), "Other-secret"); n != 1 {
			t.Errorf("a password typed on the command line is shown %d times, not just as typed", n)
		}
		r.want(out, `ports[0].sip.password    "***"`)
		if r.store.Get().Ports[0].SIP.Password != "Hunter2-secret" {
			t.Fatal("password not stored")
		}
		// Neither line is in the history.
		r.step("\x10")
		if strings.Contains(r.line(), "secret") || !strings.Contains(r.line(), "config show ports") {
			t.Errorf("history recalls %q", r.line())
		}
		r.step("\x15")
		out = r.step("config set ports[0].sip.password\r\x03")
		if r.line() != "Field Test>" && r.line() != "OpenIAD>" {
			t.Errorf("after Ctrl-C at the hidden prompt: %q\n%s", r.line(), out)
		}
		out = r.step("config set device.name\r")
		r.want(out, "config set: missing <value>")
	})
}

// Log records and SIP messages appear above the prompt; the half-typed
// line is drawn again below them, cursor and all.
func TestLiveFeeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sip := &fakeSIP{msgs: make(chan SIPMessage, 4)}
		r := newRig(t, nil)
		r.login()
		r.log.Warn("before the tail", "n", 1)
		r.log.Info("info before")
		out := r.step("log tail warn\r")
		r.want(out, "WARN  before the tail n=1", "--- live log at warn and above; log tail off or Ctrl-C on an empty line stops\n")
		r.wantNot(out, "info before")
		r.step("show ver\x02\x02")
		_, n := r.term.from(0)
		r.log.Warn("a live record", "port", 2)
		r.log.Info("not at warn")
		synctest.Wait()
		out, _ = r.term.from(n - 1)
		lines := strings.Split(out, "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], "WARN  a live record port=2") || lines[1] != "OpenIAD> show ver" {
			t.Fatalf("interleave:\n%s", out)
		}
		if _, col := r.term.current(); col != len("OpenIAD> show v") {
			t.Errorf("cursor at %d after the redraw", col)
		}
		out = r.step("\x05sion\r")
		r.want(out, "OpenIAD> show version", "firmware       test")
		out = r.step("\x03")
		r.want(out, "live log and SIP trace stopped")
		r.log.Warn("after the tail")
		synctest.Wait()
		r.wantNot(r.term.screen(), "after the tail")
		out = r.step("log tail loud\r")
		r.want(out, "log tail: loud is not a level", "type: log tail [debug|info|warn|error|off]")
		out = r.step("log tail off\r")
		r.want(out, "log tail is already off")

		out = r.step("sip trace on\r")
		r.want(out, "error: SIP is not running, or not connected to the console, on this build:", "there is no SIP trace to show")
		r.con.o.SIP = sip
		r.step("sip trace on\r")
		invite := []byte("INVITE sip:202@example.net SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.2\x1b[2J\r\n\r\n")
		sip.msgs <- SIPMessage{At: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), Sent: true, Remote: "192.0.2.10:5060", Data: invite}
		synctest.Wait()
		r.want(r.term.screen(), fmt.Sprintf("--- 12:00:00.000 SIP sent to 192.0.2.10:5060 (%d bytes)", len(invite)), "INVITE sip:202@example.net SIP/2.0", "Via: SIP/2.0/UDP 192.0.2.2?[2J")
		out = r.step("sip trace off\r")
		r.want(out, "sip trace off")
		if sip.stopped != 1 {
			t.Errorf("trace stopped %d times", sip.stopped)
		}
		out = r.step("show registrations\r")
		r.want(out, "sip:201@example.net", "registered")
	})
}

func TestPingAndTraceroute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		r.net.lost = map[int]bool{2: true}
		out := r.step("ping 192.0.2.1\r")
		r.want(out, "PING 192.0.2.1 (192.0.2.1): 4 requests, Ctrl-C stops")
		r.wantNot(out, "reply")
		elapse(4 * time.Second) // 1 s, 2 s of waiting for seq 2, 1 s
		synctest.Wait()
		r.wantNot(r.term.screen(), "4 sent")
		elapse(r.net.rtt)
		synctest.Wait()
		out, _ = r.term.from(0)
		r.want(out, "reply from 192.0.2.1: seq=1 time=20.000 ms", "no reply: seq=2 (waited 2 s)",
			"reply from 192.0.2.1: seq=4 time=20.000 ms",
			"--- 192.0.2.1: 4 sent, 3 received, 25% lost\nround trip min/avg/max 20.000/20.000/20.000 ms")

		// Ctrl-C stops a long ping; keys typed meanwhile are dropped by it.
		r.net.lost = nil
		r.step("ping 192.0.2.1 100\r")
		elapse(2500 * time.Millisecond)
		out = r.step("status\r\x03")
		r.want(out, "--- 192.0.2.1: 3 sent, 3 received, 0% lost")
		r.wantNot(out, "ports    4 FXS")
		if r.line() != "OpenIAD>" {
			t.Fatalf("after Ctrl-C: %q", r.line())
		}
		// Keys typed during a command run after it.
		r.step("ping 192.0.2.1 1\rshow calls\r")
		elapse(time.Second)
		synctest.Wait()
		out, _ = r.term.from(0)
		r.want(out, "1 sent, 1 received", "no calls in progress")

		r.net.hops = 2
		r.step("traceroute example.net\r")
		elapse(time.Minute)
		synctest.Wait()
		out, _ = r.term.from(0)
		r.want(out, "traceroute to example.net (192.0.2.1), 30 hops at most",
			" 1  198.51.100.1  20.000 ms  20.000 ms  20.000 ms",
			" 2  198.51.100.2  40.000 ms  40.000 ms  40.000 ms",
			" 3  192.0.2.1  20.000 ms  20.000 ms  20.000 ms\nOpenIAD>")
		r.net.rawErr = fmt.Errorf("%w (operation not permitted): run the firmware as root or with CAP_NET_RAW", errRawSocket)
		out = r.step("traceroute 192.0.2.1\r")
		r.want(out, "error: traceroute: raw ICMP sockets are not permitted (operation not", "permitted): run the firmware as root or with CAP_NET_RAW")
		out = r.step("ping nowhere.invalid\r")
		r.want(out, "error: ping: cannot resolve nowhere.invalid: no such host")
		out = r.step("ping 192.0.2.1 0\r")
		r.want(out, "ping: count 0 is not a number from 1 to 1000")
	})
}

func TestActions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var resets, reboots int
		r := newRig(t, func(o *Options) {
			o.Actions.FactoryReset = func(context.Context) error { resets++; return nil }
			o.Actions.Reboot = func(context.Context) error { reboots++; return nil }
			o.Actions.LineTest = func(_ context.Context, port int) ([]Check, error) {
				return []Check{{Name: "battery feed", Result: "forward", OK: true}, {Name: "loop", Result: "off-hook", OK: port != 3}}, nil
			}
		})
		r.login()
		out := r.step("factory-reset\r")
		r.want(out, "This erases the configuration", "Type yes to erase everything:")
		out = r.step("y\r")
		r.want(out, "not erased (only yes confirms)")
		r.step("factory-reset\r")
		r.step("\x03")
		if resets != 0 {
			t.Fatal("factory reset without yes")
		}
		r.step("factory-reset\ryes\r") // a pasted yes does not confirm
		r.step("\r")
		if resets != 0 {
			t.Fatal("factory reset confirmed by keys typed ahead")
		}
		r.step("factory-reset\r")
		out = r.step("yes\r")
		r.want(out, "factory reset ...")
		if resets != 1 {
			t.Fatalf("factory reset ran %d times", resets)
		}
		out = r.step("reboot\r")
		r.want(out, "rebooting ...")
		r.step("config set device.name X\r")
		out = r.step("reboot\r")
		r.want(out, "1 staged change not saved will be lost. Reboot anyway? [y/N]")
		r.step("\r")
		if reboots != 1 {
			t.Fatalf("reboots %d", reboots)
		}
		out = r.step("line test 3\r")
		r.want(out, "testing the line of port 3 ...", "ok    battery feed   forward", "FAIL  loop           off-hook", "port 3: 1 check failed")
		out = r.step("line test 9\r")
		r.want(out, "there is no port 9 on this box", "type: line test <port>, with a port from 1 to 4")
		out = r.step("line test x\r")
		r.want(out, "x is not a port number")

		// Not on this build: said clearly.
		for cmd, want := range map[string]string{
			"call 1 202":                  "error: test calls is not available on this build: they come with SIP call",
			"upgrade https://x.example/i": "error: upgrade is not available on this build: signed image updates come with",
			"upgrade ftp://x":             "upgrade: ftp://x is not an http:// or https:// address",
			"call 1 20x":                  "20x is not a number to dial",
			"show cdr":                    "no call records yet",
			"show cdr 0":                  "show cdr: 0 is not a number of records from 1 to 1000",
			"show registrations":          "SIP is not running, or not connected to the console, on this build: no",
			"dsp stats 1":                 "per-channel figures (ERLE, jitter, loss, concealment) are not measured by this",
			"dsp stats":                   "ticks        1234 (12.34s of audio)",
			"show trunks":                 "no trunks: this board has no FXO or E1 ports in use",
			"show alarms":                 "no alarms",
			"sip trace maybe":             "sip trace: maybe is neither on nor off",
		} {
			out := r.step(cmd + "\r")
			r.want(out, want)
		}
		r.con.o.Actions = Actions{}
		r.con.o.DSP = nil
		for cmd, want := range map[string]string{
			"line test 1":   "error: line test is not available on this build: it comes with the SLIC",
			"reboot":        "error: reboot is not available on this build",
			"factory-reset": "error: factory-reset is not available on this build",
			"dsp stats":     "error: the media engine is not available on this build",
		} {
			out := r.step(cmd + "\r")
			r.want(out, want)
		}
	})
}

func TestPasswordCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		out := r.step("password\r")
		if r.line() != "current password:" {
			t.Fatalf("prompt %q\n%s", r.line(), out)
		}
		out = r.step(testPassword + "\rnew-password-1\rnew-password-2\r")
		r.want(out, "the two new passwords differ; nothing changed")
		out = r.step("password\rwrong\r")
		r.want(out, "that is not the current password")
		out = r.step("password\r" + testPassword + "\rshort\rshort\r")
		r.want(out, "password not accepted: 5 characters, at least 8 needed; nothing changed")
		out = r.step("password\r" + testPassword + "\rnew-password-1\rnew-password-1\r")
		r.want(out, "password changed")
		r.wantNot(r.term.screen(), "new-password", testPassword)
		if !r.users.Verify(auth.Admin, "new-password-1") {
			t.Fatal("not changed in the store")
		}
		r.step("password\r")
		out = r.step("\x03")
		r.want(out, "password: cancelled")
		if r.line() != "OpenIAD>" {
			t.Fatalf("after cancel: %q", r.line())
		}
	})
}

func TestShowCommands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		r.status.ports[1].State, r.status.ports[1].Hook = "connected", "off-hook"
		r.status.ports[2].Hook = "off-hook"
		r.status.ports[2].State = "dialtone"
		tests := map[string][]string{
			"status": {"OpenIAD  firmware test  board sim",
				"  ports    4 FXS: 1 in a call, 1 off-hook, 2 idle; 0 FXO, 0 E1",
				"  sip      not running, or not connected to the console", "  config   revision 1, country CN", "  alarms   none",
				"  media    running, 1234 ticks, 0 late"},
			"show ports":      {"PORT  KIND  ENABLED  EXT  HOOK      FEED     SLOT  NAME", "1     fxs   yes      201  on-hook   forward  0"},
			"show lines":      {"PORT  EXT  STATE      HOOK      CH", "2     202  connected  off-hook  1"},
			"show calls":      {"PORT  EXT  STATE", "2     202  connected"},
			"show board":      {"board     sim", "console   /dev/ttyTEST0", "drivers   sim: loaded", "facts     fxo: 0 declared, inactive", "          listen: 127.0.0.1:7070"},
			"show version":    {"firmware       test", "config schema  "},
			"help":            {"Commands (help <command> explains one", "  show <what>", "  line test <port>", "  log tail [debug|info|warn|error|off]", "Keys: Tab completes"},
			"help config set": {"usage: config set <setting> <value>", "A list of names is set whole"},
			"help show":       {"usage: show ports|lines|calls|registrations|trunks|alarms|version|board|cdr", "  show cdr [n]"},
			"help frob":       {"help: unknown command frob", "type help for the list of commands"},
			"sh":              {"show needs one of: ports, lines", "type: show ports|lines"},
			"frob":            {"unknown command frob", "type help for the list of commands"},
		}
		for cmd, want := range tests {
			out := r.step(cmd + "\r")
			r.want(out, want...)
			for _, l := range strings.Split(out, "\n") {
				if len([]rune(l)) > 79 {
					t.Errorf("%s: line wider than 79 columns: %q", cmd, l)
				}
			}
		}
		r.status.alarms = []Alarm{{Severity: "critical", Source: "media", Text: "the media loop is stopped: no audio on any port"}}
		out := r.step("show alarms\r")
		r.want(out, "CRITICAL media    the media loop is stopped: no audio on any port")
	})
}

func TestCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		tests := []struct {
			typed, line, listed string
		}{
			{"sta\t", "OpenIAD> status ", ""},
			{"sh\t", "OpenIAD> show ", ""},
			{"show po\t", "OpenIAD> show ports ", ""},
			{"show \t", "OpenIAD> show ", "alarms         board          calls"},
			{"s\t", "OpenIAD> s", "show    sip     status"},
			{"config set dialPl\t", "OpenIAD> config set dialPlan.", ""},
			{"config set device.c\t", "OpenIAD> config set device.country ", ""},
			{"config set device.country \t", "OpenIAD> config set device.country ", "CN"},
			{"config set ports[0].enab\tn\t", "OpenIAD> config set ports[0].enabled no ", ""},
			{"line test \t", "OpenIAD> line test ", "1  2  3  4"},
			{"log tail w\t", "OpenIAD> log tail warn ", ""},
			{"help con\t", "OpenIAD> help config ", ""},
			{"frob \t", "OpenIAD> frob ", ""},
		}
		for _, tc := range tests {
			out := r.step(tc.typed)
			if r.line() != strings.TrimRight(tc.line, " ") {
				t.Errorf("%q: line %q, want %q\n%s", tc.typed, r.line(), tc.line, out)
			}
			if _, col := r.term.current(); col != len(tc.line) {
				t.Errorf("%q: cursor at %d, want %d", tc.typed, col, len(tc.line))
			}
			if tc.listed != "" {
				r.want(out, tc.listed)
			}
			r.step("\x15")
		}
	})
}

// The console on the terminal of `make run`: same sessions; the end of the
// input ends the console, not the firmware; the firmware's log printed
// through the Screen goes above the prompt.
func TestTerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		users, _, err := auth.Open(t.TempDir(), &auth.Options{Iterations: 10})
		if err != nil {
			t.Fatal(err)
		}
		users.SetPassword(auth.Admin, testPassword)
		term := newVT(80)
		scr := NewScreen(term, true, 80)
		log := slog.New(slog.NewTextHandler(scr, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}}))
		in, keys := io.Pipe()
		con, err := New(Options{In: in, Screen: scr, Users: users, FirstPassword: "abcd-efgh-jkmn", Log: log})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- con.Run(context.Background()) }()
		synctest.Wait()
		keys.Write([]byte("adm"))
		synctest.Wait()
		log.Info("sim: phone attached", "port", 1)
		synctest.Wait()
		screen := term.screen()
		if !strings.Contains(screen, "OpenIAD console on terminal (firmware dev)") || !strings.Contains(screen, "abcd-efgh-jkmn") ||
			!strings.HasSuffix(screen, "level=INFO msg=\"sim: phone attached\" port=1\nlogin: adm") {
			t.Fatalf("screen:\n%s", screen)
		}
		keys.Write([]byte("in\r" + testPassword + "\rshow ports\r"))
		synctest.Wait()
		if s := term.screen(); !strings.Contains(s, "error: port and board status are not available on this build") {
			t.Fatalf("screen:\n%s", s)
		}
		keys.Close()
		if err := <-done; err != nil {
			t.Fatalf("Run after the input ended: %v", err)
		}
	})
	for _, o := range []Options{{}, {Users: &auth.Store{}}, {Users: &auth.Store{}, In: strings.NewReader("")}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}

// A UART that fails is reopened until it comes back.
func TestReopen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, nil)
		r.login()
		r.step("config set device.name Lost\r")
		r.unplug()
		elapse(10 * DefaultRetry) // nothing plugged: the console keeps trying
		synctest.Wait()
		r.plug()
		elapse(DefaultRetry)
		synctest.Wait()
		if r.line() != "login:" {
			t.Fatalf("after replugging: %q", r.line())
		}
		if n := strings.Count(r.term.screen(), "OpenIAD console on ttyTEST0"); n != 2 {
			t.Errorf("greeted %d times", n)
		}
		if r.store.Get().Device.Name != "OpenIAD" {
			t.Error("a staged change survived the lost session into the store")
		}
		recs := r.logs.Records(slog.LevelWarn, 0)
		var msgs []string
		for _, rec := range recs {
			msgs = append(msgs, rec.Message)
		}
		if got := strings.Join(msgs, "|"); got != "console: UART lost; reopening|console: cannot open the UART; retrying" {
			t.Errorf("warnings: %s", got)
		}
	})
}

func TestScreenWriteError(t *testing.T) {
	s := NewScreen(failWriter{}, true, 80)
	if _, err := s.Write([]byte("x\n")); err == nil || s.Err() == nil {
		t.Fatal("write error not kept")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("gone") }
