package si321xsim

import (
	"errors"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

var (
	errOutput = errors.New("si321xsim: INT is an output of the chip")
	errInput  = errors.New("si321xsim: RESET is an input of the chip; drive it with Out")
	errPWM    = errors.New("si321xsim: no PWM on this pin")
)

// irqPin is the chip's INT output, seen from the host as a gpio input.
type irqPin struct{ c *Chip }

func (p *irqPin) String() string   { return p.c.name + ".INT" }
func (p *irqPin) Halt() error      { return nil }
func (p *irqPin) Name() string     { return p.c.name + ".INT" }
func (p *irqPin) Number() int      { return -1 }
func (p *irqPin) Function() string { return "INT" }

// In sets which edges WaitForEdge reports and forgets an edge seen
// before; a WaitForEdge in progress returns false.
func (p *irqPin) In(pull gpio.Pull, edge gpio.Edge) error {
	c := p.c
	c.mu.Lock()
	c.advanceLocked(time.Now())
	c.edge, c.edgePending = edge, false
	c.inGen++
	c.changedLocked()
	c.mu.Unlock()
	return nil
}

// Read returns Low while an enabled interrupt is pending.
func (p *irqPin) Read() gpio.Level {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	return gpio.Level(!c.irqLow)
}

// WaitForEdge returns true as soon as an edge of the kind set by In has
// happened since the last call, false after timeout (negative: no timeout)
// or when In is called meanwhile. While it waits it lets the chip's clock
// run, so interrupts are raised at the instant the chip raises them.
func (p *irqPin) WaitForEdge(timeout time.Duration) bool {
	c := p.c
	var deadline time.Time
	if timeout >= 0 {
		deadline = time.Now().Add(timeout)
	}
	c.mu.Lock()
	gen := c.inGen
	c.mu.Unlock()
	for {
		c.mu.Lock()
		now := time.Now()
		c.advanceLocked(now)
		if c.inGen != gen {
			c.mu.Unlock()
			return false
		}
		if c.edgePending {
			c.edgePending = false
			c.mu.Unlock()
			return true
		}
		next, ok := c.nextLocked()
		c.mu.Unlock()
		wait := time.Duration(-1)
		if !deadline.IsZero() {
			if wait = deadline.Sub(now); wait <= 0 {
				return false
			}
		}
		if ok {
			if d := max(next.Sub(now), 0); wait < 0 || d < wait {
				wait = d
			}
		}
		if wait < 0 {
			<-c.kick
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-c.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

func (p *irqPin) Pull() gpio.Pull                       { return gpio.PullUp }
func (p *irqPin) DefaultPull() gpio.Pull                { return gpio.PullUp }
func (p *irqPin) Out(gpio.Level) error                  { return errOutput }
func (p *irqPin) PWM(gpio.Duty, physic.Frequency) error { return errPWM }

// resetPin is the chip's RESET input (active low), driven by the host.
type resetPin struct{ c *Chip }

func (p *resetPin) String() string                        { return p.c.name + ".RESET" }
func (p *resetPin) Halt() error                           { return nil }
func (p *resetPin) Name() string                          { return p.c.name + ".RESET" }
func (p *resetPin) Number() int                           { return -1 }
func (p *resetPin) Function() string                      { return "RESET" }
func (p *resetPin) In(gpio.Pull, gpio.Edge) error         { return errInput }
func (p *resetPin) Pull() gpio.Pull                       { return gpio.PullNoChange }
func (p *resetPin) DefaultPull() gpio.Pull                { return gpio.PullUp }
func (p *resetPin) PWM(gpio.Duty, physic.Frequency) error { return errPWM }

// WaitForEdge returns false at once: only the host moves RESET.
func (p *resetPin) WaitForEdge(time.Duration) bool { return false }

// Read returns the level the host drives.
func (p *resetPin) Read() gpio.Level {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rstLvl
}

// Out drives RESET: Low puts every register back to its reset value and
// holds the chip (SPI is ignored, INT released); High lets it run.
func (p *resetPin) Out(l gpio.Level) error {
	c := p.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	switch {
	case l == gpio.Low && !c.inReset:
		c.inReset = true
		c.resetLocked()
	case l == gpio.High && c.inReset:
		c.inReset = false
		c.updateDetLocked()
	}
	c.rstLvl = l
	c.changedLocked()
	return nil
}
