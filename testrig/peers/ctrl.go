package peers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	errCtrl      = errors.New("peers: baresip ctrl_tcp")
	errNetstring = errors.New("peers: bad netstring")
)

// Event is one event baresip's ctrl_tcp reported: Type is the kind
// ("REGISTER_OK", "CALL_INCOMING", "CALL_RINGING", "CALL_ESTABLISHED",
// "CALL_CLOSED", "CALL_DTMF_START", "CALL_DTMF_END" ...), Param its
// argument (the digit for DTMF, the reason for CALL_CLOSED, the peer for
// calls).
type Event struct {
	Type       string `json:"type"`
	Class      string `json:"class"`
	AccountAOR string `json:"accountaor"`
	Direction  string `json:"direction"`
	PeerURI    string `json:"peeruri"`
	ID         string `json:"id"`
	Param      string `json:"param"`
	At         time.Time
	Raw        string
}

// String formats the event for logs.
func (e Event) String() string {
	return fmt.Sprintf("%s %s %q peer=%s dir=%s", e.At.Format("15:04:05.000"), e.Type, e.Param, e.PeerURI, e.Direction)
}

type ctrlResponse struct {
	OK   bool   `json:"ok"`
	Data string `json:"data"`
}

// ctrlClient speaks ctrl_tcp: netstrings ("LEN:JSON,") both ways, commands
// {"command","params","token"}, responses {"response":true,"ok","data",
// "token"}, events {"event":true,"type",...}.
type ctrlClient struct {
	conn net.Conn
	log  io.Writer

	mu      sync.Mutex
	seq     int
	waiting map[string]chan ctrlResponse
	evs     []Event
	cursor  int           // events before it were returned by next
	notify  chan struct{} // closed and replaced on each new event
	err     error         // set when the connection ends
	wmu     sync.Mutex    // one command on the wire at a time
}

func dialCtrl(ctx context.Context, addr string, log io.Writer) (*ctrlClient, error) {
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCtrl, err)
	}
	c := &ctrlClient{conn: conn, log: log, waiting: map[string]chan ctrlResponse{}, notify: make(chan struct{})}
	go c.read()
	return c, nil
}

// readNetstring reads one "LEN:DATA," frame.
func readNetstring(r *bufio.Reader) ([]byte, error) {
	head, err := r.ReadString(':')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[:len(head)-1]))
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("%w: length %q", errNetstring, head)
	}
	b := make([]byte, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	if b[n] != ',' {
		return nil, fmt.Errorf("%w: no ',' after %d bytes", errNetstring, n)
	}
	return b[:n], nil
}

func (c *ctrlClient) read() {
	r := bufio.NewReader(c.conn)
	var err error
	for {
		var msg []byte
		if msg, err = readNetstring(r); err != nil {
			break
		}
		var m struct {
			Event    bool   `json:"event"`
			Response bool   `json:"response"`
			Token    string `json:"token"`
			ctrlResponse
		}
		if json.Unmarshal(msg, &m) != nil {
			fmt.Fprintf(c.log, "peers: ctrl_tcp: unreadable message %q\n", msg)
			continue
		}
		switch {
		case m.Response:
			c.mu.Lock()
			ch := c.waiting[m.Token]
			delete(c.waiting, m.Token)
			c.mu.Unlock()
			if ch != nil {
				ch <- m.ctrlResponse
			}
		case m.Event:
			var e Event
			json.Unmarshal(msg, &e)
			e.At, e.Raw = time.Now(), string(msg)
			fmt.Fprintf(c.log, "peers: ctrl_tcp event: %s\n", e)
			c.mu.Lock()
			c.evs = append(c.evs, e)
			close(c.notify)
			c.notify = make(chan struct{})
			c.mu.Unlock()
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("%w: connection ended: %w", errCtrl, err)
	close(c.notify)
	c.mu.Unlock()
}

func (c *ctrlClient) command(ctx context.Context, cmd, params string) (string, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return "", err
	}
	c.seq++
	token := "t" + strconv.Itoa(c.seq)
	ch := make(chan ctrlResponse, 1)
	c.waiting[token] = ch
	notify := c.notify
	c.mu.Unlock()
	msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": token})
	c.wmu.Lock()
	c.conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, err := fmt.Fprintf(c.conn, "%d:%s,", len(msg), msg)
	c.wmu.Unlock()
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", errCtrl, cmd, err)
	}
	for {
		select {
		case r := <-ch:
			if !r.OK {
				return r.Data, fmt.Errorf("%w: %s %q: %s", errCtrl, cmd, params, strings.TrimSpace(r.Data))
			}
			return r.Data, nil
		case <-ctx.Done():
			c.mu.Lock()
			delete(c.waiting, token)
			c.mu.Unlock()
			return "", fmt.Errorf("%w: %s: %w", errCtrl, cmd, ctx.Err())
		case <-notify:
			c.mu.Lock()
			notify = c.notify
			err := c.err
			c.mu.Unlock()
			if err != nil {
				return "", err
			}
		}
	}
}

func (c *ctrlClient) events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.evs...)
}

func (c *ctrlClient) eventLog() string {
	var b strings.Builder
	for _, e := range c.events() {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func (c *ctrlClient) next(ctx context.Context, match func(Event) bool) (Event, error) {
	for {
		c.mu.Lock()
		for c.cursor < len(c.evs) {
			e := c.evs[c.cursor]
			c.cursor++
			if match(e) {
				c.mu.Unlock()
				return e, nil
			}
		}
		notify, err := c.notify, c.err
		c.mu.Unlock()
		if err != nil {
			return Event{}, err
		}
		select {
		case <-ctx.Done():
			return Event{}, fmt.Errorf("%w: waiting for an event: %w", errCtrl, ctx.Err())
		case <-notify:
		}
	}
}

func (c *ctrlClient) close() { c.conn.Close() }
