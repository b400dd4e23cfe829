package console

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Ping and a one-hop traceroute to the loopback address through the
// operating system, or the clear error when sockets are not permitted.
func TestSystemNet(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	lo := netip.MustParseAddr("127.0.0.1")
	if a, err := (SystemNet{}).Lookup(ctx, "127.0.0.1"); err != nil || a != lo {
		t.Fatalf("Lookup = %v, %v", a, err)
	}
	if _, err := (SystemNet{}).Lookup(ctx, "::1"); !errors.Is(err, errIPv6) {
		t.Errorf("IPv6 lookup: %v", err)
	}
	for _, raw := range []bool{false, true} {
		p, err := SystemNet{}.ICMP(raw)
		if err != nil {
			// Allowed only with the error that says what to do.
			if !errors.Is(err, errRawSocket) && !errors.Is(err, errNoICMP) || !strings.Contains(err.Error(), "CAP_NET_RAW") {
				t.Fatalf("ICMP(raw=%v): %v", raw, err)
			}
			t.Logf("ICMP(raw=%v) not permitted here: %v", raw, err)
			continue
		}
		for seq := 1; seq <= 2; seq++ {
			r, err := p.Echo(ctx, lo, 1, seq, 2*time.Second)
			if err != nil || r.Kind != EchoReply || r.From != lo || r.RTT <= 0 || r.RTT > 2*time.Second {
				t.Errorf("raw=%v seq %d: %+v, %v", raw, seq, r, err)
			}
		}
		cctx, ccancel := context.WithCancel(ctx)
		ccancel()
		if _, err := p.Echo(cctx, lo, 0, 3, time.Second); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled echo: %v", err)
		}
		p.Close()
	}
}

func TestQuoted(t *testing.T) {
	p := &prober{raw: true, id: 0x1234}
	// IPv4 header (20 bytes, protocol 1) + echo request id 0x1234 seq 7.
	q := make([]byte, 28)
	q[0], q[9], q[20] = 0x45, 1, 8
	q[24], q[25], q[26], q[27] = 0x12, 0x34, 0, 7
	tests := []struct {
		name string
		mod  func(b []byte)
		seq  int
		want bool
	}{
		{"ours", func([]byte) {}, 7, true},
		{"other seq", func([]byte) {}, 8, false},
		{"other id", func(b []byte) { b[25] = 0x35 }, 7, false},
		{"not ICMP", func(b []byte) { b[9] = 17 }, 7, false},
		{"not an echo request", func(b []byte) { b[20] = 0 }, 7, false},
		{"short", func(b []byte) {}, 7, false},
	}
	for _, tc := range tests {
		b := append([]byte(nil), q...)
		tc.mod(b)
		if tc.name == "short" {
			b = b[:24]
		}
		if got := p.ours(b, tc.seq); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}
