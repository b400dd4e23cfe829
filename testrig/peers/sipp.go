package peers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var errSipp = errors.New("peers: sipp")

// SippOptions configure one run of sipp.
type SippOptions struct {
	// Scenario is the scenario XML (see the *Scenario helpers), written to
	// a file for -sf; or Builtin names one of sipp's own (-sn uac, uas ...).
	// Fact (sipp 3.6.1): the built-in uas does not complete the BYE behind
	// a record-routing proxy; use [UASScenario] there.
	Scenario string
	Builtin  string
	// Target is the remote "host:port"; empty for a UAS that waits.
	Target string
	// Service is the user part of the Request-URI (-s).
	Service string
	// AuthUser and Password answer digest challenges (-au, -ap) for
	// messages with [authentication].
	AuthUser, Password string
	// Port is sipp's SIP port on 127.0.0.1; 0 picks a free one.
	Port int
	// MediaPort is the RTP port (-mp, even; RTCP and video take the next
	// three); 0 picks a free one.
	MediaPort int
	// Transport is "u1" (UDP, default), "un" or "t1" (TCP).
	Transport string
	// Calls is the number of calls to place (-m); default 1.
	Calls int
	// Rate in calls per second (-r); 0 leaves sipp's default (10).
	Rate float64
	// Limit caps simultaneous calls (-l); 0 leaves sipp's default.
	Limit int
	// Timeout bounds the whole run (-timeout with -timeout_error, which
	// sipp 3.6.1 needs for -timeout to stop it); default 30 s.
	Timeout time.Duration
	// Vars set scenario variables (-set NAME VALUE, [$NAME] in the XML).
	Vars map[string]string
	// Keys set keywords (-key NAME VALUE, [NAME] in the XML).
	Keys map[string]string
	// Files are written into sipp's working directory before it starts,
	// by base name (audio for rtp_stream, injection CSVs ...), so the
	// scenario names them without a path.
	Files map[string][]byte
	// NoDefaults disables sipp's default behaviours (-nd): no BYE or
	// CANCEL sent to abort a call that got an unexpected message, no
	// automatic answers. Useful for non-INVITE scenarios.
	NoDefaults bool
	// Args are appended to the command line.
	Args []string
	// Log, if set, receives sipp's screen output as it comes.
	Log io.Writer
}

// SippResult is how a sipp run ended.
type SippResult struct {
	// Exit is sipp's exit status: 0 every call succeeded, 1 some failed,
	// 97 stopped by an internal command, 99 ended without calls, 255
	// (-1) fatal error, 254 (-2) could not bind.
	Exit int
	// Stats is the last row of the statistics file (-trace_stat), by
	// column name ("SuccessfulCall(C)", "FailedCall(C)" ...).
	Stats map[string]string
	// Successful and Failed are the cumulated call counts from Stats.
	Successful, Failed int
	// Messages is the message trace (-trace_msg), Errors the unexpected
	// messages (-trace_err), Logs the scenario's <log> output
	// (-trace_logs), Screen sipp's own output.
	Messages, Errors, Logs, Screen string
	// Dir holds sipp's files.
	Dir string
}

// Err is nil when every call succeeded (exit 0), otherwise an error with
// the exit status and counts.
func (r *SippResult) Err() error {
	if r.Exit == 0 {
		return nil
	}
	return fmt.Errorf("%w: exit status %d (%d successful, %d failed calls)", errSipp, r.Exit, r.Successful, r.Failed)
}

// String is everything sipp left, for a test log.
func (r *SippResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sipp exit %d, %d successful, %d failed calls\n", r.Exit, r.Successful, r.Failed)
	screen := r.Screen
	if len(screen) > 4096 { // the last screens hold the totals
		screen = "[...]" + screen[len(screen)-4096:]
	}
	for _, s := range []struct{ name, text string }{{"errors", r.Errors}, {"logs", r.Logs}, {"messages", r.Messages}, {"screen", screen}} {
		if s.text != "" {
			fmt.Fprintf(&b, "-- sipp %s --\n%s\n", s.name, s.text)
		}
	}
	return b.String()
}

// Sipp is a sipp run in the background (a UAS waiting for calls, or a
// long UAC). Safe for concurrent use.
type Sipp struct {
	opts   SippOptions
	dir    string
	addr   netip.AddrPort
	media  int
	proc   *proc
	scrlog *logBuffer
}

// StartSipp starts sipp and waits (bounded by ctx) until it has bound its
// SIP port. Wait collects the result.
func StartSipp(ctx context.Context, o SippOptions) (*Sipp, error) {
	if _, err := Missing("sipp"); err != nil {
		return nil, err
	}
	if (o.Scenario == "") == (o.Builtin == "") {
		return nil, fmt.Errorf("%w: sipp needs exactly one of Scenario and Builtin", errBadOption)
	}
	if o.Calls == 0 {
		o.Calls = 1
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Transport == "" {
		o.Transport = "u1"
	}
	dir, err := shortTempDir("sipp")
	if err != nil {
		return nil, err
	}
	s := &Sipp{opts: o, dir: dir, scrlog: newLogBuffer(1<<20, o.Log)}
	if err := s.start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Sipp) start(ctx context.Context) error {
	o := s.opts
	for name, data := range o.Files {
		if name != filepath.Base(name) {
			return fmt.Errorf("%w: sipp file name %q", errBadOption, name)
		}
		if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o644); err != nil {
			return fmt.Errorf("peers: %w", err)
		}
	}
	port, media := o.Port, o.MediaPort
	var err error
	if port == 0 {
		if port, err = freePorts(1, 1); err != nil {
			return err
		}
	}
	if media == 0 {
		if media, err = freePorts(4, 2); err != nil {
			return err
		}
	}
	s.addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))
	s.media = media
	args := []string{}
	if o.Scenario != "" {
		sf := filepath.Join(s.dir, "scenario.xml")
		if err := os.WriteFile(sf, []byte(o.Scenario), 0o644); err != nil {
			return fmt.Errorf("peers: %w", err)
		}
		args = append(args, "-sf", sf)
	} else {
		args = append(args, "-sn", o.Builtin)
	}
	args = append(args,
		"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(media),
		"-t", o.Transport, "-m", strconv.Itoa(o.Calls), "-nostdin",
		"-timeout", fmt.Sprintf("%dms", o.Timeout.Milliseconds()), "-timeout_error",
		"-trace_stat", "-stf", filepath.Join(s.dir, "stats.csv"), "-fd", "1",
		"-trace_msg", "-message_file", filepath.Join(s.dir, "messages.log"),
		"-trace_err", "-error_file", filepath.Join(s.dir, "errors.log"),
		"-trace_logs", "-log_file", filepath.Join(s.dir, "logs.log"),
	)
	if o.Service != "" {
		args = append(args, "-s", o.Service)
	}
	if o.AuthUser != "" {
		args = append(args, "-au", o.AuthUser)
	}
	if o.Password != "" {
		args = append(args, "-ap", o.Password)
	}
	if o.Rate > 0 {
		args = append(args, "-r", strconv.FormatFloat(o.Rate, 'f', -1, 64))
	}
	if o.Limit > 0 {
		args = append(args, "-l", strconv.Itoa(o.Limit))
	}
	for _, k := range sortedKeys(o.Vars) {
		args = append(args, "-set", k, o.Vars[k])
	}
	for _, k := range sortedKeys(o.Keys) {
		args = append(args, "-key", k, o.Keys[k])
	}
	if o.NoDefaults {
		args = append(args, "-nd")
	}
	args = append(args, o.Args...)
	if o.Target != "" {
		args = append(args, o.Target)
	}
	bin, _ := exec.LookPath("sipp")
	p, err := startProc("sipp", s.dir, s.scrlog, bin, args...)
	if err != nil {
		return err
	}
	s.proc = p
	// Ready when sipp holds its SIP port. A run that ends at once (a bad
	// scenario) is reported by Wait, not here.
	err = p.poll(ctx, 20*time.Millisecond, "its SIP port", func(context.Context) bool {
		return o.Transport != "u1" && o.Transport != "un" || udpBound(port)
	})
	if err != nil && errors.Is(err, errExited) {
		return nil
	}
	return err
}

// Addr is sipp's SIP address.
func (s *Sipp) Addr() netip.AddrPort { return s.addr }

// MediaPort is sipp's RTP port.
func (s *Sipp) MediaPort() int { return s.media }

// Dir is sipp's working directory.
func (s *Sipp) Dir() string { return s.dir }

// Wait waits until sipp ends (or ctx ends: then sipp is stopped) and
// returns its result. The error is about running sipp, not about the
// calls: see SippResult.Err.
func (s *Sipp) Wait(ctx context.Context) (*SippResult, error) {
	select {
	case <-s.proc.done:
	case <-ctx.Done():
		s.Stop()
		r := s.result()
		return r, fmt.Errorf("%w: still running: %w\n%s", errSipp, ctx.Err(), r)
	}
	return s.result(), nil
}

// Stop ends sipp (SIGUSR1 makes it stop placing calls and quit, then
// SIGKILL) and returns once it is gone.
func (s *Sipp) Stop() error { return s.proc.stop(syscall.SIGUSR1, 2*time.Second) }

// Close stops sipp and removes its directory.
func (s *Sipp) Close() error {
	err := s.Stop()
	os.RemoveAll(s.dir)
	return err
}

func (s *Sipp) result() *SippResult {
	r := &SippResult{Exit: -1, Dir: s.dir, Screen: s.scrlog.String()}
	if s.proc.exited() {
		r.Exit = s.proc.cmd.ProcessState.ExitCode()
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(s.dir, name))
		return string(b)
	}
	r.Messages, r.Errors, r.Logs = read("messages.log"), read("errors.log"), read("logs.log")
	r.Stats = parseSippStats(read("stats.csv"))
	r.Successful, _ = strconv.Atoi(r.Stats["SuccessfulCall(C)"])
	r.Failed, _ = strconv.Atoi(r.Stats["FailedCall(C)"])
	return r
}

// parseSippStats reads the last row of a sipp statistics file: a header
// row of ';'-separated column names, then rows of values.
func parseSippStats(csv string) map[string]string {
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) < 2 {
		return map[string]string{}
	}
	names := strings.Split(strings.TrimSpace(lines[0]), ";")
	vals := strings.Split(strings.TrimSpace(lines[len(lines)-1]), ";")
	m := make(map[string]string, len(names))
	for i, n := range names {
		if n != "" && i < len(vals) {
			m[n] = vals[i]
		}
	}
	return m
}

// RunSipp runs sipp to its end (bounded by ctx and o.Timeout) and returns
// its result. The error is about running sipp; the calls' outcome is in
// SippResult.Exit / Err.
func RunSipp(ctx context.Context, o SippOptions) (*SippResult, error) {
	s, err := StartSipp(ctx, o)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(s.dir)
	return s.Wait(ctx)
}

// NewSipp is StartSipp for a test: [Need], start-up bounded to 10 s, Stop
// in t.Cleanup, and the result printed if the test failed.
func NewSipp(t testing.TB, o SippOptions) *Sipp {
	t.Helper()
	Need(t, "sipp")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := StartSipp(ctx, o)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("---- sipp %s ----\n%s---- end of sipp ----", s.Addr(), s.result())
		}
		os.RemoveAll(s.dir)
	})
	return s
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
