package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/dsp/engine"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
)

const testPassword = "technician"

// elapse lets d of virtual time pass. It is only called inside
// testing/synctest bubbles, where the clock jumps as soon as every
// goroutine waits: no real time is spent.
func elapse(d time.Duration) { <-time.After(d) }

// fakeStatus is a box with four idle FXS ports.
type fakeStatus struct {
	mu     sync.Mutex
	ports  []PortInfo
	alarms []Alarm
	stats  engine.Stats
}

func newFakeStatus() *fakeStatus {
	f := &fakeStatus{stats: engine.Stats{Ticks: 1234, Running: true}}
	for i := 1; i <= 4; i++ {
		f.ports = append(f.ports, PortInfo{Port: i, Kind: "fxs", Channel: i - 1, Timeslot: i - 1,
			Hook: "on-hook", Feed: "forward", Extension: fmt.Sprintf("2%02d", i), State: "idle"})
	}
	return f
}

func (f *fakeStatus) Ports() []PortInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]PortInfo(nil), f.ports...)
}

func (f *fakeStatus) Box() BoxInfo {
	return BoxInfo{Board: "sim", FXS: 4, Drivers: []DriverInfo{{Name: "sim", State: "loaded"}},
		Info: map[string]string{"listen": "127.0.0.1:7070", "fxo": "0 declared, inactive"}}
}

func (f *fakeStatus) Alarms() []Alarm {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Alarm(nil), f.alarms...)
}

func (f *fakeStatus) Stats() engine.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

// fakeNet answers echo requests after rtt, except sequence numbers in
// lost, which time out.
type fakeNet struct {
	rtt     time.Duration
	lost    map[int]bool
	rawErr  error
	hops    int // routers before the destination (traceroute)
	lookups []string
}

func (n *fakeNet) Lookup(_ context.Context, host string) (netip.Addr, error) {
	n.lookups = append(n.lookups, host)
	if host == "nowhere.invalid" {
		return netip.Addr{}, errors.New("no such host")
	}
	return netip.MustParseAddr("192.0.2.1"), nil
}

func (n *fakeNet) ICMP(raw bool) (Prober, error) {
	if raw && n.rawErr != nil {
		return nil, n.rawErr
	}
	return &fakeProber{n: n}, nil
}

type fakeProber struct{ n *fakeNet }

func (p *fakeProber) Close() error { return nil }

func (p *fakeProber) Echo(ctx context.Context, dst netip.Addr, ttl, seq int, timeout time.Duration) (Reply, error) {
	d := p.n.rtt
	if p.n.lost[seq] {
		d = timeout
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return Reply{}, ctx.Err()
	case <-t.C:
	}
	switch {
	case p.n.lost[seq]:
		return Reply{Kind: Timeout}, nil
	case ttl > 0 && ttl <= p.n.hops:
		return Reply{Kind: TimeExceeded, From: netip.AddrFrom4([4]byte{198, 51, 100, byte(ttl)}), RTT: d * time.Duration(ttl)}, nil
	}
	return Reply{Kind: EchoReply, From: dst, RTT: d}, nil
}

// fakeSIP traces what the test sends on msgs.
type fakeSIP struct {
	msgs    chan SIPMessage
	stopped int
}

func (f *fakeSIP) Registrations() []Registration {
	return []Registration{{Line: "1", AOR: "sip:201@example.net", State: "registered"}}
}

func (f *fakeSIP) TraceSIP(int) (<-chan SIPMessage, func()) {
	return f.msgs, func() { f.stopped++ }
}

// rig is a console on an in-memory serial line, with a technician's
// terminal on the other end. Build it inside a synctest bubble.
type rig struct {
	t      *testing.T
	con    *Console
	term   *vt
	keys   net.Conn // the technician's end
	conns  chan net.Conn
	users  *auth.Store
	store  *config.Store
	logs   *logbuf.Buffer
	log    *slog.Logger
	status *fakeStatus
	net    *fakeNet
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T, edit func(*Options)) *rig {
	t.Helper()
	r := &rig{t: t, term: newVT(80), conns: make(chan net.Conn, 4), status: newFakeStatus(),
		net: &fakeNet{rtt: 20 * time.Millisecond}}
	users, _, err := auth.Open(t.TempDir(), &auth.Options{Iterations: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.SetPassword(auth.Admin, testPassword); err != nil {
		t.Fatal(err)
	}
	r.users = users
	r.logs = logbuf.New(logbuf.Options{Size: 100})
	r.log = slog.New(r.logs)
	r.store, err = config.Open(configtest.New(), "config", config.Default(4), r.log)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Device:  "/dev/ttyTEST0",
		Users:   users,
		Version: "test",
		Status:  r.status,
		DSP:     r.status,
		Config:  r.store,
		Logs:    r.logs,
		Net:     r.net,
		Log:     r.log,
	}
	if edit != nil {
		edit(&o)
	}
	r.con, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.con.open = func(string) (io.ReadWriteCloser, error) {
		select {
		case c := <-r.conns:
			return c, nil
		default:
			return nil, errors.New("no such device")
		}
	}
	r.plug()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- r.con.Run(ctx) }()
	synctest.Wait()
	t.Cleanup(r.stop)
	return r
}

// plug connects a new terminal; the console finds it at its next attempt.
func (r *rig) plug() {
	a, b := net.Pipe()
	r.keys = a
	r.conns <- b
	go io.Copy(r.term, a)
}

// unplug drops the terminal.
func (r *rig) unplug() {
	r.keys.Close()
	synctest.Wait()
}

func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.keys.Close()
	if err := <-r.done; err != nil {
		r.t.Errorf("Run: %v", err)
	}
	r.cancel = nil
}

// typ types s and waits until the console has dealt with it.
func (r *rig) typ(s string) {
	r.t.Helper()
	if _, err := r.keys.Write([]byte(s)); err != nil {
		r.t.Fatalf("typing %q: %v", s, err)
	}
	synctest.Wait()
}

// step types s and returns what appeared on the screen from the line
// where the cursor was.
func (r *rig) step(s string) string {
	r.t.Helper()
	_, n := r.term.from(0)
	start := n - 1
	r.typ(s)
	out, _ := r.term.from(start)
	return out
}

func (r *rig) login() {
	r.t.Helper()
	out := r.step("admin\r" + testPassword + "\r")
	if !strings.Contains(out, "Welcome, admin.") {
		r.t.Fatalf("login failed:\n%s", out)
	}
}

// line is the line the cursor is on.
func (r *rig) line() string {
	l, _ := r.term.current()
	return l
}

func (r *rig) want(out string, parts ...string) {
	r.t.Helper()
	for _, p := range parts {
		if !strings.Contains(out, p) {
			r.t.Errorf("output lacks %q:\n%s", p, out)
		}
	}
}

func (r *rig) wantNot(out string, parts ...string) {
	r.t.Helper()
	for _, p := range parts {
		if strings.Contains(out, p) {
			r.t.Errorf("output has %q:\n%s", p, out)
		}
	}
}
