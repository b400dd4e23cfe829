package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

var (
	errUsage = errors.New("usage")
	errPin   = errors.New("iadctl: the box's certificate does not match -pin")
)

const usage = `usage: iadctl [-url URL] [-user NAME] [-k | -pin SHA256] [-lang en|zh] [-json] COMMAND
commands: status, get PAGE, set PAGE name=value..., backup [-passwords], restore FILE,
          log [-level L] [-n N], test-call PORT, line-test PORT, ping HOST, traceroute HOST,
          upgrade FILE, password, routes, sip-trace [SECONDS], capture SECONDS FILE, calls [-csv]`

// pages maps the names of settings pages to their paths.
var pages = map[string]string{
	"setup": "/setup", "device": "/settings/device", "ports": "/settings/ports",
	"accounts": "/settings/accounts", "sip": "/settings/sip", "dialplan": "/settings/dialplan",
	"network": "/settings/network", "time": "/settings/time", "syslog": "/settings/syslog", "tr069": "/settings/tr069",
}

type client struct {
	base  *url.URL
	http  *http.Client
	lang  string
	out   io.Writer
	raw   bool // print the JSON answers as they are
	stdin *bufio.Reader
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("iadctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", envOr("IADCTL_URL", "https://192.168.1.1"), "the box's web page ($IADCTL_URL)")
	user := fs.String("user", envOr("IADCTL_USER", "admin"), "account ($IADCTL_USER)")
	insecure := fs.Bool("k", false, "do not check the box's certificate (a trusted bench only)")
	pin := fs.String("pin", os.Getenv("IADCTL_PIN"), "SHA-256 fingerprint of the box's certificate ($IADCTL_PIN), colons optional")
	lang := fs.String("lang", "en", "language of messages: en or zh")
	raw := fs.Bool("json", false, "print the JSON answers")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	u, err := url.Parse(strings.TrimRight(*base, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("-url %q: want https://host[:port]", *base)
	}
	jar, _ := cookiejar.New(nil)
	tcfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if *insecure || *pin != "" {
		tcfg.InsecureSkipVerify = true // checked below against the pin, when given
	}
	if *pin != "" {
		want := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(*pin))
		tcfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errPin
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if hex.EncodeToString(sum[:]) != want {
				return fmt.Errorf("%w (it is %X)", errPin, sum)
			}
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := &client{
		base:  u,
		http:  &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: tcfg, Proxy: nil}, CheckRedirect: noRedirect},
		lang:  *lang,
		out:   stdout,
		raw:   *raw,
		stdin: bufio.NewReader(stdin),
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	pw, ok := os.LookupEnv("IADCTL_PASSWORD")
	if !ok {
		if pw, err = c.readLine(); err != nil {
			return fmt.Errorf("password: %w (set $IADCTL_PASSWORD or give it on standard input)", err)
		}
	}
	must, err := c.login(ctx, *user, pw)
	if err != nil {
		return err
	}
	if cmd == "password" {
		return c.password(ctx, pw)
	}
	if must {
		return errors.New("this account must choose a new password first: run `iadctl password`")
	}
	return c.command(ctx, cmd, rest)
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (c *client) readLine() (string, error) {
	s, err := c.stdin.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// apiError is the box's refusal.
type apiError struct {
	Status int
	Msg    string `json:"error"`
	Code   string `json:"code"`
	Fields []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"fields"`
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the box refused (%d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	b.WriteString("): " + e.Msg)
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		if f.Field != "" {
			b.WriteString(f.Field + ": ")
		}
		b.WriteString(f.Reason)
	}
	return b.String()
}

// do sends a request and decodes a JSON answer into v (when not nil).
// getJSON GETs path and decodes its JSON into v; with -raw it copies the
// JSON to the output instead and reports done.
func (c *client) getJSON(ctx context.Context, path string, v any) (done bool, err error) {
	var raw []byte
	if _, err := c.do(ctx, http.MethodGet, path, "", nil, &raw); err != nil {
		return false, err
	}
	if c.raw {
		_, err := c.out.Write(raw)
		return true, err
	}
	return false, json.Unmarshal(raw, v)
}

func (c *client) do(ctx context.Context, method, path, ctype string, body io.Reader, v any) (http.Header, error) {
	u := *c.base
	p, q, _ := strings.Cut(path, "?")
	u.Path, u.RawQuery = strings.TrimRight(c.base.Path, "/")+p, q
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", c.lang)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(data, e) != nil || e.Msg == "" {
			e.Msg = strings.TrimSpace(string(data))
			if len(e.Msg) > 200 {
				e.Msg = e.Msg[:200]
			}
		}
		return resp.Header, e
	}
	if v != nil {
		if raw, ok := v.(*[]byte); ok {
			*raw = data
			return resp.Header, nil
		}
		if err := json.Unmarshal(data, v); err != nil {
			return nil, fmt.Errorf("the box's answer to %s %s is not JSON: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

func (c *client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodPost, path, "application/json", bytes.NewReader(b), out)
	return err
}

func (c *client) login(ctx context.Context, user, pw string) (mustChange bool, err error) {
	var r struct {
		Must bool `json:"mustChangePassword"`
	}
	if err := c.postJSON(ctx, "/login", map[string]string{"user": user, "password": pw}, &r); err != nil {
		return false, fmt.Errorf("login: %w", err)
	}
	return r.Must, nil
}

func (c *client) password(ctx context.Context, current string) error {
	nw, err := c.readLine()
	if err != nil {
		return fmt.Errorf("new password: %w (give it as the next line of standard input)", err)
	}
	if err := c.postJSON(ctx, "/password", map[string]string{"current": current, "new": nw, "confirm": nw}, nil); err != nil {
		return err
	}
	fmt.Fprintln(c.out, "password changed")
	return nil
}

func (c *client) print(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", b)
	return err
}

func (c *client) command(ctx context.Context, cmd string, args []string) error {
	need := func(n int, what string) error {
		if len(args) < n {
			return fmt.Errorf("%w: iadctl %s %s", errUsage, cmd, what)
		}
		return nil
	}
	switch cmd {
	case "status":
		return c.status(ctx)
	case "routes":
		var r any
		if _, err := c.do(ctx, http.MethodGet, "/api", "", nil, &r); err != nil {
			return err
		}
		return c.print(r)
	case "get":
		if err := need(1, "PAGE"); err != nil {
			return err
		}
		return c.get(ctx, args[0])
	case "set":
		if err := need(2, "PAGE name=value ..."); err != nil {
			return err
		}
		return c.set(ctx, args[0], args[1:])
	case "backup":
		path := "/system/backup"
		if len(args) > 0 && args[0] == "-passwords" {
			path += "?passwords=1"
		}
		var b []byte
		if _, err := c.do(ctx, http.MethodGet, path, "", nil, &b); err != nil {
			return err
		}
		_, err := c.out.Write(b)
		return err
	case "restore":
		if err := need(1, "FILE"); err != nil {
			return err
		}
		return c.upload(ctx, "/system/restore", "application/json", args[0])
	case "upgrade":
		if err := need(1, "FILE"); err != nil {
			return err
		}
		return c.upload(ctx, "/system/upgrade", "application/octet-stream", args[0])
	case "log":
		return c.log(ctx, args)
	case "test-call":
		if err := need(1, "PORT"); err != nil {
			return err
		}
		return c.action(ctx, "/setup/test-call", map[string]string{"port": args[0]})
	case "line-test":
		if err := need(1, "PORT"); err != nil {
			return err
		}
		return c.action(ctx, "/diag/line-test", map[string]string{"port": args[0]})
	case "ping", "traceroute":
		if err := need(1, "HOST"); err != nil {
			return err
		}
		return c.action(ctx, "/diag/"+cmd, map[string]string{"host": args[0]})
	case "sip-trace":
		return c.sipTrace(ctx, args)
	case "capture":
		if err := need(2, "SECONDS FILE"); err != nil {
			return err
		}
		var b []byte
		body, _ := json.Marshal(map[string]string{"seconds": args[0]})
		if _, err := c.do(ctx, http.MethodPost, "/diag/capture", "application/json", bytes.NewReader(body), &b); err != nil {
			return err
		}
		if err := os.WriteFile(args[1], b, 0o644); err != nil {
			return err
		}
		_, err := fmt.Fprintf(c.out, "%d bytes of pcap in %s\n", len(b), args[1])
		return err
	case "calls":
		if len(args) > 0 && args[0] == "-csv" {
			var b []byte
			if _, err := c.do(ctx, http.MethodGet, "/calls.csv", "", nil, &b); err != nil {
				return err
			}
			_, err := c.out.Write(b)
			return err
		}
		var r any
		if _, err := c.do(ctx, http.MethodGet, "/calls", "", nil, &r); err != nil {
			return err
		}
		return c.print(r)
	}
	return fmt.Errorf("%w: unknown command %q\n%s", errUsage, cmd, usage)
}

type portStatus struct {
	Port         int    `json:"port"`
	Kind         string `json:"kind"`
	Extension    string `json:"extension"`
	Hook         string `json:"hook"`
	State        string `json:"state"`
	Registration string `json:"registration"`
	Registrar    string `json:"registrar"`
	Reason       string `json:"reason"`
	User         string `json:"user"`
}

func (c *client) status(ctx context.Context) error {
	var s struct {
		Version string       `json:"version"`
		Board   string       `json:"board"`
		Uptime  string       `json:"uptime"`
		Ports   []portStatus `json:"ports"`
		Calls   []portStatus `json:"calls"`
		Alarms  []struct {
			Severity, Source, Text string
		} `json:"alarms"`
	}
	if done, err := c.getJSON(ctx, "/", &s); done || err != nil {
		return err
	}
	fmt.Fprintf(c.out, "firmware %s on board %s, up %s\n", s.Version, s.Board, s.Uptime)
	w := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PORT\tKIND\tEXT\tHOOK\tSTATE\tREGISTRATION")
	for _, p := range s.Ports {
		reg := p.Registration
		if p.User != "" {
			reg += " " + p.User
		}
		if p.Registrar != "" {
			reg += " at " + p.Registrar
		}
		if p.Reason != "" {
			reg += " (" + p.Reason + ")"
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", p.Port, p.Kind, p.Extension, p.Hook, p.State, reg)
	}
	w.Flush()
	fmt.Fprintf(c.out, "%d calls\n", len(s.Calls))
	if len(s.Alarms) == 0 {
		fmt.Fprintln(c.out, "no alarms")
	}
	for _, a := range s.Alarms {
		fmt.Fprintf(c.out, "alarm %s %s: %s\n", a.Severity, a.Source, a.Text)
	}
	return nil
}

type field struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Value  string `json:"value"`
	Set    bool   `json:"set"`
	Locked *struct {
		By string `json:"by"`
	} `json:"locked"`
}

func (c *client) get(ctx context.Context, page string) error {
	path, ok := pages[page]
	if !ok {
		return fmt.Errorf("%w: unknown page %q (%s)", errUsage, page, pageNames())
	}
	var d struct {
		Sections []struct {
			Title  string  `json:"title"`
			Fields []field `json:"fields"`
		} `json:"sections"`
	}
	if done, err := c.getJSON(ctx, path, &d); done || err != nil {
		return err
	}
	for _, s := range d.Sections {
		fmt.Fprintf(c.out, "# %s\n", s.Title)
		for _, f := range s.Fields {
			v := strconv.Quote(f.Value)
			if f.Kind == "password" {
				v = "(not set)"
				if f.Set {
					v = "(set)"
				}
			}
			lock := ""
			if f.Locked != nil {
				lock = "  # locked by " + f.Locked.By
			}
			fmt.Fprintf(c.out, "%s=%s%s\n", f.Name, v, lock)
		}
	}
	return nil
}

func pageNames() string {
	var n []string
	for k := range pages {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

func (c *client) set(ctx context.Context, page string, assigns []string) error {
	path, ok := pages[page]
	if !ok {
		return fmt.Errorf("%w: unknown page %q (%s)", errUsage, page, pageNames())
	}
	v := map[string]string{}
	for _, a := range assigns {
		k, val, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return fmt.Errorf("%w: %q is not name=value", errUsage, a)
		}
		v[k] = val
	}
	var r struct {
		Changes []struct {
			Path string          `json:"path"`
			Old  json.RawMessage `json:"old"`
			New  json.RawMessage `json:"new"`
		} `json:"changes"`
	}
	if err := c.postJSON(ctx, path, v, &r); err != nil {
		return err
	}
	if len(r.Changes) == 0 {
		fmt.Fprintln(c.out, "nothing changed")
	}
	for _, ch := range r.Changes {
		fmt.Fprintf(c.out, "%s: %s -> %s\n", ch.Path, orNone(ch.Old), orNone(ch.New))
	}
	return nil
}

func orNone(v json.RawMessage) string {
	if v == nil {
		return "(none)"
	}
	return string(v)
}

func (c *client) upload(ctx context.Context, path, ctype, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	var r map[string]any
	if _, err := c.do(ctx, http.MethodPost, path, ctype, f, &r); err != nil {
		return err
	}
	if m, ok := r["message"].(string); ok && !c.raw {
		_, err := fmt.Fprintln(c.out, m)
		return err
	}
	return c.print(r)
}

func (c *client) action(ctx context.Context, path string, in map[string]string) error {
	var r any
	if err := c.postJSON(ctx, path, in, &r); err != nil {
		return err
	}
	if m, ok := r.(map[string]any); ok && !c.raw {
		if msg, ok := m["message"].(string); ok && len(m) <= 2 {
			_, err := fmt.Fprintln(c.out, msg)
			return err
		}
	}
	return c.print(r)
}

// sipTrace prints the SIP messages of the next SECONDS (default 10).
func (c *client) sipTrace(ctx context.Context, args []string) error {
	secs := "10"
	if len(args) > 0 {
		secs = args[0]
	}
	var d struct {
		Messages []struct {
			At     time.Time `json:"at"`
			Sent   bool      `json:"sent"`
			Remote string    `json:"remote"`
			Text   string    `json:"text"`
		} `json:"messages"`
	}
	if done, err := c.getJSON(ctx, "/diag/sip-trace?seconds="+url.QueryEscape(secs), &d); done || err != nil {
		return err
	}
	for _, m := range d.Messages {
		dir := "<- from"
		if m.Sent {
			dir = "-> to"
		}
		fmt.Fprintf(c.out, "%s %s %s\n%s\n", m.At.Local().Format("15:04:05.000"), dir, m.Remote, strings.TrimRight(m.Text, "\r\n"))
	}
	return nil
}

func (c *client) log(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("log", flag.ContinueOnError)
	level := fs.String("level", "info", "lowest level: debug, info, warn, error")
	n := fs.Int("n", 50, "records")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q := url.Values{"level": {*level}, "n": {strconv.Itoa(*n)}}
	var d struct {
		Records []struct {
			Time    time.Time `json:"time"`
			Level   string    `json:"level"`
			Message string    `json:"message"`
			Attrs   []struct {
				Key, Value string
			} `json:"attrs"`
		} `json:"records"`
	}
	if done, err := c.getJSON(ctx, "/diag/log?"+q.Encode(), &d); done || err != nil {
		return err
	}
	for _, r := range d.Records {
		fmt.Fprintf(c.out, "%s %-5s %s", r.Time.Format("15:04:05.000"), strings.ToUpper(r.Level), r.Message)
		for _, a := range r.Attrs {
			fmt.Fprintf(c.out, " %s=%s", a.Key, strconv.Quote(a.Value))
		}
		fmt.Fprintln(c.out)
	}
	return nil
}
