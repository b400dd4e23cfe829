package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"
)

var (
	errBadOption = errors.New("peers: bad option")
	errRPC       = errors.New("peers: kamailio RPC")
	errStopped   = errors.New("peers: stopped")
)

// User is a subscriber of the Kamailio registrar: the digest user name
// (also the AOR user and the number others dial) and its password.
type User struct {
	Name, Password string
}

// KamailioOptions configure [StartKamailio]. The zero value is a registrar
// and proxy for the domain 127.0.0.1 without users.
type KamailioOptions struct {
	// Users may REGISTER (digest auth, realm Domain) and be called.
	Users []User
	// Domain is the SIP domain and the digest realm; default "127.0.0.1".
	// Any other name is made an alias of Kamailio's own address.
	Domain string
	// Port for UDP and TCP on 127.0.0.1; 0 picks a free one.
	Port int
	// Algorithm of the digest challenges: "" or "MD5", or "SHA-256".
	Algorithm string
	// Routes sends calls for a user that does not register to a fixed
	// "host:port" (a sipp UAS, a gateway); see also [Kamailio.SetRoute].
	Routes map[string]string
	// AuthCalls challenges initial INVITEs (407) from users of the domain.
	AuthCalls bool
	// NoQOP leaves qop out of the challenges (RFC 2069 style digest).
	NoQOP bool
	// MinExpires, MaxExpires bound the registration interval Kamailio
	// grants; defaults 1 s (short refresh tests) and 3600 s.
	MinExpires, MaxExpires time.Duration
	// Script is inserted at the top of the request route, after the
	// failure switch: lines of Kamailio script a test adds ("if ($rU ==
	// \"486\") { sl_send_reply(\"486\", \"Busy Here\"); exit; }").
	Script string
	// Debug is Kamailio's log level (-1 errors only ... 3 debug); default 2.
	Debug int
	// Log, if set, receives Kamailio's output as it comes.
	Log io.Writer
}

// Kamailio is a running Kamailio. Safe for concurrent use.
type Kamailio struct {
	opts   KamailioOptions
	dir    string // run directory: config, RPC socket
	cfg    string
	addr   netip.AddrPort
	log    *logBuffer
	rpcSeq atomic.Int64

	mu   sync.Mutex
	proc *proc // nil once stopped
}

var safeWord = regexp.MustCompile(`^[A-Za-z0-9._~!*+-]+$`)

func (o *KamailioOptions) check() error {
	if o.Domain == "" {
		o.Domain = "127.0.0.1"
	}
	if !safeWord.MatchString(o.Domain) {
		return fmt.Errorf("%w: kamailio domain %q", errBadOption, o.Domain)
	}
	for _, u := range o.Users {
		if !safeWord.MatchString(u.Name) || !safeWord.MatchString(u.Password) {
			return fmt.Errorf("%w: kamailio user %q: name and password may hold only letters, digits and ._~!*+-", errBadOption, u.Name)
		}
	}
	for user, dst := range o.Routes {
		if !safeWord.MatchString(user) || !safeWord.MatchString(strings.ReplaceAll(dst, ":", "")) {
			return fmt.Errorf("%w: kamailio route %q to %q", errBadOption, user, dst)
		}
	}
	switch strings.ToUpper(o.Algorithm) {
	case "", "MD5":
		o.Algorithm = "MD5"
	case "SHA-256":
		o.Algorithm = "SHA-256"
	default:
		return fmt.Errorf("%w: kamailio digest algorithm %q (MD5 or SHA-256)", errBadOption, o.Algorithm)
	}
	if o.MinExpires == 0 {
		o.MinExpires = time.Second
	}
	if o.MaxExpires == 0 {
		o.MaxExpires = time.Hour
	}
	if o.MaxExpires < o.MinExpires {
		return fmt.Errorf("%w: kamailio MaxExpires %v < MinExpires %v", errBadOption, o.MaxExpires, o.MinExpires)
	}
	if o.Debug == 0 {
		o.Debug = 2
	}
	return nil
}

// KamailioConfig renders the script StartKamailio writes for o, listening
// on port with its RPC socket at sock.
func KamailioConfig(o KamailioOptions, port int, sock string) (string, error) {
	if err := o.check(); err != nil {
		return "", err
	}
	var b bytes.Buffer
	err := kamailioTmpl.Execute(&b, struct {
		KamailioOptions
		Port                   int
		Sock                   string
		Alias                  bool
		QOP                    string
		MinExpires, MaxExpires int
	}{o, port, sock, o.Domain != "127.0.0.1", map[bool]string{true: "0", false: "1"}[o.NoQOP],
		int(o.MinExpires / time.Second), int(o.MaxExpires / time.Second)})
	if err != nil {
		return "", fmt.Errorf("peers: kamailio config: %w", err)
	}
	return b.String(), nil
}

// The script: a registrar with usrloc in memory, users in an htable filled
// at start-up (no database), digest auth with the plain passwords, and a
// record-routing stateful proxy. Facts (Kamailio 5.6.3): -A defines are
// not substituted inside quoted strings, so every value is written in
// literally; $au is the user name of the credentials, $null when there
// are none.
var kamailioTmpl = template.Must(template.New("kamailio.cfg").Parse(`#!KAMAILIO
# Written by testrig/peers for one test; not for production.
debug={{.Debug}}
log_stderror=yes
children=2
tcp_children=2
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=no
listen=udp:127.0.0.1:{{.Port}}
listen=tcp:127.0.0.1:{{.Port}}
{{- if .Alias}}
alias="{{.Domain}}"
{{- end}}

loadmodule "jsonrpcs.so"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "htable.so"
loadmodule "auth.so"

modparam("jsonrpcs", "transport", 4)
modparam("jsonrpcs", "dgram_socket", "{{.Sock}}")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", {{.MinExpires}})
modparam("registrar", "max_expires", {{.MaxExpires}})
modparam("registrar", "default_expires", {{.MaxExpires}})
modparam("auth", "algorithm", "{{.Algorithm}}")
modparam("htable", "htable", "users=>size=6;")
modparam("htable", "htable", "ctl=>size=2;")
modparam("htable", "htable", "routes=>size=4;")
modparam("rr", "append_fromtag", 1)

event_route[htable:mod-init] {
{{- range .Users}}
	$sht(users=>{{.Name}}) = "{{.Password}}";
{{- end}}
{{- range $user, $dst := .Routes}}
	$sht(routes=>{{$user}}) = "sip:{{$dst}}";
{{- end}}
	$sht(ctl=>code) = 0;
	$sht(ctl=>reason) = "OK";
}

request_route {
	xlog("L_INFO", "openiad: $rm $ru from $si:$sp\n");
	# Failure switch set by the test over RPC: -1 ignores every request,
	# a SIP code answers every request with it.
	if ($sht(ctl=>code) == -1) {
		exit;
	}
	if ($sht(ctl=>code) > 0) {
		sl_send_reply("$sht(ctl=>code)", "$sht(ctl=>reason)");
		exit;
	}
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
{{- if .Script}}
	# test script
{{.Script}}
{{- end}}
	if (has_totag()) {
		if (loose_route()) {
			route(RELAY);
		}
		if (is_method("ACK")) {
			if (t_check_trans()) {
				route(RELAY);
			}
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans()) {
			route(RELAY);
		}
		exit;
	}
	if (!is_method("ACK")) {
		if (t_precheck_trans()) {
			t_check_trans();
			exit;
		}
		t_check_trans();
	}
	if (is_method("OPTIONS") && uri == myself && $rU == $null) {
		sl_send_reply("200", "OK");
		exit;
	}
	if (is_method("REGISTER")) {
		route(AUTH);
		if (!save("location")) {
			sl_reply_error();
		}
		exit;
	}
	remove_hf("Route");
{{- if .AuthCalls}}
	if (is_method("INVITE") && $fd == "{{.Domain}}" && $sht(users=>$fU) != $null) {
		route(AUTH);
	}
{{- end}}
	if (!is_method("REGISTER|MESSAGE|OPTIONS|PUBLISH")) {
		record_route();
	}
	if ($sht(routes=>$rU) != $null) {
		$du = $sht(routes=>$rU);
		route(RELAY);
	}
	if (uri == myself) {
		if (!lookup("location")) {
			if ($sht(users=>$rU) != $null) {
				sl_send_reply("480", "Temporarily Unavailable");
			} else {
				sl_send_reply("404", "Not Found");
			}
			exit;
		}
	}
	route(RELAY);
}

route[AUTH] {
	if (!is_present_hf("Authorization") && !is_present_hf("Proxy-Authorization")) {
		auth_challenge("{{.Domain}}", "{{.QOP}}");
		exit;
	}
	if ($sht(users=>$au) == $null) {
		sl_send_reply("403", "Unknown User");
		exit;
	}
	if (is_method("REGISTER")) {
		$var(rc) = pv_www_authenticate("{{.Domain}}", "$sht(users=>$au)", "0");
	} else {
		$var(rc) = pv_proxy_authenticate("{{.Domain}}", "$sht(users=>$au)", "0");
	}
	if ($var(rc) == -2) {
		sl_send_reply("403", "Wrong Password");
		exit;
	}
	if ($var(rc) < 0) {
		auth_challenge("{{.Domain}}", "{{.QOP}}");
		exit;
	}
	consume_credentials();
}

route[RELAY] {
	if (!t_relay()) {
		sl_reply_error();
	}
	exit;
}
`))

// StartKamailio writes the configuration and starts
// `kamailio -f CFG -DD -E -m 32 -M 4 -Y RUNDIR`, then waits (bounded by
// ctx) until it answers OPTIONS. With Port 0 a busy port is retried.
func StartKamailio(ctx context.Context, o KamailioOptions) (*Kamailio, error) {
	if _, err := Missing("kamailio"); err != nil {
		return nil, err
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	dir, err := shortTempDir("kam")
	if err != nil {
		return nil, err
	}
	k := &Kamailio{opts: o, dir: dir, cfg: filepath.Join(dir, "kamailio.cfg"), log: newLogBuffer(1<<20, o.Log)}
	tries := 1
	if o.Port == 0 {
		tries = 3
	}
	for i := range tries {
		port := o.Port
		if port == 0 {
			if port, err = freePorts(1, 1); err != nil {
				break
			}
		}
		if err = k.start(ctx, port); err == nil || !errors.Is(err, errExited) || i == tries-1 {
			break
		}
		fmt.Fprintf(k.log, "peers: kamailio did not start on port %d, trying another\n", port)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return k, nil
}

// start writes the config for port and runs Kamailio until it answers.
func (k *Kamailio) start(ctx context.Context, port int) error {
	text, err := KamailioConfig(k.opts, port, filepath.Join(k.dir, "rpc.sock"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(k.cfg, []byte(text), 0o644); err != nil {
		return fmt.Errorf("peers: %w", err)
	}
	bin, _ := exec.LookPath("kamailio")
	p, err := startProc("kamailio", k.dir, k.log, bin, "-f", k.cfg, "-DD", "-E", "-m", "32", "-M", "4", "-Y", k.dir)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.proc = p
	k.addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(port))
	k.mu.Unlock()
	err = p.poll(ctx, 50*time.Millisecond, "an answer to OPTIONS", func(ctx context.Context) bool {
		_, err := Ping(ctx, k.addr, 200*time.Millisecond)
		return err == nil
	})
	if err != nil {
		_ = p.stop(syscall.SIGTERM, time.Second)
		k.mu.Lock()
		k.proc = nil
		k.mu.Unlock()
		return err
	}
	return nil
}

// NewKamailio is StartKamailio for a test: it calls [Need], bounds the
// start-up to 20 s, stops Kamailio in t.Cleanup and prints its
// configuration and log if the test failed.
func NewKamailio(t testing.TB, o KamailioOptions) *Kamailio {
	t.Helper()
	Need(t, "kamailio")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k, err := StartKamailio(ctx, o)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		if err := k.Stop(); err != nil {
			t.Errorf("%v", err)
		}
		if t.Failed() {
			cfg, _ := os.ReadFile(k.cfg)
			t.Logf("---- kamailio %s ----\nconfig %s:\n%s\nlog:\n%s\n---- end of kamailio ----", k.Addr(), k.cfg, cfg, k.Log())
		}
		os.RemoveAll(k.dir)
	})
	return k
}

// Addr is Kamailio's address, for UDP and TCP alike.
func (k *Kamailio) Addr() netip.AddrPort {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.addr
}

// Domain is the SIP domain (and digest realm).
func (k *Kamailio) Domain() string { return k.opts.Domain }

// URI is the SIP URI of a user of the domain, reachable through Kamailio:
// sip:user@domain, with Kamailio's port when the domain is its address.
func (k *Kamailio) URI(user string) string {
	if k.opts.Domain == "127.0.0.1" {
		return fmt.Sprintf("sip:%s@%s", user, k.Addr())
	}
	return fmt.Sprintf("sip:%s@%s", user, k.opts.Domain)
}

// Config is the path of the configuration file.
func (k *Kamailio) Config() string { return k.cfg }

// Log returns Kamailio's output so far (the last MiB).
func (k *Kamailio) Log() string { return k.log.String() }

// Running reports whether Kamailio is running.
func (k *Kamailio) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.proc != nil && !k.proc.exited()
}

// Stop stops Kamailio (SIGTERM, then SIGKILL after 5 s). The
// configuration stays until [Kamailio.Close]; Restart starts it again on
// the same port. Stopping a stopped Kamailio does nothing.
func (k *Kamailio) Stop() error {
	k.mu.Lock()
	p := k.proc
	k.proc = nil
	k.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.stop(syscall.SIGTERM, stopGrace)
}

// Restart starts a stopped Kamailio again with the same configuration and
// port (for fail-back tests), or stops and starts a running one. The
// registrations are lost (usrloc lives in memory).
func (k *Kamailio) Restart(ctx context.Context) error {
	if err := k.Stop(); err != nil {
		return err
	}
	return k.start(ctx, int(k.Addr().Port()))
}

// Close stops Kamailio and removes its run directory.
func (k *Kamailio) Close() error {
	err := k.Stop()
	os.RemoveAll(k.dir)
	return err
}

// Fail makes Kamailio answer every request with code and reason (a
// registrar or proxy in trouble: 503, 500, 408 ...) until Fail(ctx, 0, "").
func (k *Kamailio) Fail(ctx context.Context, code int, reason string) error {
	if code != 0 && (code < 300 || code > 699) {
		return fmt.Errorf("%w: kamailio failure code %d", errBadOption, code)
	}
	if reason == "" {
		reason = "Failure"
	}
	if _, err := k.RPC(ctx, "htable.sets", "ctl", "reason", reason); err != nil {
		return err
	}
	_, err := k.RPC(ctx, "htable.seti", "ctl", "code", code)
	return err
}

// SetRoute sends new calls for user to "host:port" (see
// KamailioOptions.Routes); an empty dst removes the route.
func (k *Kamailio) SetRoute(ctx context.Context, user, dst string) error {
	if !safeWord.MatchString(user) || dst != "" && !safeWord.MatchString(strings.ReplaceAll(dst, ":", "")) {
		return fmt.Errorf("%w: kamailio route %q to %q", errBadOption, user, dst)
	}
	if dst == "" {
		_, err := k.RPC(ctx, "htable.delete", "routes", user)
		return err
	}
	_, err := k.RPC(ctx, "htable.sets", "routes", user, "sip:"+dst)
	return err
}

// Mute makes Kamailio ignore every request (a dead server whose host
// still answers nothing) while on; Mute(ctx, false) restores it.
func (k *Kamailio) Mute(ctx context.Context, on bool) error {
	code := 0
	if on {
		code = -1
	}
	_, err := k.RPC(ctx, "htable.seti", "ctl", "code", code)
	return err
}

// RPC calls a Kamailio RPC method (JSON-RPC over its datagram socket) and
// returns the result.
func (k *Kamailio) RPC(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if !k.Running() {
		return nil, fmt.Errorf("%w: kamailio", errStopped)
	}
	id := k.rpcSeq.Add(1)
	req, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		Method  string `json:"method"`
		Params  []any  `json:"params,omitempty"`
		ID      int64  `json:"id"`
	}{"2.0", method, params, id})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errRPC, method, err)
	}
	local := filepath.Join(k.dir, "c"+strconv.FormatInt(id, 10)+".sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errRPC, method, err)
	}
	defer os.Remove(local)
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	} else {
		c.SetDeadline(time.Now().Add(5 * time.Second))
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.WriteToUnix(req, &net.UnixAddr{Name: filepath.Join(k.dir, "rpc.sock"), Net: "unixgram"}); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errRPC, method, err)
	}
	buf := make([]byte, 1<<16)
	n, err := c.Read(buf)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errRPC, method, err)
	}
	var resp struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(buf[:n], &resp); err != nil {
		return nil, fmt.Errorf("%w: %s: reply %q: %w", errRPC, method, buf[:n], err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%w: %s: %d %s", errRPC, method, resp.Error.Code, resp.Error.Message)
	}
	return resp.Result, nil
}

// Contact is one registered binding of a user.
type Contact struct {
	Address   string // the Contact URI
	Expires   int    // seconds left
	Received  string // source address when it differs from the Contact
	UserAgent string
	CallID    string
	CSeq      int
}

// Contacts returns the current registrations of user (none: empty, no
// error).
func (k *Kamailio) Contacts(ctx context.Context, user string) ([]Contact, error) {
	res, err := k.RPC(ctx, "ul.lookup", "location", user)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, nil
		}
		return nil, err
	}
	var r struct {
		Contacts []struct {
			Contact struct {
				Address   string          `json:"Address"`
				Expires   json.RawMessage `json:"Expires"`
				Received  string          `json:"Received"`
				UserAgent string          `json:"User-Agent"`
				CallID    string          `json:"Call-ID"`
				CSeq      int             `json:"CSeq"`
			} `json:"Contact"`
		} `json:"Contacts"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, fmt.Errorf("%w: ul.lookup: %w", errRPC, err)
	}
	var cs []Contact
	for _, c := range r.Contacts {
		exp, _ := strconv.Atoi(strings.Trim(string(c.Contact.Expires), `"`))
		if c.Contact.Received == "[not set]" {
			c.Contact.Received = ""
		}
		cs = append(cs, Contact{Address: c.Contact.Address, Expires: exp, Received: c.Contact.Received,
			UserAgent: c.Contact.UserAgent, CallID: c.Contact.CallID, CSeq: c.Contact.CSeq})
	}
	return cs, nil
}

// WaitRegistered polls until user has at least one registration, or ctx
// ends.
func (k *Kamailio) WaitRegistered(ctx context.Context, user string) ([]Contact, error) {
	tk := time.NewTicker(50 * time.Millisecond)
	defer tk.Stop()
	for {
		cs, err := k.Contacts(ctx, user)
		if err == nil && len(cs) > 0 {
			return cs, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("peers: kamailio: waiting for %s to register: %w (last error: %v)", user, ctx.Err(), err)
		case <-tk.C:
		}
	}
}
