package peers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/peers/wav"
)

var errNoRecording = errors.New("peers: baresip: no recording")

// BaresipOptions configure [StartBaresip]. The zero value is a phone
// "baresip" that does not register, answers manually and plays a 1004 Hz
// tone at -10 dBm0.
type BaresipOptions struct {
	// User is the account's user; default "baresip".
	User string
	// Password and AuthUser (default User) answer digest challenges.
	Password, AuthUser string
	// DisplayName of the account, if any.
	DisplayName string
	// Registrar is where the account registers ("127.0.0.1:5060", e.g.
	// Kamailio.Addr().String()); empty: no registration, the phone is
	// called directly at its Contact.
	Registrar string
	// Domain of the AOR; default Registrar (or baresip's own address).
	// When it differs from Registrar, requests go to Registrar as the
	// outbound proxy.
	Domain string
	// Transport "udp" (default) or "tcp" towards the registrar.
	Transport string
	// RegInterval is the registration interval asked for; default 60 s.
	RegInterval time.Duration
	// AutoAnswer answers incoming calls at once (answermode auto).
	AutoAnswer bool
	// Play is a WAV file played into every call (8 kHz mono 16-bit is
	// safe); empty: a generated tone of ToneFreq Hz at ToneLevel dBm0
	// (defaults 1004 Hz, -10 dBm0), PlayFor long (default 120 s). Fact
	// (baresip 1.0.0): the call ends when the file ends, so make it longer
	// than the call.
	Play                string
	ToneFreq, ToneLevel float64
	PlayFor             time.Duration
	// Codecs in preference order: "PCMU", "PCMA"; default both, PCMU
	// first.
	Codecs []string
	// PTime in ms (10, 20, 30 ...); 0 leaves baresip's 20.
	PTime int
	// Log, if set, receives baresip's output as it comes.
	Log io.Writer
}

// Baresip is a running baresip: a far-end phone driven over ctrl_tcp.
// Safe for concurrent use.
type Baresip struct {
	opts    BaresipOptions
	dir     string
	recDir  string
	sipPort int
	log     *logBuffer
	proc    *proc
	ctrl    *ctrlClient
}

func (o *BaresipOptions) check() error {
	if o.User == "" {
		o.User = "baresip"
	}
	if o.AuthUser == "" {
		o.AuthUser = o.User
	}
	for _, s := range []string{o.User, o.AuthUser, o.Domain, o.Registrar} {
		if s != "" && !safeWord.MatchString(strings.ReplaceAll(s, ":", "")) {
			return fmt.Errorf("%w: baresip account value %q", errBadOption, s)
		}
	}
	if strings.ContainsAny(o.Password, ";<>\"\n\r ") || strings.ContainsAny(o.DisplayName, "<>\"\n\r") {
		return fmt.Errorf("%w: baresip password or display name with ; < > quotes, spaces or newlines", errBadOption)
	}
	switch o.Transport {
	case "":
		o.Transport = "udp"
	case "udp", "tcp":
	default:
		return fmt.Errorf("%w: baresip transport %q", errBadOption, o.Transport)
	}
	if o.RegInterval == 0 {
		o.RegInterval = time.Minute
	}
	if o.ToneFreq == 0 {
		o.ToneFreq = 1004
	}
	if o.ToneLevel == 0 {
		o.ToneLevel = -10
	}
	if o.PlayFor == 0 {
		o.PlayFor = 120 * time.Second
	}
	if len(o.Codecs) == 0 {
		o.Codecs = []string{"PCMU", "PCMA"}
	}
	for _, c := range o.Codecs {
		if c != "PCMU" && c != "PCMA" {
			return fmt.Errorf("%w: baresip codec %q (PCMU or PCMA)", errBadOption, c)
		}
	}
	return nil
}

// baresipConfig renders the config file. Facts (baresip 1.0.0): headless
// with aufile as the source and aubridge as the "sound card"; sndfile
// records each call into snd_path as dump-<date-time>-dec.wav (received)
// and -enc.wav (sent); ctrl_tcp speaks netstring-framed JSON and sends
// events to its newest connection only; net_interface must be 127.0.0.1;
// the SIP port also takes port+1 (TLS).
func baresipConfig(o BaresipOptions, dir, play string, sipPort, ctrlPort, rtpLow int) string {
	return fmt.Sprintf(`# Written by testrig/peers for one test.
poll_method		epoll
sip_listen		127.0.0.1:%[1]d
call_local_timeout	120
call_max_calls		4
audio_player		aubridge,%[2]s
audio_source		aufile,%[3]s
audio_alert		aubridge,%[2]s
audio_path		%[4]s
audio_level		no
ausrc_format		s16
auplay_format		s16
auenc_format		s16
audec_format		s16
rtp_tos			0
rtp_ports		%[5]d-%[6]d
rtcp_mux		no
jitter_buffer_delay	1-10
rtp_stats		no
net_interface		127.0.0.1
dns_server		127.0.0.1:53
module_path		/usr/lib/baresip/modules
module			g711.so
module			sndfile.so
module			aufile.so
module			aubridge.so
module_tmp		uuid.so
module_tmp		account.so
module_app		contact.so
module_app		menu.so
module_app		ctrl_tcp.so
ctrl_tcp_listen		127.0.0.1:%[7]d
statmode_default	off
ringback_disabled	yes
snd_path		%[8]s
`, sipPort, "br"+fmt.Sprint(sipPort), play, dir, rtpLow, rtpLow+99, ctrlPort, filepath.Join(dir, "rec"))
}

// baresipAccount renders the accounts file line.
func baresipAccount(o BaresipOptions, sipPort int) string {
	dom := o.Domain
	if dom == "" {
		dom = o.Registrar
	}
	if dom == "" {
		dom = fmt.Sprintf("127.0.0.1:%d", sipPort)
	}
	var b strings.Builder
	if o.DisplayName != "" {
		fmt.Fprintf(&b, "\"%s\" ", o.DisplayName)
	}
	fmt.Fprintf(&b, "<sip:%s@%s", o.User, dom)
	if o.Transport != "udp" {
		fmt.Fprintf(&b, ";transport=%s", o.Transport)
	}
	b.WriteString(">")
	if o.Password != "" {
		fmt.Fprintf(&b, ";auth_user=%s;auth_pass=%s", o.AuthUser, o.Password)
	}
	if o.AutoAnswer {
		b.WriteString(";answermode=auto")
	} else {
		b.WriteString(";answermode=manual")
	}
	if o.Registrar == "" {
		b.WriteString(";regint=0")
	} else {
		fmt.Fprintf(&b, ";regint=%d", int(o.RegInterval/time.Second))
		if dom != o.Registrar {
			fmt.Fprintf(&b, ";outbound=\"sip:%s;transport=%s\"", o.Registrar, o.Transport)
		}
	}
	codecs := make([]string, len(o.Codecs))
	for i, c := range o.Codecs {
		codecs[i] = strings.ToLower(c)
	}
	fmt.Fprintf(&b, ";audio_codecs=%s", strings.Join(codecs, ","))
	if o.PTime > 0 {
		fmt.Fprintf(&b, ";ptime=%d", o.PTime)
	}
	b.WriteString(";mwi=no;pubint=0\n")
	return b.String()
}

// StartBaresip writes a config directory and starts `baresip -f DIR`, then
// waits (bounded by ctx) until its ctrl_tcp interface answers. It does not
// wait for the registration: see [Baresip.WaitRegistered] or
// [Kamailio.WaitRegistered].
func StartBaresip(ctx context.Context, o BaresipOptions) (*Baresip, error) {
	if _, err := Missing("baresip"); err != nil {
		return nil, err
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	dir, err := shortTempDir("baresip")
	if err != nil {
		return nil, err
	}
	b, err := startBaresip(ctx, o, dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return b, nil
}

func startBaresip(ctx context.Context, o BaresipOptions, dir string) (*Baresip, error) {
	b := &Baresip{opts: o, dir: dir, recDir: filepath.Join(dir, "rec"), log: newLogBuffer(1<<20, o.Log)}
	if err := os.MkdirAll(b.recDir, 0o755); err != nil {
		return nil, fmt.Errorf("peers: %w", err)
	}
	play := o.Play
	if play == "" {
		play = filepath.Join(dir, "tone.wav")
		if err := wav.WriteFile(play, wav.Mono8k(Tone(o.ToneFreq, o.ToneLevel, o.PlayFor))); err != nil {
			return nil, err
		}
	} else if abs, err := filepath.Abs(play); err == nil {
		play = abs
	}
	sipPort, err := freePorts(2, 2) // SIP on an even port, TLS on the next
	if err != nil {
		return nil, err
	}
	ctrlPort, err := freePorts(1, 1)
	if err != nil {
		return nil, err
	}
	b.sipPort = sipPort
	rtpLow := 10000 + rand.IntN(99)*100 // below the SIP ports, above the well-known
	files := map[string]string{
		"config":   baresipConfig(o, dir, play, sipPort, ctrlPort, rtpLow),
		"accounts": baresipAccount(o, sipPort),
		"contacts": "",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("peers: %w", err)
		}
	}
	bin, _ := exec.LookPath("baresip")
	p, err := startProc("baresip", dir, b.log, bin, "-f", dir)
	if err != nil {
		return nil, err
	}
	b.proc = p
	err = p.poll(ctx, 50*time.Millisecond, "ctrl_tcp", func(ctx context.Context) bool {
		c, err := dialCtrl(ctx, fmt.Sprintf("127.0.0.1:%d", ctrlPort), b.log)
		if err != nil {
			return false
		}
		b.ctrl = c
		return true
	})
	if err != nil {
		p.stop(syscall.SIGKILL, time.Second)
		return nil, err
	}
	return b, nil
}

// NewBaresip is StartBaresip for a test: [Need], start-up bounded to 20 s,
// Stop in t.Cleanup (before a Kamailio started earlier), and the config
// and log printed if the test failed.
func NewBaresip(t testing.TB, o BaresipOptions) *Baresip {
	t.Helper()
	Need(t, "baresip")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := StartBaresip(ctx, o)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("%v", err)
		}
		if t.Failed() {
			cfg, _ := os.ReadFile(filepath.Join(b.dir, "config"))
			acc, _ := os.ReadFile(filepath.Join(b.dir, "accounts"))
			t.Logf("---- baresip %s ----\nconfig:\n%s\naccounts:\n%s\nevents:\n%s\nlog:\n%s\n---- end of baresip ----",
				b.URI(), cfg, acc, b.ctrl.eventLog(), b.Log())
		}
		os.RemoveAll(b.dir)
	})
	return b
}

// SIPAddr is baresip's SIP address (UDP and TCP).
func (b *Baresip) SIPAddr() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(b.sipPort))
}

// URI is the URI that reaches this phone directly, at its own address.
func (b *Baresip) URI() string { return fmt.Sprintf("sip:%s@%s", b.opts.User, b.SIPAddr()) }

// AOR is the account's address of record.
func (b *Baresip) AOR() string {
	dom := b.opts.Domain
	if dom == "" {
		dom = b.opts.Registrar
	}
	if dom == "" {
		return b.URI()
	}
	return fmt.Sprintf("sip:%s@%s", b.opts.User, dom)
}

// Dir is baresip's config directory.
func (b *Baresip) Dir() string { return b.dir }

// Log returns baresip's output so far (the last MiB).
func (b *Baresip) Log() string { return b.log.String() }

// Command sends a ctrl_tcp command ("dial", "accept", "hangup",
// "sndcode", "reginfo", "listcalls" ...) and returns the response's data.
// A response with ok=false is an error.
func (b *Baresip) Command(ctx context.Context, cmd, params string) (string, error) {
	return b.ctrl.command(ctx, cmd, params)
}

// Dial calls uri.
func (b *Baresip) Dial(ctx context.Context, uri string) error {
	_, err := b.Command(ctx, "dial", uri)
	return err
}

// Answer answers the ringing call.
func (b *Baresip) Answer(ctx context.Context) error {
	_, err := b.Command(ctx, "accept", "")
	return err
}

// Hangup ends the current call (or rejects a ringing one).
func (b *Baresip) Hangup(ctx context.Context) error {
	_, err := b.Command(ctx, "hangup", "")
	return err
}

// SendDigits sends digits (0-9 * # A-D) in the current call as RFC 4733
// events (/sndcode).
func (b *Baresip) SendDigits(ctx context.Context, digits string) error {
	for _, c := range digits {
		if !strings.ContainsRune("0123456789*#ABCDabcd", c) {
			return fmt.Errorf("%w: DTMF digit %q", errBadOption, c)
		}
	}
	_, err := b.Command(ctx, "sndcode", digits)
	return err
}

// Events returns every event received so far, oldest first.
func (b *Baresip) Events() []Event { return b.ctrl.events() }

// Next waits for the next event (after those Next already returned) whose
// type is one of types (any event when none are given), and returns it.
// Events of other types are passed over (they stay in Events).
func (b *Baresip) Next(ctx context.Context, types ...string) (Event, error) {
	return b.ctrl.next(ctx, func(e Event) bool { return len(types) == 0 || slices.Contains(types, e.Type) })
}

// WaitRegistered waits until baresip reports its registration OK (polling
// "reginfo", which does not depend on catching the event).
func (b *Baresip) WaitRegistered(ctx context.Context) error {
	tk := time.NewTicker(100 * time.Millisecond)
	defer tk.Stop()
	for {
		info, err := b.Command(ctx, "reginfo", "")
		if err == nil && strings.Contains(info, "OK") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("peers: baresip %s: waiting for registration: %w (reginfo %q, %v)", b.opts.User, ctx.Err(), info, err)
		case <-b.proc.done:
			return b.proc.exitErr()
		case <-tk.C:
		}
	}
}

// Recordings returns the files that hold what baresip received, one per
// call, oldest first. Fact (baresip 1.0.0): sndfile names them by the
// second the call's audio started, so two calls started within the same
// second share a file.
func (b *Baresip) Recordings() []string {
	m, _ := filepath.Glob(filepath.Join(b.recDir, "dump-*-dec.wav"))
	slices.SortFunc(m, func(x, y string) int {
		fx, _ := os.Stat(x)
		fy, _ := os.Stat(y)
		if fx == nil || fy == nil {
			return strings.Compare(x, y)
		}
		return fx.ModTime().Compare(fy.ModTime())
	})
	return m
}

// Recording waits (bounded by ctx) until the newest recording of received
// audio is complete (sndfile has closed it when the call ended) and
// returns its path.
func (b *Baresip) Recording(ctx context.Context) (string, error) {
	tk := time.NewTicker(50 * time.Millisecond)
	defer tk.Stop()
	for {
		if r := b.Recordings(); len(r) > 0 && wavClosed(r[len(r)-1]) {
			return r[len(r)-1], nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w in %s: %w", errNoRecording, b.recDir, ctx.Err())
		case <-tk.C:
		}
	}
}

// ReadRecording is Recording followed by reading the file: the received
// audio as 8 kHz (for G.711) linear samples of the first channel.
func (b *Baresip) ReadRecording(ctx context.Context) ([]int16, error) {
	path, err := b.Recording(ctx)
	if err != nil {
		return nil, err
	}
	s, err := wav.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return s.Channel(0), nil
}

// wavClosed reports whether a WAV file's RIFF size matches its length,
// which libsndfile writes when it closes the file.
func wavClosed(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var h [8]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return false
	}
	st, err := f.Stat()
	if err != nil {
		return false
	}
	return string(h[:4]) == "RIFF" && int64(binary.LittleEndian.Uint32(h[4:]))+8 == st.Size() && st.Size() > 44
}

// Stop stops baresip (SIGTERM: it unregisters, then SIGKILL after 5 s).
// Stop it before the Kamailio it registered at.
func (b *Baresip) Stop() error {
	if b.ctrl != nil {
		b.ctrl.close()
	}
	return b.proc.stop(syscall.SIGTERM, stopGrace)
}

// Close stops baresip and removes its directory.
func (b *Baresip) Close() error {
	err := b.Stop()
	os.RemoveAll(b.dir)
	return err
}
