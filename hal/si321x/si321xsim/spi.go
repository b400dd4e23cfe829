package si321xsim

import (
	"time"

	"periph.io/x/conn/v3/spi"

	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// Tx is one chip-select cycle. The chip decodes the bytes of w in order:
// a control byte (bit 7 set for a read, bits 6:0 the register), then a
// data byte. The control byte is kept across chip-select cycles, so both
// the data sheet's framing (control and data each in their own cycle) and
// both bytes in one cycle work. During the data byte of a read the chip
// shifts the register out, which lands in r at that position. Where w is
// shorter than r the chip sees zero bytes; bytes clocked out while the chip
// has nothing to say read 0xff (MISO is pulled up).
func (c *Chip) Tx(w, r []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	n := max(len(w), len(r))
	if c.cfg.absent {
		fill(r, 0xff)
		return nil
	}
	if c.inReset {
		if n > 0 {
			c.errorf("SPI transfer of %d bytes while RESET is low", n)
		}
		fill(r, 0xff)
		return nil
	}
	if len(w) == 0 && len(r) > 0 && c.ctl < 0 {
		c.errorf("read of %d bytes with no read control byte pending", len(r))
	}
	for i := range n {
		var in byte
		if i < len(w) {
			in = w[i]
		}
		out := c.byteLocked(in)
		if i < len(r) {
			r[i] = out
		}
	}
	c.changedLocked()
	return nil
}

// TxPackets runs each packet as a Tx. The chip keeps the control byte
// across chip-select cycles, so KeepCS makes no difference to it.
func (c *Chip) TxPackets(p []spi.Packet) error {
	for i := range p {
		if err := c.Tx(p[i].W, p[i].R); err != nil {
			return err
		}
	}
	return nil
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// byteLocked shifts one byte in and returns the byte shifted out.
func (c *Chip) byteLocked(in byte) byte {
	if c.ctl < 0 {
		c.ctl = int(in)
		return 0xff
	}
	ctl := byte(c.ctl)
	c.ctl = -1
	a := ctl & reg.AddrMask
	if ctl&reg.Read != 0 {
		return c.readLocked(a)
	}
	c.writeLocked(a, in)
	return 0xff
}

// Access kinds of the direct registers.
const (
	rw = iota
	reserved
	readOnly
)

func kind(a uint8) int {
	switch {
	case a >= reg.NumDirect:
		return reserved
	case a == 7, a == 12, a == 13, a == 16, a == 17, a >= 25 && a <= 27,
		a >= 53 && a <= 62, a == 90, a == 91, a == 95:
		return reserved
	case a == reg.DTMFDigit, a == reg.IAS, a == reg.LoopStatus, a >= 76 && a <= 89, a == 94:
		return readOnly
	}
	return rw
}

// peekLocked is the value a read of a returns, without side effects.
func (c *Chip) peekLocked(a uint8) byte {
	switch a {
	case reg.Linefeed:
		return c.lfsLocked()<<reg.LFSShift | c.dr[reg.Linefeed]&reg.LFMask
	case reg.LoopStatus:
		var v byte
		if c.lcr {
			v |= reg.LCR
		}
		if c.rtp {
			v |= reg.RTP
		}
		if c.det {
			v |= reg.DBIRAW
		}
		return v
	case reg.IAS:
		return 0 // accesses complete long before the next SPI byte
	case reg.VBATSense, reg.VBATSense + 1:
		uv := int64(c.batteryLocked()) / 1000
		return byte(min(255, uv/reg.VSenseUV))
	}
	if kind(a) == reserved {
		return 0
	}
	return c.dr[a]
}

func (c *Chip) readLocked(a uint8) byte {
	if kind(a) == reserved {
		c.errorf("read of reserved register %d", a)
	}
	return c.peekLocked(a)
}

func (c *Chip) writeLocked(a, v byte) {
	switch kind(a) {
	case reserved:
		c.errorf("write of %#02x to reserved register %d", v, a)
		return
	case readOnly:
		c.errorf("write of %#02x to read-only register %d", v, a)
		return
	}
	switch a {
	case reg.SPIMode:
		if v&reg.SPIDC != 0 {
			c.errorf("daisy-chain SPI mode is not modelled")
		}
		c.dr[a] = c.dr[a]&^reg.SPIDC | v&reg.SPIDC
	case reg.IRQ1, reg.IRQ2, reg.IRQ3:
		c.dr[a] &^= v
	case reg.IDAHi:
		c.dr[a] = v
		c.idaArm = true
	case reg.IAA:
		c.dr[a] = v
		c.indirectLocked(v)
	case reg.Linefeed:
		c.setLFLocked(v & reg.LFMask)
	case reg.PowerDown1:
		c.dr[a] = v
		on := v&reg.PDDCDC == 0
		if on && !c.dcdcOn {
			c.dcdcOnAt = c.now
		}
		c.dcdcOn = on
	case reg.DCTOF:
		c.dr[a] = v
		if v&reg.DCCAL != 0 {
			if c.dcdcOn && !c.cfg.deadDCDC {
				c.dcCalEnd = c.now.Add(max(c.cfg.timing.DCDCCalibration, time.Nanosecond))
			} else {
				c.errorf("dc-dc calibration started with the converter down")
				c.dcCalEnd = time.Time{}
			}
		}
	case reg.Cal1:
		c.dr[a] = v
		if v&reg.CAL != 0 {
			if c.batteryLocked() == 0 {
				c.errorf("calibration started with no battery voltage")
			}
			c.calRunning = true
			c.calEnd = time.Time{}
			if !c.cfg.stuckCal {
				c.calEnd = c.now.Add(max(c.cfg.timing.Calibration, time.Nanosecond))
			}
		}
	case reg.RingOsc:
		old := c.dr[a]
		c.dr[a] = v
		if c.dr[reg.Linefeed]&reg.LFMask == reg.LFRinging {
			// A timer switched off stops; one switched on starts now.
			en := byte(reg.RTIE)
			lo := uint8(reg.RITLo)
			if c.burst {
				en, lo = reg.RTAE, reg.RATLo
			}
			switch {
			case v&en == 0:
				c.phaseEnd = time.Time{}
			case old&en == 0:
				c.phaseEnd = c.timerEndLocked(true, lo, c.now)
			}
		}
	default:
		c.dr[a] = v
	}
	c.updateDetLocked()
}

// indirectLocked runs the indirect access that a write of register 30
// starts: a write when the data high byte (register 29) was written since
// the last access, else a read into registers 28 and 29.
func (c *Chip) indirectLocked(a uint8) {
	arm := c.idaArm
	c.idaArm = false
	if !reg.IndirectExists(a) {
		c.errorf("indirect access to reserved register %d", a)
		return
	}
	if arm {
		c.ir[a] = uint16(c.dr[reg.IDAHi])<<8 | uint16(c.dr[reg.IDALo])
	} else {
		c.dr[reg.IDALo], c.dr[reg.IDAHi] = byte(c.ir[a]), byte(c.ir[a]>>8)
	}
	c.dr[reg.IRQ3] |= reg.INDIP
}
