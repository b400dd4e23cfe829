package console

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/openiad/openiad/firmware/logbuf"
)

// notAvailable is the error of a nil action.
func notAvailable(what, why string) error {
	return fmt.Errorf("%s is not available on this build: %s", what, why)
}

// portArg reads a port number and checks it against the ports of the box.
func portArg(x *exec, s, usage string) (int, error) {
	n, err := strconv.Atoi(s)
	hint := "type: " + usage
	if x.o().Status != nil {
		ports := x.o().Status.Ports()
		if len(ports) > 0 {
			hint = fmt.Sprintf("type: %s, with a port from 1 to %d (show ports lists them)", usage, len(ports))
			if err == nil && (n < 1 || n > len(ports)) {
				return 0, usagef(hint, "there is no port %d on this box", n)
			}
		}
	}
	if err != nil || n < 1 {
		return 0, usagef(hint, "%s is not a port number", quoteWord(s))
	}
	return n, nil
}

func cmdLineTest(x *exec) error {
	port, err := portArg(x, x.args[0], "line test <port>")
	if err != nil {
		return err
	}
	if x.o().Actions.LineTest == nil {
		return notAvailable("line test", "it comes with the SLIC line-test support")
	}
	x.printf("testing the line of port %d ...\n", port)
	checks, err := x.o().Actions.LineTest(x.ctx, port)
	if err != nil {
		return err
	}
	bad := 0
	for _, c := range checks {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
			bad++
		}
		x.printf("%s\n", wrap(fmt.Sprintf("  %s  %-14s %s", mark, c.Name, c.Result), x.o().Width-1, strings.Repeat(" ", 23)))
	}
	if bad == 0 {
		x.printf("port %d: line OK\n", port)
	} else {
		x.printf("port %d: %s failed\n", port, plural(bad, "check"))
	}
	return nil
}

func cmdCall(x *exec) error {
	port, err := portArg(x, x.args[0], "call <port> <number>")
	if err != nil {
		return err
	}
	number := x.args[1]
	if number == "" || strings.Trim(number, "0123456789*#+") != "" || len(number) > 32 {
		return usagef("type: call <port> <number>, e.g. call 1 202", "%s is not a number to dial (digits, * and # only)", quoteWord(number))
	}
	if x.o().Actions.TestCall == nil {
		return notAvailable("test calls", "they come with SIP call control")
	}
	x.printf("calling %s from port %d (Ctrl-C hangs up) ...\n", number, port)
	return x.o().Actions.TestCall(x.ctx, port, number, func(msg string) {
		x.printf("  %s\n", sanitize(msg))
	})
}

func cmdSIPTrace(x *exec) error {
	s := x.s
	switch strings.ToLower(x.args[0]) {
	case "on":
		if x.o().SIP == nil {
			return errors.New(noSIP + ": there is no SIP trace to show")
		}
		if s.trace != nil {
			x.printf("sip trace is already on\n")
			return nil
		}
		s.trace, s.traceStop = x.o().SIP.TraceSIP(64)
		x.printf("sip trace on: messages appear above the prompt; sip trace off stops\n")
	case "off":
		if s.traceStop == nil {
			x.printf("sip trace is already off\n")
			return nil
		}
		s.traceStop()
		s.trace, s.traceStop = nil, nil
		x.printf("sip trace off\n")
	default:
		return usagef("type: sip trace on, or sip trace off", "sip trace: %s is neither on nor off", quoteWord(x.args[0]))
	}
	return nil
}

// tailBacklog is how many past records log tail shows before the live ones.
const tailBacklog = 10

func cmdLogTail(x *exec) error {
	s := x.s
	lv := slog.LevelInfo
	if len(x.args) == 1 {
		if strings.EqualFold(x.args[0], "off") {
			if s.logSub == nil {
				x.printf("log tail is already off\n")
				return nil
			}
			s.logSub.Close()
			s.logSub = nil
			x.printf("log tail off\n")
			return nil
		}
		l, ok := logbuf.ParseLevel(x.args[0])
		if !ok {
			return usagef("type: log tail [debug|info|warn|error|off], e.g. log tail warn", "log tail: %s is not a level", quoteWord(x.args[0]))
		}
		lv = l
	}
	if x.o().Logs == nil {
		return errors.New("the log buffer is not available on this build")
	}
	if s.logSub != nil {
		s.logSub.Close()
	}
	recs, sub := x.o().Logs.Tail(lv, tailBacklog, 256)
	s.logSub, s.logLevel, s.logDropped = sub, lv, 0
	for _, r := range recs {
		x.printf("%s\n", wrap(r.String(), x.o().Width-1, "    "))
	}
	x.wrapf("", "--- live log at %s and above; log tail off or Ctrl-C on an empty line stops", strings.ToLower(lv.String()))
	return nil
}

func cmdPassword(x *exec) error {
	users := x.o().Users
	user := strings.SplitN(x.who(), "@", 2)[0]
	old, err := x.ask("current password: ", false)
	if err != nil {
		return err
	}
	if !users.Verify(user, old) {
		return errors.New("that is not the current password; nothing changed")
	}
	pw, err := x.ask("new password: ", false)
	if err != nil {
		return err
	}
	again, err := x.ask("new password again: ", false)
	if err != nil {
		return err
	}
	if pw != again {
		return errors.New("the two new passwords differ; nothing changed (type password to try again)")
	}
	if err := users.SetPassword(user, pw); err != nil {
		return fmt.Errorf("%s; nothing changed", strings.TrimPrefix(err.Error(), "auth: "))
	}
	x.printf("password changed\n")
	return nil
}

func cmdReboot(x *exec) error {
	if x.o().Actions.Reboot == nil {
		return notAvailable("reboot", "the firmware cannot restart the box")
	}
	if x.staged > 0 {
		a, err := x.confirm(fmt.Sprintf("%s not saved will be lost. Reboot anyway? [y/N] ", plural(x.staged, "staged change")))
		if err != nil {
			return err
		}
		if y, _ := parseBool(strings.TrimSpace(a)); !y {
			x.printf("not rebooting\n")
			return nil
		}
	}
	x.printf("rebooting ...\n")
	return x.o().Actions.Reboot(x.ctx)
}

func cmdFactoryReset(x *exec) error {
	if x.o().Actions.FactoryReset == nil {
		return notAvailable("factory-reset", "it comes with the update work")
	}
	x.wrapf("", "This erases the configuration, the call records and the accounts, and restarts the box with a new first-boot password. Calls in progress are dropped.")
	a, err := x.confirm("Type yes to erase everything: ")
	if err != nil {
		return err
	}
	if strings.TrimSpace(a) != "yes" {
		x.printf("not erased (only yes confirms)\n")
		return nil
	}
	x.printf("factory reset ...\n")
	return x.o().Actions.FactoryReset(x.ctx)
}

func cmdUpgrade(x *exec) error {
	url := x.args[0]
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return usagef("type: upgrade <url>, e.g. upgrade https://example.net/openiad-2.1.img", "upgrade: %s is not an http:// or https:// address", quoteWord(url))
	}
	if x.o().Actions.Upgrade == nil {
		return notAvailable("upgrade", "signed image updates come with the update work")
	}
	return x.o().Actions.Upgrade(x.ctx, url, func(msg string) { x.printf("  %s\n", sanitize(msg)) })
}

func cmdLogout(x *exec) error {
	x.out.Flush()
	x.s.logout("logged out")
	return nil
}

// who is the logged-in user and terminal, "admin@ttyS0".
func (x *exec) who() string {
	if x.whoSnap != "" {
		return x.whoSnap
	}
	return x.s.who
}
