package console

import (
	"context"
	"log/slog"
	"time"

	"github.com/openiad/openiad/dsp/engine"
	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/logbuf"
)

// The console reads the box through the small interfaces below. Every
// method returns a snapshot and may be called from any goroutine. An
// interface left nil in Options makes the matching commands say that the
// feature is not available on this build.

// Status describes the box for `status` and `show`.
type Status interface {
	Ports() []PortInfo // every telephone port, in port order
	Box() BoxInfo
	Alarms() []Alarm // the alarms active now, most severe first
}

// PortInfo is one telephone port as the technician sees it.
type PortInfo struct {
	Port      int    // as printed on the box, from 1
	Kind      string // "fxs", "fxo"
	Channel   int    // media engine channel
	Timeslot  int    // TDM timeslot
	Hook      string // "on-hook", "off-hook"
	Feed      string // line feed: "forward", "open", "ringing" ...
	Extension string // number of the port's line, "" when it has none
	State     string // call control state: "idle", "dialtone", "connected" ...
}

// BoxInfo is the identity and make-up of the box.
type BoxInfo struct {
	Board   string            // board driver name
	Started time.Time         // when the firmware booted (zero: unknown)
	FXS     int               // ports by kind
	FXO     int               // declared FXO ports
	E1      int               // declared E1 ports
	Drivers []DriverInfo      // how each board driver fared at boot
	Info    map[string]string // facts about the board for people
}

// DriverInfo is one row of the board registry's report.
type DriverInfo struct {
	Name, State, Reason string
}

// Alarm is a condition that needs a technician.
type Alarm struct {
	Severity string    // "critical", "major", "minor"
	Source   string    // "media", "board", "port 2" ...
	Text     string    // what is wrong, for people
	Since    time.Time // zero when unknown
}

// DSP gives the media engine's counters; *engine.Engine implements it.
type DSP interface {
	Stats() engine.Stats
}

// ChannelStatser is implemented by a DSP that measures each channel
// (echo canceller, jitter buffer, concealment). `dsp stats <channel>`
// uses it when present.
type ChannelStatser interface {
	ChannelStats(ch int) (ChannelStats, error)
}

// ChannelStats are the media figures of one channel.
type ChannelStats struct {
	ERLE      float64       // echo return loss enhancement, dB
	Jitter    time.Duration // interarrival jitter
	Loss      float64       // packets lost, fraction 0..1
	Concealed time.Duration // audio made up by packet loss concealment
}

// ConfigStore is the configuration; *config.Store implements it. The
// console edits a candidate copy and commits it with Update, source
// "console", so the store's validation, carrier locks and audit trail
// apply as for every other face of the box.
type ConfigStore interface {
	Get() config.Config
	Update(src config.Source, who string, fn func(*config.Config) error) ([]config.Change, error)
}

// Logs is the recent log; *logbuf.Buffer implements it.
type Logs interface {
	Tail(min slog.Level, n, buffer int) ([]logbuf.Record, *logbuf.Subscription)
}

// SIP is the SIP user agent's face to the console.
type SIP interface {
	Registrations() []Registration
	// TraceSIP streams the SIP messages sent and received from now on
	// until stop is called; the channel holds buffer messages and the
	// sender drops messages rather than wait.
	TraceSIP(buffer int) (msgs <-chan SIPMessage, stop func())
}

// Registration is one SIP registration of the box.
type Registration struct {
	Line      string // the port or account it belongs to
	AOR       string // address of record, "sip:201@example.net"
	Registrar string
	State     string // "registered", "failed", "trying"
	Expires   time.Time
	Reason    string // last failure, for people
}

// SIPMessage is one traced SIP message.
type SIPMessage struct {
	At     time.Time
	Sent   bool   // true when the box sent it
	Remote string // the other end, "192.0.2.10:5060"
	Data   []byte // the message as on the wire
}

// CDRs are the call detail records; *cdr.Store implements it.
type CDRs interface {
	Query(q cdr.Query) ([]cdr.Record, error) // newest first
	Verify() cdr.Report                      // reads every record back and checks the hash chain
}

// Calls are the calls in progress with their live media figures;
// *system.System implements it.
type Calls interface {
	Calls() []cdr.Call // one per port in a call, in port order
}

// Users are the accounts that may log in; *auth.Store implements it.
type Users interface {
	Verify(user, password string) bool
	FirstBoot(user string) bool
	SetPassword(user, password string) error
}

// Check is one result of a line test.
type Check struct {
	Name   string // "battery feed"
	Result string // "forward (-48 V)"
	OK     bool
}

// Actions are what the console may do to the box. A nil action is not
// available on this build, and the console says so.
type Actions struct {
	// Reboot restarts the box. It may return before the restart.
	Reboot func(ctx context.Context) error
	// FactoryReset erases the configuration and the accounts and
	// restarts the box; the console asks for confirmation first.
	FactoryReset func(ctx context.Context) error
	// LineTest tests the line of a port (from 1).
	LineTest func(ctx context.Context, port int) ([]Check, error)
	// TestCall places a test call from port to number, reporting
	// progress for people, until the call ends or ctx is done.
	TestCall func(ctx context.Context, port int, number string, progress func(string)) error
	// Upgrade fetches a signed image from url, checks it and installs it
	// in the inactive slot, reporting progress for people.
	Upgrade func(ctx context.Context, url string, progress func(string)) error
}
