package peers_test

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/peers"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", name, got)
	}
}

func TestKamailioConfigGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    peers.KamailioOptions
	}{
		{"kamailio-default.cfg", peers.KamailioOptions{}},
		{"kamailio-full.cfg", peers.KamailioOptions{
			Users:      []peers.User{{"alice", "s3cret"}, {"201", "pw-201"}},
			Domain:     "openiad.test",
			Algorithm:  "sha-256",
			AuthCalls:  true,
			NoQOP:      true,
			MinExpires: 10 * time.Second, MaxExpires: 600 * time.Second,
			Routes: map[string]string{"gw": "127.0.0.1:5080", "pbx": "127.0.0.2:5060"},
			Script: `	if ($rU == "486") { sl_send_reply("486", "Busy Here"); exit; }`,
			Debug:  3,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := peers.KamailioConfig(tc.o, 5060, "/run/k/rpc.sock")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, cfg)
		})
	}
}

func TestKamailioOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    peers.KamailioOptions
		want string
	}{
		{"quote in password", peers.KamailioOptions{Users: []peers.User{{"a", `x"y`}}}, `user "a"`},
		{"space in user", peers.KamailioOptions{Users: []peers.User{{"a b", "x"}}}, `user "a b"`},
		{"bad domain", peers.KamailioOptions{Domain: "a;b"}, `domain "a;b"`},
		{"bad algorithm", peers.KamailioOptions{Algorithm: "SHA-1"}, `algorithm "SHA-1"`},
		{"expires", peers.KamailioOptions{MinExpires: time.Minute, MaxExpires: time.Second}, "MaxExpires"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := peers.KamailioConfig(tc.o, 5060, "/x")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// sippRegister runs the register scenario for user/password at k.
func sippRegister(t *testing.T, ctx context.Context, k *peers.Kamailio, user, password, transport string, expect int) *peers.SippResult {
	t.Helper()
	r, err := peers.RunSipp(ctx, peers.SippOptions{
		Scenario: peers.RegisterScenario(peers.Register{Expires: 30, Expect: expect}),
		Target:   k.Addr().String(),
		Service:  user, AuthUser: user, Password: password,
		Transport: transport, Timeout: 10 * time.Second, NoDefaults: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKamailioDigestRegister(t *testing.T) {
	peers.Need(t, "kamailio", "sipp")
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{"alice", "secret"}, {"bob", "other"}, {"dave", "tcp-pw"}}})
	for _, tc := range []struct {
		name, user, password string
		transport            string // sipp's -t
		code                 int    // final response
		final                string // its status line
	}{
		{"right password", "alice", "secret", "u1", 200, "SIP/2.0 200 OK"},
		{"right password over TCP", "dave", "tcp-pw", "t1", 200, "SIP/2.0 200 OK"},
		{"wrong password", "bob", "secret", "u1", 403, "SIP/2.0 403 Wrong Password"},
		{"unknown user", "carol", "secret", "u1", 403, "SIP/2.0 403 Unknown User"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r := sippRegister(t, ctx, k, tc.user, tc.password, tc.transport, tc.code)
			if err := r.Err(); err != nil || r.Successful != 1 {
				t.Fatalf("sipp: %v, %d successful calls, want 1\n%s", err, r.Successful, r)
			}
			var status []string
			for _, line := range strings.Split(r.Messages, "\n") {
				if strings.HasPrefix(line, "SIP/2.0 ") {
					status = append(status, strings.TrimSpace(line))
				}
			}
			if len(status) != 2 || status[0] != "SIP/2.0 401 Unauthorized" || status[1] != tc.final {
				t.Fatalf("responses %q, want 401 Unauthorized then %q\n%s", status, tc.final, r)
			}
			cs, err := k.Contacts(ctx, tc.user)
			if err != nil {
				t.Fatal(err)
			}
			ok := tc.code == 200
			if ok != (len(cs) == 1) {
				t.Fatalf("contacts of %s: %+v, want registered %v", tc.user, cs, ok)
			}
			want := fmt.Sprintf("sip:%s@127.0.0.1:", tc.user)
			if ok && (!strings.HasPrefix(cs[0].Address, want) || cs[0].Expires < 1 || cs[0].Expires > 30) {
				t.Fatalf("contact %+v, want %sport expiring within 30 s", cs[0], want)
			}
		})
	}
}

func TestKamailioFailMuteRestart(t *testing.T) {
	peers.Need(t, "kamailio")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{})
	ping := func() int {
		code, err := peers.Ping(ctx, k.Addr(), 300*time.Millisecond)
		if err != nil {
			return 0
		}
		return code
	}
	steps := []struct {
		name string
		do   func() error
		want int // 0: no answer
	}{
		{"running", func() error { return nil }, 200},
		{"fail 503", func() error { return k.Fail(ctx, 503, "Maintenance") }, 503},
		{"recover", func() error { return k.Fail(ctx, 0, "") }, 200},
		{"mute", func() error { return k.Mute(ctx, true) }, 0},
		{"unmute", func() error { return k.Mute(ctx, false) }, 200},
		{"stop", k.Stop, 0},
		{"restart", func() error { return k.Restart(ctx) }, 200},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := ping(); got != s.want {
			t.Fatalf("%s: OPTIONS answered %d, want %d", s.name, got, s.want)
		}
	}
	if !k.Running() {
		t.Fatal("not running after restart")
	}
}

// exchange sends one SIP request over c to addr and returns the first
// response.
func exchange(t *testing.T, c *net.UDPConn, addr netip.AddrPort, req string) string {
	t.Helper()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.WriteToUDPAddrPort([]byte(req), addr); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	for {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no response to\n%s: %v", req, err)
		}
		if resp := string(buf[:n]); !strings.HasPrefix(resp, "SIP/2.0 1") {
			return resp
		}
	}
}

// digestParam returns a parameter of a WWW-Authenticate header.
func digestParam(h, name string) string {
	i := strings.Index(h, name+"=")
	if i < 0 {
		return ""
	}
	v := h[i+len(name)+1:]
	if strings.HasPrefix(v, `"`) {
		v, _, _ = strings.Cut(v[1:], `"`)
		return v
	}
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// TestKamailioDigestAlgorithms registers with a digest computed here
// (RFC 7616), so that the SIP user agent's SHA-256 has a verified peer.
func TestKamailioDigestAlgorithms(t *testing.T) {
	peers.Need(t, "kamailio")
	for _, tc := range []struct {
		algorithm string
		noQOP     bool
		hash      func(string) string
	}{
		{"MD5", false, func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }},
		{"MD5", true, func(s string) string { return fmt.Sprintf("%x", md5.Sum([]byte(s))) }},
		{"SHA-256", false, func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }},
	} {
		t.Run(fmt.Sprintf("%s qop %v", tc.algorithm, !tc.noQOP), func(t *testing.T) {
			k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{"201", "pw201"}}, Domain: "openiad.test",
				Algorithm: tc.algorithm, NoQOP: tc.noQOP})
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			local := c.LocalAddr().String()
			reg := func(cseq int, auth string) string {
				return fmt.Sprintf("REGISTER sip:openiad.test SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%d;rport\r\n"+
					"Max-Forwards: 70\r\nFrom: <sip:201@openiad.test>;tag=t1\r\nTo: <sip:201@openiad.test>\r\n"+
					"Call-ID: digest-test\r\nCSeq: %d REGISTER\r\nContact: <sip:201@%s>\r\nExpires: 20\r\n%sContent-Length: 0\r\n\r\n",
					local, cseq, cseq, local, auth)
			}
			resp := exchange(t, c, k.Addr(), reg(1, ""))
			if !strings.HasPrefix(resp, "SIP/2.0 401 ") {
				t.Fatalf("want a 401 challenge, got\n%s", resp)
			}
			var chal string
			for _, line := range strings.Split(resp, "\r\n") {
				if strings.HasPrefix(line, "WWW-Authenticate:") {
					chal = line
				}
			}
			realm, nonce, alg, qop := digestParam(chal, "realm"), digestParam(chal, "nonce"), digestParam(chal, "algorithm"), digestParam(chal, "qop")
			if realm != "openiad.test" || nonce == "" || (tc.algorithm == "SHA-256" && alg != "SHA-256") || (qop == "") != tc.noQOP {
				t.Fatalf("challenge %q: realm %q nonce %q algorithm %q qop %q", chal, realm, nonce, alg, qop)
			}
			ha1 := tc.hash("201:openiad.test:pw201")
			ha2 := tc.hash("REGISTER:sip:openiad.test")
			auth := fmt.Sprintf(`Authorization: Digest username="201", realm="openiad.test", nonce="%s", uri="sip:openiad.test", algorithm=%s`, nonce, tc.algorithm)
			if tc.noQOP {
				auth += fmt.Sprintf(`, response="%s"`, tc.hash(ha1+":"+nonce+":"+ha2))
			} else {
				auth += fmt.Sprintf(`, qop=auth, nc=00000001, cnonce="c0ffee", response="%s"`, tc.hash(ha1+":"+nonce+":00000001:c0ffee:auth:"+ha2))
			}
			if resp := exchange(t, c, k.Addr(), reg(2, auth+"\r\n")); !strings.HasPrefix(resp, "SIP/2.0 200 ") {
				t.Fatalf("want 200 for the digest answer, got\n%s", resp)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if cs, err := k.Contacts(ctx, "201"); err != nil || len(cs) != 1 || cs[0].Address != "sip:201@"+local {
				t.Fatalf("contacts %+v, %v; want sip:201@%s", cs, err, local)
			}
		})
	}
}
