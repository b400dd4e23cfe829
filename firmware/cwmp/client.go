package cwmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

var errTransferPending = errors.New("cwmp: TransferComplete not acknowledged")

// Settings are the parts of the configuration (config.CWMP) the client
// follows; SetSettings changes them at run time.
type Settings struct {
	Enabled          bool
	URL              string // ACS URL
	Username         string
	Password         string
	PeriodicEnabled  bool
	PeriodicInterval time.Duration
	PeriodicTime     time.Time // phase reference; zero = none
	CACerts          string    // PEM; "" = system roots
	RetryMinimumWait time.Duration
	RetryMultiplier  int
	// Connection Request credentials.
	ConnReqUsername string
	ConnReqPassword string
}

// Firmware is the A/B update path (firmware/update) as the client uses it.
type Firmware interface {
	// Install writes the image to the inactive slot and marks it for a
	// trial boot; the caller reboots. An error that is a *Fault carries
	// the TransferComplete fault code (9018 corrupted, 9019 bad signature,
	// ...); nothing was installed.
	Install(ctx context.Context, r io.Reader) error
	// Outcome tells, after the reboot, how the last install ended: done is
	// false while the trial boot is undecided; fault 0 means committed.
	Outcome() (done bool, fault int, reason string)
}

// Options say what the client works with.
type Options struct {
	Model Model
	FS    config.FS // nil: the operating system's
	Dir   string    // where events.json lives (the folder must exist)
	Log   *slog.Logger
	// Firmware installs downloaded images; nil refuses firmware downloads.
	Firmware Firmware
	// ApplyConfig applies a vendor configuration file; nil refuses them.
	ApplyConfig func(ctx context.Context, r io.Reader) error
	// Reboot restarts the box; FactoryReset erases its configuration and
	// restarts it. nil refuses the RPC.
	Reboot       func(ctx context.Context) error
	FactoryReset func(ctx context.Context) error
	// ConnReqListen is where the Connection Request server listens
	// ("" = none), ConnReqHost the address the ACS reaches it at (for the
	// URL; default the listen address).
	ConnReqListen string
	ConnReqHost   string
	// Transport replaces the HTTP transport (tests in virtual time).
	Transport http.RoundTripper
	// Rand returns a value in [0, 1) for the retry jitter (default math/rand).
	Rand func() float64
	// Sent, when set, is given every envelope the client sends.
	Sent func(envelope []byte)
}

// Client is the CWMP client of the box.
type Client struct {
	o      Options
	log    *slog.Logger
	events *Events
	wake   chan struct{}

	mu         sync.Mutex
	s          Settings
	crURL      string
	lastInform time.Time
	lastURL    string
	scheduled  []scheduled
	tr         *http.Transport
	trCA       string
	retries    int
	sessions   int
	wrote      bool // a firmware image was written this boot
}

type scheduled struct {
	at  time.Time
	key string
}

// New opens the event store (a boot: events that do not survive a reboot
// are dropped) and returns a client; Run starts it.
func New(o Options, s Settings) (*Client, error) {
	if o.Model == nil {
		return nil, errors.New("cwmp: no data model")
	}
	ev, err := OpenEvents(o.FS, o.Dir)
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return &Client{o: o, log: o.Log, events: ev, wake: make(chan struct{}, 1), s: s}, nil
}

// Events returns the client's event store.
func (c *Client) Events() *Events { return c.events }

// ConnectionRequestURL implements Runtime.
func (c *Client) ConnectionRequestURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.crURL
}

// LastInform implements Runtime: when the last Inform was answered.
func (c *Client) LastInform() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastInform
}

// Sessions counts the sessions that ended well.
func (c *Client) Sessions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessions
}

// SetSettings applies new settings; a new ACS URL means BOOTSTRAP.
func (c *Client) SetSettings(s Settings) {
	c.mu.Lock()
	c.s = s
	c.mu.Unlock()
	c.poke()
}

func (c *Client) settings() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.s
}

func (c *Client) now() time.Time { return time.Now() }

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Trigger queues an event and asks for a session at once.
func (c *Client) Trigger(code, key string) {
	if err := c.events.Add(code, key); err != nil {
		c.log.Error("cwmp: events", "err", err)
	}
	c.poke()
}

func (c *Client) informed(url string) {
	c.mu.Lock()
	c.lastInform = c.now()
	c.lastURL = url
	c.mu.Unlock()
}

func (c *Client) schedule(d time.Duration, key string) {
	c.mu.Lock()
	c.scheduled = append(c.scheduled, scheduled{at: c.now().Add(d), key: key})
	c.mu.Unlock()
	c.poke()
}

func (c *Client) transport(ca string) (*http.Transport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tr != nil && c.trCA == ca {
		return c.tr, nil
	}
	tr, err := newTransport(ca)
	if err != nil {
		return nil, err
	}
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
	c.tr, c.trCA = tr, ca
	return tr, nil
}

// Run works until ctx is done: it informs the ACS at boot, periodically,
// on value changes, connection requests and scheduled informs, retries
// failed sessions with the back-off of TR-069 3.2.1.1, and carries out
// downloads, reboots and factory resets.
func (c *Client) Run(ctx context.Context) error {
	if err := c.events.Add(EventBoot, ""); err != nil {
		return err
	}
	var crServer *http.Server
	defer func() {
		if crServer != nil {
			crServer.Close()
		}
	}()
	boot := c.now()
	periodicDone := boot // the last periodic grid point handled
	var retryAt time.Time
	var notify <-chan struct{}
	if c.o.Model != nil {
		notify = c.o.Model.Notify()
	}
	for {
		s := c.settings()
		if !s.Enabled || s.URL == "" {
			select {
			case <-ctx.Done():
				return nil
			case <-c.wake:
			case <-notify:
			}
			continue
		}
		if crServer == nil && c.o.ConnReqListen != "" {
			// The Connection Request server runs once TR-069 is on; a port
			// taken is logged and the client works without it.
			srv, err := c.listenConnReq()
			if err != nil {
				c.log.Error("cwmp: no connection requests", "err", err)
				c.o.ConnReqListen = ""
			}
			crServer = srv
		}
		if c.events.Bootstrapped() != s.URL && !c.events.Has(EventBootstrap) {
			if err := c.events.NewACS(); err != nil {
				c.log.Error("cwmp: events", "err", err)
			}
		}
		now := c.now()
		undecided := c.resolveInstall()
		c.fireScheduled(now)
		c.startDownloads(ctx, now)
		if s.PeriodicEnabled {
			if p := NextPeriodic(periodicDone, phase(s, boot), s.PeriodicInterval); !p.IsZero() && !p.After(now) {
				c.Trigger(EventPeriodic, "")
				periodicDone = now
			}
		}
		due := len(c.events.Pending()) > 0 || c.events.Transfer() != nil
		if _, active := c.o.Model.Changes(); active {
			due = true
		}
		if due && (retryAt.IsZero() || !now.Before(retryAt)) {
			err := c.session(ctx, s)
			if ctx.Err() != nil {
				return nil
			}
			if err == nil && c.events.Transfer() != nil {
				// The ACS held our requests or did not answer the
				// TransferComplete: it goes again in a later session.
				err = errTransferPending
			}
			if err != nil {
				c.mu.Lock()
				c.retries++
				n := c.retries
				c.mu.Unlock()
				wait := RetryWait(n, s.RetryMinimumWait, s.RetryMultiplier, c.o.Rand)
				retryAt = c.now().Add(wait)
				c.log.Warn("cwmp: session failed", "err", err, "retry", n, "wait", wait)
			} else {
				c.mu.Lock()
				c.retries = 0
				c.sessions++
				c.mu.Unlock()
				// At most one session a second, whatever the model says.
				retryAt = c.now().Add(time.Second)
				continue
			}
		}
		next := c.nextWake(s, periodicDone, phase(s, boot), retryAt)
		if undecided { // a trial boot is being checked: ask again soon
			if poll := c.now().Add(10 * time.Second); next.IsZero() || poll.Before(next) {
				next = poll
			}
		}
		var timer <-chan time.Time
		var t *time.Timer
		if !next.IsZero() {
			t = time.NewTimer(next.Sub(c.now()))
			timer = t.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
			// A connection request or a new setting: try at once, even
			// while backing off (TR-069 3.2.1.1 allows it).
			retryAt = time.Time{}
		case <-notify:
		case <-timer:
		}
		if t != nil {
			t.Stop()
		}
	}
}

// phase is the reference of the periodic inform grid: PeriodicInformTime,
// or the boot when none is set.
func phase(s Settings, boot time.Time) time.Time {
	if s.PeriodicTime.IsZero() {
		return boot
	}
	return s.PeriodicTime
}

// nextWake is the earliest of the periodic inform, the retry, a scheduled
// inform and a delayed download.
func (c *Client) nextWake(s Settings, periodicDone, phase, retryAt time.Time) time.Time {
	var next time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if s.PeriodicEnabled {
		earlier(NextPeriodic(periodicDone, phase, s.PeriodicInterval))
	}
	if retryAt.After(c.now()) {
		earlier(retryAt)
	}
	c.mu.Lock()
	for _, sc := range c.scheduled {
		earlier(sc.at)
	}
	c.mu.Unlock()
	for _, d := range c.events.Downloads() {
		if !d.AwaitingReboot {
			earlier(d.Due)
		}
	}
	return next
}

func (c *Client) fireScheduled(now time.Time) {
	c.mu.Lock()
	var due []scheduled
	kept := c.scheduled[:0]
	for _, sc := range c.scheduled {
		if !sc.at.After(now) {
			due = append(due, sc)
		} else {
			kept = append(kept, sc)
		}
	}
	c.scheduled = kept
	c.mu.Unlock()
	for _, sc := range due {
		_ = c.events.Add(EventScheduled, "")
		_ = c.events.Add(EventMScheduleInfrm, sc.key)
	}
}

// session runs one session and then what the ACS asked for after it.
func (c *Client) session(ctx context.Context, s Settings) error {
	ss, err := c.newSession(s)
	if err != nil {
		return err
	}
	c.mu.Lock()
	retries := c.retries
	c.mu.Unlock()
	c.log.Info("cwmp: session", "acs", s.URL, "events", fmt.Sprint(c.events.Pending()))
	err = ss.run(ctx, retries)
	if tr, ok := ss.http.Transport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
	for _, f := range ss.after {
		f(ctx)
	}
	if ss.reboot {
		c.log.Warn("cwmp: rebooting as the ACS asked")
		if rerr := c.o.Reboot(ctx); rerr != nil {
			c.log.Error("cwmp: reboot", "err", rerr)
		}
	}
	return err
}
