package voip

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Message is one SIP datagram seen on the box's SIP socket.
type Message struct {
	At     time.Time
	Sent   bool           // the box sent it
	Remote netip.AddrPort // the other end
	Data   []byte
}

// Tap wraps the SIP socket and copies every datagram to the current
// subscribers (the console's and the web page's live trace, packet
// capture). With nobody subscribed it costs one atomic-free check; a
// subscriber that does not keep up loses messages, the SIP stack never
// waits for it.
type Tap struct {
	net.PacketConn
	mu   sync.Mutex
	subs map[chan Message]struct{}
}

// NewTap wraps c.
func NewTap(c net.PacketConn) *Tap { return &Tap{PacketConn: c, subs: map[chan Message]struct{}{}} }

// Subscribe streams messages from now on into a channel of the given
// buffer until stop is called.
func (t *Tap) Subscribe(buffer int) (<-chan Message, func()) {
	ch := make(chan Message, buffer)
	t.mu.Lock()
	t.subs[ch] = struct{}{}
	t.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.subs, ch)
			t.mu.Unlock()
			close(ch)
		})
	}
}

func (t *Tap) publish(sent bool, addr net.Addr, b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.subs) == 0 {
		return
	}
	var remote netip.AddrPort
	if ua, ok := addr.(*net.UDPAddr); ok {
		remote = ua.AddrPort()
	}
	m := Message{At: time.Now(), Sent: sent, Remote: remote, Data: append([]byte(nil), b...)}
	for ch := range t.subs {
		select {
		case ch <- m:
		default:
		}
	}
}

// ReadFrom reads a datagram and shows it to the subscribers.
func (t *Tap) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := t.PacketConn.ReadFrom(b)
	if n > 0 {
		t.publish(false, addr, b[:n])
	}
	return n, addr, err
}

// WriteTo sends a datagram and shows it to the subscribers.
func (t *Tap) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := t.PacketConn.WriteTo(b, addr)
	if err == nil {
		t.publish(true, addr, b[:n])
	}
	return n, err
}
