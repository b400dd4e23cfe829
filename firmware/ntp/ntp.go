// Package ntp sets the box's clock from NTP servers (SNTP, RFC 4330, with
// the client of github.com/beevik/ntp): at boot as soon as the network is
// up, then every Interval. A box without a battery-backed clock boots in
// 1970 (or at the kernel's build date); call records, certificates and
// logs need the real time, so the first sync steps the clock at once.
//
// Servers are tried in the configured order (config.Time.NTPServers); the
// first valid answer (stratum 1-15, not a kiss of death, validated by the
// library) wins. Run is called from one goroutine; Last from any.
package ntp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bntp "github.com/beevik/ntp"
)

var errNoServer = errors.New("ntp: no server answered")

// Options say where the time comes from and how it is set.
type Options struct {
	Servers  []string      // "pool.ntp.org", "192.0.2.1", "host:123"
	Interval time.Duration // between syncs once synced (default 1 h)
	Retry    time.Duration // first retry after a failed sync, doubling to Interval (default 5 s)
	Timeout  time.Duration // per query (default 3 s)
	// Set steps the system clock by offset (default: settimeofday on
	// Linux). Tests pass a fake.
	Set func(offset time.Duration) error
	Log *slog.Logger
}

// Result is one successful sync.
type Result struct {
	Server string
	Offset time.Duration // how far the clock was behind (positive) or ahead
	RTT    time.Duration
	At     time.Time // when, after the correction
}

// Client keeps the clock set.
type Client struct {
	o    Options
	mu   sync.Mutex
	last Result
	err  error
}

// New makes a client; it does nothing until Sync or Run.
func New(o Options) *Client {
	if o.Interval <= 0 {
		o.Interval = time.Hour
	}
	if o.Retry <= 0 {
		o.Retry = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	if o.Set == nil {
		o.Set = setClock
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{o: o}
}

// Last returns the last successful sync (zero before one) and the error
// of the last attempt (nil when it succeeded).
func (c *Client) Last() (Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.err
}

// Sync asks the servers in order and steps the clock by the first valid
// answer's offset.
func (c *Client) Sync(ctx context.Context) (Result, error) {
	var errs []error
	for _, s := range c.o.Servers {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		r, err := bntp.QueryWithOptions(s, bntp.QueryOptions{Timeout: c.o.Timeout})
		if err == nil {
			err = r.Validate()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s, err))
			continue
		}
		if err := c.o.Set(r.ClockOffset); err != nil {
			err = fmt.Errorf("ntp: setting the clock: %w", err)
			c.record(Result{}, err)
			return Result{}, err
		}
		res := Result{Server: s, Offset: r.ClockOffset, RTT: r.RTT, At: time.Now()}
		c.record(res, nil)
		return res, nil
	}
	err := fmt.Errorf("%w: %w", errNoServer, errors.Join(errs...))
	if len(c.o.Servers) == 0 {
		err = fmt.Errorf("%w: none configured", errNoServer)
	}
	c.record(Result{}, err)
	return Result{}, err
}

func (c *Client) record(r Result, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.last = r
	}
	c.err = err
}

// Run syncs now, then every Interval; a failed sync is retried after
// Retry, doubling up to Interval. It returns when ctx ends.
func (c *Client) Run(ctx context.Context) {
	wait := c.o.Retry
	for {
		r, err := c.Sync(ctx)
		next := c.o.Interval
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.o.Log.Warn("ntp: clock not set", "err", err, "retry in", wait)
			next, wait = wait, min(2*wait, c.o.Interval)
		} else {
			wait = c.o.Retry
			c.o.Log.Info("ntp: clock set", "server", r.Server, "offset", r.Offset.Round(time.Millisecond), "rtt", r.RTT.Round(time.Millisecond))
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
