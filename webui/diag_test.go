package webui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/console"
)

// fakeNet answers pings from 192.0.2.1 and a three-hop route to it.
type fakeNet struct{ raw []bool }

func (f *fakeNet) Lookup(_ context.Context, host string) (netip.Addr, error) {
	if host == "gw.example" {
		return netip.MustParseAddr("192.0.2.1"), nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	return netip.Addr{}, errors.New("no such host")
}

func (f *fakeNet) ICMP(raw bool) (console.Prober, error) {
	f.raw = append(f.raw, raw)
	return &fakeProber{}, nil
}

type fakeProber struct{}

func (p *fakeProber) Echo(ctx context.Context, dst netip.Addr, ttl, seq int, timeout time.Duration) (console.Reply, error) {
	if dst != netip.MustParseAddr("192.0.2.1") {
		<-time.After(timeout) // no reply: the probe times out (virtual time in the bubble)
		return console.Reply{Kind: console.Timeout}, nil
	}
	if seq == 2 && ttl == 0 {
		<-time.After(timeout)
		return console.Reply{Kind: console.Timeout}, nil
	}
	if ttl > 0 && ttl < 3 {
		return console.Reply{Kind: console.TimeExceeded, From: netip.AddrFrom4([4]byte{10, 0, 0, byte(ttl)}), RTT: time.Duration(ttl) * time.Millisecond}, nil
	}
	return console.Reply{Kind: console.EchoReply, From: dst, RTT: 3 * time.Millisecond}, nil
}

func (p *fakeProber) Close() error { return nil }

func TestPingAndTraceroute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fn := &fakeNet{}
		b := newBench(t, func(o *Options) { o.Net = fn })
		sid := b.admin(t)
		start := time.Now()
		r := b.do(req{method: "POST", path: "/diag/ping", cookie: sid, body: form("host", "gw.example", "count", "3"), json: true})
		if r.Code != 200 {
			t.Fatalf("ping: %d %s", r.Code, r.text())
		}
		m := r.decode(t)["ping"].(map[string]any)
		if m["sent"].(float64) != 3 || m["received"].(float64) != 2 || m["lossPercent"].(float64) != 33 || m["addr"] != "192.0.2.1" {
			t.Errorf("ping %v", m)
		}
		if d := time.Since(start); d < 2*time.Second || d > 5*time.Second {
			t.Errorf("3 pings took %v (1 s apart)", d)
		}
		r = b.do(req{method: "POST", path: "/diag/traceroute", cookie: sid, body: form("host", "192.0.2.1"), lang: "zh"})
		if r.Code != 200 {
			t.Fatalf("traceroute: %d", r.Code)
		}
		mustContain(t, r.text(), "10.0.0.1", "10.0.0.2", "192.0.2.1 3.0 ms", "已到达 192.0.2.1")
		if len(fn.raw) != 2 || fn.raw[0] || !fn.raw[1] {
			t.Errorf("ICMP sockets asked: %v (ping: any, traceroute: raw)", fn.raw)
		}
		for _, tc := range []struct{ path, body, want string }{
			{"/diag/ping", form("host", "bad host;rm -rf /"), "give a host name or an IP address"},
			{"/diag/ping", form("host", "$(reboot)"), "give a host name or an IP address"},
			{"/diag/ping", form("host", "nowhere.example"), "cannot resolve nowhere.example"},
			{"/diag/ping", form("host", "gw.example", "count", "1000"), "count: a number from 1 to 10"},
			{"/diag/traceroute", form("host", strings.Repeat("a", 300)), "give a host name"},
		} {
			r := b.do(req{method: "POST", path: tc.path, cookie: sid, body: tc.body})
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("%s %s: %d", tc.path, tc.body, r.Code)
			}
			mustContain(t, htmlUnescape(r.text()), tc.want)
		}
	})
}

func TestLineTestAndLog(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/diag/line-test", cookie: sid, body: form("port", "2"), lang: "zh"})
	if r.Code != 200 {
		t.Fatalf("line test: %d", r.Code)
	}
	mustContain(t, r.text(), "馈电", "forward", "正常")
	if r := b.do(req{method: "POST", path: "/diag/line-test", cookie: sid, body: form("port", "9")}); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("port 9: %d", r.Code)
	}

	log := slog.New(b.logs)
	log.Debug("debug detail", "k", 1)
	log.Info("port 1 registered", "registrar", "192.0.2.10")
	log.Warn("port 2 registration failed", "reason", "<b>403</b>")
	log.Error("board driver failed")
	r = b.do(req{method: "GET", path: "/diag/log?level=warn", cookie: sid})
	body := r.text()
	mustContain(t, body, "port 2 registration failed", "board driver failed", "&lt;b&gt;403&lt;/b&gt;")
	if strings.Contains(body, "port 1 registered") || strings.Contains(body, "debug detail") {
		t.Error("the level filter lets lower levels through")
	}
	if strings.Index(body, "board driver failed") > strings.Index(body, "port 2 registration failed") {
		t.Error("newest first")
	}
	m := b.do(req{method: "GET", path: "/diag/log?level=debug&n=2", cookie: sid, json: true}).decode(t)
	recs := m["records"].([]any)
	if len(recs) != 2 || recs[0].(map[string]any)["message"] != "board driver failed" {
		t.Errorf("JSON log %v", recs)
	}
	for _, q := range []string{"level=loud", "n=0", "n=100000", "n=x"} {
		if r := b.do(req{method: "GET", path: "/diag/log?" + q, cookie: sid}); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", q, r.Code)
		}
	}
}

func TestStatusPage(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	// The fake box started at 08:00; the clock is at 12:00.
	r := b.do(req{method: "GET", path: "/", cookie: sid, lang: "zh"})
	mustContain(t, r.text(), "test-1.0", "sim", "4h 00m 00s", "已注册", "注册失败", "403 Forbidden", "通话中", "3 late ticks since boot", "次要", `data-refresh="/?part=1"`)
	m := b.do(req{method: "GET", path: "/", cookie: sid, json: true}).decode(t)
	ports := m["ports"].([]any)
	p1, p2, p3 := ports[0].(map[string]any), ports[1].(map[string]any), ports[2].(map[string]any)
	if p1["registration"] != "registered" || p1["registered"] != true || p2["registration"] != "failed" || p2["reason"] != "403 Forbidden" || p3["registration"] != "none" {
		t.Errorf("ports %v", ports)
	}
	if calls := m["calls"].([]any); len(calls) != 1 || calls[0].(map[string]any)["port"].(float64) != 2 {
		t.Errorf("calls %v", calls)
	}
}

func TestTestCallButton(t *testing.T) {
	var rung []int
	b := newBench(t, func(o *Options) {
		o.TestCall = func(_ context.Context, port int) error {
			if port == 3 {
				return errors.New("the line is busy (connected)")
			}
			rung = append(rung, port)
			return nil
		}
	})
	sid := b.admin(t)
	r := b.do(req{method: "POST", path: "/setup/test-call", cookie: sid, body: form("port", "1")})
	if r.Code != 200 || len(rung) != 1 || rung[0] != 1 {
		t.Fatalf("test call: %d %v", r.Code, rung)
	}
	mustContain(t, r.text(), "Port 1 is ringing.")
	r = b.do(req{method: "POST", path: "/setup/test-call", cookie: sid, body: form("port", "3"), json: true})
	if r.Code != http.StatusConflict || !strings.Contains(r.text(), "the line is busy") {
		t.Errorf("busy port: %d %s", r.Code, r.text())
	}
	for _, p := range []string{"0", "5", "x", ""} {
		if r := b.do(req{method: "POST", path: "/setup/test-call", cookie: sid, body: form("port", p)}); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("port %q: %d", p, r.Code)
		}
	}
}
