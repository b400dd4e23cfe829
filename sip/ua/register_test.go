package ua

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/openiad/openiad/sip/ua/internal/memnet"
)

const (
	uaAddr  = "10.0.0.2:5060"
	regAddr = "192.0.2.10:5060"
	reg2    = "192.0.2.20:5060"
)

var alice = Account{User: "201", Password: "s3cret-pw", DisplayName: "Alice", Domain: "openiad.test"}

func TestRegisterDigest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offered []string
		want    string
	}{
		{"md5", []string{"MD5"}, "MD5"},
		{"sha256", []string{"SHA-256"}, "SHA-256"},
		{"both, strongest wins", []string{"MD5", "SHA-256"}, "SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				reg := newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password}, tc.offered...)
				u, _ := startUA(t, n.MustListen(uaAddr), Options{})
				l, err := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				s := waitReg(t, l, RegRegistered, 5*time.Second)
				if s.Server != regAddr || s.Path != 0 {
					t.Errorf("state %+v, want server %s path 0", s, regAddr)
				}
				if got := time.Until(s.Expires); got != time.Hour {
					t.Errorf("binding for %v, want 1h", got)
				}
				seen := reg.seen()
				if len(seen) != 2 || seen[0].status != 401 || seen[1].status != 200 {
					t.Fatalf("registrar saw %+v, want 401 then 200", seen)
				}
				if seen[1].alg != tc.want {
					t.Errorf("credentials used %q, want %q", seen[1].alg, tc.want)
				}
				b, ok := reg.binding("201")
				if !ok || b.contact.Host != "10.0.0.2" || b.contact.Port != 5060 {
					t.Errorf("binding %+v %v", b, ok)
				}
			})
		})
	}
}

func TestRegisterRefreshBeforeExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		reg := newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password})
		reg.max = 120 * time.Second
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		start := time.Now()
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}}, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		for range 10 {
			advance(100 * time.Second)
			if _, ok := reg.binding("201"); !ok {
				t.Fatalf("binding lapsed at %v", time.Since(start))
			}
		}
		seen := reg.seen()
		var oks []time.Duration
		challenges := 0
		for _, s := range seen {
			switch s.status {
			case 200:
				oks = append(oks, s.at.Sub(start))
			case 401:
				challenges++
			}
		}
		// granted 120 s: refresh 32 s before the end, every 88 s
		if len(oks) < 11 {
			t.Fatalf("%d refreshes in 1000 s: %v", len(oks), oks)
		}
		for i := 1; i < len(oks); i++ {
			if d := oks[i] - oks[i-1]; d != 88*time.Second {
				t.Errorf("refresh %d after %v, want 88s", i, d)
			}
		}
		if challenges != 1 {
			t.Errorf("%d challenges; refreshes should reuse the nonce (nc+1)", challenges)
		}
		if s := l.Registration(); s.Status != RegRegistered {
			t.Errorf("state %v", s)
		}
	})
}

func TestRegisterWrongPasswordBacksOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		rnd  float64
		frac float64 // expected share of the nominal delay
	}{
		{"jitter low", 0, 0.5},
		{"jitter high", 0.999, 0.9995},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := memnet.New()
				reg := newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": "other"})
				u, _ := startUA(t, n.MustListen(uaAddr), Options{Rand: func() float64 { return tc.rnd }})
				p := Profile{Registrars: []string{regAddr}, RetryMin: 10 * time.Second, RetryMax: 60 * time.Second}
				l, _ := u.AddLine(1, alice, p, nil)
				s := waitReg(t, l, RegFailed, 5*time.Second)
				if s.Code != 401 || !strings.Contains(s.Reason, "rejected") {
					t.Errorf("state %+v, want 401 credentials rejected", s)
				}
				advance(600 * time.Second)
				var starts []time.Time
				for i, r := range reg.seen() {
					if r.status == 401 && r.alg == "" { // a round starts without credentials? no: nonce reused
						_ = i
					}
					starts = append(starts, r.at)
				}
				// Each round: one REGISTER with stale creds or none, answered 401,
				// then one with fresh creds, 401 again. Rounds start after back-off.
				var rounds []time.Time
				for i, at := range starts {
					if i == 0 || at.Sub(starts[i-1]) > time.Second {
						rounds = append(rounds, at)
					}
				}
				nominal := []time.Duration{10, 20, 40, 60, 60, 60}
				if len(rounds) < len(nominal)+1 {
					t.Fatalf("%d rounds in 600 s: %v", len(rounds), rounds)
				}
				for i, d := range nominal {
					got := rounds[i+1].Sub(rounds[i])
					want := time.Duration(float64(d*time.Second) * tc.frac)
					if diff := got - want; diff < -time.Second || diff > time.Second {
						t.Errorf("back-off %d: %v, want %v", i, got, want)
					}
				}
				if s := l.Registration(); s.Status != RegFailed || s.Retry.Before(time.Now()) {
					t.Errorf("state %+v", s)
				}
			})
		})
	}
}

func TestRegisterPasswordNotLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		n := memnet.New()
		newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password})
		log := slogTo(&buf)
		u, _ := startUA(t, n.MustListen(uaAddr), Options{Log: log})
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}}, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		log.Info("account", "acc", alice)
		if strings.Contains(buf.String(), alice.Password) {
			t.Fatalf("password in log:\n%s", buf.String())
		}
		if !strings.Contains(buf.String(), "registration") {
			t.Fatalf("log has no registration lines:\n%s", buf.String())
		}
	})
}

func TestRegisterMinExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		reg := newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password})
		reg.minExp = 600 * time.Second
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}, Expires: 60 * time.Second}, nil)
		s := waitReg(t, l, RegRegistered, 5*time.Second)
		if got := time.Until(s.Expires); got != 600*time.Second {
			t.Errorf("binding %v, want 600s after 423", got)
		}
	})
}

func TestRegisterFailoverAndFailback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		users := map[string]string{"201": alice.Password}
		primary := newRegistrar(t, n.MustListen(regAddr), users)
		secondary := newRegistrar(t, n.MustListen(reg2), users)
		var mu sync.Mutex
		dead := true
		n.SetFilter(func(p memnet.Packet) bool {
			mu.Lock()
			defer mu.Unlock()
			return !(dead && (p.To.String() == regAddr || p.From.String() == regAddr))
		})
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		p := Profile{Registrars: []string{regAddr, reg2}, Timeout: 8 * time.Second, Failback: 30 * time.Second}
		start := time.Now()
		l, _ := u.AddLine(1, alice, p, nil)
		s := waitReg(t, l, RegRegistered, 20*time.Second)
		if s.Server != reg2 || s.Path != 1 {
			t.Fatalf("registered at %s path %d, want the secondary", s.Server, s.Path)
		}
		if d := time.Since(start); d != 8*time.Second {
			t.Errorf("fail-over took %v, want the 8 s timeout", d)
		}
		// the primary comes back: within one fail-back period we move home
		advance(40 * time.Second)
		if s := l.Registration(); s.Path != 1 {
			t.Fatalf("left the secondary while the primary was dead: %+v", s)
		}
		mu.Lock()
		dead = false
		mu.Unlock()
		back := time.Now()
		for l.Registration().Path != 0 {
			select {
			case <-l.RegChanges():
			case <-time.After(time.Minute):
				t.Fatalf("no fail-back: %+v", l.Registration())
			}
		}
		if d := time.Since(back); d > 30*time.Second {
			t.Errorf("fail-back after %v, want within the 30 s probe period", d)
		}
		synctest.Wait()
		advance(time.Second)
		if _, ok := primary.binding("201"); !ok {
			t.Error("no binding on the primary")
		}
		if b, ok := secondary.binding("201"); ok {
			t.Errorf("secondary still has %+v after fail-back", b)
		}
	})
}

// Refreshes at the secondary more frequent than the fail-back probe must
// not hold the probe off: granted 60 s, the line refreshes every 30 s and
// still probes the primary every 60 s.
func TestRegisterFailbackWithShortRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		users := map[string]string{"201": alice.Password}
		primary := newRegistrar(t, n.MustListen(regAddr), users)
		secondary := newRegistrar(t, n.MustListen(reg2), users)
		secondary.max = 60 * time.Second
		var mu sync.Mutex
		dead := true
		n.SetFilter(func(p memnet.Packet) bool {
			mu.Lock()
			defer mu.Unlock()
			return !(dead && (p.To.String() == regAddr || p.From.String() == regAddr))
		})
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		p := Profile{Registrars: []string{regAddr, reg2}, Timeout: 8 * time.Second, Failback: 60 * time.Second}
		l, _ := u.AddLine(1, alice, p, nil)
		if s := waitReg(t, l, RegRegistered, 20*time.Second); s.Path != 1 {
			t.Fatalf("registered at %s path %d, want the secondary", s.Server, s.Path)
		}
		mu.Lock()
		dead = false
		mu.Unlock()
		back := time.Now()
		deadline := time.After(3 * time.Minute) // refreshes change the state every 30 s
		for l.Registration().Path != 0 {
			select {
			case <-l.RegChanges():
			case <-deadline:
				t.Fatalf("no fail-back within 3 min: %+v", l.Registration())
			}
		}
		if d := time.Since(back); d > 61*time.Second {
			t.Errorf("fail-back after %v, want within the 60 s probe period", d)
		}
		refreshes := 0
		for _, s := range secondary.seen() {
			if s.status == 200 {
				refreshes++
			}
		}
		if refreshes < 2 {
			t.Errorf("%d registrations at the secondary, want the first and at least one refresh", refreshes)
		}
		synctest.Wait()
		advance(time.Second)
		if _, ok := primary.binding("201"); !ok {
			t.Error("no binding on the primary")
		}
	})
}

func TestRegisterServiceUnavailableFailsOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		users := map[string]string{"201": alice.Password}
		primary := newRegistrar(t, n.MustListen(regAddr), users)
		primary.setHook(func(req *sip.Request) int {
			if req.Method == sip.REGISTER {
				return 503
			}
			return 0
		})
		newRegistrar(t, n.MustListen(reg2), users)
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		start := time.Now()
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr, reg2}}, nil)
		s := waitReg(t, l, RegRegistered, 5*time.Second)
		if s.Path != 1 || time.Since(start) > time.Second {
			t.Errorf("state %+v after %v: want the secondary at once", s, time.Since(start))
		}
	})
}

func TestRegisterBehindNAT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		reg := newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password})
		conn := n.MustListen(uaAddr)
		pub := netip.MustParseAddrPort("203.0.113.7:40123")
		conn.SetPublic(pub)
		u, _ := startUA(t, conn, Options{})
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}}, nil)
		s := waitReg(t, l, RegRegistered, 5*time.Second)
		if s.Contact != pub.String() {
			t.Errorf("contact %q, want the public %s", s.Contact, pub)
		}
		b, ok := reg.binding("201")
		if !ok || b.contact.Host != "203.0.113.7" || b.contact.Port != 40123 {
			t.Errorf("registrar binding %+v", b)
		}
		reg.mu.Lock()
		nb := len(reg.bindings)
		reg.mu.Unlock()
		if nb != 1 {
			t.Errorf("%d bindings: the private contact should have been removed", nb)
		}
	})
}

func TestKeepAliveCRLF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password})
		var mu sync.Mutex
		var pings []time.Time
		n.Tap(func(p memnet.Packet) {
			if p.To.String() == regAddr && bytes.Equal(p.Data, []byte("\r\n\r\n")) {
				mu.Lock()
				pings = append(pings, time.Now())
				mu.Unlock()
			}
		})
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}, KeepAlive: 15 * time.Second}, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		reg := time.Now()
		advance(61 * time.Second)
		mu.Lock()
		defer mu.Unlock()
		if len(pings) != 4 {
			t.Fatalf("%d keep-alives in 61 s, want 4", len(pings))
		}
		for i, at := range pings {
			if want := reg.Add(time.Duration(i+1) * 15 * time.Second); !at.Equal(want) {
				t.Errorf("ping %d at %v, want %v", i, at.Sub(reg), want.Sub(reg))
			}
		}
	})
}

func TestKeepAliveOptionsDetectsDeadServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		users := map[string]string{"201": alice.Password}
		primary := newRegistrar(t, n.MustListen(regAddr), users)
		newRegistrar(t, n.MustListen(reg2), users)
		u, _ := startUA(t, n.MustListen(uaAddr), Options{})
		p := Profile{Registrars: []string{regAddr, reg2}, KeepAlive: 20 * time.Second, KeepAliveMethod: KeepAliveOptions, Timeout: 5 * time.Second}
		l, _ := u.AddLine(1, alice, p, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		advance(50 * time.Second)
		primary.mu.Lock()
		opts := primary.options
		primary.mu.Unlock()
		if opts != 2 {
			t.Errorf("%d OPTIONS in 50 s, want 2", opts)
		}
		primary.setHook(func(*sip.Request) int { return -1 }) // dead: answers nothing
		dead := time.Now()
		for l.Registration().Path != 1 || l.Registration().Status != RegRegistered {
			select {
			case <-l.RegChanges():
			case <-time.After(time.Minute):
				t.Fatalf("still %+v", l.Registration())
			}
		}
		// next ping at +10 s, 5 s timeout, then the secondary at once
		if d := time.Since(dead); d > 16*time.Second {
			t.Errorf("moved to the secondary after %v", d)
		}
	})
}

func TestUnregisterOnStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		reg := newRegistrar(t, n.MustListen(regAddr), map[string]string{"201": alice.Password})
		u, stop := startUA(t, n.MustListen(uaAddr), Options{})
		l, _ := u.AddLine(1, alice, Profile{Registrars: []string{regAddr}}, nil)
		waitReg(t, l, RegRegistered, 5*time.Second)
		stop()
		if _, ok := reg.binding("201"); ok {
			t.Error("binding left after stop")
		}
		if s := l.Registration(); s.Status != RegStopped {
			t.Errorf("state %v", s)
		}
		seen := reg.seen()
		if last := seen[len(seen)-1]; last.expires != 0 || last.status != 200 {
			t.Errorf("last REGISTER %+v, want expires 0 answered 200", last)
		}
	})
}

type fakeDNS struct {
	srv map[string][]*net.SRV
	a   map[string][]netip.Addr
}

func (f fakeDNS) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	key := "_" + service + "._" + proto + "." + name
	if s, ok := f.srv[key]; ok {
		return key, s, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: key, IsNotFound: true}
}

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f.a[host]; ok {
		return append([]netip.Addr(nil), a...), nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestResolve(t *testing.T) {
	dns := fakeDNS{
		srv: map[string][]*net.SRV{
			"_sip._udp.voip.example": {{Target: "b.voip.example.", Port: 5070}, {Target: "a.voip.example.", Port: 5080}},
		},
		a: map[string][]netip.Addr{
			"b.voip.example": {netip.MustParseAddr("2001:db8::2"), netip.MustParseAddr("192.0.2.2")},
			"a.voip.example": {netip.MustParseAddr("192.0.2.1")},
			"sbc.example":    {netip.MustParseAddr("198.51.100.5")},
		},
	}
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"192.0.2.9", "192.0.2.9:5060", false},
		{"192.0.2.9:5062", "192.0.2.9:5062", false},
		{"sip:[2001:db8::9]:5070", "[2001:db8::9]:5070", false},
		{"voip.example", "192.0.2.2:5070 [2001:db8::2]:5070 192.0.2.1:5080", false},
		{"sbc.example", "198.51.100.5:5060", false}, // no SRV: A on 5060
		{"sbc.example:5099", "198.51.100.5:5099", false},
		{"voip.example:5060", "", true}, // a port means no SRV, and there is no A record
		{"nowhere.example", "", true},
		{"", "", true},
		{"host:99999", "", true},
	} {
		got, err := resolve(context.Background(), dns, tc.in, "udp")
		if (err != nil) != tc.err {
			t.Errorf("resolve(%q) error %v", tc.in, err)
			continue
		}
		var s []string
		for _, a := range got {
			s = append(s, a.String())
		}
		if strings.Join(s, " ") != tc.want {
			t.Errorf("resolve(%q) = %v, want %s", tc.in, s, tc.want)
		}
	}
}

func TestRegisterThroughSRV(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		newRegistrar(t, n.MustListen("192.0.2.1:5080"), map[string]string{"201": alice.Password})
		dns := fakeDNS{
			srv: map[string][]*net.SRV{"_sip._udp.voip.example": {{Target: "a.voip.example.", Port: 5080}}},
			a:   map[string][]netip.Addr{"a.voip.example": {netip.MustParseAddr("192.0.2.1")}},
		}
		u, _ := startUA(t, n.MustListen(uaAddr), Options{Resolver: dns})
		acc := alice
		acc.Domain = ""
		l, _ := u.AddLine(1, acc, Profile{Registrars: []string{"voip.example"}}, nil)
		s := waitReg(t, l, RegRegistered, 5*time.Second)
		if s.Server != "192.0.2.1:5080" {
			t.Errorf("server %s", s.Server)
		}
	})
}
