package syslog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/openiad/openiad/firmware/config"
)

// parsed is an RFC 5424 message taken apart by parse.
type parsed struct {
	PRI                      int
	Time                     time.Time
	Host, App, ProcID, MsgID string
	SD                       map[string]map[string]string // SD-ID -> param -> value
	Msg                      string
	BOM                      bool
}

var errSyntax = errors.New("not RFC 5424")

// parse checks a message against the RFC 5424 ABNF (section 6) and takes
// it apart; it is written from the RFC, independently of Format.
func parse(b []byte) (parsed, error) {
	var p parsed
	s := string(b)
	bad := func(what string) (parsed, error) { return p, fmt.Errorf("%w: %s in %q", errSyntax, what, s) }
	if !strings.HasPrefix(s, "<") {
		return bad("PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return bad("PRI")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri > 191 || (len(s[1:end]) > 1 && s[1] == '0') {
		return bad("PRI value")
	}
	p.PRI = pri
	s = s[end+1:]
	if !strings.HasPrefix(s, "1 ") {
		return bad("VERSION")
	}
	s = s[2:]
	fields := make([]string, 5)
	for i, max := range []int{-1, 255, 48, 128, 32} {
		sp := strings.IndexByte(s, ' ')
		if sp < 1 {
			return bad("header field")
		}
		f := s[:sp]
		for j := 0; j < len(f); j++ {
			if f[j] < 33 || f[j] > 126 {
				return bad("non-printable header")
			}
		}
		if max > 0 && len(f) > max {
			return bad("header field too long")
		}
		fields[i] = f
		s = s[sp+1:]
	}
	if fields[0] != "-" {
		t, err := time.Parse(time.RFC3339Nano, fields[0])
		if err != nil {
			return bad("TIMESTAMP")
		}
		p.Time = t
	}
	p.Host, p.App, p.ProcID, p.MsgID = fields[1], fields[2], fields[3], fields[4]
	p.SD = map[string]map[string]string{}
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	} else {
		if !strings.HasPrefix(s, "[") {
			return bad("STRUCTURED-DATA")
		}
		for strings.HasPrefix(s, "[") {
			s = s[1:]
			i := strings.IndexAny(s, " ]")
			if i < 1 || i > 32 {
				return bad("SD-ID")
			}
			id := s[:i]
			if _, dup := p.SD[id]; dup {
				return bad("duplicate SD-ID")
			}
			params := map[string]string{}
			p.SD[id] = params
			s = s[i:]
			for strings.HasPrefix(s, " ") {
				s = s[1:]
				eq := strings.Index(s, `="`)
				if eq < 1 || eq > 32 {
					return bad("PARAM-NAME")
				}
				name := s[:eq]
				if strings.ContainsAny(name, " =]\"") {
					return bad("PARAM-NAME chars")
				}
				s = s[eq+2:]
				var v strings.Builder
				for {
					if s == "" {
						return bad("unterminated PARAM-VALUE")
					}
					ch := s[0]
					if ch == '\\' && len(s) > 1 && (s[1] == '"' || s[1] == '\\' || s[1] == ']') {
						v.WriteByte(s[1])
						s = s[2:]
						continue
					}
					if ch == '"' {
						s = s[1:]
						break
					}
					if ch == ']' {
						return bad("unescaped ] in PARAM-VALUE")
					}
					v.WriteByte(ch)
					s = s[1:]
				}
				if !utf8.ValidString(v.String()) {
					return bad("PARAM-VALUE not UTF-8")
				}
				params[name] = v.String()
			}
			if !strings.HasPrefix(s, "]") {
				return bad("SD-ELEMENT end")
			}
			s = s[1:]
		}
	}
	if s == "" {
		return p, nil
	}
	if !strings.HasPrefix(s, " ") {
		return bad("space before MSG")
	}
	s = s[1:]
	if rest, ok := strings.CutPrefix(s, "\xef\xbb\xbf"); ok {
		p.BOM = true
		if !utf8.ValidString(rest) {
			return bad("MSG-UTF8 not UTF-8")
		}
		s = rest
	}
	p.Msg = s
	return p, nil
}

// collector is a syslog server on 127.0.0.1 (UDP or TCP with octet
// counting) that hands each message to a channel.
type collector struct {
	addr string
	msgs chan []byte
	ln   net.Listener
	pc   net.PacketConn
	mu   sync.Mutex
	cs   []net.Conn
}

func listen(t *testing.T, proto string) *collector {
	t.Helper()
	c := &collector{msgs: make(chan []byte, 10000)}
	switch proto {
	case "udp":
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.pc, c.addr = pc, pc.LocalAddr().String()
		go func() {
			buf := make([]byte, 65536)
			for {
				n, _, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				c.msgs <- append([]byte(nil), buf[:n]...)
			}
		}()
	case "tcp":
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.ln, c.addr = ln, ln.Addr().String()
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				c.mu.Lock()
				c.cs = append(c.cs, conn)
				c.mu.Unlock()
				go c.readFramed(t, conn)
			}
		}()
	}
	t.Cleanup(c.close)
	return c
}

// readFramed reads RFC 6587 octet-counted frames.
func (c *collector) readFramed(t *testing.T, conn net.Conn) {
	r := bufio.NewReader(conn)
	for {
		lenText, err := r.ReadString(' ')
		if err != nil {
			return
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
		if err != nil || n < 1 || n > MaxTCPMessage {
			t.Errorf("bad frame length %q", lenText)
			return
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return
		}
		c.msgs <- b
	}
}

func (c *collector) close() {
	if c.pc != nil {
		c.pc.Close()
	}
	if c.ln != nil {
		c.ln.Close()
	}
	c.mu.Lock()
	for _, conn := range c.cs {
		conn.Close()
	}
	c.mu.Unlock()
}

func (c *collector) next(t *testing.T) parsed {
	t.Helper()
	select {
	case b := <-c.msgs:
		p, err := parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no syslog message within 10 s")
	}
	return parsed{}
}

func start(t *testing.T, o Options) *Client {
	t.Helper()
	c := New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return c
}

// A record reaches a real collector over UDP and over TCP as a valid
// RFC 5424 message with every header field and the attributes.
func TestMessagesReachTheCollector(t *testing.T) {
	for _, proto := range []string{"udp", "tcp"} {
		t.Run(proto, func(t *testing.T) {
			col := listen(t, proto)
			c := start(t, Options{})
			if err := c.Configure(Settings{Server: col.addr, Protocol: proto, Level: slog.LevelInfo, Hostname: "iad-lab"}); err != nil {
				t.Fatal(err)
			}
			log := slog.New(c.Handler()).With("port", 1).WithGroup("sip")
			before := time.Now().Add(-time.Second)
			log.Debug("voip: not sent, below the level")
			log.Info("voip: registered", "registrar", `192.0.2.10:5060`, "note", `a "quoted" ] \ value`)
			log.Error("multi\nline 中文")
			p := col.next(t)
			if p.PRI != 16*8+6 || p.Host != "iad-lab" || p.App != "openiad" || p.MsgID != "voip" || p.ProcID == "-" {
				t.Errorf("header %+v", p)
			}
			if p.Time.Before(before) || p.Time.After(time.Now().Add(time.Second)) || p.Time.Location() != time.UTC {
				t.Errorf("timestamp %v", p.Time)
			}
			if p.SD["meta"]["sequenceId"] == "" {
				t.Errorf("no meta sequenceId: %v", p.SD)
			}
			want := map[string]string{"port": "1", "sip.registrar": "192.0.2.10:5060", "sip.note": `a "quoted" ] \ value`}
			for k, v := range want {
				if got := p.SD[enterpriseSDName][k]; got != v {
					t.Errorf("SD %s = %q, want %q", k, got, v)
				}
			}
			if !p.BOM || p.Msg != "voip: registered" {
				t.Errorf("MSG %q (BOM %v)", p.Msg, p.BOM)
			}
			p2 := col.next(t)
			if p2.PRI != 16*8+3 || p2.Msg != "multi\nline 中文" || p2.MsgID != "-" {
				t.Errorf("second message %+v", p2)
			}
			s1, _ := strconv.Atoi(p.SD["meta"]["sequenceId"])
			s2, _ := strconv.Atoi(p2.SD["meta"]["sequenceId"])
			if s2 != s1+1 {
				t.Errorf("sequence ids %d then %d", s1, s2)
			}
			deadline := time.After(10 * time.Second)
			for st := c.Stats(); st.Sent != 2 || st.Dropped != 0; st = c.Stats() {
				select { // the sender counts after the write the collector saw
				case <-deadline:
					t.Fatalf("stats %+v", st)
				case <-time.After(time.Millisecond):
				}
			}
		})
	}
}

// A new configuration takes effect at once: another collector, another
// protocol, another level; no server turns it off.
func TestReconfigureLive(t *testing.T) {
	udp, tcp := listen(t, "udp"), listen(t, "tcp")
	c := start(t, Options{})
	log := slog.New(c.Handler())
	log.Info("not sent: off")
	cfg := config.Default(1)
	cfg.Syslog = config.Syslog{Server: udp.addr, Protocol: "udp", Level: "warn"}
	cfg.Network.Hostname = "first"
	if err := c.Configure(FromConfig(&cfg)); err != nil {
		t.Fatal(err)
	}
	log.Info("not sent: below warn")
	log.Warn("to udp")
	if p := udp.next(t); p.Msg != "to udp" || p.Host != "first" || p.PRI != 16*8+4 {
		t.Errorf("udp got %+v", p)
	}
	cfg.Syslog = config.Syslog{Server: tcp.addr, Protocol: "tcp", Level: "debug"}
	if err := c.Configure(FromConfig(&cfg)); err != nil {
		t.Fatal(err)
	}
	log.Debug("to tcp")
	if p := tcp.next(t); p.Msg != "to tcp" || p.PRI != 16*8+7 {
		t.Errorf("tcp got %+v", p)
	}
	c.Configure(Settings{})
	if slog.New(c.Handler()).Enabled(context.Background(), slog.LevelError) {
		t.Error("enabled with no server")
	}
	select {
	case b := <-udp.msgs:
		t.Errorf("udp got more: %q", b)
	default:
	}
	for _, bad := range []Settings{{Server: "x", Protocol: "sctp"}, {Server: "host:99999"}, {Server: "a b"}} {
		if err := c.Configure(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// Follow applies the configuration store's syslog section when it changes.
func TestFollowStore(t *testing.T) {
	col := listen(t, "udp")
	w := &watcher{ch: make(chan config.Config, 1)}
	c := start(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Follow(ctx, w, nil)
	cfg := config.Default(1)
	cfg.Syslog.Server = col.addr
	w.ch <- cfg
	deadline := time.After(10 * time.Second)
	for c.Stats().Server != col.addr { // Follow applies it in its goroutine
		select {
		case <-deadline:
			t.Fatal("the configuration was not followed")
		case <-time.After(time.Millisecond):
		}
	}
	slog.New(c.Handler()).Info("followed")
	if p := col.next(t); p.Msg != "followed" || p.Host != "openiad" {
		t.Errorf("%+v", p)
	}
}

type watcher struct{ ch chan config.Config }

func (w *watcher) Watch() (<-chan config.Config, func()) { return w.ch, func() {} }

// A collector that is down or does not read never blocks the caller: the
// queue fills, records are dropped and counted, and sending resumes once
// the collector is back.
func TestUnreachableDropsWithoutBlocking(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now: connections are refused
	c := start(t, Options{Queue: 16})
	if err := c.Configure(Settings{Server: addr, Protocol: "tcp", Level: slog.LevelInfo}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(c.Handler())
	const n = 20000
	for i := range n {
		log.Info("lost", "i", i)
	}
	st := c.Stats()
	if st.Dropped < n-16-1 || st.Sent != 0 || st.Up {
		t.Errorf("stats %+v after %d records to a closed port", st, n)
	}
	t.Logf("%d of %d dropped, last error %q", st.Dropped, n, st.LastErr)

	// A collector that accepts and never reads: the socket buffers fill,
	// the sender waits, callers do not.
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	var held []net.Conn
	var hmu sync.Mutex
	go func() {
		for {
			conn, err := ln2.Accept()
			if err != nil {
				return
			}
			hmu.Lock()
			held = append(held, conn)
			hmu.Unlock()
		}
	}()
	defer func() {
		hmu.Lock()
		for _, conn := range held {
			conn.Close()
		}
		hmu.Unlock()
	}()
	c.Configure(Settings{Server: ln2.Addr().String(), Protocol: "tcp", Level: slog.LevelInfo})
	big := strings.Repeat("x", 4000)
	before := c.Stats().Dropped
	for i := range n {
		log.Info(big, "i", i) // 80 MB: far more than any socket buffer
	}
	if d := c.Stats().Dropped - before; d == 0 {
		t.Error("nothing dropped while the collector did not read")
	}

	// The collector comes back: a new setting (or the back-off) retries.
	col := listen(t, "tcp")
	c.Configure(Settings{Server: col.addr, Protocol: "tcp", Level: slog.LevelInfo})
	log.Info("back")
	for {
		p := col.next(t)
		if p.Msg == "back" {
			break
		}
	}
}

// The back-off after failures doubles from 1 s up to 30 s (virtual time).
func TestBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var tries []time.Duration
		t0 := time.Now()
		c := New(Options{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			tries = append(tries, time.Since(t0))
			mu.Unlock()
			return nil, errors.New("refused")
		}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { c.Run(ctx); close(done) }()
		synctest.Wait()
		c.Configure(Settings{Server: "collector.example", Protocol: "udp", Level: slog.LevelInfo})
		synctest.Wait()
		log := slog.New(c.Handler())
		for range 100 {
			log.Info("queued while the collector is away")
		}
		<-time.After(95 * time.Second)
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		want := []int{0, 1, 3, 7, 15, 31, 61, 91}
		if len(tries) != len(want) {
			t.Fatalf("dials at %v, want %v s", tries, want)
		}
		for i, w := range want {
			if tries[i] != time.Duration(w)*time.Second {
				t.Errorf("dial %d at %v, want %d s", i, tries[i], w)
			}
		}
		if st := c.Stats(); st.Dropped != uint64(len(want)) || st.Queued != 100-len(want) || st.LastErr != "refused" {
			t.Errorf("stats %+v", st)
		}
	})
}

// Whatever the record holds, the message is valid RFC 5424 within the
// size limit.
func FuzzFormat(f *testing.F) {
	f.Add("iad", "voip: registered", "key", "value", uint8(6), 2048)
	f.Add("", "", "", "", uint8(0), 0)
	f.Add("host name with spaces\x00", "a]\"b", "k=]\"", "v]\"\\", uint8(200), 100)
	f.Add("中文", "\xff\xfe 中文 "+strings.Repeat("x", 3000), strings.Repeat("k", 40), "\n", uint8(3), 480)
	f.Fuzz(func(t *testing.T, host, text, key, value string, sev uint8, limit int) {
		if limit < 0 || limit > 1<<16 {
			limit = 0
		}
		if limit > 0 && limit < 480 {
			limit = 480 // the smallest message a receiver must take (RFC 5426)
		}
		var params []byte
		params = appendAttr(params, "g.", slog.String(key, value))
		m := Message{Severity: int(sev % 8), Time: time.Unix(1700000000, 123456789), Hostname: host, ProcID: "42",
			MsgID: msgID(text), Seq: 7, Params: params, Text: text}
		b := Format(nil, m, limit)
		if limit > 0 && len(b) > limit {
			t.Fatalf("%d bytes, limit %d", len(b), limit)
		}
		p, err := parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if p.PRI != Facility*8+int(sev%8) || p.App != AppName || p.SD["meta"]["sequenceId"] != "7" {
			t.Fatalf("%+v", p)
		}
		if text != "" && limit == 0 && p.Msg != strings.ToValidUTF8(text, "\uFFFD") {
			t.Fatalf("text %q, got %q", text, p.Msg)
		}
	})
}
