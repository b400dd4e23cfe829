package ntp

import (
	"context"
	"encoding/binary"
	"net"
	"testing"
	"time"
)

// ntpEpoch is 1900-01-01, the origin of NTP timestamps.
var ntpEpoch = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

func ntpStamp(t time.Time) uint64 {
	d := t.Sub(ntpEpoch)
	sec := uint64(d / time.Second)
	frac := uint64(d%time.Second) << 32 / uint64(time.Second)
	return sec<<32 | frac
}

// server is a local SNTP server (RFC 4330 section 5) whose clock runs skew
// ahead of ours; stratum 0 makes it answer with a kiss of death.
func server(t *testing.T, skew time.Duration, stratum byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 48 {
				continue
			}
			recv := time.Now().Add(skew)
			var r [48]byte
			r[0] = 0<<6 | 4<<3 | 4 // no leap warning, version 4, mode server
			r[1] = stratum
			r[2] = 6
			r[3] = 0xec                             // precision 2^-20
			binary.BigEndian.PutUint32(r[4:], 0x10) // root delay
			binary.BigEndian.PutUint32(r[8:], 0x10) // root dispersion
			copy(r[12:16], "LOCL")                  // reference ID
			if stratum == 0 {
				copy(r[12:16], "RATE")
			}
			binary.BigEndian.PutUint64(r[16:], ntpStamp(recv.Add(-time.Minute))) // reference time
			copy(r[24:32], buf[40:48])                                           // originate = client's transmit
			binary.BigEndian.PutUint64(r[32:], ntpStamp(recv))
			binary.BigEndian.PutUint64(r[40:], ntpStamp(time.Now().Add(skew)))
			pc.WriteTo(r[:], from)
		}
	}()
	return pc.LocalAddr().String()
}

// closedPort is a UDP address where nothing listens.
func closedPort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := pc.LocalAddr().String()
	pc.Close()
	return a
}

func TestSyncStepsTheClockByTheServersOffset(t *testing.T) {
	for _, skew := range []time.Duration{time.Hour, -90 * time.Minute, 0} {
		var stepped []time.Duration
		c := New(Options{Servers: []string{server(t, skew, 2)}, Timeout: 2 * time.Second,
			Set: func(d time.Duration) error { stepped = append(stepped, d); return nil }})
		r, err := c.Sync(t.Context())
		if err != nil {
			t.Fatalf("skew %v: %v", skew, err)
		}
		if len(stepped) != 1 {
			t.Fatalf("skew %v: clock stepped %d times", skew, len(stepped))
		}
		if d := stepped[0] - skew; d < -time.Second || d > time.Second {
			t.Errorf("skew %v: stepped by %v", skew, stepped[0])
		}
		if last, err := c.Last(); err != nil || last.Server != r.Server {
			t.Errorf("Last = %+v, %v", last, err)
		}
	}
}

func TestSyncTriesTheServersInOrder(t *testing.T) {
	dead, kod, good := closedPort(t), server(t, time.Hour, 0), server(t, 2*time.Hour, 3)
	var stepped time.Duration
	c := New(Options{Servers: []string{dead, kod, good}, Timeout: time.Second,
		Set: func(d time.Duration) error { stepped = d; return nil }})
	r, err := c.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.Server != good {
		t.Errorf("synced from %s, want %s (the first valid answer)", r.Server, good)
	}
	if d := stepped - 2*time.Hour; d < -time.Second || d > time.Second {
		t.Errorf("stepped by %v, want about 2h (the kiss of death must not set the clock)", stepped)
	}
}

func TestSyncWithoutAnswerLeavesTheClock(t *testing.T) {
	set := false
	c := New(Options{Servers: []string{closedPort(t)}, Timeout: time.Second,
		Set: func(time.Duration) error { set = true; return nil }})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c.Sync(ctx); err == nil {
		t.Fatal("Sync succeeded without a server")
	}
	if set {
		t.Error("the clock was set without an answer")
	}
	if _, err := c.Last(); err == nil {
		t.Error("Last reports no error after a failed sync")
	}
}
