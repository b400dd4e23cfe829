package media

import (
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"time"

	"github.com/pion/rtcp"
)

// Stats are the figures of one stream, for the call record.
type Stats struct {
	SSRC, RemoteSSRC uint32

	PacketsSent, OctetsSent         uint64 // RTP packets and payload octets sent (events included)
	PacketsReceived, OctetsReceived uint64 // from the far end's current source
	EventsSent, EventsReceived      uint64 // RFC 4733 events (not packets)
	Dropped                         uint64 // packets received but dropped: malformed, or the receive queue was full

	// Reception quality of the far end's stream (RFC 3550 section 6.4.1).
	Lost         int64         // cumulative packets lost (negative when duplicates outnumber losses)
	FractionLost float64       // lost in the last report interval, 0-1
	Jitter       time.Duration // interarrival jitter, RFC 3550 appendix A.8

	// What the far end reports about our stream, and the round trip.
	RemoteLost         int64
	RemoteFractionLost float64
	RemoteJitter       time.Duration
	RTT                time.Duration // from the last report block with LSR/DLSR, 0 before one
	LastSR             time.Time     // when the far end's last sender report arrived

	RTCPSent, RTCPReceived uint64
	ByeReceived            bool
}

// Stats returns the figures so far.
func (s *Stream) Stats() Stats {
	s.mu.Lock()
	st := s.st
	st.SSRC = s.ssrc
	s.mu.Unlock()
	s.rmu.Lock()
	r := &s.rs
	if r.valid {
		st.RemoteSSRC = r.ssrc
		st.Lost = r.lost()
	}
	st.PacketsReceived, st.OctetsReceived = r.received, r.octets
	st.FractionLost = float64(r.fraction) / 256
	st.Jitter = time.Duration(r.jitter * float64(time.Second) / ClockRate)
	st.Dropped = r.dropped
	st.EventsReceived = r.eventsReceived
	s.rmu.Unlock()
	return st
}

// RFC 3550 appendix A.1 constants.
const (
	maxDropout  = 3000
	maxMisorder = 100
	seqMod      = 1 << 16
)

// recvState is the reception side of RFC 3550: sequence number tracking
// (A.1), loss (A.3) and jitter (A.8) for the far end's source, and its last
// sender report for LSR/DLSR. The RTP reader updates it under Stream.rmu.
type recvState struct {
	valid         bool
	ssrc          uint32
	maxSeq        uint16
	cycles        uint32
	baseSeq       uint32
	badSeq        uint32
	received      uint64
	octets        uint64
	expectedPrior int64
	receivedPrior uint64
	fraction      uint8
	transit       int32
	haveTransit   bool
	jitter        float64 // in timestamp units

	lsr   uint32 // middle 32 bits of the last SR's NTP time
	lsrAt time.Time

	dropped        uint64
	eventsReceived uint64
}

func (r *recvState) init(ssrc uint32, seq uint16) {
	d, e := r.dropped, r.eventsReceived
	*r = recvState{valid: true, ssrc: ssrc, maxSeq: seq, baseSeq: uint32(seq), badSeq: seqMod + 1, dropped: d, eventsReceived: e}
}

// update takes one packet: its source, sequence number, timestamp, arrival
// time in timestamp units and payload size. Jitter is only computed for
// audio (event packets repeat their timestamp). It reports a new source.
func (r *recvState) update(ssrc uint32, seq uint16, ts, arrival uint32, octets int, audio bool) (newSource bool) {
	if !r.valid || ssrc != r.ssrc {
		r.init(ssrc, seq)
		newSource = true
	} else {
		udelta := seq - r.maxSeq
		switch {
		case udelta < maxDropout: // in order, with a permissible gap
			if seq < r.maxSeq {
				r.cycles += seqMod
			}
			r.maxSeq = seq
		case int(udelta) <= seqMod-maxMisorder: // a very large jump
			if uint32(seq) != r.badSeq {
				r.badSeq = (uint32(seq) + 1) & (seqMod - 1)
				return false
			}
			// Two sequential packets: the sender restarted its sequence.
			lsr, at := r.lsr, r.lsrAt
			r.init(ssrc, seq)
			r.lsr, r.lsrAt = lsr, at
		default: // duplicate or reordered
		}
	}
	r.received++
	r.octets += uint64(octets)
	if audio {
		transit := int32(arrival - ts)
		if r.haveTransit {
			d := float64(transit - r.transit)
			r.jitter += (math.Abs(d) - r.jitter) / 16
		}
		r.transit, r.haveTransit = transit, true
	}
	return newSource
}

func (r *recvState) extMax() uint32 { return r.cycles + uint32(r.maxSeq) }

func (r *recvState) expected() int64 { return int64(r.extMax()) - int64(r.baseSeq) + 1 }

func (r *recvState) lost() int64 { return r.expected() - int64(r.received) }

// block is the reception report for the far end's source (A.3); it starts
// a new interval for the fraction lost.
func (r *recvState) block(now time.Time) rtcp.ReceptionReport {
	expected := r.expected()
	lost := min(max(expected-int64(r.received), -0x800000), 0x7fffff)
	expInt := expected - r.expectedPrior
	recInt := int64(r.received - r.receivedPrior)
	r.expectedPrior, r.receivedPrior = expected, r.received
	r.fraction = 0
	if lostInt := expInt - recInt; expInt > 0 && lostInt > 0 {
		r.fraction = uint8(min(lostInt<<8/expInt, 255))
	}
	b := rtcp.ReceptionReport{
		SSRC:               r.ssrc,
		FractionLost:       r.fraction,
		TotalLost:          uint32(lost) & 0xffffff,
		LastSequenceNumber: r.extMax(),
		Jitter:             uint32(r.jitter),
	}
	if r.lsr != 0 {
		b.LastSenderReport = r.lsr
		b.Delay = uint32(now.Sub(r.lsrAt) * 65536 / time.Second)
	}
	return b
}

// ntp is t as a 64-bit NTP timestamp.
func ntp(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix() + unixToNTP)
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return secs<<32 | frac
}

// ntpMid is the middle 32 bits of an NTP timestamp (units of 1/65536 s).
func ntpMid(n uint64) uint32 { return uint32(n >> 16) }

// rtcpInterval is the RFC 3550 section 6.3.1 report interval (appendix
// A.7 without reconsideration): the RTCP bandwidth is 5 % of one sender's
// G.711 bandwidth at the packet time, shared as the RFC says between
// senders and receivers, floored at 5 s (2.5 s before the first report),
// randomised over [0.5, 1.5] and divided by e-3/2.
func rtcpInterval(members, senders int, weSent, initial bool, sessionBW, avgSize, u float64) time.Duration {
	tmin := 5.0
	if initial {
		tmin /= 2
	}
	bw := 0.05 * sessionBW
	n := float64(members)
	if senders > 0 && float64(senders) <= 0.25*float64(members) {
		if weSent {
			bw *= 0.25
			n = float64(senders)
		} else {
			bw *= 0.75
			n -= float64(senders)
		}
	}
	t := max(avgSize*n/bw, tmin)
	t *= u + 0.5
	t /= math.E - 1.5
	return time.Duration(t * float64(time.Second))
}

// rtcpInterval is the default Stream.interval.
func (s *Stream) rtcpInterval(initial bool) time.Duration {
	s.mu.Lock()
	pt := s.ptime.Seconds()
	weSent := s.sentThis || s.sentPrev
	avg := s.avgRTCP
	s.mu.Unlock()
	s.rmu.Lock()
	members, senders := 1, 0
	if s.rs.valid {
		members, senders = 2, 1
	}
	s.rmu.Unlock()
	if weSent {
		senders++
	}
	// One G.711 packet: payload plus RTP, UDP and IPv4 headers.
	bw := (ClockRate*pt + 12 + 8 + 20) / pt
	return rtcpInterval(members, senders, weSent, initial, bw, avg, rand.Float64())
}

func (s *Stream) reportLoop() {
	defer s.senders.Done()
	t := time.NewTimer(s.interval(true))
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.report(false)
			t.Reset(s.interval(false))
		}
	}
}

// report sends a compound RTCP packet: SR when we sent RTP in this or the
// previous interval, else RR; a report block about the far end's source
// once it has sent; SDES CNAME; and BYE when bye.
func (s *Stream) report(bye bool) {
	now := time.Now()
	s.mu.Lock()
	dest := s.rtcpDest
	if !s.started || !dest.IsValid() || dest.Addr().IsUnspecified() || dest.Port() == 0 {
		s.mu.Unlock()
		return
	}
	sender := s.sentThis || s.sentPrev
	s.sentPrev, s.sentThis = s.sentThis, false
	var blocks []rtcp.ReceptionReport
	s.rmu.Lock()
	if s.rs.valid {
		blocks = append(blocks, s.rs.block(now))
	}
	s.rmu.Unlock()
	pkts := make([]rtcp.Packet, 0, 3)
	if sender {
		rtpTime := s.lastTS + samplesOf(now.Sub(s.lastSentAt))
		pkts = append(pkts, &rtcp.SenderReport{SSRC: s.ssrc, NTPTime: ntp(now), RTPTime: rtpTime,
			PacketCount: uint32(s.st.PacketsSent), OctetCount: uint32(s.st.OctetsSent), Reports: blocks})
	} else {
		pkts = append(pkts, &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: blocks})
	}
	pkts = append(pkts, &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: s.ssrc, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: s.cname}}}}})
	if bye {
		pkts = append(pkts, &rtcp.Goodbye{Sources: []uint32{s.ssrc}})
	}
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		s.mu.Unlock()
		return
	}
	s.st.RTCPSent++
	s.avgRTCP += (float64(len(b)+28) - s.avgRTCP) / 16
	s.mu.Unlock()
	if _, err := s.rtcp.WriteToUDPAddrPort(b, dest); err == nil {
		s.tapped(true, true, dest, b)
	}
}

// readRTCP is the RTCP reader goroutine.
func (s *Stream) readRTCP() {
	defer s.readers.Done()
	buf := make([]byte, maxPacket)
	for {
		n, from, err := s.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.tapped(false, true, from, buf[:n])
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		s.handleRTCP(pkts, time.Now(), n)
	}
}

func (s *Stream) handleRTCP(pkts []rtcp.Packet, now time.Time, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.RTCPReceived++
	s.avgRTCP += (float64(size+28) - s.avgRTCP) / 16
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.SenderReport:
			s.rmu.Lock()
			s.rs.lsr, s.rs.lsrAt = ntpMid(p.NTPTime), now
			s.rmu.Unlock()
			s.st.LastSR = now
			s.reportBlocks(p.Reports, now)
		case *rtcp.ReceiverReport:
			s.reportBlocks(p.Reports, now)
		case *rtcp.Goodbye:
			s.st.ByeReceived = true
		}
	}
}

// reportBlocks takes the far end's report about our stream; mu held.
func (s *Stream) reportBlocks(rs []rtcp.ReceptionReport, now time.Time) {
	for _, r := range rs {
		if r.SSRC != s.ssrc {
			continue
		}
		s.st.RemoteFractionLost = float64(r.FractionLost) / 256
		s.st.RemoteLost = int64(int32(r.TotalLost<<8) >> 8)
		s.st.RemoteJitter = time.Duration(float64(r.Jitter) * float64(time.Second) / ClockRate)
		if r.LastSenderReport != 0 {
			if rtt := ntpMid(ntp(now)) - r.LastSenderReport - r.Delay; int32(rtt) >= 0 {
				s.st.RTT = time.Duration(uint64(rtt) * uint64(time.Second) / 65536)
			}
		}
	}
}
