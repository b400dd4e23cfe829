package media

import (
	"math"
	"testing"
	"time"
)

// TestRecvStatsLoss feeds sequence numbers and checks cumulative loss,
// the extended highest sequence number and the fraction lost of each
// report interval (RFC 3550 appendix A.1 and A.3).
func TestRecvStatsLoss(t *testing.T) {
	type interval struct {
		seqs     []uint16
		lost     int64
		extMax   uint32
		fraction uint8 // in 1/256
	}
	tests := []struct {
		name      string
		intervals []interval
	}{
		{"no loss", []interval{{[]uint16{100, 101, 102, 103}, 0, 103, 0}}},
		{"two lost of seven", []interval{{[]uint16{100, 101, 103, 104, 106}, 2, 106, 2 * 256 / 7}, {[]uint16{107, 108, 109, 110}, 2, 110, 0}}},
		{"half lost", []interval{{[]uint16{10, 12, 14, 16}, 3, 16, 3 * 256 / 7}}},
		{"reordered is not lost", []interval{{[]uint16{10, 12, 11, 13}, 0, 13, 0}}},
		{"late packet fills a gap next interval", []interval{{[]uint16{10, 12}, 1, 12, 256 / 3}, {[]uint16{11, 13}, 0, 13, 0}}},
		{"duplicates make loss negative", []interval{{[]uint16{10, 11, 11, 12, 12}, -2, 12, 0}}},
		{"wrap around", []interval{{[]uint16{65533, 65534, 65535, 0, 1, 3}, 1, 65536 + 3, 256 / 7}}},
		{"gap below MAX_DROPOUT is loss", []interval{{[]uint16{1000, 3999}, 2998, 3999, 255}}},
		{"big jump then restart", []interval{{[]uint16{10, 11, 9000}, 0, 11, 0}, {[]uint16{9001, 9002}, 0, 9002, 0}}},
		{"big jump ignored once", []interval{{[]uint16{10, 11, 9000, 12}, 0, 12, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r recvState
			for i, iv := range tt.intervals {
				for _, s := range iv.seqs {
					r.update(0x1234, s, 0, 0, 160, true)
				}
				b := r.block(time.Time{})
				if r.lost() != iv.lost || b.LastSequenceNumber != iv.extMax || b.FractionLost != iv.fraction {
					t.Errorf("interval %d: lost %d, ext max %d, fraction %d; want %d, %d, %d",
						i, r.lost(), b.LastSequenceNumber, b.FractionLost, iv.lost, iv.extMax, iv.fraction)
				}
				if got := int64(int32(b.TotalLost<<8) >> 8); got != iv.lost {
					t.Errorf("interval %d: report says %d lost", i, got)
				}
				if b.SSRC != 0x1234 || b.LastSenderReport != 0 || b.Delay != 0 {
					t.Errorf("block %+v", b)
				}
			}
		})
	}
}

func TestRecvStatsNewSource(t *testing.T) {
	var r recvState
	if !r.update(1, 100, 0, 0, 160, true) {
		t.Error("first packet is not a new source")
	}
	r.update(1, 102, 0, 0, 160, true)
	r.dropped = 3
	if !r.update(2, 7, 0, 0, 80, true) {
		t.Error("SSRC change is not a new source")
	}
	if r.lost() != 0 || r.received != 1 || r.octets != 80 || r.dropped != 3 {
		t.Errorf("after SSRC change: lost %d received %d octets %d dropped %d", r.lost(), r.received, r.octets, r.dropped)
	}
}

// TestJitter checks the RFC 3550 A.8 estimator against values worked out
// by hand: transit times 1000, 1000, 1080, 1000 give |D| 0, 80, 80, so
// J = 0, 80/16 = 5, 5 + (80-5)/16 = 9.6875.
func TestJitter(t *testing.T) {
	var r recvState
	transits := []uint32{1000, 1000, 1080, 1000}
	want := []float64{0, 0, 5, 9.6875}
	for i, tr := range transits {
		ts := uint32(i) * 160
		r.update(9, uint16(i), ts, ts+tr, 160, true)
		if r.jitter != want[i] {
			t.Errorf("after packet %d jitter %v, want %v", i, r.jitter, want[i])
		}
	}
	// Event packets repeat their timestamp and do not count.
	r.update(9, 4, 480, 99999, 4, false)
	if r.jitter != 9.6875 {
		t.Errorf("an event packet moved jitter to %v", r.jitter)
	}
	if b := r.block(time.Time{}); b.Jitter != 9 {
		t.Errorf("report jitter %d, want 9", b.Jitter)
	}
	// Constant transit across a timestamp wrap: converges to 0.
	var w recvState
	for i := range 200 {
		ts := 0xffff0000 + uint32(i)*160
		w.update(1, uint16(i), ts, ts+uint32(7+(i%2)*8), 160, true) // |D| = 8 every packet
	}
	if math.Abs(w.jitter-8) > 0.01 {
		t.Errorf("alternating transit: jitter %v, want 8", w.jitter)
	}
}

func TestDLSR(t *testing.T) {
	var r recvState
	r.update(1, 1, 0, 0, 160, true)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r.lsr, r.lsrAt = 0xabcd1234, at
	b := r.block(at.Add(1500 * time.Millisecond))
	if b.LastSenderReport != 0xabcd1234 || b.Delay != 98304 {
		t.Errorf("LSR %#x DLSR %d, want 0xabcd1234 and 1.5*65536", b.LastSenderReport, b.Delay)
	}
}

func TestNTP(t *testing.T) {
	tests := []struct {
		t    time.Time
		want uint64
	}{
		{time.Unix(0, 0), 2208988800 << 32},
		{time.Unix(1, 500_000_000), (2208988801 << 32) | 0x80000000},
		{time.Unix(0, 250_000_000), (2208988800 << 32) | 0x40000000},
	}
	for _, tt := range tests {
		if got := ntp(tt.t); got != tt.want {
			t.Errorf("ntp(%v) = %#x, want %#x", tt.t, got, tt.want)
		}
	}
	if got := ntpMid((2208988801 << 32) | 0x80000000); got != uint32((2208988801<<16)&0xffffffff|0x8000) {
		t.Errorf("ntpMid = %#x", got)
	}
}

// TestRTCPInterval checks the RFC 3550 section 6.3.1 computation: for a
// two-party G.711 call the 5 s minimum rules, randomised over [0.5, 1.5]
// and divided by e-3/2 = 1.21828.
func TestRTCPInterval(t *testing.T) {
	const comp = math.E - 1.5
	g711 := (8000*0.02 + 40) / 0.02 // bytes per second at 20 ms
	tests := []struct {
		name             string
		members, senders int
		weSent, initial  bool
		bw, avg, u       float64
		want             float64 // seconds
	}{
		{"two parties, low end", 2, 2, true, false, g711, 100, 0, 5 * 0.5 / comp},
		{"two parties, middle", 2, 2, true, false, g711, 100, 0.5, 5 / comp},
		{"two parties, high end", 2, 2, true, false, g711, 100, 1, 5 * 1.5 / comp},
		{"first report", 2, 1, false, true, g711, 100, 0.5, 2.5 / comp},
		{"big reports exceed the minimum", 2, 2, true, false, g711, 2000, 0.5, 2000 * 2 / (0.05 * g711) / comp},
		{"few senders, we send", 10, 2, true, false, 10000, 1000, 0.5, 1000 * 2 / (0.05 * 10000 * 0.25) / comp},
		{"few senders, we listen", 10, 2, false, false, 10000, 1000, 0.5, 1000 * 8 / (0.05 * 10000 * 0.75) / comp},
	}
	for _, tt := range tests {
		got := rtcpInterval(tt.members, tt.senders, tt.weSent, tt.initial, tt.bw, tt.avg, tt.u).Seconds()
		if math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: %.6f s, want %.6f s", tt.name, got, tt.want)
		}
	}
}
