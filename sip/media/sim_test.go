package media

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/sip/sdp"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

var (
	rtpB  = netip.AddrPortFrom(ipB, uint16(portB))
	rtcpA = netip.AddrPortFrom(ipA, uint16(portA+1))
	rtcpB = netip.AddrPortFrom(ipB, uint16(portB+1))
)

// collect gathers s's events until the channel closes.
func collect(s *Stream) func() []string {
	var (
		mu  sync.Mutex
		got []string
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range s.Events() {
			mu.Lock()
			got = append(got, fmt.Sprintf("%c/%v", e.Digit, e.Dur))
			mu.Unlock()
		}
	}()
	return func() []string {
		<-done
		return got
	}
}

// TestEventWire checks the packets of one RFC 4733 event as they leave:
// start with the marker, updates every 50 ms with the duration so far,
// three end packets 50 ms apart, one timestamp, consecutive sequence
// numbers, no audio in between, and audio resuming with the marker bit.
func TestEventWire(t *testing.T) {
	type pkt struct {
		at     time.Duration
		marker bool
		end    bool
		dur    uint16
	}
	tests := []struct {
		dur  time.Duration
		want []pkt
	}{
		{100 * time.Millisecond, []pkt{{0, true, false, 400}, {50, false, false, 800}, {100, false, true, 800}, {150, false, true, 800}, {200, false, true, 800}}},
		{130 * time.Millisecond, []pkt{{0, true, false, 400}, {50, false, false, 800}, {100, false, false, 1040}, {130, false, true, 1040}, {180, false, true, 1040}, {230, false, true, 1040}}},
		{40 * time.Millisecond, []pkt{{0, true, false, 320}, {40, false, true, 320}, {90, false, true, 320}, {140, false, true, 320}}},
	}
	for _, tt := range tests {
		t.Run(tt.dur.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newMemNet()
				a, b := pair(n, hourly)
				go drain(b)
				got := collect(b)
				stop := make(chan struct{})
				go talk(a, stop)
				wait(105 * time.Millisecond)
				if err := a.SendEvent('9', tt.dur); err != nil {
					t.Fatal(err)
				}
				wait(400 * time.Millisecond)
				close(stop)
				a.Close()
				b.Close()

				var (
					events    []rtp.Packet
					times     []time.Duration
					t0        time.Time
					lastAudio rtp.Packet
					after     []rtp.Packet
				)
				for _, d := range n.sent(rtpB) {
					p := rtpOf(t, d)
					if p.SSRC != a.Stats().SSRC {
						t.Fatalf("SSRC %#x", p.SSRC)
					}
					switch {
					case p.PayloadType == 101:
						if len(events) == 0 {
							t0 = d.at
						}
						events = append(events, p)
						times = append(times, d.at.Sub(t0))
					case len(events) == 0:
						lastAudio = p
					default:
						after = append(after, p)
					}
				}
				if len(events) != len(tt.want) {
					t.Fatalf("%d event packets, want %d", len(events), len(tt.want))
				}
				for i, p := range events {
					var e EventPayload
					if err := e.Unmarshal(p.Payload); err != nil {
						t.Fatal(err)
					}
					w := tt.want[i]
					if times[i] != w.at*time.Millisecond || p.Marker != w.marker || e.End != w.end || e.Duration != w.dur || e.Event != 9 || e.Volume != 10 {
						t.Errorf("packet %d at %v: marker %v %+v; want %+v", i, times[i], p.Marker, e, w)
					}
					if p.Timestamp != events[0].Timestamp || p.SequenceNumber != lastAudio.SequenceNumber+1+uint16(i) {
						t.Errorf("packet %d: ts %d seq %d", i, p.Timestamp, p.SequenceNumber)
					}
				}
				if d := events[0].Timestamp - lastAudio.Timestamp; d != 160 {
					t.Errorf("the event starts %d samples after the last audio packet, want 160", d)
				}
				if len(after) == 0 {
					t.Fatal("no audio after the event")
				}
				first, total := after[0], int32(tt.want[len(tt.want)-1].dur)
				if !first.Marker || first.SequenceNumber != events[len(events)-1].SequenceNumber+1 || int32(first.Timestamp-events[0].Timestamp) < total {
					t.Errorf("first audio after the event: marker %v seq %d ts %d", first.Marker, first.SequenceNumber, first.Timestamp)
				}
				for _, p := range after[1:] {
					if p.Marker {
						t.Errorf("marker on a later packet %d", p.SequenceNumber)
					}
				}
				if fmt.Sprint(got()) != fmt.Sprintf("[9/%v]", tt.dur) {
					t.Errorf("B received %v", got())
				}
			})
		})
	}
}

// TestEventsFaults sends every event through a network that strips the
// marker bit, loses start and end packets, duplicates and delays packets:
// the far end reports each digit once, in order, with its duration.
func TestEventsFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		n.setHook(func(d *datagram) (int, time.Duration) {
			if d.to != rtpB || d.b[1]&0x7f != 101 {
				return 1, 10 * time.Millisecond
			}
			marker, code, end := d.b[1]&0x80 != 0, d.b[12], d.b[13]&0x80 != 0
			d.b[1] &^= 0x80 // no marker bits at all
			switch {
			case code == 1 && marker: // start lost
				return 0, 0
			case code == 5 && end: // every end lost
				return 0, 0
			case code == 9: // everything twice
				return 2, 10 * time.Millisecond
			case code == 3 && !marker && !end: // the update arrives after the ends
				return 1, 200 * time.Millisecond
			case code == 11 && !end: // only the ends arrive
				return 0, 0
			}
			return 1, 10 * time.Millisecond
		})
		a, b := pair(n, hourly)
		go drain(b)
		got := collect(b)
		stop := make(chan struct{})
		go talk(a, stop)
		const digits = "0123456789*#ABCD!"
		for i := range digits {
			if err := a.SendEvent(digits[i], 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		wait(5 * time.Second)
		close(stop)
		a.Close()
		b.Close()
		var want []string
		for i := range digits {
			want = append(want, fmt.Sprintf("%c/100ms", digits[i]))
		}
		if g := got(); strings.Join(g, " ") != strings.Join(want, " ") {
			t.Errorf("received %v\nwant     %v", g, want)
		}
		if st := a.Stats(); st.EventsSent != uint64(len(digits)) {
			t.Errorf("sent %d events", st.EventsSent)
		}
	})
}

// TestRTCP runs a call over a network with a 30 ms one-way delay and 10 %
// loss from A to B and checks the figures both sides compute and report:
// loss, fraction lost, jitter, RTT from LSR/DLSR, the report intervals,
// SR from a sender and RR from a listener, and BYE on Close.
func TestRTCP(t *testing.T) {
	tests := []struct {
		name      string
		bTalks    bool
		jitterMS  int // A to B delay alternates between 30 and 30+jitterMS
		wantJit   time.Duration
		wantBRTT  bool
		wantBKind string
	}{
		{"B listens", false, 0, 0, false, "RR"},
		{"both talk", true, 0, 0, true, "SR"},
		{"both talk with jitter", true, 10, 10 * time.Millisecond, true, "SR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newMemNet()
				var (
					mu        sync.Mutex
					k         int
					dropped   []int
					delivered int
					lastK     int
				)
				n.setHook(func(d *datagram) (int, time.Duration) {
					delay := 30 * time.Millisecond
					if d.to != rtpB {
						return 1, delay
					}
					mu.Lock()
					defer mu.Unlock()
					k++
					if k%10 == 5 {
						dropped = append(dropped, k)
						return 0, 0
					}
					delivered++
					if delivered%2 == 0 {
						delay += time.Duration(tt.jitterMS) * time.Millisecond
					}
					lastK = k
					return 1, delay
				})
				start := time.Now()
				a, b := pair(n, nil)
				go drain(a)
				go drain(b)
				stop := make(chan struct{})
				go talk(a, stop)
				if tt.bTalks {
					go talk(b, stop)
				}
				wait(20 * time.Second)
				close(stop)
				wait(time.Second)
				sa, sb := a.Stats(), b.Stats()

				mu.Lock()
				lost := 0
				for _, d := range dropped {
					if d < lastK {
						lost++
					}
				}
				if sb.Lost != int64(lost) || sb.PacketsReceived != uint64(delivered) || sa.PacketsSent != uint64(k) {
					t.Errorf("B lost %d received %d of %d; want %d and %d", sb.Lost, sb.PacketsReceived, sa.PacketsSent, lost, delivered)
				}
				mu.Unlock()
				if math.Abs(sb.FractionLost-0.1) > 0.02 || math.Abs(sa.RemoteFractionLost-0.1) > 0.02 {
					t.Errorf("fraction lost: B computed %.3f, A was told %.3f; want 0.1", sb.FractionLost, sa.RemoteFractionLost)
				}
				if sa.RemoteLost <= 0 || sa.RemoteLost > sb.Lost {
					t.Errorf("A was told %d lost, B counts %d", sa.RemoteLost, sb.Lost)
				}
				if d := sb.Jitter - tt.wantJit; d < -200*time.Microsecond || d > 200*time.Microsecond {
					t.Errorf("B's jitter %v, want %v", sb.Jitter, tt.wantJit)
				}
				if d := sa.RemoteJitter - tt.wantJit; d < -200*time.Microsecond || d > 200*time.Microsecond {
					t.Errorf("A was told jitter %v, want %v", sa.RemoteJitter, tt.wantJit)
				}
				if d := sa.RTT - 60*time.Millisecond; d < -100*time.Microsecond || d > 100*time.Microsecond {
					t.Errorf("A's RTT %v, want 60ms", sa.RTT)
				}
				if tt.wantBRTT {
					if d := sb.RTT - 60*time.Millisecond; d < -100*time.Microsecond || d > 100*time.Microsecond {
						t.Errorf("B's RTT %v, want 60ms", sb.RTT)
					}
				} else if sb.RTT != 0 || !sa.LastSR.IsZero() {
					t.Errorf("B's RTT %v and A's last SR %v without B sending", sb.RTT, sa.LastSR)
				}
				if sb.LastSR.IsZero() || sb.RemoteSSRC != sa.SSRC || sa.RTCPSent < 3 || sa.RTCPSent > 10 || sa.RTCPSent-sb.RTCPReceived > 1 {
					t.Errorf("B: last SR %v, remote SSRC %#x; A sent %d reports, B got %d", sb.LastSR, sb.RemoteSSRC, sa.RTCPSent, sb.RTCPReceived)
				}

				// Report intervals: RFC 3550 with a 5 s minimum, 2.5 s
				// for the first, randomised and compensated.
				comp := math.E - 1.5
				checkReports := func(who string, ds []datagram, kind string, ssrc, about uint32, nblocks int) {
					prev := start
					for i, d := range ds {
						gap := d.at.Sub(prev).Seconds()
						lo, hi := 5*0.5/comp, 5*1.5/comp
						if i == 0 {
							lo, hi = lo/2, hi/2
						}
						if gap < lo-1e-9 || gap > hi+1e-9 {
							t.Errorf("%s report %d after %.3f s, want %.3f-%.3f s", who, i, gap, lo, hi)
						}
						prev = d.at
						pkts, err := rtcp.Unmarshal(d.b)
						if err != nil {
							t.Fatal(err)
						}
						var blocks []rtcp.ReceptionReport
						switch p := pkts[0].(type) {
						case *rtcp.SenderReport:
							if kind != "SR" || p.SSRC != ssrc {
								t.Errorf("%s sent an SR", who)
							}
							blocks = p.Reports
						case *rtcp.ReceiverReport:
							if kind != "RR" || p.SSRC != ssrc {
								t.Errorf("%s sent an RR", who)
							}
							blocks = p.Reports
						default:
							t.Errorf("%s report starts with %T", who, p)
						}
						if len(blocks) != nblocks || nblocks == 1 && blocks[0].SSRC != about {
							t.Errorf("%s report blocks %+v", who, blocks)
						}
						sdes, ok := pkts[1].(*rtcp.SourceDescription)
						if !ok || len(sdes.Chunks) != 1 || sdes.Chunks[0].Source != ssrc || !strings.HasPrefix(sdes.Chunks[0].Items[0].Text, "openiad-") {
							t.Errorf("%s report without CNAME: %+v", who, pkts[1])
						}
					}
				}
				aBlocks := 0
				if tt.bTalks {
					aBlocks = 1
				}
				checkReports("A", n.sent(rtcpB), "SR", sa.SSRC, sb.SSRC, aBlocks)
				checkReports("B", n.sent(rtcpA), tt.wantBKind, sb.SSRC, sa.SSRC, 1)

				a.Close()
				wait(time.Second)
				if !b.Stats().ByeReceived {
					t.Error("no BYE from A")
				}
				reports := n.sent(rtcpB)
				last, err := rtcp.Unmarshal(reports[len(reports)-1].b)
				if err != nil {
					t.Fatal(err)
				}
				if bye, ok := last[len(last)-1].(*rtcp.Goodbye); !ok || len(bye.Sources) != 1 || bye.Sources[0] != sa.SSRC {
					t.Errorf("last report ends with %+v", last[len(last)-1])
				}
				b.Close()
			})
		})
	}
}

// TestHold checks that a stream on hold sends nothing (a=recvonly,
// a=inactive or the old c=0.0.0.0) but keeps its timestamps running, and
// that resuming sends with the marker bit.
func TestHold(t *testing.T) {
	tests := []struct {
		name   string
		remote netip.AddrPort
		dir    sdp.Direction
		rtcp   bool // reports still flow
	}{
		{"recvonly", rtpB, sdp.RecvOnly, true},
		{"inactive", rtpB, sdp.Inactive, true},
		{"legacy hold", netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(portB)), sdp.SendOnly, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newMemNet()
				a, b := pair(n, func(bool) time.Duration { return 3 * time.Second })
				go drain(b)
				payload := make([]byte, 160)
				if err := a.Send(payload, 160); err != nil {
					t.Fatal(err)
				}
				a.Start(tt.remote, negotiated(tt.remote, tt.dir))
				for range 10 {
					if err := a.Send(payload, 160); err != nil {
						t.Fatal(err)
					}
				}
				if err := a.SendEvent('1', 100*time.Millisecond); !errors.Is(err, errNotSending) {
					t.Errorf("SendEvent on hold: %v", err)
				}
				wait(4 * time.Second)
				if got := len(n.sent(rtpB)); got != 1 {
					t.Errorf("%d packets sent, want the one before hold", got)
				}
				if got := len(n.sent(rtcpB)) > 0; got != tt.rtcp {
					t.Errorf("RTCP during hold: %v, want %v", got, tt.rtcp)
				}
				a.Start(rtpB, negotiated(rtpB, sdp.SendRecv))
				if err := a.Send(payload, 160); err != nil {
					t.Fatal(err)
				}
				pkts := n.sent(rtpB)
				if len(pkts) != 2 {
					t.Fatalf("%d packets after resume", len(pkts))
				}
				p0, p1 := rtpOf(t, pkts[0]), rtpOf(t, pkts[1])
				if !p1.Marker || p1.Timestamp-p0.Timestamp != 11*160 || p1.SequenceNumber != p0.SequenceNumber+1 {
					t.Errorf("after resume: marker %v, ts +%d, seq +%d", p1.Marker, p1.Timestamp-p0.Timestamp, p1.SequenceNumber-p0.SequenceNumber)
				}
				a.Close()
				b.Close()
			})
		})
	}
}

func TestErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		a := n.stream("10.0.0.1", portA, hourly)
		b := n.stream("10.0.0.2", portB, hourly)
		if err := a.Send(nil, 160); !errors.Is(err, errNotStarted) {
			t.Errorf("Send before Start: %v", err)
		}
		if err := a.SendEvent('1', time.Second); !errors.Is(err, errNotStarted) {
			t.Errorf("SendEvent before Start: %v", err)
		}
		noEvents := negotiated(rtpB, sdp.SendRecv)
		noEvents.Event = nil
		a.Start(rtpB, noEvents)
		if err := a.SendEvent('1', time.Second); !errors.Is(err, errNoEvents) {
			t.Errorf("SendEvent without telephone-event: %v", err)
		}
		dtmfOnly := negotiated(rtpB, sdp.SendRecv)
		dtmfOnly.Event = &sdp.Format{PT: 96, Name: "telephone-event", Rate: 8000, Fmtp: "0-15"}
		a.Start(rtpB, dtmfOnly)
		tests := []struct {
			digit byte
			dur   time.Duration
			want  error
		}{
			{'x', time.Second, errDigit},
			{'1', 0, errDuration},
			{'1', -time.Second, errDuration},
			{'1', MaxEventDuration + time.Millisecond, errDuration},
			{Flash, time.Second, errRefused},
		}
		for _, tt := range tests {
			if err := a.SendEvent(tt.digit, tt.dur); !errors.Is(err, tt.want) || !strings.HasPrefix(err.Error(), "media: ") {
				t.Errorf("SendEvent(%q, %v) = %v, want %v", tt.digit, tt.dur, err, tt.want)
			}
		}
		if err := a.Send(make([]byte, maxPayload+1), 160); !errors.Is(err, errTooBig) {
			t.Errorf("huge payload: %v", err)
		}
		busy := false
		for range eventQueue + 2 {
			if err := a.SendEvent('1', time.Second); errors.Is(err, errBusy) {
				busy = true
			}
		}
		if !busy {
			t.Error("the event queue never filled")
		}
		// Close cuts the playing event short with an end packet.
		wait(120 * time.Millisecond)
		a.Close()
		var last EventPayload
		for _, d := range n.sent(rtpB) {
			if p := rtpOf(t, d); p.PayloadType == 96 {
				last.Unmarshal(p.Payload)
			}
		}
		if !last.End || last.Duration != 960 {
			t.Errorf("last event packet %+v, want an end at 120 ms", last)
		}
		for _, err := range []error{a.Send(nil, 1), a.SendEvent('1', time.Second), a.Receive(contextBackground, &Packet{}), a.Close()} {
			if err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("after Close: %v", err)
			}
		}
		if _, ok := <-a.Events(); ok {
			t.Error("Events not closed")
		}
		b.Close()
		// A Receive waiting when the stream closes returns ErrClosed.
		c := n.stream("10.0.0.3", portA, hourly)
		res := make(chan error)
		go func() { res <- c.Receive(contextBackground, &Packet{}) }()
		synctest.Wait()
		c.Close()
		if err := <-res; !errors.Is(err, ErrClosed) {
			t.Errorf("blocked Receive: %v", err)
		}
	})
}

// TestReceiveQueue checks that a consumer that falls behind loses the
// oldest packets, not the newest, and that malformed packets are dropped.
func TestReceiveQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		a, b := pair(n, hourly)
		for i := range slots + 10 {
			a.Send([]byte{byte(i)}, 160)
		}
		junk := n.listen(netip.MustParseAddrPort("10.0.0.9:9"))
		for _, j := range [][]byte{{0x80}, {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xa0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0}, {0x80, 0xc8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}} {
			junk.WriteToUDPAddrPort(j, rtpB)
		}
		synctest.Wait()
		var p Packet
		var got []byte
		for range slots - 1 {
			if err := b.Receive(contextBackground, &p); err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Payload[0])
		}
		if got[0] != 11 || got[len(got)-1] != slots+9 {
			t.Errorf("kept packets %v, want 11..%d", got, slots+9)
		}
		if st := b.Stats(); st.Dropped != 11+4 {
			t.Errorf("dropped %d, want 11 old and 4 malformed", st.Dropped)
		}
		a.Close()
		b.Close()
	})
}

// TestMarkerAfterEvent: with no audio flowing during an event, the first
// packet after it still has the marker bit and a timestamp past the event.
func TestMarkerAfterEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemNet()
		a, b := pair(n, hourly)
		payload := make([]byte, 160)
		a.Send(payload, 160)
		if err := a.SendEvent('1', 60*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		wait(time.Second)
		a.Send(payload, 160)
		a.Send(payload, 160)
		pkts := n.sent(rtpB)
		if len(pkts) != 1+5+2 {
			t.Fatalf("%d packets, want 1 audio, 5 event, 2 audio", len(pkts))
		}
		ev, p1, p2 := rtpOf(t, pkts[1]), rtpOf(t, pkts[6]), rtpOf(t, pkts[7])
		if ev.PayloadType != 101 || !p1.Marker || p2.Marker || int32(p1.Timestamp-ev.Timestamp) < 480 || p2.Timestamp != p1.Timestamp+160 {
			t.Errorf("event ts %d; after it: marker %v ts %d, then marker %v ts %d", ev.Timestamp, p1.Marker, p1.Timestamp, p2.Marker, p2.Timestamp)
		}
		a.Close()
		b.Close()
	})
}
