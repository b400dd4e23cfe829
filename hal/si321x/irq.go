package si321x

import (
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// irqLoop is the interrupt goroutine: it waits for INT (bounded, so Halt
// is noticed), services the chip while INT is low, and runs the software
// hook debounce.
func (d *Dev) irqLoop() {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		timeout := d.o.IRQTimeout
		if d.pending {
			timeout = min(timeout, max(time.Until(d.pendingAt), 0))
		}
		d.mu.Unlock()

		edge := d.irq.WaitForEdge(timeout)

		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return
		}
		if edge || d.irq.Read() == gpio.Low {
			d.serviceLocked()
		}
		if d.pending && !time.Now().Before(d.pendingAt) {
			d.confirmHookLocked()
		}
		d.mu.Unlock()
	}
}

// serviceLocked reads and clears the interrupt status registers and acts
// on what they say. An SPI error leaves the flags for the next round.
func (d *Dev) serviceLocked() {
	var st [3]byte
	for i := range st {
		v, err := d.read(reg.IRQ1 + uint8(i))
		if err != nil {
			return
		}
		st[i] = v
	}
	for i, v := range st {
		if v != 0 {
			if d.write(reg.IRQ1+uint8(i), v) != nil { // write 1 to clear
				return
			}
		}
	}
	s1, s2, s3 := st[0], st[1], st[2]

	if s2&reg.QAll != 0 {
		// The chip opened the line to protect itself.
		if d.ringing {
			d.stopCadenceLocked()
			d.ringing, d.ringOn = false, false
			_ = d.write(reg.RingOsc, 0)
		}
		if lf, err := d.read(reg.Linefeed); err == nil {
			d.feed = feedOf(lf & reg.LFMask)
		}
		d.emitLocked(hal.EvPowerAlarm)
	}
	if d.ringing && d.hwCadence {
		off, on := s1&reg.RGAP != 0, s1&reg.RGIP != 0
		if off && on {
			// Both timers expired since the last look: the shadow
			// linefeed says which came last.
			if lf, err := d.read(reg.Linefeed); err == nil && lf>>reg.LFSShift&reg.LFMask == reg.LFRinging {
				d.ringOffLocked()
				d.ringOnLocked()
			} else {
				d.ringOnLocked()
				d.ringOffLocked()
			}
		} else if off {
			d.ringOffLocked()
		} else if on {
			d.ringOnLocked()
		}
	}
	if s2&reg.RTIP != 0 {
		d.ringTripLocked()
	}
	if s2&reg.LCIP != 0 {
		if ls, err := d.read(reg.LoopStatus); err == nil {
			d.loopLocked(ls&reg.LCR != 0)
		}
	}
	if s3&reg.CMBALIP != 0 {
		d.emitLocked(hal.EvGroundKey)
	}
}

func (d *Dev) ringOffLocked() {
	if d.ringOn {
		d.ringOn = false
		d.emitLocked(hal.EvRingOff)
	}
}

func (d *Dev) ringOnLocked() {
	if !d.ringOn {
		d.ringOn = true
		d.emitLocked(hal.EvRingOn)
	}
}

// loopLocked takes a new value of the debounced loop closure bit: the hook
// changes once the bit has stayed put for Opts.Debounce.
func (d *Dev) loopLocked(closed bool) {
	h := hal.OnHook
	if closed {
		h = hal.OffHook
	}
	switch {
	case h == d.hook:
		d.pending = false // it bounced back
	case d.pending && d.pendingHook == h:
	default:
		d.pending, d.pendingHook, d.pendingAt = true, h, time.Now().Add(d.o.Debounce)
	}
}

// confirmHookLocked ends a debounce: if the loop closure bit still says
// so, the hook changed. Going off hook during a software-timed silence is a
// ring trip.
func (d *Dev) confirmHookLocked() {
	d.pending = false
	ls, err := d.read(reg.LoopStatus)
	if err != nil {
		return
	}
	h := hal.OnHook
	if ls&reg.LCR != 0 {
		h = hal.OffHook
	}
	if h != d.pendingHook || h == d.hook {
		return
	}
	if h == hal.OffHook && d.ringing {
		d.ringTripLocked()
		return
	}
	d.hook = h
	d.emitLocked(hal.EvHook)
}
