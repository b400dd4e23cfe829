// Package si321x drives the Silicon Labs Si3210/Si3215 ProSLIC, a
// single-channel SLIC and codec with its own dc-dc battery converter and
// ringing generator: one analog FXS port. A Dev implements hal.FXS over a
// periph.io spi.Conn, the chip's INT pin (gpio.PinIn) and its RESET pin
// (gpio.PinOut).
//
// New resets the chip, identifies it (register 0 and the hybrid register's
// reset value), loads the indirect registers, powers up the dc-dc converter
// and waits for the battery, calibrates the converter, the line interface
// and the common-mode balance (each wait bounded, with an error that says
// what did not finish), programs the loop current, on-hook voltage, hook
// and ring-trip debounce, the PCM highway (16-bit linear, Opts.Timeslot),
// enables the interrupts and feeds the line forward.
//
// Ringing uses the chip's ringing oscillator: frequency and amplitude come
// from the hal.Cadence (RCO = cos(2πf/1 kHz)·2^15 and RNGX =
// ¼·√((1−cos)/(1+cos))·V/96 V·(2^15−1), indirect registers 20 and 21). A
// two-period cadence whose periods fit the 16-bit, 125 µs ringing timers
// (8.19 s) runs in hardware on the ringing active/inactive timers, and their
// interrupts give EvRingOff/EvRingOn. Other cadences (the UK's four
// periods) are timed by a goroutine that switches the linefeed between
// ringing and on-hook transmission. A handset lifted while ringing trips
// the ring (the chip's automatic ring trip, or the loop closure during a
// software-timed silence): the line returns to forward feed and EvRingTrip
// is sent.
//
// Concurrency: all methods may be called from any goroutine; a mutex
// serialises register access. New starts one goroutine that waits on the
// INT pin with WaitForEdge (bounded by Opts.IRQTimeout), reads and clears
// the interrupt status registers 18 to 20, debounces the hook in software
// and sends events; a software-timed cadence adds one goroutine while it
// rings. Events never block the driver: when the channel is full the
// oldest event is dropped. Halt stops the goroutines, opens the line and
// closes Events; afterwards every method returns hal.ErrClosed. The driver
// uses only timers and channels, so it runs unchanged inside a
// testing/synctest bubble against the register model in si321xsim.
package si321x

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/spi"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

var (
	errCalibration = errors.New("calibration did not finish")
	errPowerUp     = errors.New("dc-dc converter did not come up")
	errIndirect    = errors.New("indirect register access failed")
	errOffHook     = errors.New("line is off hook")
)

// Part is the part number the chip reports (register 0, PARTNUM).
type Part uint8

// Parts of the family. The driver runs the ones with a dc-dc converter and
// narrowband codec: Si3210, Si3210M, Si3215 and Si3215M.
const (
	Si3210  Part = reg.PartSi3210
	Si3211  Part = reg.PartSi3211
	Si3212  Part = reg.PartSi3212
	Si3210M Part = reg.PartSi3210M
	Si3215  Part = reg.PartSi3215
	Si3215M Part = reg.PartSi3215M
	Si3216  Part = reg.PartSi3216
	Si3216M Part = reg.PartSi3216M
)

var partNames = [...]string{"Si3210", "Si3211", "Si3212", "Si3210M", "Si3215", "Si3215M", "Si3216", "Si3216M"}

func (p Part) String() string {
	if int(p) < len(partNames) {
		return partNames[p]
	}
	return fmt.Sprintf("part(%d)", uint8(p))
}

// Dev is one ProSLIC. Make it with New.
type Dev struct {
	c    spi.Conn
	irq  gpio.PinIn
	rst  gpio.PinOut
	o    settings
	part Part
	rev  uint8

	events chan hal.LineEvent
	stop   chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	wb, rb [1]byte
	closed bool
	feed   hal.Feed
	hook   hal.Hook
	vbath  uint8

	// Software hook debounce: the loop closure bit went to pendingHook
	// and must stay there until pendingAt.
	pending     bool
	pendingHook hal.Hook
	pendingAt   time.Time

	// Ringing.
	ringing   bool
	ringOn    bool          // a burst is on now
	hwCadence bool          // the chip's timers run the cadence
	prevFeed  hal.Feed      // the feed to return to after StopRing
	ringQuit  chan struct{} // stops the software cadence goroutine
}

var _ hal.FXS = (*Dev)(nil)

// New brings up the ProSLIC on c (8-bit words) with its INT pin irq and
// RESET pin reset. o may be nil for the defaults.
func New(c spi.Conn, irq gpio.PinIn, reset gpio.PinOut, o *Opts) (*Dev, error) {
	d := &Dev{c: c, irq: irq, rst: reset, events: make(chan hal.LineEvent, 32), stop: make(chan struct{})}
	if _, err := resolve(o, Si3210); err != nil {
		return nil, err
	}
	if err := d.reset(); err != nil {
		return nil, err
	}
	if err := d.identify(); err != nil {
		return nil, err
	}
	var err error
	if d.o, err = resolve(o, d.part); err != nil {
		return nil, err
	}
	if err := d.init(); err != nil {
		return nil, err
	}
	if err := irq.In(gpio.PullUp, gpio.FallingEdge); err != nil {
		return nil, fmt.Errorf("si321x: INT pin: %w", err)
	}
	d.wg.Add(1)
	go d.irqLoop()
	return d, nil
}

// reset pulses RESET low. The data sheet asks for a pulse of at least
// 250 ns; both waits here are generous.
func (d *Dev) reset() error {
	if err := d.rst.Out(gpio.Low); err != nil {
		return fmt.Errorf("si321x: RESET pin: %w", err)
	}
	time.Sleep(time.Millisecond)
	if err := d.rst.Out(gpio.High); err != nil {
		return fmt.Errorf("si321x: RESET pin: %w", err)
	}
	time.Sleep(time.Millisecond)
	return nil
}

// identify reads the part and revision, and checks that a ProSLIC answers:
// the hybrid register (11) holds its reset value 0x33 after a reset.
func (d *Dev) identify() error {
	id, err := d.read(reg.SPIMode)
	if err != nil {
		return err
	}
	hy, err := d.read(reg.Hybrid)
	if err != nil {
		return err
	}
	if hy != 0x33 {
		return fmt.Errorf("si321x: %w: register 11 reads %#02x after reset, a ProSLIC has 0x33", hal.ErrNoDevice, hy)
	}
	d.part = Part(id >> reg.PartShift & reg.PartMask)
	d.rev = id & reg.RevisionMask
	switch d.part {
	case Si3210, Si3210M, Si3215, Si3215M:
		return nil
	}
	return fmt.Errorf("si321x: %w: %s (needs a part with a dc-dc converter and narrowband codec)", hal.ErrUnsupported, d.part)
}

// initIndirect are the indirect registers the driver sets, with the values
// the data sheet recommends (ringing ones come from Opts.Ring).
var initIndirect = [...]struct {
	a uint8
	v uint16
}{
	{reg.IRROFF, 0},
	{reg.IRRNGY, 0},
	{reg.IRRxGain, 0x4000}, // 0 dB
	{reg.IRTxGain, 0x4000},
	{reg.IRLCRT, 0x1000},
	{reg.IRRPTP, 0x3600},
	{reg.IRCMMin, 0x1000},
	{reg.IRCMMax, 0x0200},
	{reg.IRPAQ1Q2, 0x07c0},
	{reg.IRPAQ3Q4, 0x2600},
	{reg.IRPAQ5Q6, 0x1b80},
	{reg.IRNCLR, 0x8000},
	{reg.IRNQ12, 0x008c},
	{reg.IRNQ34, 0x0100},
	{reg.IRNQ56, 0x0010},
	{reg.IRVCMR, 0x0c00},
	{reg.IRDCDCMinV, 0x0c00},
	{reg.IRLCRTLow, 0x1000},
}

// init runs the power-up sequence after reset and identification.
func (d *Dev) init() error {
	o := &d.o
	s := seq{d: d}
	// Quiet: no interrupts, line open, until the chip is calibrated.
	s.w(reg.IRQEn1, 0)
	s.w(reg.IRQEn2, 0)
	s.w(reg.IRQEn3, 0)
	s.w(reg.Linefeed, reg.LFOpen)
	for _, r := range initIndirect {
		s.ind(r.a, r.v)
	}
	rp := ringProgram(o.Ring)
	s.ind(reg.IRRCO, rp.rco)
	s.ind(reg.IRRNGX, rp.rngx)
	s.ind(reg.IRNRTP, rp.nrtp)
	if s.err != nil {
		return s.err
	}
	if v, err := d.readIndirect(reg.IRRNGX); err != nil {
		return err
	} else if v != rp.rngx {
		return fmt.Errorf("si321x: %w: indirect register %d reads %#04x, wrote %#04x", errIndirect, reg.IRRNGX, v, rp.rngx)
	}

	// dc-dc converter: PWM timing and battery targets, power up, wait for
	// the battery, then let the converter calibrate itself.
	d.vbath = max(o.vbath, rp.vbath)
	s.w(reg.DCN, o.dcn)
	s.w(reg.DCTOF, o.dctof)
	s.w(reg.VBATH, d.vbath)
	s.w(reg.VBATL, o.vbatl)
	s.w(reg.PowerDown1, 0)
	if s.err != nil {
		return s.err
	}
	// The battery sense counts 376 mV; wait for 90 % of the target.
	want := uint8(min(255, int(d.vbath)*reg.VoltStepMV*1000*9/10/reg.VSenseUV))
	v, ok, err := d.waitFor(reg.VBATSense, o.PowerUpTimeout, func(v byte) bool { return v >= want })
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("si321x: %w: battery at %.1f V after %s, want %.1f V", errPowerUp,
			float64(v)*reg.VSenseUV/1e6, o.PowerUpTimeout, float64(d.vbath)*reg.VoltStepMV/1000)
	}
	s.w(reg.DCTOF, o.dctof|reg.DCCAL)
	if s.err != nil {
		return s.err
	}
	if v, ok, err := d.waitFor(reg.DCTOF, o.PowerUpTimeout, func(v byte) bool { return v&reg.DCCAL == 0 }); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("si321x: %w: dc-dc calibration not done after %s (register 93 reads %#02x)", errPowerUp, o.PowerUpTimeout, v)
	}

	// Calibration: monitor ADC, DAC/ADC offsets, tip/ring gain
	// mismatch, differential and common-mode DAC gain, current limit; then
	// the common-mode balance with the line fed.
	s.w(reg.Cal2, reg.CALM1|reg.CALM2|reg.CALDAC|reg.CALADC)
	s.w(reg.Cal1, reg.CAL|reg.CALR|reg.CALT|reg.CALD|reg.CALC|reg.CALIL)
	if err := d.waitCal(&s, "line"); err != nil {
		return err
	}
	s.w(reg.Linefeed, reg.LFForward)
	s.w(reg.Cal2, reg.CALCM)
	s.w(reg.Cal1, reg.CAL)
	if err := d.waitCal(&s, "common-mode balance"); err != nil {
		return err
	}

	// Line parameters, debounce, ringing off, no loopback.
	s.w(reg.ILim, o.ilim)
	s.w(reg.VOC, o.voc)
	s.w(reg.LCDebounce, o.hwDebounce)
	s.w(reg.RTDebounce, rp.rtdi)
	s.w(reg.AutoManual, 0x1f) // automatic modes, ring trip switches to active
	s.w(reg.RingOsc, 0)
	s.w(reg.Loopback, 0)

	// PCM: start counts, then enable with 16-bit linear samples.
	s.w(reg.PCMTXLo, byte(o.start))
	s.w(reg.PCMTXHi, byte(o.start>>8))
	s.w(reg.PCMRXLo, byte(o.start))
	s.w(reg.PCMRXHi, byte(o.start>>8))
	s.w(reg.PCMMode, reg.PCME|reg.PCMFLinear<<reg.PCMFShift)

	// Interrupts: clear what calibration left, then enable ringing
	// timers, ring trip, loop closure, power alarms and ground key.
	s.w(reg.IRQ1, 0xff)
	s.w(reg.IRQ2, 0xff)
	s.w(reg.IRQ3, 0xff)
	s.w(reg.IRQEn1, reg.RGAP|reg.RGIP)
	s.w(reg.IRQEn2, reg.RTIP|reg.LCIP|reg.QAll)
	s.w(reg.IRQEn3, reg.CMBALIP)
	s.w(reg.Linefeed, reg.LFForward)
	d.feed, d.hook = hal.FeedForward, hal.OnHook
	return s.err
}

// waitCal waits for register 96 to read 0 (every calibration done).
func (d *Dev) waitCal(s *seq, what string) error {
	if s.err != nil {
		return s.err
	}
	v, ok, err := d.waitFor(reg.Cal1, d.o.CalTimeout, func(v byte) bool { return v == 0 })
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("si321x: %w: %s calibration still running after %s (register 96 reads %#02x)", errCalibration, what, d.o.CalTimeout, v)
	}
	return nil
}

// Part returns the part the chip reported.
func (d *Dev) Part() Part { return d.part }

// Revision returns the chip revision (register 0 bits 3:0).
func (d *Dev) Revision() uint8 { return d.rev }

// String names the port: Opts.Name, part, revision and timeslot.
func (d *Dev) String() string {
	return fmt.Sprintf("%s(%s rev %d, slot %d)", d.o.Name, d.part, d.rev, d.o.Timeslot)
}

// Timeslot returns the PCM timeslot of the port's audio.
func (d *Dev) Timeslot() int { return d.o.Timeslot }

// Events delivers hook changes, ring on/off, ring trip, ground key and
// power alarms. It is closed by Halt.
func (d *Dev) Events() <-chan hal.LineEvent { return d.events }

// Hook returns the debounced hook state.
func (d *Dev) Hook() hal.Hook {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hook
}

// Feed returns the line feed: FeedRinging while ringing, the state the
// chip went to by itself after a ring trip (forward) or a power alarm
// (open).
func (d *Dev) Feed() hal.Feed {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.feed
}

var lfOf = [...]uint8{
	hal.FeedOpen:        reg.LFOpen,
	hal.FeedForward:     reg.LFForward,
	hal.FeedReverse:     reg.LFReverse,
	hal.FeedOnHookTx:    reg.LFForwardOHT,
	hal.FeedOnHookTxRev: reg.LFReverseOHT,
	hal.FeedRinging:     reg.LFRinging,
}

func feedOf(lf uint8) hal.Feed {
	for f, v := range lfOf {
		if v == lf {
			return hal.Feed(f)
		}
	}
	return hal.FeedOpen // tip open, ring open: no hal feed; the loop is not fed
}

func errClosed() error { return fmt.Errorf("si321x: %w", hal.ErrClosed) }

// SetFeed sets the line feed. FeedRinging rings with Opts.Ring; any other
// feed stops ringing first.
func (d *Dev) SetFeed(f hal.Feed) error {
	if int(f) >= len(lfOf) {
		return fmt.Errorf("si321x: %w: feed %s", hal.ErrRange, f)
	}
	if f == hal.FeedRinging {
		return d.Ring(d.o.Ring)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed()
	}
	if d.ringing {
		if err := d.endRingLocked(); err != nil {
			return err
		}
	}
	if err := d.write(reg.Linefeed, lfOf[f]); err != nil {
		return err
	}
	d.feed = f
	return nil
}

// Loopback switches the chip's digital loopback: PCM received on the port's
// timeslot is sent back on it (a test of the highway path).
func (d *Dev) Loopback(on bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed()
	}
	v, err := d.read(reg.Loopback)
	if err != nil {
		return err
	}
	v &^= reg.ALM1 | reg.ALM2 | reg.DLM
	if on {
		v |= reg.DLM
	}
	return d.write(reg.Loopback, v)
}

// Halt stops ringing and the goroutines, masks the interrupts, opens the
// line and closes Events.
func (d *Dev) Halt() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return errClosed()
	}
	d.closed = true
	d.stopCadenceLocked()
	d.ringing = false
	s := seq{d: d}
	s.w(reg.IRQEn1, 0)
	s.w(reg.IRQEn2, 0)
	s.w(reg.IRQEn3, 0)
	s.w(reg.RingOsc, 0)
	s.w(reg.Linefeed, reg.LFOpen)
	d.feed = hal.FeedOpen
	close(d.stop)
	d.mu.Unlock()
	// In ends a WaitForEdge in progress (gpio.PinIn's contract), so the
	// interrupt goroutine sees the close now rather than at its timeout.
	if err := d.irq.In(gpio.PullUp, gpio.NoEdge); err != nil && s.err == nil {
		s.err = fmt.Errorf("si321x: INT pin: %w", err)
	}
	d.wg.Wait()
	close(d.events)
	return s.err
}

// emitLocked sends an event without blocking: when the channel is full the
// oldest event makes room.
func (d *Dev) emitLocked(k hal.LineEventKind) {
	ev := hal.LineEvent{Kind: k, Hook: d.hook, At: time.Now()}
	for {
		select {
		case d.events <- ev:
			return
		default:
		}
		select {
		case <-d.events:
		default:
		}
	}
}
