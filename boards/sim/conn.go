package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/openiad/openiad/boards/sim/wire"
)

// Connection limits.
const (
	// HelloTimeout is how long a new connection may take to send Hello.
	HelloTimeout = 5 * time.Second
	// queueLen is the depth of a phone's write queue. Audio only takes the
	// first half, so line state always finds room unless the phone has
	// stopped reading altogether.
	queueLen = 32
	// floodBurst messages may arrive at once; beyond that a phone may send
	// floodRate messages per second (it needs 100 audio frames plus a few
	// hook changes).
	floodBurst = 200
	floodRate  = 300
	// errorWriteTimeout bounds the last write of an Error to a phone that
	// does not read.
	errorWriteTimeout = 250 * time.Millisecond
	// maxConnsExtra: the socket takes at most one connection per port plus
	// this many more (phones still saying Hello, refused ones).
	maxConnsExtra = 8
)

var errProtocol = errors.New("sim: protocol")

// lineConn is one phone connection: a reader goroutine (phone to board) and
// a writer goroutine draining a bounded queue (board to phone).
type lineConn struct {
	b      *Board
	nc     net.Conn
	remote string
	want   int // the port it must ask for (Attach), 0 for any (socket)
	q      chan wire.Msg
	done   chan struct{}
	once   sync.Once

	port    atomic.Pointer[port] // set once attached
	dropped uint64               // earpiece frames lost; clock goroutine only
}

// serve runs a phone connection; it reports false if the board is closed.
func (b *Board) serve(nc net.Conn, want int) bool {
	c := &lineConn{
		b:      b,
		nc:     nc,
		remote: nc.RemoteAddr().String(),
		want:   want,
		q:      make(chan wire.Msg, queueLen),
		done:   make(chan struct{}),
	}
	if want != 0 {
		c.remote = fmt.Sprintf("pipe:%d", want)
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		nc.Close()
		return false
	}
	b.conns[c] = struct{}{}
	b.wg.Add(2)
	b.mu.Unlock()
	go func() { defer b.wg.Done(); c.readLoop() }()
	go func() { defer b.wg.Done(); c.writeLoop() }()
	return true
}

func (b *Board) acceptLoop(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-b.quit:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			b.log.Warn("sim: accept", "err", err)
			select {
			case <-b.quit:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		b.mu.Lock()
		n := len(b.conns)
		b.mu.Unlock()
		if n >= len(b.ports)+maxConnsExtra {
			b.log.Warn("sim: refusing phone connection", "remote", nc.RemoteAddr().String(), "reason", "too many connections")
			nc.Close()
			continue
		}
		b.serve(nc, 0)
	}
}

// sendControl queues a line-state message. Line state must not be lost: if
// the queue is full the phone has stopped reading and is dropped.
func (c *lineConn) sendControl(m *wire.Msg) {
	select {
	case c.q <- *m:
	default:
		c.close("phone too slow: write queue full")
	}
}

// sendAudio queues an earpiece frame unless the queue is half full; a slow
// phone loses audio.
func (c *lineConn) sendAudio(m *wire.Msg) {
	if len(c.q) >= queueLen/2 {
		c.dropped++
		return
	}
	select {
	case c.q <- *m:
	default:
		c.dropped++
	}
}

func (c *lineConn) writeLoop() {
	w := wire.NewWriter(c.nc)
	var m wire.Msg
	for {
		select {
		case <-c.done:
			return
		case m = <-c.q:
		}
		if err := w.Write(&m); err != nil {
			c.close(fmt.Sprintf("write: %v", err))
			return
		}
	}
}

// readLoop reads the phone's messages until the connection ends.
func (c *lineConn) readLoop() {
	r := wire.NewReader(c.nc)
	var m wire.Msg
	c.nc.SetReadDeadline(time.Now().Add(HelloTimeout))
	if err := r.Read(&m); err != nil {
		c.readFailed(err, "waiting for hello")
		return
	}
	if err := c.hello(&m); err != nil {
		c.fail(err)
		return
	}
	c.nc.SetReadDeadline(time.Time{})

	tokens, last := float64(floodBurst), time.Now()
	for {
		if err := r.Read(&m); err != nil {
			c.readFailed(err, "")
			return
		}
		now := time.Now()
		tokens = min(floodBurst, tokens+now.Sub(last).Seconds()*floodRate)
		last = now
		if tokens < 1 {
			c.fail(fmt.Errorf("%w: flood: more than %d messages at once or %d per second", errProtocol, floodBurst, floodRate))
			return
		}
		tokens--
		if err := c.handle(&m); err != nil {
			if errors.Is(err, io.EOF) { // Bye
				c.close("phone said bye")
				return
			}
			c.fail(err)
			return
		}
	}
}

// hello checks the first message and plugs the phone into its port.
func (c *lineConn) hello(m *wire.Msg) error {
	if m.Type != wire.Hello {
		return fmt.Errorf("%w: first message is %s, want hello", errProtocol, m.Type)
	}
	if err := wire.CheckVersion(m.Version); err != nil {
		return fmt.Errorf("%w: %w", errProtocol, err)
	}
	ports := c.b.ports
	if m.Port < 1 || m.Port > len(ports) {
		return fmt.Errorf("%w: %d (board has FXS 1-%d)", errPort, m.Port, len(ports))
	}
	if c.want != 0 && m.Port != c.want {
		return fmt.Errorf("%w: hello for port %d on a connection attached to port %d", errProtocol, m.Port, c.want)
	}
	p := ports[m.Port-1]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn != nil {
		return fmt.Errorf("%w: port %d is busy (a phone is plugged in from %s)", errPort, m.Port, p.conn.remote)
	}
	c.q <- wire.Msg{Type: wire.Welcome, Version: wire.Version, Port: m.Port} // the queue is empty
	p.conn = c
	c.port.Store(p)
	p.offHook, p.flashReq, p.resync = false, 0, true
	p.mic.reset()
	c.b.log.Info("sim: phone attached", "port", m.Port, "remote", c.remote, "name", m.Name)
	return nil
}

// handle applies one message from an attached phone. Bye returns io.EOF.
func (c *lineConn) handle(m *wire.Msg) error {
	p := c.port.Load()
	switch m.Type {
	case wire.Audio:
		p.mu.Lock()
		p.mic.push(&m.Audio)
		p.mu.Unlock()
	case wire.Hook:
		p.mu.Lock()
		p.offHook = m.OffHook
		if !m.OffHook {
			p.flashReq = 0
		}
		p.mu.Unlock()
		c.b.log.Debug("sim: hook", "port", p.n, "offhook", m.OffHook)
	case wire.Flash:
		p.mu.Lock()
		if p.offHook {
			p.flashReq = m.Dur
		}
		p.mu.Unlock()
		c.b.log.Debug("sim: flash", "port", p.n, "dur", m.Dur)
	case wire.Bye:
		return io.EOF
	case wire.Error:
		return fmt.Errorf("%w: phone gave up: %s", errProtocol, m.Text)
	default:
		return fmt.Errorf("%w: unexpected %s from an attached phone", errProtocol, m.Type)
	}
	return nil
}

func (c *lineConn) readFailed(err error, during string) {
	switch {
	case wire.IsMalformed(err):
		c.fail(fmt.Errorf("%w: %w", errProtocol, err))
	case errors.Is(err, os.ErrDeadlineExceeded):
		c.fail(fmt.Errorf("%w: no hello within %s", errProtocol, HelloTimeout))
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, io.ErrClosedPipe):
		c.close("phone hung up " + during)
	default:
		c.close(fmt.Sprintf("read: %v", err))
	}
}

// fail logs why the phone is dropped, tells it, and closes the connection.
func (c *lineConn) fail(reason error) {
	c.b.log.Warn("sim: dropping phone connection", "port", c.portNumber(), "remote", c.remote, "reason", reason.Error())
	text := truncate(reason.Error(), wire.MaxText)
	c.nc.SetWriteDeadline(time.Now().Add(errorWriteTimeout))
	_ = wire.NewWriter(c.nc).Write(&wire.Msg{Type: wire.Error, Text: text})
	c.close("")
}

// close ends the connection and frees the port. reason, when not empty,
// is logged.
func (c *lineConn) close(reason string) {
	c.once.Do(func() {
		if reason != "" {
			c.b.log.Info("sim: phone connection closed", "port", c.portNumber(), "remote", c.remote, "reason", reason)
		}
		// Free the port first: once the peer sees the connection end, the
		// port takes another phone.
		if p := c.port.Load(); p != nil {
			p.mu.Lock()
			if p.conn == c {
				// An unplugged phone leaves the loop open.
				p.conn, p.offHook, p.flashReq = nil, false, 0
				p.mic.reset()
			}
			p.mu.Unlock()
		}
		c.b.mu.Lock()
		delete(c.b.conns, c)
		c.b.mu.Unlock()
		close(c.done)
		c.nc.Close()
	})
}

func (c *lineConn) portNumber() int {
	if p := c.port.Load(); p != nil {
		return p.n
	}
	return c.want
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return strings.TrimSpace(s)
}
