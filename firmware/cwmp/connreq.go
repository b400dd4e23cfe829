package cwmp

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Connection Request limits: a bucket of connReqBurst requests refilled at
// one per connReqEvery; beyond it the server answers 503.
const (
	connReqBurst = 8
	connReqEvery = 2 * time.Second
)

type bucket struct {
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = connReqBurst
	} else {
		b.tokens = min(connReqBurst, b.tokens+float64(now.Sub(b.last))/float64(connReqEvery))
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// ConnReqHandler returns the Connection Request handler (TR-069 3.2.2):
// HTTP GET on path with digest authentication; it answers at once and the
// session with event 6 CONNECTION REQUEST follows.
func (c *Client) ConnReqHandler(path string) http.Handler {
	ds := newDigestServer("OpenIAD", func() (string, string) {
		s := c.settings()
		return s.ConnReqUsername, s.ConnReqPassword
	})
	var b bucket
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !b.take(c.now()) {
			w.Header().Set("Retry-After", "2")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		if !ds.check(r) {
			ds.challenge(w)
			return
		}
		w.WriteHeader(http.StatusOK)
		c.log.Info("cwmp: connection request", "from", r.RemoteAddr)
		c.Trigger(EventConnReq, "")
	})
}

// listenConnReq starts the Connection Request server on a random path.
func (c *Client) listenConnReq() (*http.Server, error) {
	ln, err := net.Listen("tcp", c.o.ConnReqListen)
	if err != nil {
		return nil, fmt.Errorf("cwmp: connection request server: %w", err)
	}
	path := "/" + randHex(12)
	host := c.o.ConnReqHost
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if host == "" {
		host = ln.Addr().String()
	} else if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, port)
	}
	c.mu.Lock()
	c.crURL = "http://" + host + path
	c.mu.Unlock()
	srv := &http.Server{Handler: c.ConnReqHandler(path), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	c.log.Info("cwmp: connection request server", "url", c.ConnectionRequestURL())
	return srv, nil
}
