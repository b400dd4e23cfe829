// Package syslog sends the firmware's log to a remote collector as RFC 5424
// syslog messages, over UDP (RFC 5426, one message per datagram) or TCP
// (RFC 6587 octet counting: "LEN SP MSG").
//
// A Client is a slog.Handler: put it beside the other handlers with
// slog.NewMultiHandler. Handle formats the record at once and puts it on a
// bounded queue; it never waits for the network. When the queue is full
// (the collector is unreachable or slow) the record is dropped and counted
// (Stats). Run is the one goroutine that empties the queue: it connects,
// sends, and on a failure closes the connection and tries again after a
// back-off (1 s doubling to 30 s) while new records keep queueing and
// dropping.
//
// Configure changes the collector, protocol, level and host name while the
// firmware runs; Follow applies the configuration's syslog section (and
// network.hostname) from a config.Store-like watcher at once and after
// every change. With no server configured nothing is queued.
//
// Message layout: PRI is facility local0 (16) and the record's severity
// (debug 7, info 6, warn 4, error 3); the timestamp is UTC with
// microseconds; APP-NAME "openiad"; PROCID the process ID; MSGID the
// subsystem prefix of the message ("webui" for "webui: saved") or "-";
// structured data [meta sequenceId="N"] (RFC 5424 section 7.3.1, so a
// collector sees gaps) followed by the record's attributes as
// [attrs@32473 key="value" ...] (32473 is the example enterprise number of
// RFC 5612); MSG is the message text in UTF-8 after a BOM.
//
// Concurrency: every method may be called from any goroutine; Run once.
package syslog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/openiad/openiad/firmware/config"
)

// Defaults and limits.
const (
	DefaultPort      = 514
	DefaultQueue     = 256
	AppName          = "openiad"
	Facility         = 16 // local0
	MaxUDPMessage    = 2048
	MaxTCPMessage    = 8192
	dialTimeout      = 3 * time.Second
	writeTimeout     = 5 * time.Second
	minBackoff       = time.Second
	maxBackoff       = 30 * time.Second
	enterpriseSDName = "attrs@32473"
)

var (
	errProtocol = errors.New("syslog: protocol must be udp or tcp")
	errServer   = errors.New("syslog: bad server address")
)

// Settings say where the log goes.
type Settings struct {
	Server   string     // "" = off; "host" or "host:port"
	Protocol string     // "udp" (default) or "tcp"
	Level    slog.Level // the lowest level sent
	Hostname string     // HOSTNAME field ("-" when empty)
}

// FromConfig reads Settings from the configuration: its syslog section
// and the WAN host name.
func FromConfig(c *config.Config) Settings {
	s := Settings{Server: c.Syslog.Server, Protocol: c.Syslog.Protocol, Hostname: c.Network.Hostname}
	switch c.Syslog.Level {
	case "debug":
		s.Level = slog.LevelDebug
	case "warn":
		s.Level = slog.LevelWarn
	case "error":
		s.Level = slog.LevelError
	default:
		s.Level = slog.LevelInfo
	}
	return s
}

// Stats count what the client did since it was made.
type Stats struct {
	Sent    uint64 `json:"sent"`      // messages written to the collector
	Dropped uint64 `json:"dropped"`   // messages lost: queue full, or the write failed
	Queued  int    `json:"queued"`    // messages waiting now
	Server  string `json:"server"`    // the current collector ("" = off)
	Up      bool   `json:"up"`        // connected (TCP) or socket open (UDP)
	LastErr string `json:"lastError"` // the last connection or write error
}

// Options make a Client.
type Options struct {
	Queue int // queue length in messages (DefaultQueue when 0)
	// Now is the clock of the timestamps (time.Now when nil).
	Now func() time.Time
	// Dial connects to the collector (a net.Dialer with a 3 s timeout
	// when nil).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

type message struct {
	gen  uint64 // the settings generation it was made under
	data []byte // the RFC 5424 message, unframed
}

// Client is the syslog sender and its slog.Handler.
type Client struct {
	now   func() time.Time
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	q     chan message
	wake  chan struct{}
	pid   string
	level atomic.Int64
	on    atomic.Bool
	seq   atomic.Uint64

	mu    sync.Mutex
	set   Settings
	gen   uint64
	conn  net.Conn // Run's connection, for Configure to close
	up    bool
	last  string
	sent  atomic.Uint64
	drops atomic.Uint64
}

// New makes a client with nothing configured (off).
func New(o Options) *Client {
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dial == nil {
		d := &net.Dialer{Timeout: dialTimeout}
		o.Dial = d.DialContext
	}
	return &Client{now: o.Now, dial: o.Dial, q: make(chan message, o.Queue), wake: make(chan struct{}, 1), pid: strconv.Itoa(os.Getpid())}
}

// Configure changes the settings; the next message goes to the new
// collector. Messages queued for the old one are dropped (and counted).
func (c *Client) Configure(s Settings) error {
	if s.Protocol == "" {
		s.Protocol = "udp"
	}
	if s.Protocol != "udp" && s.Protocol != "tcp" {
		return fmt.Errorf("%w: %q", errProtocol, s.Protocol)
	}
	if s.Server != "" {
		if _, err := address(s.Server); err != nil {
			return err
		}
	}
	c.mu.Lock()
	changed := c.set.Server != s.Server || c.set.Protocol != s.Protocol
	c.set = s
	if changed {
		c.gen++
		if c.conn != nil {
			c.conn.Close() // ends a write stuck on the old collector
		}
	}
	c.mu.Unlock()
	if changed { // what was queued for the old collector is dropped
	drain:
		for {
			select {
			case <-c.q:
				c.drops.Add(1)
			default:
				break drain
			}
		}
	}
	c.level.Store(int64(s.Level))
	c.on.Store(s.Server != "")
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// address adds the default port to a server without one.
func address(server string) (string, error) {
	if h, p, err := net.SplitHostPort(server); err == nil {
		n, perr := strconv.Atoi(p)
		if h == "" || perr != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%w: %q", errServer, server)
		}
		return server, nil
	}
	if server == "" || strings.ContainsAny(server, " /") {
		return "", fmt.Errorf("%w: %q", errServer, server)
	}
	return net.JoinHostPort(strings.Trim(server, "[]"), strconv.Itoa(DefaultPort)), nil
}

// Stats tells how the client fares.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Sent: c.sent.Load(), Dropped: c.drops.Load(), Queued: len(c.q), Server: c.set.Server, Up: c.up, LastErr: c.last}
}

// Follow applies the syslog settings of every configuration w delivers
// until ctx ends (w is a *config.Store).
func (c *Client) Follow(ctx context.Context, w interface {
	Watch() (<-chan config.Config, func())
}, log *slog.Logger) {
	ch, stop := w.Watch()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case cfg, ok := <-ch:
			if !ok {
				return
			}
			if err := c.Configure(FromConfig(&cfg)); err != nil && log != nil {
				log.Error("syslog: configuration not applied", "err", err)
			}
		}
	}
}

// Run sends the queued messages until ctx ends.
func (c *Client) Run(ctx context.Context) error {
	var (
		conn    net.Conn
		connGen uint64
		backoff time.Duration
		retry   *time.Timer
	)
	closeConn := func() {
		if conn != nil {
			conn.Close()
			conn = nil
		}
		c.mu.Lock()
		c.up, c.conn = false, nil
		c.mu.Unlock()
	}
	defer closeConn()
	fail := func(err error) {
		closeConn()
		c.mu.Lock()
		c.last = err.Error()
		c.mu.Unlock()
		if backoff == 0 {
			backoff = minBackoff
		} else {
			backoff = min(2*backoff, maxBackoff)
		}
		retry = time.NewTimer(backoff)
	}
	for {
		if retry != nil { // wait out the back-off; a new setting ends it
			select {
			case <-ctx.Done():
				retry.Stop()
				return nil
			case <-retry.C:
			case <-c.wake:
				retry.Stop()
				backoff = 0
			}
			retry = nil
		}
		var m message
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
			continue
		case m = <-c.q:
		}
		c.mu.Lock()
		set, gen := c.set, c.gen
		c.mu.Unlock()
		if m.gen != gen || set.Server == "" {
			c.drops.Add(1) // made for settings no longer in force
			continue
		}
		if conn != nil && connGen != gen {
			closeConn()
		}
		if conn == nil {
			addr, err := address(set.Server)
			if err == nil {
				conn, err = c.dial(ctx, set.Protocol, addr)
			}
			if err != nil {
				c.drops.Add(1)
				fail(err)
				continue
			}
			connGen = gen
			c.mu.Lock()
			if c.gen != gen { // changed while we dialled
				c.mu.Unlock()
				c.drops.Add(1)
				closeConn()
				continue
			}
			c.up, c.last, c.conn = true, "", conn
			c.mu.Unlock()
		}
		out := m.data
		if set.Protocol == "tcp" {
			out = frame(m.data)
		}
		conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := conn.Write(out); err != nil {
			c.drops.Add(1)
			fail(err)
			continue
		}
		backoff = 0
		c.sent.Add(1)
	}
}

// frame is RFC 6587 octet counting: "LEN SP MSG".
func frame(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+6)
	out = strconv.AppendInt(out, int64(len(msg)), 10)
	out = append(out, ' ')
	return append(out, msg...)
}

// Handler returns the client as a slog.Handler.
func (c *Client) Handler() slog.Handler { return &handler{c: c} }

type handler struct {
	c      *Client
	attrs  []byte // preformatted SD-PARAMs from WithAttrs
	prefix string // open groups, "a.b."
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool {
	return h.c.on.Load() && l >= slog.Level(h.c.level.Load())
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		n.attrs = appendAttr(n.attrs, h.prefix, a)
	}
	return &n
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.prefix = h.prefix + name + "."
	return &n
}

func (h *handler) Handle(_ context.Context, r slog.Record) error {
	c := h.c
	if !h.Enabled(context.Background(), r.Level) {
		return nil
	}
	c.mu.Lock()
	set, gen := c.set, c.gen
	c.mu.Unlock()
	limit := MaxUDPMessage
	if set.Protocol == "tcp" {
		limit = MaxTCPMessage
	}
	sd := h.attrs
	if r.NumAttrs() > 0 {
		sd = append([]byte(nil), sd...)
		r.Attrs(func(a slog.Attr) bool {
			sd = appendAttr(sd, h.prefix, a)
			return true
		})
	}
	t := r.Time
	if t.IsZero() {
		t = c.now()
	}
	msg := Format(nil, Message{
		Severity: Severity(r.Level), Time: t, Hostname: set.Hostname, ProcID: c.pid,
		MsgID: msgID(r.Message), Seq: c.seq.Add(1), Params: sd, Text: r.Message,
	}, limit)
	select {
	case c.q <- message{gen: gen, data: msg}:
	default:
		c.drops.Add(1)
	}
	return nil
}

// Severity maps a slog level to a syslog severity.
func Severity(l slog.Level) int {
	switch {
	case l < slog.LevelInfo:
		return 7 // debug
	case l < slog.LevelWarn:
		return 6 // informational
	case l < slog.LevelError:
		return 4 // warning
	}
	return 3 // error
}

// msgID is the subsystem prefix of a message ("webui: ..."), else "-".
func msgID(m string) string {
	i := strings.Index(m, ": ")
	if i < 1 || i > 32 {
		return "-"
	}
	for j := 0; j < i; j++ {
		ch := m[j]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_' || ch == '.') {
			return "-"
		}
	}
	return m[:i]
}

// Message is one syslog message before formatting.
type Message struct {
	Severity int
	Time     time.Time
	Hostname string
	ProcID   string
	MsgID    string
	Seq      uint64 // meta sequenceId; 0 leaves it out
	Params   []byte // SD-PARAMs of the attrs element, each starting with ' '
	Text     string
}

// Format appends the RFC 5424 form of m to dst, cutting the text so that
// the whole message is at most limit bytes (0: no limit).
func Format(dst []byte, m Message, limit int) []byte {
	start := len(dst)
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(Facility*8+m.Severity), 10)
	dst = append(dst, ">1 "...)
	dst = m.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z")
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.Hostname, 255)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, AppName, 48)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.ProcID, 128)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, m.MsgID, 32)
	dst = append(dst, ' ')
	sd := false
	if m.Seq > 0 {
		dst = append(dst, `[meta sequenceId="`...)
		dst = strconv.AppendUint(dst, m.Seq%2147483647, 10) // RFC 5424 7.3.1: 1..2147483647
		dst = append(dst, `"]`...)
		sd = true
	}
	if len(m.Params) > 0 && (limit == 0 || len(dst)-start+len(m.Params)+len(enterpriseSDName)+3 < limit-64) {
		dst = append(dst, '[')
		dst = append(dst, enterpriseSDName...)
		dst = append(dst, m.Params...)
		dst = append(dst, ']')
		sd = true
	}
	if !sd {
		dst = append(dst, '-')
	}
	if m.Text == "" {
		return dst
	}
	dst = append(dst, " \xef\xbb\xbf"...)
	text := m.Text
	if limit > 0 {
		room := limit - (len(dst) - start)
		if room < 0 {
			room = 0
		}
		if len(text) > room {
			text = text[:room]
			for len(text) > 0 && !utf8.ValidString(text) {
				text = text[:len(text)-1]
			}
		}
	}
	return append(dst, strings.ToValidUTF8(text, "\uFFFD")...)
}

// appendHeaderField appends a header field: printable US-ASCII without
// spaces, at most max characters, "-" when empty.
func appendHeaderField(dst []byte, s string, max int) []byte {
	n := 0
	for i := 0; i < len(s) && n < max; i++ {
		if ch := s[i]; ch > 32 && ch < 127 {
			dst = append(dst, ch)
			n++
		}
	}
	if n == 0 {
		dst = append(dst, '-')
	}
	return dst
}

// appendAttr appends ` name="value"` SD-PARAMs for a (groups flattened
// with dots). Names keep printable ASCII except = ] " and space, at most
// 32 characters; values escape " \ and ].
func appendAttr(dst []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return dst
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			dst = appendAttr(dst, p, g)
		}
		return dst
	}
	dst = append(dst, ' ')
	name := prefix + a.Key
	n := 0
	for i := 0; i < len(name) && n < 32; i++ {
		ch := name[i]
		if ch <= 32 || ch >= 127 || ch == '=' || ch == ']' || ch == '"' {
			ch = '_'
		}
		dst = append(dst, ch)
		n++
	}
	if n == 0 {
		dst = append(dst, '_')
	}
	dst = append(dst, '=', '"')
	v := strings.ToValidUTF8(a.Value.String(), "\uFFFD")
	for i := 0; i < len(v); i++ {
		switch ch := v[i]; ch {
		case '"', '\\', ']':
			dst = append(dst, '\\', ch)
		default:
			dst = append(dst, ch)
		}
	}
	return append(dst, '"')
}
