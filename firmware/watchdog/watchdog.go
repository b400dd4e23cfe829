// Package watchdog keeps the box's hardware watchdog fed while the parts
// that make it a telephone are alive, and stops feeding it when one
// stalls, so the watchdog resets the box.
//
// A Supervisor pets a hal.Watchdog (Device: /dev/watchdog through its
// ioctls, or any board's watchdog) every third of its timeout, as long as
// every watched part shows progress within its stall limit: a Beat that
// the part ticks itself, or a Counter the supervisor reads (the media
// engine's tick count). When a part stalls the supervisor logs which and
// stops petting for good: the watchdog then resets the box within its
// timeout. Petting never resumes after a stall, because a part that hung
// once has left call state that only a reboot clears.
//
// Beat.Tick and the Supervisor's Stalled may be called from any goroutine;
// Run from one.
package watchdog

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openiad/openiad/hal"
)

var errStalled = errors.New("watchdog: stalled")

// Supervisor decides whether the watchdog is petted.
type Supervisor struct {
	dog   hal.Watchdog
	log   *slog.Logger
	mu    sync.Mutex
	parts []*part
	// stalled is the name of the first part that stalled, "" while all
	// are alive.
	stalled atomic.Pointer[string]
	pets    atomic.Uint64
}

type part struct {
	name  string
	stall time.Duration
	read  func() uint64 // progress counter
	last  uint64
	seen  time.Time // when the counter last moved
}

// New makes a supervisor for dog. log may be nil.
func New(dog hal.Watchdog, log *slog.Logger) *Supervisor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Supervisor{dog: dog, log: log}
}

// Beat is a liveness tick a part sends itself.
type Beat struct{ n atomic.Uint64 }

// Tick tells the supervisor the part is alive.
func (b *Beat) Tick() { b.n.Add(1) }

// Beat watches a part that ticks itself: it stalls when no Tick comes for
// stall.
func (s *Supervisor) Beat(name string, stall time.Duration) *Beat {
	b := &Beat{}
	s.Counter(name, stall, b.n.Load)
	return b
}

// Counter watches a part through a counter that grows while the part
// works (the media engine's ticks): it stalls when read returns the same
// value for stall. read must not block.
func (s *Supervisor) Counter(name string, stall time.Duration, read func() uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.parts = append(s.parts, &part{name: name, stall: stall, read: read, last: read(), seen: time.Now()})
}

// Stalled returns the part that stalled and stopped the petting, "" while
// all are alive.
func (s *Supervisor) Stalled() string {
	if p := s.stalled.Load(); p != nil {
		return *p
	}
	return ""
}

// Pets counts the pets so far.
func (s *Supervisor) Pets() uint64 { return s.pets.Load() }

// Run pets the watchdog every third of its timeout while every part is
// alive, until ctx ends (nil) or a part stalls (an error naming it: from
// then on the watchdog resets the box). A failing pet is logged and tried
// again at the next period.
func (s *Supervisor) Run(ctx context.Context) error {
	period := s.dog.Timeout() / 3
	if period <= 0 {
		period = time.Second
	}
	s.mu.Lock()
	now := time.Now()
	for _, p := range s.parts {
		p.last, p.seen = p.read(), now
	}
	s.mu.Unlock()
	t := time.NewTicker(period)
	defer t.Stop()
	s.pet()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if name := s.check(time.Now()); name != "" {
			s.stalled.Store(&name)
			s.log.Error("watchdog: a part stalled; no longer petting: the watchdog resets the box",
				"part", name, "within", s.dog.Timeout())
			return errStalledPart(name)
		}
		s.pet()
	}
}

func errStalledPart(name string) error { return &stallError{name} }

type stallError struct{ name string }

func (e *stallError) Error() string { return "watchdog: stalled: " + e.name }
func (e *stallError) Unwrap() error { return errStalled }

// IsStalled reports whether err is Run's report of a stalled part.
func IsStalled(err error) bool { return errors.Is(err, errStalled) }

// check returns the first part that made no progress for its stall time.
func (s *Supervisor) check(now time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.parts {
		if v := p.read(); v != p.last {
			p.last, p.seen = v, now
			continue
		}
		if now.Sub(p.seen) >= p.stall {
			return p.name
		}
	}
	return ""
}

func (s *Supervisor) pet() {
	if err := s.dog.Pet(); err != nil {
		s.log.Warn("watchdog: pet", "err", err)
		return
	}
	s.pets.Add(1)
}
