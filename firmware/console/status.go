package console

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/openiad/openiad/boards"
	"github.com/openiad/openiad/dsp/engine"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/hal"
)

// BoxStatus is the Status and DSP of a booted box, read from its parts.
// Fill in the parts the box has; every method tolerates nil parts. Its
// methods may be called from any goroutine.
type BoxStatus struct {
	Board   *boards.Board
	Report  []boards.Result
	Switch  *line.Switch
	Engine  *engine.Engine
	Started time.Time
}

// inCall are the call-control states that belong to a call.
var inCall = map[string]bool{
	line.Routing.String():   true,
	line.Ringback.String():  true,
	line.Alerting.String():  true,
	line.Connected.String(): true,
}

// Ports lists the FXS ports with their lines.
func (b *BoxStatus) Ports() []PortInfo {
	if b.Board == nil {
		return nil
	}
	lines := map[int]*line.Line{}
	if b.Switch != nil {
		for _, l := range b.Switch.Lines() {
			lines[l.Port()] = l
		}
	}
	out := make([]PortInfo, 0, len(b.Board.FXS))
	for i, f := range b.Board.FXS {
		p := PortInfo{Port: i + 1, Kind: "fxs", Channel: i, Timeslot: f.Timeslot(),
			Hook: f.Hook().String(), Feed: f.Feed().String(), State: "-"}
		if l := lines[i+1]; l != nil {
			p.Channel = l.Channel()
			p.Extension = l.Extension()
			p.State = l.State().String()
		}
		out = append(out, p)
	}
	return out
}

// Box describes the board.
func (b *BoxStatus) Box() BoxInfo {
	info := BoxInfo{Started: b.Started}
	if b.Board != nil {
		info.Board = b.Board.Name
		info.FXS, info.FXO, info.E1 = len(b.Board.FXS), len(b.Board.FXO), len(b.Board.E1)
		info.Info = maps.Clone(b.Board.Info)
	}
	for _, r := range b.Report {
		d := DriverInfo{Name: r.Name, State: string(r.State)}
		if r.Err != nil {
			d.Reason = r.Err.Error()
		}
		info.Drivers = append(info.Drivers, d)
	}
	return info
}

// Stats are the media engine's counters (zero without an engine).
func (b *BoxStatus) Stats() engine.Stats {
	if b.Engine == nil {
		return engine.Stats{}
	}
	return b.Engine.Stats()
}

// stallAfter is how old the media loop's last tick may be before it is
// reported as stalled.
const stallAfter = time.Second

// Alarms derives the alarms from the parts: a stopped or stalled media
// loop, failed board drivers, lost audio or events, and ports whose line
// feed is open (a power alarm opens it).
func (b *BoxStatus) Alarms() []Alarm {
	var crit, major, minor []Alarm
	if b.Engine != nil {
		st := b.Engine.Stats()
		switch {
		case !st.Running:
			crit = append(crit, Alarm{Severity: "critical", Source: "media", Text: "the media loop is stopped: no audio on any port"})
		case !st.LastTick.IsZero() && time.Since(st.LastTick) > stallAfter:
			crit = append(crit, Alarm{Severity: "critical", Source: "media", Since: st.LastTick,
				Text: fmt.Sprintf("the media loop stalled: no tick for %s", fmtDuration(time.Since(st.LastTick)))})
		}
		if st.Overruns > 0 {
			minor = append(minor, Alarm{Severity: "minor", Source: "media",
				Text: fmt.Sprintf("%d late ticks since boot: audio was lost", st.Overruns)})
		}
		if st.LostEvents > 0 {
			minor = append(minor, Alarm{Severity: "minor", Source: "media",
				Text: fmt.Sprintf("%d DTMF or line events lost since boot", st.LostEvents)})
		}
	}
	for _, r := range b.Report {
		if r.State == boards.Failed {
			major = append(major, Alarm{Severity: "major", Source: "board",
				Text: fmt.Sprintf("board driver %s failed: %v", r.Name, r.Err)})
		}
	}
	if b.Board != nil {
		for i, f := range b.Board.FXS {
			if f.Feed() == hal.FeedOpen {
				major = append(major, Alarm{Severity: "major", Source: fmt.Sprintf("port %d", i+1),
					Text: "the line feed is open: no battery on the line (power alarm or fault)"})
			}
		}
	}
	return append(append(crit, major...), minor...)
}

// LineCheck is a basic line test for Actions.LineTest: it reads the
// port's hook state, line feed and call state, without disturbing a call
// or ringing the phone. Metallic tests (foreign voltage, loop resistance,
// ringer equivalence) need the SLIC's line-test support and come later.
func (b *BoxStatus) LineCheck(ctx context.Context, port int) ([]Check, error) {
	if b.Board == nil || port < 1 || port > len(b.Board.FXS) {
		n := 0
		if b.Board != nil {
			n = len(b.Board.FXS)
		}
		return nil, fmt.Errorf("%w: port %d does not exist (ports 1-%d)", errArg, port, n)
	}
	f := b.Board.FXS[port-1]
	feed := f.Feed()
	checks := []Check{{Name: "battery feed", Result: feed.String(), OK: feed != hal.FeedOpen}}
	handset := "handset down"
	if f.Hook() == hal.OffHook {
		handset = "handset lifted"
	}
	checks = append(checks, Check{Name: "loop", Result: f.Hook().String() + " (" + handset + ")", OK: true})
	if b.Switch != nil {
		for _, l := range b.Switch.Lines() {
			if l.Port() == port {
				st := l.State()
				checks = append(checks, Check{Name: "call control", Result: st.String(),
					OK: st != line.Lockout && st != line.Howler})
				ext := l.Extension()
				checks = append(checks, Check{Name: "extension", Result: ext, OK: ext != ""})
			}
		}
	}
	return checks, ctx.Err()
}

// DiagLineTest is LineCheck for the TR-104 FXS line test
// (datamodel.Status.LineTest): the carrier's DiagTests run the same check
// as the console and the web page.
func (b *BoxStatus) DiagLineTest(ctx context.Context, port int) ([]datamodel.Check, error) {
	cs, err := b.LineCheck(ctx, port)
	out := make([]datamodel.Check, len(cs))
	for i, c := range cs {
		out[i] = datamodel.Check{Name: c.Name, Result: c.Result, OK: c.OK}
	}
	return out, err
}
