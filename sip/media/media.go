// Package media carries the audio of one call over RTP and RTCP (RFC 3550)
// on pion/rtp and pion/rtcp: a pair of UDP sockets (RTP on an even port,
// RTCP on the next), G.711 packets out with their sequence number,
// timestamp, SSRC and marker bit, audio packets in through a queue the
// caller drains with Receive, RFC 4733 telephone events both ways, and RTCP
// sender/receiver reports with the loss, jitter and round-trip figures of
// the call.
//
// Goroutines. Listen starts three that live until Close: the RTP reader
// (validates each packet, keeps the reception statistics, turns RFC 4733
// packets into deduplicated Events and queues audio for Receive), the RTCP
// reader, and the RTCP sender (reports at the randomised RFC 3550 interval);
// a fourth plays the RFC 4733 events queued by SendEvent. Send and Silence
// belong to the goroutine that paces the audio (the media loop), Receive to
// the one that feeds the jitter buffer; Start, SendEvent, Events, Stats,
// Port and Close may be called from any goroutine. Send, Silence and
// Receive allocate nothing in steady state, nor does the RTP reader.
package media

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/pion/rtp"
)

var (
	// ErrClosed is returned by every method of a closed Stream.
	ErrClosed = errors.New("media: stream closed")

	errNotStarted = errors.New("media: stream not started")
	errNoPort     = errors.New("media: no free port pair")
	errPortRange  = errors.New("media: bad port range")
	errAddr       = errors.New("media: bad address")
	errTooBig     = errors.New("media: payload too big")
	errNoEvents   = errors.New("media: telephone-event not negotiated")
	errDigit      = errors.New("media: not an RFC 4733 event")
	errDuration   = errors.New("media: bad event duration")
	errRefused    = errors.New("media: the far end does not accept this event")
	errBusy       = errors.New("media: event queue full")
	errNotSending = errors.New("media: the stream does not send (hold)")
)

const (
	// ClockRate is the RTP clock of G.711 and telephone-event/8000.
	ClockRate = 8000
	// DefaultMinPort and DefaultMaxPort are the range Listen uses when it
	// is given 0, 0.
	DefaultMinPort = 16384
	DefaultMaxPort = 32767

	maxPacket  = 1500 // largest RTP packet taken in or sent
	maxPayload = maxPacket - 12
	slots      = 32 // receive queue depth (packets)
	eventQueue = 32
)

// Packet is one received audio packet. Payload belongs to the Packet:
// Receive reuses its array, so keep one Packet per receiving goroutine.
type Packet struct {
	Seq     uint16
	TS      uint32
	SSRC    uint32
	Marker  bool
	PT      uint8
	Payload []byte
	At      time.Time // arrival time
}

// Event is a received RFC 4733 event: Digit is '0'-'9', '*', '#', 'A'-'D'
// or Flash; Dur how long it lasted.
type Event struct {
	Digit byte
	Dur   time.Duration
}

// conn is the part of *net.UDPConn a Stream uses (tests substitute an
// in-memory network).
type conn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	Close() error
}

type slot struct {
	buf     [maxPacket + 36]byte
	off, n  int
	seq     uint16
	ts      uint32
	ssrc    uint32
	marker  bool
	pt      uint8
	arrival time.Time
}

// Stream is one RTP session: our source towards the far end and the far
// end's source towards us.
type Stream struct {
	rtp, rtcp conn
	port      int
	cname     string
	epoch     time.Time // origin of arrival times in RTP units

	// interval gives the time to the next RTCP report (tests replace it).
	interval func(initial bool) time.Duration

	mu         sync.Mutex // sender state, negotiation, remote reports
	closed     bool
	started    bool
	remote     netip.AddrPort
	rtcpDest   netip.AddrPort
	codecPT    uint8
	evPT       int // -1 when telephone-event is not negotiated
	evMask     uint32
	dir        sdp.Direction
	ptime      time.Duration
	ssrc       uint32
	seq        uint16
	ts         uint32 // timestamp of the next audio sample
	marker     bool
	inEvent    bool
	lastTS     uint32
	lastSentAt time.Time
	sentThis   bool
	sentPrev   bool
	hdr        rtp.Header
	buf        [maxPacket]byte
	st         Stats // the sender-side and remote-report parts
	avgRTCP    float64

	rmu sync.Mutex // reception statistics
	rs  recvState

	recvEvPT [2]atomic.Int32 // payload types the far end sends events with, -1 = none
	erx      eventRx         // RTP reader only
	slots    [slots]slot
	free     chan int
	full     chan int
	events   chan Event
	evq      chan queuedEvent
	tap      atomic.Pointer[TapFunc]

	done      chan struct{}
	closeOnce sync.Once
	senders   sync.WaitGroup // RTCP sender and event player
	readers   sync.WaitGroup // RTP and RTCP readers
}

// Listen opens the RTP socket on an even port and the RTCP socket on the
// next one, both on ip, trying the pairs of [minPort, maxPort] from a random
// starting point; 0, 0 means DefaultMinPort-DefaultMaxPort. The stream
// receives at once; it sends after Start.
func Listen(ip netip.Addr, minPort, maxPort int) (*Stream, error) {
	if !ip.IsValid() || ip.Zone() != "" {
		return nil, fmt.Errorf("%w: %v", errAddr, ip)
	}
	if minPort == 0 && maxPort == 0 {
		minPort, maxPort = DefaultMinPort, DefaultMaxPort
	}
	first := minPort + minPort%2
	if minPort < 1 || maxPort > 65535 || first+1 > maxPort {
		return nil, fmt.Errorf("%w: %d-%d has no even/odd pair", errPortRange, minPort, maxPort)
	}
	network := "udp4"
	if !ip.Is4() {
		network = "udp6"
	}
	pairs := (maxPort - first + 1) / 2
	start := rand.IntN(pairs)
	// Two rounds: the first skips the ports of calls that ended moments
	// ago (released), whose far ends may still be sending; the second
	// takes any free pair.
	for i := range 2 * pairs {
		p := first + 2*((start+i)%pairs)
		if i < pairs && released.recent(p) {
			continue
		}
		r, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p))))
		if err != nil {
			continue
		}
		c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			r.Close()
			continue
		}
		return newStream(r, c, p, nil), nil
	}
	return nil, fmt.Errorf("%w in %d-%d on %v", errNoPort, minPort, maxPort, ip)
}

// newStream wraps a bound socket pair and starts the goroutines; interval
// replaces the RFC 3550 report interval when not nil (tests).
func newStream(rtpConn, rtcpConn conn, port int, interval func(initial bool) time.Duration) *Stream {
	var id [8]byte
	for i := range id {
		id[i] = byte(rand.Uint32())
	}
	s := &Stream{
		rtp: rtpConn, rtcp: rtcpConn, port: port,
		cname:  "openiad-" + hex.EncodeToString(id[:]),
		epoch:  time.Now(),
		evPT:   -1,
		dir:    sdp.SendRecv,
		ptime:  20 * time.Millisecond,
		ssrc:   rand.Uint32() | 1,
		seq:    uint16(rand.Uint32()),
		ts:     rand.Uint32(),
		marker: true,
		free:   make(chan int, slots),
		full:   make(chan int, slots),
		events: make(chan Event, 16),
		evq:    make(chan queuedEvent, eventQueue),
		done:   make(chan struct{}),
	}
	s.interval = interval
	if interval == nil {
		s.interval = s.rtcpInterval
	}
	s.avgRTCP = 100
	s.hdr = rtp.Header{Version: 2}
	s.recvEvPT[0].Store(-1)
	s.recvEvPT[1].Store(-1)
	for i := range slots {
		s.free <- i
	}
	s.readers.Add(2)
	go s.readRTP()
	go s.readRTCP()
	s.senders.Add(2)
	go s.reportLoop()
	go s.eventLoop()
	return s
}

// TapFunc is told of every RTP and RTCP packet a Stream sends or receives
// (a packet capture). It runs on the stream's own goroutines, holding its
// locks: it must return quickly, never block, and not keep b.
type TapFunc func(sent, rtcp bool, local, remote netip.AddrPort, b []byte)

// SetTap sets (or with nil removes) the stream's tap. Without a tap the
// media path pays one atomic load per packet and allocates nothing.
func (s *Stream) SetTap(f TapFunc) {
	if f == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&f)
}

// tapped shows a packet to the tap, if there is one.
func (s *Stream) tapped(sent, isRTCP bool, remote netip.AddrPort, b []byte) {
	f := s.tap.Load()
	if f == nil {
		return
	}
	c := s.rtp
	if isRTCP {
		c = s.rtcp
	}
	var local netip.AddrPort
	if la, ok := c.(interface{ LocalAddr() net.Addr }); ok {
		if u, ok := la.LocalAddr().(*net.UDPAddr); ok {
			local = u.AddrPort()
		}
	}
	if !local.IsValid() {
		port := s.port
		if isRTCP {
			port++
		}
		local = netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port))
	}
	(*f)(sent, isRTCP, local, remote, b)
}

// Port is the RTP port (RTCP is Port()+1).
func (s *Stream) Port() int { return s.port }

// Start points the stream at the far end after an answer (or a re-INVITE):
// remote receives RTP, n says the codec and event payload types, the packet
// time, our direction and where RTCP goes. The SSRC, sequence numbers and
// timestamps carry on across re-targets; the next audio packet has the
// marker bit. Audio is only sent while n.Dir sends and remote is a real
// address (not the 0.0.0.0 of a legacy hold).
func (s *Stream) Start(remote netip.AddrPort, n sdp.Negotiated) {
	s.mu.Lock()
	defer s.mu.Unlock()
	remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
	s.remote = remote
	s.rtcpDest = n.RTCP
	if !s.rtcpDest.IsValid() && remote.IsValid() {
		s.rtcpDest = netip.AddrPortFrom(remote.Addr(), remote.Port()+1)
	}
	s.rtcpDest = netip.AddrPortFrom(s.rtcpDest.Addr().Unmap(), s.rtcpDest.Port())
	s.codecPT = n.Codec.PT
	s.dir = n.Dir
	if s.dir == "" {
		s.dir = sdp.SendRecv
	}
	if n.PTime > 0 {
		s.ptime = n.PTime
	}
	s.evPT, s.evMask = -1, 0
	s.recvEvPT[0].Store(-1)
	s.recvEvPT[1].Store(-1)
	if n.Event != nil {
		s.evPT = int(n.Event.PT)
		for c := range 17 {
			if n.CanSendEvent(c) {
				s.evMask |= 1 << c
			}
		}
		s.recvEvPT[0].Store(int32(n.Event.PT))
		s.recvEvPT[1].Store(int32(n.RecvEventPT))
	}
	s.started = true
	s.marker = true
}

// sending reports whether audio may go out now; mu held.
func (s *Stream) sending() bool {
	a := s.remote.Addr()
	return s.started && s.dir.Sends() && a.IsValid() && !a.IsUnspecified() && s.remote.Port() != 0
}

// Send sends one packet of audio: payload (already G.711 encoded, one
// packet time of it) stamped with the current timestamp, which then
// advances by samples. The first packet after Start, Silence, an event or a
// pause in sending carries the marker bit. While an RFC 4733 event plays, or
// the direction does not send, the audio is dropped but the timestamp still
// advances.
func (s *Stream) Send(payload []byte, samples uint32) error {
	if len(payload) > maxPayload {
		return fmt.Errorf("%w: %d bytes", errTooBig, len(payload))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case !s.started:
		return errNotStarted
	}
	ts := s.ts
	s.ts += samples
	if s.inEvent || !s.sending() {
		s.marker = true
		return nil
	}
	err := s.writeLocked(s.codecPT, ts, s.marker, payload)
	s.marker = false
	return err
}

// Silence advances the timestamp by samples without sending (silence
// suppression); the next packet carries the marker bit.
func (s *Stream) Silence(samples uint32) {
	s.mu.Lock()
	s.ts += samples
	s.marker = true
	s.mu.Unlock()
}

// writeLocked sends one RTP packet; mu held.
func (s *Stream) writeLocked(pt uint8, ts uint32, marker bool, payload []byte) error {
	s.hdr.PayloadType = pt
	s.hdr.SequenceNumber = s.seq
	s.hdr.Timestamp = ts
	s.hdr.SSRC = s.ssrc
	s.hdr.Marker = marker
	n, err := s.hdr.MarshalTo(s.buf[:])
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	n += copy(s.buf[n:], payload)
	s.seq++
	s.st.PacketsSent++
	s.st.OctetsSent += uint64(len(payload))
	s.lastTS = ts
	s.lastSentAt = time.Now()
	s.sentThis = true
	if _, err := s.rtp.WriteToUDPAddrPort(s.buf[:n], s.remote); err != nil {
		return fmt.Errorf("media: send to %v: %w", s.remote, err)
	}
	s.tapped(true, false, s.remote, s.buf[:n])
	return nil
}

// Receive waits for the next audio packet (RFC 4733 events are taken out
// and come through Events) and copies it into p. It returns ctx.Err() when
// ctx ends first and ErrClosed once the stream is closed. When the caller
// falls behind by more than the queue (32 packets) the oldest are dropped.
func (s *Stream) Receive(ctx context.Context, p *Packet) error {
	select {
	case i := <-s.full:
		sl := &s.slots[i]
		p.Seq, p.TS, p.SSRC, p.Marker, p.PT, p.At = sl.seq, sl.ts, sl.ssrc, sl.marker, sl.pt, sl.arrival
		p.Payload = append(p.Payload[:0], sl.buf[sl.off:sl.n]...)
		s.free <- i
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrClosed
	}
}

// Events delivers each received RFC 4733 event once, when it ends. The
// channel is closed after Close. Events nobody reads are dropped beyond 16.
func (s *Stream) Events() <-chan Event { return s.events }

// readRTP is the RTP reader goroutine.
func (s *Stream) readRTP() {
	defer s.readers.Done()
	defer close(s.events)
	var h rtp.Header
	cur := <-s.free
	for {
		sl := &s.slots[cur]
		n, from, err := s.rtp.ReadFromUDPAddrPort(sl.buf[:])
		if err != nil {
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				break
			}
			continue // e.g. ICMP port unreachable reported on the socket
		}
		s.tapped(false, false, from, sl.buf[:min(n, len(sl.buf))])
		at := time.Now()
		if n > maxPacket || !parseRTP(&h, sl, n) {
			s.rmu.Lock()
			s.rs.dropped++
			s.rmu.Unlock()
			continue
		}
		sl.arrival = at
		isEvent := int32(sl.pt) == s.recvEvPT[0].Load() || int32(sl.pt) == s.recvEvPT[1].Load()
		s.rmu.Lock()
		newSource := s.rs.update(sl.ssrc, sl.seq, sl.ts, s.arrivalUnits(at), sl.n-sl.off, !isEvent)
		s.rmu.Unlock()
		if newSource {
			s.flushEvent()
			s.erx = eventRx{}
		}
		if isEvent {
			var e EventPayload
			if e.Unmarshal(sl.buf[sl.off:sl.n]) == nil {
				evs, k := s.erx.packet(sl.ts, e)
				for _, ev := range evs[:k] {
					s.emit(ev)
				}
			}
			continue
		}
		if ev, ok := s.erx.audio(sl.ts); ok {
			s.emit(ev)
		}
		s.full <- cur
		select {
		case cur = <-s.free:
		default:
			select {
			case cur = <-s.free:
			case cur = <-s.full: // the consumer is behind: drop the oldest
				s.rmu.Lock()
				s.rs.dropped++
				s.rmu.Unlock()
			}
		}
	}
	s.flushEvent()
}

// parseRTP reads the header of the packet in sl and sets its fields; false
// for anything that is not a plausible RTP packet.
func parseRTP(h *rtp.Header, sl *slot, n int) bool {
	if n < 12 || sl.buf[0]>>6 != 2 {
		return false
	}
	hl, err := h.Unmarshal(sl.buf[:n])
	if err != nil || hl > n {
		return false
	}
	end := n
	if h.Padding {
		pad := int(sl.buf[n-1])
		if pad == 0 || hl+pad > n {
			return false
		}
		end -= pad
	}
	if pt := h.PayloadType; pt >= 72 && pt <= 76 {
		return false // RTCP sent to the RTP port (RFC 5761 section 4)
	}
	sl.off, sl.n = hl, end
	sl.seq, sl.ts, sl.ssrc, sl.marker, sl.pt = h.SequenceNumber, h.Timestamp, h.SSRC, h.Marker, h.PayloadType
	return true
}

func (s *Stream) arrivalUnits(at time.Time) uint32 {
	return uint32(at.Sub(s.epoch).Nanoseconds() / (int64(time.Second) / ClockRate))
}

func (s *Stream) emit(ev Event) {
	s.rmu.Lock()
	s.rs.eventsReceived++
	s.rmu.Unlock()
	select {
	case s.events <- ev:
	default:
	}
}

// flushEvent delivers an event whose end packets never came; reader only.
func (s *Stream) flushEvent() {
	if ev, ok := s.erx.flush(); ok {
		s.emit(ev)
	}
}

func (s *Stream) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Close stops the stream: any event being played gets its end packet, a
// final RTCP report with BYE goes out, the sockets close and Events is
// closed. It is safe to call more than once.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		s.senders.Wait()
		s.report(true)
		s.rtp.Close()
		s.rtcp.Close()
		s.readers.Wait()
		released.add(s.port)
	})
	return nil
}

// releaseHold is how long a closed stream's port is passed over by Listen
// while other pairs are free: packets of the call that used it (a far end
// that has not yet seen the BYE, a late echo) must not reach the next
// call that would open it.
const releaseHold = 2 * time.Second

// released remembers when each port was last closed.
var released = &portHold{at: map[int]time.Time{}}

type portHold struct {
	mu sync.Mutex
	at map[int]time.Time
}

func (h *portHold) add(port int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	h.at[port] = now
	for p, t := range h.at { // keep the map to the ports of the last moments
		if now.Sub(t) >= releaseHold {
			delete(h.at, p)
		}
	}
}

func (h *portHold) recent(port int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.at[port]
	return ok && time.Since(t) < releaseHold
}
