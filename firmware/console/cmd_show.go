package console

import (
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/hal"
)

var errArg = errors.New("console: bad argument")

// Messages for what this build does not have.
const (
	noStatus = "port and board status are not available on this build"
	noSIP    = "SIP is not running, or not connected to the console, on this build"
	noDSP    = "the media engine is not available on this build"
	noConfig = "the configuration is not available on this build"
)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cmdStatus(x *exec) error {
	o := x.o()
	var box BoxInfo
	if o.Status != nil {
		box = o.Status.Box()
	}
	head := fmt.Sprintf("%s  firmware %s", x.s.title(), o.Version)
	if box.Board != "" {
		head += "  board " + box.Board
	}
	if !box.Started.IsZero() {
		head += "  up " + fmtDuration(time.Since(box.Started))
	}
	x.printf("%s\n", head)
	var rows [][]string
	if o.Status != nil {
		ports := o.Status.Ports()
		calls, off := 0, 0
		for _, p := range ports {
			if inCall[p.State] {
				calls++
			} else if p.Hook == "off-hook" {
				off++
			}
		}
		rows = append(rows, []string{"ports", fmt.Sprintf("%d FXS: %d in a call, %d off-hook, %d idle; %d FXO, %d E1",
			box.FXS, calls, off, len(ports)-calls-off, box.FXO, box.E1)})
	} else {
		rows = append(rows, []string{"ports", noStatus})
	}
	if o.SIP == nil {
		rows = append(rows, []string{"sip", "not running, or not connected to the console"})
	} else {
		regs := o.SIP.Registrations()
		ok := 0
		for _, r := range regs {
			if r.State == "registered" {
				ok++
			}
		}
		rows = append(rows, []string{"sip", fmt.Sprintf("%d of %d registered", ok, len(regs))})
	}
	if o.Config != nil {
		c := o.Config.Get()
		s := fmt.Sprintf("revision %d, country %s", c.Revision, c.Device.Country)
		if n := x.s.cand.count(); n > 0 {
			s += fmt.Sprintf("; %s not saved", plural(n, "staged change"))
		}
		rows = append(rows, []string{"config", s})
	}
	if o.Status != nil {
		al := o.Status.Alarms()
		s := "none"
		if len(al) > 0 {
			s = fmt.Sprintf("%d (%s: %s)", len(al), al[0].Severity, al[0].Text)
		}
		rows = append(rows, []string{"alarms", s})
	}
	if o.DSP != nil {
		st := o.DSP.Stats()
		run := "running"
		if !st.Running {
			run = "STOPPED"
		}
		rows = append(rows, []string{"media", fmt.Sprintf("%s, %d ticks, %d late", run, st.Ticks, st.Overruns)})
	}
	for _, r := range rows {
		x.printf("%s\n", wrap(fmt.Sprintf("  %-8s %s", r[0], r[1]), o.Width-1, strings.Repeat(" ", 11)))
	}
	return nil
}

func portNames(x *exec) map[int]config.Port {
	out := map[int]config.Port{}
	if x.o().Config != nil {
		for _, p := range x.o().Config.Get().Ports {
			out[p.Index] = p
		}
	}
	return out
}

func cmdShowPorts(x *exec) error {
	if x.o().Status == nil {
		return errors.New(noStatus)
	}
	cfg := portNames(x)
	var rows [][]string
	for _, p := range x.o().Status.Ports() {
		c, ok := cfg[p.Port]
		enabled := "-"
		if ok {
			enabled = yesNo(c.Enabled)
		}
		rows = append(rows, []string{strconv.Itoa(p.Port), p.Kind, enabled, dash(p.Extension), p.Hook, p.Feed, strconv.Itoa(p.Timeslot), clip(c.Name, 20)})
	}
	if len(rows) == 0 {
		x.printf("no telephone ports on this board\n")
		return nil
	}
	x.table([]string{"PORT", "KIND", "ENABLED", "EXT", "HOOK", "FEED", "SLOT", "NAME"}, rows)
	return nil
}

func cmdShowLines(x *exec) error {
	if x.o().Status == nil {
		return errors.New(noStatus)
	}
	var rows [][]string
	for _, p := range x.o().Status.Ports() {
		rows = append(rows, []string{strconv.Itoa(p.Port), dash(p.Extension), p.State, p.Hook, strconv.Itoa(p.Channel)})
	}
	if len(rows) == 0 {
		x.printf("no lines on this board\n")
		return nil
	}
	x.table([]string{"PORT", "EXT", "STATE", "HOOK", "CH"}, rows)
	return nil
}

func cmdShowRegistrations(x *exec) error {
	if x.o().SIP == nil {
		x.wrapf("", "%s: no registrations to show", noSIP)
		return nil
	}
	regs := x.o().SIP.Registrations()
	if len(regs) == 0 {
		x.printf("no SIP accounts are configured\n")
		return nil
	}
	var rows [][]string
	for _, r := range regs {
		exp := "-"
		if !r.Expires.IsZero() {
			exp = "in " + fmtDuration(time.Until(r.Expires).Round(time.Second))
		}
		rows = append(rows, []string{r.Line, clip(r.AOR, 28), r.State, exp, clip(r.Reason, 20)})
	}
	x.table([]string{"LINE", "ACCOUNT", "STATE", "EXPIRES", "REASON"}, rows)
	return nil
}

func cmdShowTrunks(x *exec) error {
	if x.o().Status == nil {
		return errors.New(noStatus)
	}
	b := x.o().Status.Box()
	if b.FXO == 0 && b.E1 == 0 {
		x.printf("no trunks: this board has no FXO or E1 ports in use\n")
	}
	for _, k := range []string{"fxo", "e1"} {
		if v := b.Info[k]; v != "" {
			x.printf("%-4s %s\n", strings.ToUpper(k), v)
		}
	}
	if b.FXO > 0 {
		x.printf("FXO  %d ports\n", b.FXO)
	}
	if b.E1 > 0 {
		x.printf("E1   %d ports\n", b.E1)
	}
	return nil
}

func cmdShowAlarms(x *exec) error {
	if x.o().Status == nil {
		return errors.New(noStatus)
	}
	al := x.o().Status.Alarms()
	if len(al) == 0 {
		x.printf("no alarms\n")
		return nil
	}
	for _, a := range al {
		since := ""
		if !a.Since.IsZero() {
			since = " (since " + a.Since.Format("2006-01-02 15:04:05") + ")"
		}
		x.printf("%s\n", wrap(fmt.Sprintf("%-8s %-8s %s%s", strings.ToUpper(a.Severity), a.Source, a.Text, since), x.o().Width-1, strings.Repeat(" ", 18)))
	}
	return nil
}

func cmdShowVersion(x *exec) error {
	x.table(nil, [][]string{
		{"firmware", x.o().Version},
		{"go", runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH},
		{"config schema", strconv.Itoa(config.SchemaVersion)},
	})
	return nil
}

func cmdShowBoard(x *exec) error {
	if x.o().Status == nil {
		return errors.New(noStatus)
	}
	b := x.o().Status.Box()
	con := x.o().Device
	if con == "" {
		con = "the terminal"
	}
	x.printf("board     %s\n", b.Board)
	x.printf("console   %s\n", con)
	x.printf("ports     %d FXS, %d FXO, %d E1\n", b.FXS, b.FXO, b.E1)
	if !b.Started.IsZero() {
		x.printf("started   %s (up %s)\n", b.Started.Format("2006-01-02 15:04:05"), fmtDuration(time.Since(b.Started)))
	}
	for i, d := range b.Drivers {
		label := "drivers"
		if i > 0 {
			label = ""
		}
		s := d.Name + ": " + d.State
		if d.Reason != "" {
			s += " (" + d.Reason + ")"
		}
		x.printf("%s\n", wrap(fmt.Sprintf("%-9s %s", label, s), x.o().Width-1, strings.Repeat(" ", 12)))
	}
	for i, k := range slices.Sorted(maps.Keys(b.Info)) {
		label := "facts"
		if i > 0 {
			label = ""
		}
		x.printf("%s\n", wrap(fmt.Sprintf("%-9s %s: %s", label, k, b.Info[k]), x.o().Width-1, strings.Repeat(" ", 12)))
	}
	return nil
}

// clip shortens s to n runes, marking the cut with "~".
func clip(s string, n int) string {
	s = sanitize(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "~"
}

func cmdDSPStats(x *exec) error {
	d := x.o().DSP
	if d == nil {
		return errors.New(noDSP)
	}
	if len(x.args) == 1 {
		ch, err := strconv.Atoi(x.args[0])
		if err != nil || ch < 0 {
			return usagef("type: dsp stats <channel>, e.g. dsp stats 0 (show lines lists the channels)",
				"dsp stats: %s is not a channel number", quoteWord(x.args[0]))
		}
		cs, ok := d.(ChannelStatser)
		if !ok {
			x.wrapf("", "per-channel figures (ERLE, jitter, loss, concealment) are not measured by this build yet: they come with echo cancellation and RTP")
			return nil
		}
		st, err := cs.ChannelStats(ch)
		if err != nil {
			return err
		}
		x.table(nil, [][]string{
			{"channel", strconv.Itoa(ch)},
			{"ERLE", fmt.Sprintf("%.1f dB", st.ERLE)},
			{"jitter", st.Jitter.String()},
			{"loss", fmt.Sprintf("%.2f %%", st.Loss*100)},
			{"concealed", st.Concealed.String()},
		})
		return nil
	}
	st := d.Stats()
	run := "running"
	if !st.Running {
		run = "stopped"
	}
	last := "never"
	if !st.LastTick.IsZero() {
		last = time.Since(st.LastTick).Round(time.Millisecond).String() + " ago"
	}
	x.table(nil, [][]string{
		{"media loop", run},
		{"ticks", fmt.Sprintf("%d (%s of audio)", st.Ticks, (time.Duration(st.Ticks) * hal.FrameDuration).String())},
		{"late ticks", strconv.FormatUint(st.Overruns, 10)},
		{"lost events", strconv.FormatUint(st.LostEvents, 10)},
		{"last tick", last},
	})
	return nil
}
