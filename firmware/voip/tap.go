package voip

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Kind says what a Message carries.
type Kind uint8

// Kinds of messages.
const (
	KindSIP Kind = iota
	KindRTP
	KindRTCP
)

func (k Kind) String() string {
	switch k {
	case KindRTP:
		return "rtp"
	case KindRTCP:
		return "rtcp"
	}
	return "sip"
}

// Message is one datagram seen on the box's SIP socket, or on a call's
// RTP or RTCP socket.
type Message struct {
	At     time.Time
	Sent   bool // the box sent it
	Kind   Kind
	Local  netip.AddrPort // the box's end
	Remote netip.AddrPort // the other end
	Data   []byte
}

// Tap wraps the SIP socket and copies every datagram to the current
// subscribers (the console's and the web page's live trace, packet
// capture); Media, set on every call's media stream, does the same for RTP
// and RTCP for the subscribers that asked for them (SubscribeAll). With
// nobody subscribed a datagram costs one atomic load; a subscriber that
// does not keep up loses messages, the SIP stack and the media path never
// wait for it.
type Tap struct {
	net.PacketConn
	local netip.AddrPort
	n     atomic.Int32 // subscribers
	media atomic.Int32 // subscribers that want RTP and RTCP too
	mu    sync.Mutex
	subs  map[chan Message]bool // channel -> wants media
}

// NewTap wraps c.
func NewTap(c net.PacketConn) *Tap {
	t := &Tap{PacketConn: c, subs: map[chan Message]bool{}}
	if u, ok := c.LocalAddr().(*net.UDPAddr); ok {
		t.local = u.AddrPort()
	}
	return t
}

// Subscribe streams SIP messages from now on into a channel of the given
// buffer until stop is called.
func (t *Tap) Subscribe(buffer int) (<-chan Message, func()) { return t.subscribe(buffer, false) }

// SubscribeAll streams SIP, RTP and RTCP messages from now on into a
// channel of the given buffer until stop is called.
func (t *Tap) SubscribeAll(buffer int) (<-chan Message, func()) { return t.subscribe(buffer, true) }

func (t *Tap) subscribe(buffer int, media bool) (<-chan Message, func()) {
	ch := make(chan Message, buffer)
	t.mu.Lock()
	t.subs[ch] = media
	t.n.Add(1)
	if media {
		t.media.Add(1)
	}
	t.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			t.mu.Lock()
			delete(t.subs, ch)
			t.n.Add(-1)
			if media {
				t.media.Add(-1)
			}
			t.mu.Unlock()
			close(ch)
		})
	}
}

func (t *Tap) publish(sent bool, addr net.Addr, b []byte) {
	if t.n.Load() == 0 {
		return
	}
	var remote netip.AddrPort
	if ua, ok := addr.(*net.UDPAddr); ok {
		remote = ua.AddrPort()
	}
	t.send(Message{At: time.Now(), Sent: sent, Kind: KindSIP, Local: t.local, Remote: remote, Data: append([]byte(nil), b...)})
}

func (t *Tap) send(m Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for ch, media := range t.subs {
		if m.Kind != KindSIP && !media {
			continue
		}
		select {
		case ch <- m:
		default:
		}
	}
}

// Media shows an RTP or RTCP packet to the subscribers that want media;
// it is a media.TapFunc, set on every call's stream.
func (t *Tap) Media(sent, rtcp bool, local, remote netip.AddrPort, b []byte) {
	if t.media.Load() == 0 {
		return
	}
	k := KindRTP
	if rtcp {
		k = KindRTCP
	}
	t.send(Message{At: time.Now(), Sent: sent, Kind: k, Local: local, Remote: remote, Data: append([]byte(nil), b...)})
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
