// Package si321xsim is a register-level model of the Silicon Labs
// Si3210/Si3215 ProSLIC, one FXS channel per Chip. It answers the real
// driver (hal/si321x) over the same SPI framing as the part, holds the
// direct and indirect registers with their reset values, and reacts the
// way the data sheet describes: calibration and the dc-dc converter take
// time, the loop closure bit follows the virtual handset after the
// programmed debounce, the ringing oscillator follows the linefeed and the
// ringing active/inactive timers, interrupt flags latch, assert the INT pin
// when enabled and clear when 1 is written to them, a lifted handset trips
// the ringing, and the PCM registers decide the timeslots.
//
// Time: the chip keeps its own clock. Tick(now) advances it (the virtual
// board calls it every 10 ms), and so does every SPI transfer, every look
// at the line side and the INT pin's WaitForEdge, using time.Now. Events
// happen at the instant the data sheet says, whoever observes them first,
// so the model is exact under testing/synctest and needs no goroutine of
// its own.
//
// Concurrency: every method may be called from any goroutine. The SPI side
// (Tx, TxPackets), the pins, the line side (SetOffHook, Line, PCM, Talk)
// and Tick share one mutex; WaitForEdge does not hold it while it waits.
// Tick, Line, PCM and Talk do not allocate.
//
// What the model does not do: audio (the board moves PCM frames itself),
// tone and FSK oscillators, DTMF decoding, line measurements, daisy-chain
// SPI mode. Accesses the data sheet calls reserved, writes to read-only
// registers and protocol misuse (SPI traffic during reset, calibration with
// the converter down) are recorded and returned by Errors.
package si321xsim

import (
	"fmt"
	"math"
	"sync"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// Part is the part number the chip reports in register 0 (PARTNUM).
type Part uint8

// Parts of the family, by their PARTNUM code.
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

// Timing is how long the chip's slow operations take.
type Timing struct {
	Calibration     time.Duration // CAL set in register 96 until it reads 0
	DCDCCalibration time.Duration // DCCAL set in register 93 until it clears
	BatteryRamp     time.Duration // dc-dc power-up until the battery reaches VBATH
}

// DefaultTiming is what a chip gets unless WithTiming says otherwise.
var DefaultTiming = Timing{
	Calibration:     120 * time.Millisecond,
	DCDCCalibration: 10 * time.Millisecond,
	BatteryRamp:     40 * time.Millisecond,
}

// Option changes a Chip made by NewChip.
type Option func(*config)

type config struct {
	part      Part
	rev       uint8
	timing    Timing
	stuckCal  bool
	absent    bool
	deadDCDC  bool
	maxErrors int
}

// WithPart makes the chip report part p, revision rev (0..15).
func WithPart(p Part, rev uint8) Option {
	return func(c *config) { c.part, c.rev = p&reg.PartMask, rev&reg.RevisionMask }
}

// WithTiming sets the duration of calibration and battery power-up.
func WithTiming(t Timing) Option { return func(c *config) { c.timing = t } }

// WithStuckCalibration makes calibration never finish: register 96 keeps
// its CAL bit, as on a part whose line feed is broken.
func WithStuckCalibration() Option { return func(c *config) { c.stuckCal = true } }

// WithDeadConverter makes the dc-dc converter produce no battery voltage.
func WithDeadConverter() Option { return func(c *config) { c.deadDCDC = true } }

// WithAbsent models an empty socket: nothing drives MISO, every read is 0xff.
func WithAbsent() Option { return func(c *config) { c.absent = true } }

// LineStatus is what a phone on the line would see.
type LineStatus struct {
	Feed     hal.Feed // from the linefeed register (LF); tip-open and ring-open read as FeedOpen
	Ringing  bool     // ring voltage is on the line right now
	Reversed bool     // battery polarity reversed
	OffHook  bool     // the virtual handset (SetOffHook)

	Linefeed uint8 // LF, register 64 bits 2:0
	Shadow   uint8 // LFS, register 64 bits 6:4: the state the line is really in

	// The ringing signal the oscillator is programmed for (RCO, RNGX).
	RingFreq    physic.Frequency
	RingVoltage physic.ElectricPotential // peak
	Battery     physic.ElectricPotential // magnitude of the battery the converter makes now
}

// PCMStatus is the chip's PCM highway set-up, from registers 1 to 5 and 8.
type PCMStatus struct {
	Enabled          bool
	TxStart, RxStart int  // start counts in PCLK cycles after FSYNC
	TxSlot, RxSlot   int  // the same in 8-bit timeslots (start count / 8)
	Linear           bool // 16-bit linear samples (else companded)
	Loopback         bool // digital loopback: received PCM data is transmitted back
}

// Chip is one modelled ProSLIC. Make it with NewChip.
type Chip struct {
	name string
	cfg  config
	irq  irqPin
	rst  resetPin
	kick chan struct{} // wakes a WaitForEdge when the chip's state changed

	mu      sync.Mutex
	now     time.Time
	dr      [128]byte
	ir      [256]uint16
	inReset bool
	rstLvl  gpio.Level
	ctl     int // pending control byte, -1 for none
	idaArm  bool

	offHook   bool
	offHookAt time.Time
	det       bool // loop closure seen by the detector (undebounced)
	detAt     time.Time
	lcr, rtp  bool
	groundKey bool

	burst     bool
	ringStart time.Time
	phaseEnd  time.Time

	calRunning bool
	calEnd     time.Time
	dcCalEnd   time.Time
	calibrated bool
	dcdcOn     bool
	dcdcOnAt   time.Time

	irqLow      bool
	edge        gpio.Edge
	edgePending bool
	inGen       uint64

	errs []error
}

var (
	_ conn.Conn  = (*Chip)(nil)
	_ spi.Conn   = (*Chip)(nil)
	_ gpio.PinIO = (*irqPin)(nil)
	_ gpio.PinIO = (*resetPin)(nil)
)

// NewChip returns a chip out of reset with its registers at their reset
// values, a Si3210 unless WithPart says otherwise.
func NewChip(name string, opts ...Option) *Chip {
	c := &Chip{
		name: name,
		cfg:  config{part: Si3210, rev: 4, timing: DefaultTiming, maxErrors: 64},
		kick: make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(&c.cfg)
	}
	c.irq.c, c.rst.c = c, c
	c.rstLvl = gpio.High
	c.now = time.Now()
	c.resetLocked()
	return c
}

// String names the chip.
func (c *Chip) String() string { return "si321xsim(" + c.name + ")" }

// Duplex reports that the SPI side is full duplex.
func (c *Chip) Duplex() conn.Duplex { return conn.Full }

// IRQ is the chip's INT output: active low, pulled up. It supports
// In(pull, edge), Read and WaitForEdge.
func (c *Chip) IRQ() gpio.PinIO { return &c.irq }

// Reset is the chip's RESET input, active low: Out(Low) holds the chip in
// reset, Out(High) releases it.
func (c *Chip) Reset() gpio.PinIO { return &c.rst }

// Errors returns the protocol errors seen so far (reserved registers,
// writes to read-only registers, SPI during reset ...), oldest first.
func (c *Chip) Errors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.errs...)
}

// Reg returns direct register a as the host would read it, without side
// effects (for tests and logs).
func (c *Chip) Reg(a uint8) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	return c.peekLocked(a & reg.AddrMask)
}

// Indirect returns indirect register a.
func (c *Chip) Indirect(a uint8) uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ir[a]
}

// Tick advances the chip's clock to now: ringing timers, debounce,
// calibration and interrupts. Times before the chip's clock are ignored.
func (c *Chip) Tick(now time.Time) {
	c.mu.Lock()
	c.advanceLocked(now)
	c.mu.Unlock()
}

// SetOffHook lifts (true) or replaces (false) the virtual handset.
func (c *Chip) SetOffHook(off bool) {
	c.mu.Lock()
	c.advanceLocked(time.Now())
	if off != c.offHook {
		c.offHook, c.offHookAt = off, c.now
		if !off {
			c.rtp = false
		}
		c.updateDetLocked()
		c.changedLocked()
	}
	c.mu.Unlock()
}

// SetGroundKey connects (true) or releases a ground on tip or ring. The
// chip flags it as a common-mode balance interrupt (register 20 bit 2).
func (c *Chip) SetGroundKey(on bool) {
	c.mu.Lock()
	c.advanceLocked(time.Now())
	if on && !c.groundKey && !c.inReset {
		c.dr[reg.IRQ3] |= reg.CMBALIP
	}
	c.groundKey = on
	c.changedLocked()
	c.mu.Unlock()
}

// PowerAlarm overheats transistor q (1..6): the chip flags the power alarm
// in register 19 and opens the line, as the data sheet says it does.
// Other values of q are ignored.
func (c *Chip) PowerAlarm(q int) {
	if q < 1 || q > 6 {
		return
	}
	c.mu.Lock()
	c.advanceLocked(time.Now())
	if !c.inReset {
		c.dr[reg.IRQ2] |= reg.Q1AP << (q - 1)
		c.setLFLocked(reg.LFOpen)
	}
	c.changedLocked()
	c.mu.Unlock()
}

// Line returns the line as a phone would see it now.
func (c *Chip) Line() LineStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	lf := c.dr[reg.Linefeed] & reg.LFMask
	s := LineStatus{
		Feed:     feedOf(lf),
		Reversed: lf == reg.LFReverse || lf == reg.LFReverseOHT,
		OffHook:  c.offHook,
		Linefeed: lf,
		Shadow:   c.lfsLocked(),
		Battery:  c.batteryLocked(),
	}
	s.Ringing = s.Shadow == reg.LFRinging && s.Battery > 0
	s.RingFreq, s.RingVoltage = ringOf(c.ir[reg.IRRCO], c.ir[reg.IRRNGX])
	return s
}

// PCM returns the PCM set-up now.
func (c *Chip) PCM() PCMStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	tx := int(c.dr[reg.PCMTXHi]&3)<<8 | int(c.dr[reg.PCMTXLo])
	rx := int(c.dr[reg.PCMRXHi]&3)<<8 | int(c.dr[reg.PCMRXLo])
	m := c.dr[reg.PCMMode]
	return PCMStatus{
		Enabled:  m&reg.PCME != 0 && !c.inReset,
		TxStart:  tx,
		RxStart:  rx,
		TxSlot:   tx / 8,
		RxSlot:   rx / 8,
		Linear:   (m>>reg.PCMFShift)&reg.PCMFMask == reg.PCMFLinear,
		Loopback: c.dr[reg.Loopback]&reg.DLM != 0,
	}
}

// Talk reports whether audio passes between the line and the PCM highway
// now: the chip is calibrated, PCM is enabled and the line is in an active
// or on-hook transmission state (not open, not in a ring burst).
func (c *Chip) Talk() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(time.Now())
	if c.inReset || !c.calibrated || c.dr[reg.PCMMode]&reg.PCME == 0 {
		return false
	}
	switch c.lfsLocked() {
	case reg.LFForward, reg.LFForwardOHT, reg.LFReverse, reg.LFReverseOHT:
		return true
	}
	return false
}

// feedOf maps a linefeed code to the hal feed.
func feedOf(lf uint8) hal.Feed {
	switch lf {
	case reg.LFForward:
		return hal.FeedForward
	case reg.LFForwardOHT:
		return hal.FeedOnHookTx
	case reg.LFRinging:
		return hal.FeedRinging
	case reg.LFReverse:
		return hal.FeedReverse
	case reg.LFReverseOHT:
		return hal.FeedOnHookTxRev
	}
	return hal.FeedOpen
}

// ringOf decodes the ringing oscillator registers (sine ringing):
// RCO = cos(2πf/1 kHz)·2^15, RNGX = ¼·√((1−cos)/(1+cos))·(V/96 V)·(2^15−1).
func ringOf(rco, rngx uint16) (physic.Frequency, physic.ElectricPotential) {
	if rco == 0 || rco >= 0x8000 {
		return 0, 0
	}
	k := float64(rco) / 32768
	f := math.Acos(k) * reg.RingSampleHz / (2 * math.Pi)
	g := 0.25 * math.Sqrt((1-k)/(1+k)) * 32767
	v := 0.0
	if g > 0 {
		v = float64(rngx) / g * reg.RingFullScale
	}
	return physic.Frequency(f * float64(physic.Hertz)), physic.ElectricPotential(v * float64(physic.Volt))
}

func (c *Chip) errorf(format string, a ...any) {
	if len(c.errs) >= c.cfg.maxErrors {
		return
	}
	c.errs = append(c.errs, fmt.Errorf("si321xsim: %s: "+format, append([]any{c.name}, a...)...))
}

// resetLocked puts every register and state at its power-on value.
func (c *Chip) resetLocked() {
	c.dr = [128]byte{}
	c.ir = [256]uint16{}
	c.dr[reg.SPIMode] = byte(c.cfg.part)<<reg.PartShift | c.cfg.rev
	c.dr[reg.Loopback] = reg.DLM
	c.dr[reg.TwoWireZ] = 0x08
	c.dr[reg.Hybrid] = 0x33
	c.dr[reg.PowerDown1] = reg.PDDCDC
	c.dr[reg.RingLCD] = 0x54
	c.dr[reg.ExtBJT] = 0x61
	c.dr[reg.BatFeed] = 0x03
	c.dr[reg.AutoManual] = 0x1f
	c.dr[reg.LCDebounce] = 0x0a
	c.dr[reg.RTDebounce] = 0x0a
	c.dr[reg.VOC] = 0x20
	c.dr[reg.VCM] = 0x02
	c.dr[reg.VBATH] = 0x32
	c.dr[reg.VBATL] = 0x10
	c.dr[reg.DCN] = 0xff
	c.dr[reg.DCTOF] = 0x14
	c.dr[reg.Cal1] = 0x1f
	c.dr[reg.Cal2] = 0x1f
	c.ir[reg.IRRxGain] = 0x4000
	c.ir[reg.IRTxGain] = 0x4000
	c.ctl, c.idaArm = -1, false
	c.det, c.lcr, c.rtp = false, false, false
	c.detAt = c.now
	c.burst, c.phaseEnd, c.ringStart = false, time.Time{}, time.Time{}
	c.calRunning, c.calEnd, c.dcCalEnd, c.calibrated = false, time.Time{}, time.Time{}, false
	c.dcdcOn = false
	c.updateDetLocked()
	c.updateIRQLocked()
}

// changedLocked re-evaluates the INT pin and wakes a WaitForEdge so that it
// recomputes when the next event is due.
func (c *Chip) changedLocked() {
	c.updateIRQLocked()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// advanceLocked runs the chip's clock up to t, firing every event on the
// way at its own time.
func (c *Chip) advanceLocked(t time.Time) {
	for range 10000 {
		n, ok := c.nextLocked()
		if !ok || n.After(t) {
			break
		}
		if n.After(c.now) {
			c.now = n
		}
		c.fireLocked()
	}
	if t.After(c.now) {
		c.now = t
	}
	c.updateIRQLocked()
}

// nextLocked returns when the next internal event is due.
func (c *Chip) nextLocked() (time.Time, bool) {
	var next time.Time
	ok := false
	take := func(t time.Time) {
		if !t.IsZero() && (!ok || t.Before(next)) {
			next, ok = t, true
		}
	}
	if c.inReset {
		return next, false
	}
	if c.calRunning {
		take(c.calEnd)
	}
	take(c.dcCalEnd)
	if c.det != c.lcr {
		take(c.detAt.Add(c.debounceLocked(reg.LCDebounce)))
	}
	if rt, due := c.ringTripDueLocked(); due {
		take(rt)
	}
	if c.dr[reg.Linefeed]&reg.LFMask == reg.LFRinging {
		take(c.phaseEnd)
	}
	return next, ok
}

func (c *Chip) ringTripDueLocked() (time.Time, bool) {
	if c.dr[reg.Linefeed]&reg.LFMask != reg.LFRinging || !c.offHook || c.rtp {
		return time.Time{}, false
	}
	from := c.offHookAt
	if c.ringStart.After(from) {
		from = c.ringStart
	}
	return from.Add(c.debounceLocked(reg.RTDebounce)), true
}

// fireLocked handles every event due at c.now.
func (c *Chip) fireLocked() {
	now := c.now
	if c.calRunning && !c.calEnd.IsZero() && !now.Before(c.calEnd) {
		c.calRunning, c.calEnd = false, time.Time{}
		c.dr[reg.Cal1], c.dr[reg.Cal2] = 0, 0
		c.calibrated = true
	}
	if !c.dcCalEnd.IsZero() && !now.Before(c.dcCalEnd) {
		c.dcCalEnd = time.Time{}
		c.dr[reg.DCTOF] &^= reg.DCCAL
	}
	if c.det != c.lcr && !now.Before(c.detAt.Add(c.debounceLocked(reg.LCDebounce))) {
		c.lcr = c.det
		c.dr[reg.IRQ2] |= reg.LCIP
	}
	if t, ok := c.ringTripDueLocked(); ok && !now.Before(t) {
		c.rtp = true
		c.dr[reg.IRQ2] |= reg.RTIP
		if c.dr[reg.AutoManual]&reg.AutoRingTrip != 0 {
			c.setLFLocked(reg.LFForward)
		}
	}
	if c.dr[reg.Linefeed]&reg.LFMask == reg.LFRinging && !c.phaseEnd.IsZero() && !now.Before(c.phaseEnd) {
		ro := c.dr[reg.RingOsc]
		if c.burst {
			c.burst = false
			c.dr[reg.IRQ1] |= reg.RGAP
			c.phaseEnd = c.timerEndLocked(ro&reg.RTIE != 0, reg.RITLo, c.phaseEnd)
		} else {
			c.burst = true
			c.dr[reg.IRQ1] |= reg.RGIP
			c.phaseEnd = c.timerEndLocked(ro&reg.RTAE != 0, reg.RATLo, c.phaseEnd)
		}
	}
}

// timerEndLocked returns when a ringing timer started at from expires, or
// the zero time when the timer is disabled or zero.
func (c *Chip) timerEndLocked(enabled bool, lo uint8, from time.Time) time.Time {
	n := int(c.dr[lo+1])<<8 | int(c.dr[lo])
	if !enabled || n == 0 {
		return time.Time{}
	}
	return from.Add(time.Duration(n) * reg.TimerTick)
}

func (c *Chip) debounceLocked(r uint8) time.Duration {
	return time.Duration(c.dr[r]&0x7f) * reg.DebounceTick
}

// setLFLocked changes the linefeed as a write to register 64 would.
func (c *Chip) setLFLocked(lf uint8) {
	old := c.dr[reg.Linefeed] & reg.LFMask
	c.dr[reg.Linefeed] = lf & reg.LFMask
	switch {
	case lf == reg.LFRinging && old != reg.LFRinging:
		c.burst, c.ringStart, c.rtp = true, c.now, false
		c.phaseEnd = c.timerEndLocked(c.dr[reg.RingOsc]&reg.RTAE != 0, reg.RATLo, c.now)
	case lf != reg.LFRinging:
		c.burst, c.phaseEnd = false, time.Time{}
	}
	c.updateDetLocked()
}

// lfsLocked is the linefeed shadow: the state the line is in now. Between
// ring bursts the chip is in forward on-hook transmission.
func (c *Chip) lfsLocked() uint8 {
	if c.inReset {
		return reg.LFOpen
	}
	lf := c.dr[reg.Linefeed] & reg.LFMask
	if lf == reg.LFRinging && !c.burst {
		return reg.LFForwardOHT
	}
	return lf
}

// updateDetLocked recomputes what the loop closure detector sees: loop
// current flows when the handset is off hook and the line is fed. In the
// ringing state the ring trip detector watches the loop instead.
func (c *Chip) updateDetLocked() {
	d := false
	if c.offHook && !c.inReset {
		switch c.dr[reg.Linefeed] & reg.LFMask {
		case reg.LFForward, reg.LFForwardOHT, reg.LFReverse, reg.LFReverseOHT:
			d = true
		}
	}
	if d != c.det {
		c.det, c.detAt = d, c.now
	}
}

// batteryLocked is the battery voltage the dc-dc converter makes now.
func (c *Chip) batteryLocked() physic.ElectricPotential {
	if !c.dcdcOn || c.inReset || c.cfg.deadDCDC {
		return 0
	}
	target := physic.ElectricPotential(c.dr[reg.VBATH]&0x3f) * reg.VoltStepMV * physic.MilliVolt
	ramp := c.cfg.timing.BatteryRamp
	since := c.now.Sub(c.dcdcOnAt)
	if ramp <= 0 || since >= ramp {
		return target
	}
	return physic.ElectricPotential(float64(target) * float64(since) / float64(ramp))
}

// updateIRQLocked drives INT from the interrupt flags and their enables and
// latches an edge for WaitForEdge.
func (c *Chip) updateIRQLocked() {
	low := !c.inReset && (c.dr[reg.IRQ1]&c.dr[reg.IRQEn1]|
		c.dr[reg.IRQ2]&c.dr[reg.IRQEn2]|
		c.dr[reg.IRQ3]&c.dr[reg.IRQEn3]) != 0
	if low == c.irqLow {
		return
	}
	c.irqLow = low
	if (low && (c.edge == gpio.FallingEdge || c.edge == gpio.BothEdges)) ||
		(!low && (c.edge == gpio.RisingEdge || c.edge == gpio.BothEdges)) {
		c.edgePending = true
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}
