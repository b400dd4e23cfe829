package scenario

import (
	"net"
	"sync"
	"time"
)

// quietConn is a SIP socket on which nothing ever arrives and whatever is
// sent is lost: the box's user agent runs, but the local-call scenarios
// exchange no SIP. Unlike a real socket, a read on it blocks durably, so
// it keeps a testing/synctest bubble's clock running.
type quietConn struct {
	once   sync.Once
	closed chan struct{}
}

func newQuietConn() *quietConn { return &quietConn{closed: make(chan struct{})} }

func (c *quietConn) ReadFrom([]byte) (int, net.Addr, error) {
	<-c.closed
	return 0, nil, net.ErrClosed
}
func (c *quietConn) WriteTo(b []byte, _ net.Addr) (int, error) { return len(b), nil }
func (c *quietConn) Close() error                              { c.once.Do(func() { close(c.closed) }); return nil }
func (c *quietConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5060}
}
func (c *quietConn) SetDeadline(time.Time) error      { return nil }
func (c *quietConn) SetReadDeadline(time.Time) error  { return nil }
func (c *quietConn) SetWriteDeadline(time.Time) error { return nil }
