package webui

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/logbuf"
)

// Timing of ping and traceroute from the web page: short enough for one
// HTTP request.
const (
	pingCount    = 4
	pingMax      = 10
	pingInterval = time.Second
	pingTimeout  = 2 * time.Second
	traceHops    = 20
	traceProbes  = 2
	traceTimeout = time.Second
	diagDeadline = 60 * time.Second
)

type diagData struct {
	Ports       []int           `json:"ports"`
	CanLineTest bool            `json:"canLineTest"`
	CanNet      bool            `json:"canPing"`
	CanTrace    bool            `json:"canTrace"` // live SIP trace and packet capture
	CaptureMax  int             `json:"captureMaxSeconds"`
	LimitMax    int             `json:"captureMaxKiB"`
	Port        int             `json:"port,omitempty"`
	Checks      []console.Check `json:"checks,omitempty"`
	Ping        *pingResult     `json:"ping,omitempty"`
	Trace       *traceResult    `json:"traceroute,omitempty"`
	Host        string          `json:"host,omitempty"`
	Error       string          `json:"error,omitempty"`
}

type probe struct {
	Seq  int           `json:"seq"`
	Kind string        `json:"kind"` // reply, timeout, unreachable, ttl-exceeded
	From string        `json:"from,omitempty"`
	RTT  time.Duration `json:"rttNs"`
}

type pingResult struct {
	Host     string        `json:"host"`
	Addr     string        `json:"addr"`
	Replies  []probe       `json:"replies"`
	Sent     int           `json:"sent"`
	Received int           `json:"received"`
	Loss     int           `json:"lossPercent"`
	Min      time.Duration `json:"minNs"`
	Avg      time.Duration `json:"avgNs"`
	Max      time.Duration `json:"maxNs"`
}

type hop struct {
	TTL    int     `json:"ttl"`
	Probes []probe `json:"probes"`
}

type traceResult struct {
	Host    string `json:"host"`
	Addr    string `json:"addr"`
	Hops    []hop  `json:"hops"`
	Reached bool   `json:"reached"`
}

func (s *Server) diagData() diagData {
	d := diagData{CanLineTest: s.o.LineTest != nil, CanNet: s.o.Net != nil, CanTrace: s.o.Tap != nil, Ports: []int{},
		CaptureMax: int(CaptureMax / time.Second), LimitMax: CaptureLimitMax}
	for _, p := range s.o.Config.Get().Ports {
		d.Ports = append(d.Ports, p.Index)
	}
	return d
}

func (s *Server) diagPage(x *rx) {
	x.page(http.StatusOK, "diag", "title.diag", "diag", s.diagData())
}

func (s *Server) diagResult(x *rx, status int, d diagData) {
	if x.json && d.Error != "" {
		x.writeJSON(status, apiError{Error: d.Error, Code: "diag_failed"})
		return
	}
	x.page(status, "diag", "title.diag", "diag", d)
}

func (s *Server) lineTest(x *rx) {
	d := s.diagData()
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	if s.o.LineTest == nil {
		d.Error = x.T("err.unavailable")
		s.diagResult(x, http.StatusNotImplemented, d)
		return
	}
	p, err := strconv.Atoi(strings.TrimSpace(v["port"]))
	if err != nil || !slices.Contains(d.Ports, p) {
		d.Error = x.T("diag.badport", v["port"])
		s.diagResult(x, http.StatusUnprocessableEntity, d)
		return
	}
	ctx, cancel := context.WithTimeout(x.r.Context(), diagDeadline)
	defer cancel()
	d.Port = p
	d.Checks, err = s.o.LineTest(ctx, p)
	if err != nil {
		d.Error = x.T("diag.failed", err.Error())
		s.diagResult(x, http.StatusInternalServerError, d)
		return
	}
	s.diagResult(x, http.StatusOK, d)
}

// checkHost says whether h may be a host name or an address.
func checkHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// netTarget reads and resolves the "host" field.
func (s *Server) netTarget(x *rx, ctx context.Context, d *diagData) (map[string]string, netip.Addr, bool) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return nil, netip.Addr{}, false
	}
	if s.o.Net == nil {
		d.Error = x.T("err.unavailable")
		s.diagResult(x, http.StatusNotImplemented, *d)
		return nil, netip.Addr{}, false
	}
	h := strings.TrimSpace(v["host"])
	if !checkHost(h) {
		d.Error = x.T("diag.badhost")
		s.diagResult(x, http.StatusUnprocessableEntity, *d)
		return nil, netip.Addr{}, false
	}
	d.Host = h
	dst, err := s.o.Net.Lookup(ctx, h)
	if err != nil {
		d.Error = x.T("diag.resolve", h, err.Error())
		s.diagResult(x, http.StatusUnprocessableEntity, *d)
		return nil, netip.Addr{}, false
	}
	return v, dst, true
}

func kindName(k console.ReplyKind) string {
	switch k {
	case console.EchoReply:
		return "reply"
	case console.TimeExceeded:
		return "ttl-exceeded"
	case console.Unreachable:
		return "unreachable"
	}
	return "timeout"
}

func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (s *Server) ping(x *rx) {
	d := s.diagData()
	ctx, cancel := context.WithTimeout(x.r.Context(), diagDeadline)
	defer cancel()
	v, dst, ok := s.netTarget(x, ctx, &d)
	if !ok {
		return
	}
	count := pingCount
	if c := strings.TrimSpace(v["count"]); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 || n > pingMax {
			d.Error = x.T("diag.badcount", pingMax)
			s.diagResult(x, http.StatusUnprocessableEntity, d)
			return
		}
		count = n
	}
	p, err := s.o.Net.ICMP(false)
	if err != nil {
		d.Error = x.T("diag.failed", err.Error())
		s.diagResult(x, http.StatusServiceUnavailable, d)
		return
	}
	defer p.Close()
	res := &pingResult{Host: d.Host, Addr: dst.String(), Replies: []probe{}}
	var sum time.Duration
	for seq := 1; seq <= count; seq++ {
		start := time.Now()
		r, err := p.Echo(ctx, dst, 0, seq, pingTimeout)
		if err != nil {
			break
		}
		res.Sent++
		pr := probe{Seq: seq, Kind: kindName(r.Kind)}
		if r.Kind != console.Timeout {
			pr.From, pr.RTT = r.From.String(), r.RTT
		}
		if r.Kind == console.EchoReply {
			res.Received++
			sum += r.RTT
			if res.Received == 1 || r.RTT < res.Min {
				res.Min = r.RTT
			}
			res.Max = max(res.Max, r.RTT)
		}
		res.Replies = append(res.Replies, pr)
		if seq < count {
			if rest := pingInterval - time.Since(start); rest > 0 && !wait(ctx, rest) {
				break
			}
		}
	}
	if res.Received > 0 {
		res.Avg = sum / time.Duration(res.Received)
	}
	if res.Sent > 0 {
		res.Loss = (res.Sent - res.Received) * 100 / res.Sent
	}
	d.Ping = res
	s.diagResult(x, http.StatusOK, d)
}

func (s *Server) traceroute(x *rx) {
	d := s.diagData()
	ctx, cancel := context.WithTimeout(x.r.Context(), diagDeadline)
	defer cancel()
	_, dst, ok := s.netTarget(x, ctx, &d)
	if !ok {
		return
	}
	p, err := s.o.Net.ICMP(true)
	if err != nil {
		d.Error = x.T("diag.failed", err.Error())
		s.diagResult(x, http.StatusServiceUnavailable, d)
		return
	}
	defer p.Close()
	res := &traceResult{Host: d.Host, Addr: dst.String(), Hops: []hop{}}
	seq := 0
hops:
	for ttl := 1; ttl <= traceHops; ttl++ {
		h := hop{TTL: ttl}
		done := false
		for range traceProbes {
			seq++
			r, err := p.Echo(ctx, dst, ttl, seq, traceTimeout)
			if err != nil {
				res.Hops = append(res.Hops, h)
				break hops
			}
			pr := probe{Seq: seq, Kind: kindName(r.Kind)}
			if r.Kind != console.Timeout {
				pr.From, pr.RTT = r.From.String(), r.RTT
			}
			h.Probes = append(h.Probes, pr)
			if r.Kind == console.EchoReply || r.Kind == console.Unreachable {
				done = true
				res.Reached = r.Kind == console.EchoReply
			}
		}
		res.Hops = append(res.Hops, h)
		if done {
			break
		}
	}
	d.Trace = res
	s.diagResult(x, http.StatusOK, d)
}

// logData is the log viewer.
type logData struct {
	Level   string      `json:"level"`
	Levels  []string    `json:"levels"`
	Records []logRecord `json:"records"`
	Enabled bool        `json:"enabled"`
}

type logRecord struct {
	Seq     uint64        `json:"seq"`
	Time    time.Time     `json:"time"`
	Level   string        `json:"level"`
	Message string        `json:"message"`
	Attrs   []logbuf.Attr `json:"attrs,omitempty"`
	Line    string        `json:"-"`
}

// MaxLogRecords is the most records one log view shows.
const MaxLogRecords = 500

func (s *Server) logPage(x *rx) {
	q := x.r.URL.Query()
	name := strings.ToLower(q.Get("level"))
	if name == "" {
		name = "info"
	}
	lv, ok := logbuf.ParseLevel(name)
	if !ok {
		x.fail(http.StatusUnprocessableEntity, "invalid", x.T("log.badlevel", "debug, info, warn, error"))
		return
	}
	n := 200
	if v := q.Get("n"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > MaxLogRecords {
			x.fail(http.StatusUnprocessableEntity, "invalid", x.T("log.badcount", MaxLogRecords))
			return
		}
		n = k
	}
	d := logData{Level: levelName(lv), Levels: []string{"debug", "info", "warn", "error"}, Records: []logRecord{}, Enabled: s.o.Logs != nil}
	if s.o.Logs != nil {
		recs := s.o.Logs.Records(lv, n)
		for i := len(recs) - 1; i >= 0; i-- { // newest first
			r := recs[i]
			d.Records = append(d.Records, logRecord{Seq: r.Seq, Time: r.Time, Level: levelName(r.Level), Message: r.Message, Attrs: r.Attrs, Line: r.String()})
		}
	}
	x.page(http.StatusOK, "log", "title.log", "diag", d)
}

func levelName(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	}
	return "error"
}
