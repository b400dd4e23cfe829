package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.bug.st/serial"
)

// Defaults of Options.
const (
	DefaultBaud        = 115200
	DefaultRetry       = time.Second
	DefaultMaxFailures = 3
	DefaultLockout     = time.Minute
	DefaultIdleTimeout = 10 * time.Minute
)

var (
	errNoUsers = errors.New("console: Options.Users is required")
	errNoInput = errors.New("console: no terminal input")
	errGone    = errors.New("console: terminal gone")
)

// Options say where the console runs and what it may see and do.
type Options struct {
	// Device is the console UART (boards.Board.Console), opened at Baud
	// 8N1 and reopened whenever it fails. "" runs the console on the
	// terminal given by In and Out (or Screen) instead, as under `make run`.
	Device string
	Baud   int           // DefaultBaud when 0
	Retry  time.Duration // wait before (re)opening the UART; DefaultRetry when 0

	In     io.Reader // terminal input when Device is ""; a tty is put in raw mode while the console runs
	Out    io.Writer // terminal output when Device is "" and Screen is nil
	Screen *Screen   // terminal output shared with the firmware's own log (see NewScreen)

	Users         Users         // the accounts; required
	FirstPassword string        // the generated first-boot password, shown once on the console
	MaxFailures   int           // failed logins before the lock-out; DefaultMaxFailures when 0
	Lockout       time.Duration // DefaultLockout when 0
	IdleTimeout   time.Duration // logout after this long without a key; DefaultIdleTimeout when 0

	Version string      // firmware version
	Status  Status      // nil: no port or board status
	DSP     DSP         // nil: no media statistics
	Config  ConfigStore // nil: no configuration commands
	Logs    Logs        // nil: no log tail
	SIP     SIP         // nil: SIP is not running
	CDRs    CDRs        // nil: no call records yet
	Calls   Calls       // nil: show calls lists the ports in a call, without media figures
	Actions Actions     // nil members are not available
	Net     Net         // ping and traceroute; nil uses the operating system

	Log   *slog.Logger // the console's own messages (port lost, logins); nil discards
	Width int          // terminal columns; 80 when 0, at least 40
}

// Console is the field technician's console. Create it with New and run
// it with Run.
type Console struct {
	o    Options
	log  *slog.Logger
	tree []*command
	open func(dev string) (io.ReadWriteCloser, error)

	mu          sync.Mutex
	failures    int       // failed logins since the last success or lock-out
	lockedUntil time.Time // logins refused until then
	firstShown  bool      // FirstPassword was shown
}

// New checks o and returns a console. It does not touch the terminal.
func New(o Options) (*Console, error) {
	if o.Users == nil {
		return nil, errNoUsers
	}
	if o.Device == "" && o.In == nil {
		return nil, errNoInput
	}
	if o.Device == "" && o.Out == nil && o.Screen == nil {
		return nil, fmt.Errorf("%w: Out or Screen is needed with In", errNoInput)
	}
	if o.Baud <= 0 {
		o.Baud = DefaultBaud
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultLockout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Width <= 0 {
		o.Width = 80
	}
	o.Width = max(o.Width, 40)
	if o.Net == nil {
		o.Net = SystemNet{}
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Console{o: o, log: log}
	c.tree = commands()
	c.open = c.openSerial
	return c, nil
}

func (c *Console) openSerial(dev string) (io.ReadWriteCloser, error) {
	p, err := serial.Open(dev, &serial.Mode{
		BaudRate: c.o.Baud,
		DataBits: 8,
		Parity:   serial.NoParity,
		StopBits: serial.OneStopBit,
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Run serves the console until ctx is done. On a UART it opens the device,
// serves sessions on it, and when the device fails or disappears closes it
// and opens it again every Retry until it is back. On the terminal it
// returns when the input ends. It returns nil when ctx is done.
func (c *Console) Run(ctx context.Context) error {
	if c.o.Device == "" {
		return c.runTerminal(ctx)
	}
	var lastErr string
	for {
		port, err := c.open(c.o.Device)
		if err != nil {
			if msg := err.Error(); msg != lastErr {
				c.log.Warn("console: cannot open the UART; retrying", "device", c.o.Device, "err", err)
				lastErr = msg
			}
			if !wait(ctx, c.o.Retry) {
				return nil
			}
			continue
		}
		if lastErr != "" {
			c.log.Info("console: UART is back", "device", c.o.Device)
		}
		lastErr = ""
		scr := NewScreen(port, true, c.o.Width)
		err = c.serve(ctx, port, port.Close, scr, filepath.Base(c.o.Device))
		port.Close()
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("console: UART lost; reopening", "device", c.o.Device, "err", err)
		lastErr = "lost"
		if !wait(ctx, c.o.Retry) {
			return nil
		}
	}
}

func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (c *Console) runTerminal(ctx context.Context) error {
	scr := c.o.Screen
	crlf := false
	if f, ok := c.o.In.(*os.File); ok {
		restore, raw, err := rawTerminal(f)
		if err != nil {
			c.log.Warn("console: cannot put the terminal in raw mode; line editing may misbehave", "err", err)
		}
		if raw {
			defer restore()
		}
	}
	if scr == nil {
		scr = NewScreen(c.o.Out, crlf, c.o.Width)
	}
	err := c.serve(ctx, c.o.In, nil, scr, "terminal")
	if ctx.Err() == nil {
		c.log.Info("console: terminal input ended; the console is off", "reason", err)
	}
	return nil
}

// serve runs sessions on one opened terminal until its input fails or ctx
// is done. closer (may be nil) is called to unblock the reader when ctx is
// done; a terminal's reader that cannot be unblocked is left behind.
func (c *Console) serve(ctx context.Context, r io.Reader, closer func() error, scr *Screen, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan []byte)
	errc := make(chan error, 1)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				chunk := append([]byte(nil), buf[:n]...)
				select {
				case in <- chunk:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				errc <- err
				close(in)
				return
			}
		}
	}()
	if closer != nil {
		stop := context.AfterFunc(ctx, func() { closer() })
		defer stop()
	}
	s := newSession(ctx, c, scr, name)
	err := s.loop(in)
	s.end()
	scr.Hide() // what others print on this terminal later starts on a clean line
	if errors.Is(err, errGone) {
		select {
		case rerr := <-errc:
			err = fmt.Errorf("%w: %w", errGone, rerr)
		default:
		}
	}
	return err
}

// failed records a failed login; it reports whether the console is now
// locked and until when.
func (c *Console) failed(now time.Time) (locked bool, left int, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures++
	if c.failures >= c.o.MaxFailures {
		c.failures = 0
		c.lockedUntil = now.Add(c.o.Lockout)
		return true, 0, c.lockedUntil
	}
	return false, c.o.MaxFailures - c.failures, time.Time{}
}

func (c *Console) succeeded() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failures = 0
}

// locked returns the end of the lock-out, or zero when logins are open.
func (c *Console) locked(now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Before(c.lockedUntil) {
		return c.lockedUntil
	}
	return time.Time{}
}

// takeFirstPassword returns the first-boot password the first time only.
func (c *Console) takeFirstPassword() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.firstShown || c.o.FirstPassword == "" {
		return ""
	}
	c.firstShown = true
	return c.o.FirstPassword
}
