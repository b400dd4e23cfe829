package update

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// healthFault, when set at link time
// (-ldflags -X github.com/openiad/openiad/firmware/update.healthFault=reason),
// makes every health check fail with that reason: the QEMU test builds such
// an image to see the box roll back by itself.
var healthFault string

// Health is what the firmware tells [Updater.Confirm] about itself after a
// trial boot.
type Health struct {
	// Ready reports whether the media engine runs and the configuration
	// loaded (nil: yes). Confirm polls it until it says yes or Wait passes,
	// which fails the trial with its last error.
	Ready func() error
	// Registered reports whether the SIP lines that should register have
	// (nil or true: yes). Once Ready, Confirm waits for it at most until
	// Wait passes and then commits anyway: an unreachable SIP server is not
	// the new firmware's fault.
	Registered func() bool
	// Wait bounds the health check; default 2 minutes.
	Wait time.Duration
	// Poll is how often Ready and Registered are asked; default 1 s.
	Poll time.Duration
}

// Confirm finishes a trial boot: when this boot is a trial, it runs the
// health check and commits the slot (Status then reports "committed"), or
// records why it failed and returns an error wrapping ErrHealth, after
// which the caller reboots and the bootloader rolls back. On a boot that is
// no trial it returns nil at once. Cancelling ctx stops the check without
// a verdict (the next boot rolls back).
func (u *Updater) Confirm(ctx context.Context, h Health) error {
	c, err := u.o.Backend.ReadControl()
	if err != nil {
		return err
	}
	running, err := u.o.Backend.Running()
	if err != nil {
		return err
	}
	if !c.TrialPending || c.Trial != running {
		return nil
	}
	herr := check(ctx, h)
	if ctx.Err() != nil {
		return fmt.Errorf("update: confirm: %w", ctx.Err())
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if c, err = u.o.Backend.ReadControl(); err != nil {
		return err
	}
	if herr != nil {
		c.HealthFailure = herr.Error()
		c.TriesLeft = 0
		if err := u.o.Backend.WriteControl(c); err != nil {
			return errors.Join(herr, err)
		}
		return fmt.Errorf("%w: %w", ErrHealth, herr)
	}
	c.Committed = c.Trial
	c.TrialPending, c.TriesLeft, c.BootedTrial, c.HealthFailure = false, 0, false, ""
	c.Last.Result, c.Last.Reason, c.Last.Done = ResultCommitted, "", u.o.Now()
	return u.o.Backend.WriteControl(c)
}

func check(ctx context.Context, h Health) error {
	if healthFault != "" {
		return errors.New(healthFault)
	}
	wait, poll := h.Wait, h.Poll
	if wait <= 0 {
		wait = 2 * time.Minute
	}
	if poll <= 0 {
		poll = time.Second
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(poll)
	defer tick.Stop()
	ready := func() error {
		if h.Ready == nil {
			return nil
		}
		return h.Ready()
	}
	registered := func() bool { return h.Registered == nil || h.Registered() }
	err := ready()
	for err != nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("not ready after %v: %w", wait, err)
		case <-tick.C:
			err = ready()
		}
	}
	for !registered() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return nil // ready, but SIP did not register in time: commit
		case <-tick.C:
			if err := ready(); err != nil {
				return fmt.Errorf("no longer ready: %w", err)
			}
		}
	}
	return nil
}
