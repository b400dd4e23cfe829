package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/openiad/openiad/sip/sdp"
)

var (
	contextBackground = context.Background()
	lo                = netip.MustParseAddr("127.0.0.1")
)

// within is a context that ends the test's waiting after d.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func hourly(bool) time.Duration { return time.Hour }

func listen(t *testing.T) *Stream {
	t.Helper()
	s, err := Listen(lo, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addr(s *Stream) netip.AddrPort { return netip.AddrPortFrom(lo, uint16(s.Port())) }

// The port of a call that just ended is not given to the next call while
// other pairs are free: the old far end may still be sending to it, and
// the new call would play its audio (seen in the SIP load run: a port
// reused within a second heard the previous call's echo).
func TestListenPassesOverJustReleasedPorts(t *testing.T) {
	var p int
	for range 20 { // the starting pair is random: try often
		s := listen(t)
		p = s.Port()
		s.Close()
		n, err := Listen(lo, p, p+3) // two pairs: the released one and the next
		if err != nil {
			t.Fatal(err)
		}
		got := n.Port()
		n.Close()
		if got == p {
			t.Fatalf("Listen gave the just-released pair %d while %d was free", p, p+2)
		}
	}
	// With no other pair free, the released one is still used.
	n, err := Listen(lo, p, p+1)
	if err != nil {
		t.Fatalf("the only pair, released moments ago: %v", err)
	}
	n.Close()
}

func TestListen(t *testing.T) {
	s := listen(t)
	p := s.Port()
	if p%2 != 0 || p < DefaultMinPort || p+1 > DefaultMaxPort {
		t.Fatalf("port %d: not an even port of the default range", p)
	}
	for _, port := range []int{p, p + 1} {
		if c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, uint16(port)))); err == nil {
			c.Close()
			t.Errorf("port %d is not held by the stream", port)
		}
	}
	for _, r := range [][2]int{{p, p + 1}, {p - 1, p + 1}, {p, p + 2}} {
		if extra, err := Listen(lo, r[0], r[1]); !errors.Is(err, errNoPort) {
			if extra != nil {
				extra.Close()
			}
			t.Errorf("Listen(%d, %d) with its only pair taken: %v", r[0], r[1], err)
		}
	}
	s.Close()
	again, err := Listen(lo, p-1, p+1)
	if err != nil {
		t.Fatalf("the pair is free again: %v", err)
	}
	if again.Port() != p {
		t.Errorf("Listen(%d, %d) took %d", p-1, p+1, again.Port())
	}
	again.Close()

	bad := []struct {
		ip       netip.Addr
		min, max int
		want     error
	}{
		{netip.Addr{}, 0, 0, errAddr},
		{netip.MustParseAddr("fe80::1%lo"), 0, 0, errAddr},
		{lo, 0, 100, errPortRange},
		{lo, 100, 50, errPortRange},
		{lo, 10, 10, errPortRange},
		{lo, 11, 12, errPortRange},
		{lo, 65534, 65536, errPortRange},
	}
	for _, b := range bad {
		if s, err := Listen(b.ip, b.min, b.max); !errors.Is(err, b.want) || !bytes.HasPrefix([]byte(err.Error()), []byte("media: ")) {
			if s != nil {
				s.Close()
			}
			t.Errorf("Listen(%v, %d, %d) = %v, want %v", b.ip, b.min, b.max, err, b.want)
		}
	}
}

// TestSendReceiveUDP has two streams on 127.0.0.1 talk to each other.
func TestSendReceiveUDP(t *testing.T) {
	a, b := listen(t), listen(t)
	a.Start(addr(b), negotiated(addr(b), sdp.SendRecv))
	b.Start(addr(a), negotiated(addr(a), sdp.SendRecv))
	ctx := within(t, 10*time.Second)
	var p Packet
	var seq0 uint16
	var ts0 uint32
	for i := range 50 {
		payload := bytes.Repeat([]byte{byte(i)}, 160)
		if err := a.Send(payload, 160); err != nil {
			t.Fatal(err)
		}
		if err := b.Receive(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			seq0, ts0 = p.Seq, p.TS
		}
		if p.PT != 8 || p.Marker != (i == 0) || p.Seq != seq0+uint16(i) || p.TS != ts0+160*uint32(i) ||
			p.SSRC != a.Stats().SSRC || !bytes.Equal(p.Payload, payload) || p.At.IsZero() {
			t.Fatalf("packet %d: %+v", i, p)
		}
	}
	a.Silence(320)
	if err := a.Send(make([]byte, 160), 160); err != nil {
		t.Fatal(err)
	}
	if err := b.Receive(ctx, &p); err != nil {
		t.Fatal(err)
	}
	if !p.Marker || p.TS != ts0+160*50+320 || p.Seq != seq0+50 {
		t.Errorf("after silence: %+v", p)
	}
	// And the other way.
	if err := b.Send([]byte{1, 2, 3}, 3); err != nil {
		t.Fatal(err)
	}
	if err := a.Receive(ctx, &p); err != nil || !bytes.Equal(p.Payload, []byte{1, 2, 3}) || !p.Marker {
		t.Errorf("b to a: %+v, %v", p, err)
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.PacketsSent != 51 || sa.OctetsSent != 51*160 || sb.PacketsReceived != 51 || sb.OctetsReceived != 51*160 ||
		sb.Lost != 0 || sb.RemoteSSRC != sa.SSRC || sa.PacketsReceived != 1 {
		t.Errorf("stats a %+v\nb %+v", sa, sb)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Receive(canceled, &p); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a canceled context: %v", err)
	}
}

// TestAllocs proves that sending and receiving a packet allocates nothing
// in steady state, on real sockets with the reader goroutine in the loop.
func TestAllocs(t *testing.T) {
	pair := func() (*Stream, *Stream) {
		var ss [2]*Stream
		for i := range ss {
			s, err := Listen(lo, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			r, err1 := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr(s)))
			c, err2 := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, uint16(s.Port()+1))))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			ss[i] = newStream(r, c, s.Port(), hourly)
			t.Cleanup(func() { ss[i].Close() })
		}
		return ss[0], ss[1]
	}
	a, b := pair()
	a.Start(addr(b), negotiated(addr(b), sdp.SendRecv))
	b.Start(addr(a), negotiated(addr(a), sdp.SendRecv))
	ctx := within(t, 10*time.Second)
	payload := make([]byte, 160)
	var p Packet
	for range 5 {
		a.Send(payload, 160)
		if err := b.Receive(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	allocs := testing.AllocsPerRun(200, func() {
		if e := a.Send(payload, 160); e != nil {
			err = e
		}
		if e := b.Receive(ctx, &p); e != nil {
			err = e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("Send+Receive allocate %v times per packet", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() { a.Silence(160) }); allocs != 0 {
		t.Errorf("Silence allocates %v times", allocs)
	}
}

// relay forwards UDP datagrams to dst; fate says for each whether to drop
// it, or hold it back until the next one has gone through.
type relay struct {
	c    *net.UDPConn
	dst  netip.AddrPort
	fate func(b []byte) (drop, hold bool)
	done chan struct{}
}

func startRelay(t *testing.T, dst netip.AddrPort, fate func(b []byte) (drop, hold bool)) netip.AddrPort {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{c: c, dst: dst, fate: fate, done: make(chan struct{})}
	go r.run()
	t.Cleanup(func() {
		c.Close()
		<-r.done
	})
	return netip.MustParseAddrPort(c.LocalAddr().String())
}

func (r *relay) run() {
	defer close(r.done)
	buf := make([]byte, 2048)
	var held []byte
	for {
		n, _, err := r.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		b := bytes.Clone(buf[:n])
		drop, hold := r.fate(b)
		switch {
		case drop:
		case hold && held == nil:
			held = b
		default:
			r.c.WriteToUDPAddrPort(b, r.dst)
			if held != nil {
				r.c.WriteToUDPAddrPort(held, r.dst)
				held = nil
			}
		}
	}
}

// waitFor polls cond (real sockets give no other signal) until it holds
// or ctx ends.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tk := time.NewTicker(2 * time.Millisecond)
	defer tk.Stop()
	for !cond() {
		select {
		case <-tk.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}

// TestRelayLossReorder sends audio and events from A to B through a UDP
// relay that loses and reorders packets: B delivers every packet that
// arrived, in arrival order, counts exactly the lost ones, and delivers
// each digit once even when its start and end packets are lost.
func TestRelayLossReorder(t *testing.T) {
	a, b := listen(t), listen(t)
	dropAudio := map[int]bool{10: true, 11: true, 50: true}
	holdAudio := map[int]bool{20: true, 70: true}
	// Event packets of '7' (100 ms): start, update, end x3; of '#' (60 ms)
	// the same. Lose the start and the first two ends of '7'.
	dropEvent := map[int]bool{0: true, 2: true, 3: true}
	audioK, eventK := 0, 0 // the relay goroutine only
	via := startRelay(t, addr(b), func(b []byte) (drop, hold bool) {
		if b[1]&0x7f == 101 {
			eventK++
			return dropEvent[eventK-1], false
		}
		audioK++
		return dropAudio[audioK-1], holdAudio[audioK-1]
	})
	a.Start(via, negotiated(via, sdp.SendRecv))
	b.Start(addr(a), negotiated(addr(a), sdp.SendRecv))
	ctx := within(t, 20*time.Second)

	const sent = 100
	progress := make(chan int, sent)
	go func() {
		got := 0
		for i := range sent {
			for got < i-8 {
				select {
				case got = <-progress:
				case <-ctx.Done():
					return
				}
			}
			a.Send([]byte{byte(i), byte(i >> 8)}, 160)
		}
	}()
	var order []int
	var p Packet
	for len(order) < sent-len(dropAudio) {
		if err := b.Receive(ctx, &p); err != nil {
			t.Fatalf("after %d packets: %v", len(order), err)
		}
		order = append(order, int(p.Payload[0])|int(p.Payload[1])<<8)
		progress <- len(order)
	}
	var want []int
	for i := 0; i < sent; i++ {
		switch {
		case dropAudio[i]:
		case holdAudio[i]:
			want = append(want, i+1, i)
			i++
		default:
			want = append(want, i)
		}
	}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("arrival order\n%v\nwant\n%v", order, want)
	}
	if st := b.Stats(); st.Lost != 3 || st.PacketsReceived != sent-3 {
		t.Errorf("lost %d received %d; want 3 and %d", st.Lost, st.PacketsReceived, sent-3)
	}

	if err := a.SendEvent('7', 100*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := a.SendEvent('#', 60*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 2 {
		select {
		case e := <-b.Events():
			got = append(got, fmt.Sprintf("%c/%v", e.Digit, e.Dur))
		case <-ctx.Done():
			t.Fatalf("events so far %v: %v", got, ctx.Err())
		}
	}
	if fmt.Sprint(got) != "[7/100ms #/60ms]" {
		t.Errorf("events %v", got)
	}
	// 97 audio packets, 2 of '7' and 5 of '#' reach B; then nothing more
	// may come out of Events.
	waitFor(ctx, t, "the last end packets", func() bool { return b.Stats().PacketsReceived == sent-3+2+5 })
	b.Close()
	for e := range b.Events() {
		t.Errorf("extra event %+v", e)
	}
	if st := b.Stats(); st.EventsReceived != 2 || st.Lost != 6 {
		t.Errorf("events received %d, lost %d; want 2 and 6", st.EventsReceived, st.Lost)
	}
}
