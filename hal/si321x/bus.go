package si321x

import (
	"fmt"
	"time"

	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// Register access. Every byte goes in its own chip-select cycle, as the
// data sheet's serial interface timing shows: a control byte (bit 7 set for
// a read, the register in bits 6:0), then the data byte, which the chip
// shifts out during the second cycle of a read. Callers hold d.mu, which
// also guards the buffers.

func (d *Dev) read(a uint8) (byte, error) {
	d.wb[0] = reg.Read | a&reg.AddrMask
	if err := d.c.Tx(d.wb[:], nil); err != nil {
		return 0, fmt.Errorf("si321x: read register %d: %w", a, err)
	}
	d.wb[0] = 0
	if err := d.c.Tx(d.wb[:], d.rb[:]); err != nil {
		return 0, fmt.Errorf("si321x: read register %d: %w", a, err)
	}
	return d.rb[0], nil
}

func (d *Dev) write(a, v uint8) error {
	d.wb[0] = a & reg.AddrMask
	if err := d.c.Tx(d.wb[:], nil); err != nil {
		return fmt.Errorf("si321x: write register %d: %w", a, err)
	}
	d.wb[0] = v
	if err := d.c.Tx(d.wb[:], nil); err != nil {
		return fmt.Errorf("si321x: write register %d: %w", a, err)
	}
	return nil
}

// seq runs a sequence of register writes and keeps the first error.
type seq struct {
	d   *Dev
	err error
}

func (s *seq) w(a, v uint8) {
	if s.err == nil {
		s.err = s.d.write(a, v)
	}
}

func (s *seq) ind(a uint8, v uint16) {
	if s.err == nil {
		s.err = s.d.writeIndirect(a, v)
	}
}

// indirectPolls bounds the wait for a pending indirect access. The chip
// finishes one within a sample period (125 µs), a few SPI bytes.
const indirectPolls = 100

func (d *Dev) waitIndirect() error {
	for range indirectPolls {
		v, err := d.read(reg.IAS)
		if err != nil {
			return err
		}
		if v&reg.IASBusy == 0 {
			return nil
		}
	}
	return fmt.Errorf("si321x: %w: indirect access still pending after %d polls", errIndirect, indirectPolls)
}

// writeIndirect writes indirect register a: data low, data high, then the
// address, which starts the access.
func (d *Dev) writeIndirect(a uint8, v uint16) error {
	if err := d.waitIndirect(); err != nil {
		return err
	}
	if err := d.write(reg.IDALo, byte(v)); err != nil {
		return err
	}
	if err := d.write(reg.IDAHi, byte(v>>8)); err != nil {
		return err
	}
	return d.write(reg.IAA, a)
}

// readIndirect reads indirect register a: the address starts the access,
// the data registers hold the value once the access is done.
func (d *Dev) readIndirect(a uint8) (uint16, error) {
	if err := d.waitIndirect(); err != nil {
		return 0, err
	}
	if err := d.write(reg.IAA, a); err != nil {
		return 0, err
	}
	if err := d.waitIndirect(); err != nil {
		return 0, err
	}
	lo, err := d.read(reg.IDALo)
	if err != nil {
		return 0, err
	}
	hi, err := d.read(reg.IDAHi)
	if err != nil {
		return 0, err
	}
	return uint16(hi)<<8 | uint16(lo), nil
}

// pollEvery is the interval of the waits for the battery and calibration.
const pollEvery = 10 * time.Millisecond

// waitFor polls register a until done says so or timeout passes; it
// returns the last value read.
func (d *Dev) waitFor(a uint8, timeout time.Duration, done func(byte) bool) (byte, bool, error) {
	start := time.Now()
	for {
		v, err := d.read(a)
		if err != nil {
			return v, false, err
		}
		if done(v) {
			return v, true, nil
		}
		if time.Since(start) >= timeout {
			return v, false, nil
		}
		time.Sleep(pollEvery)
	}
}
