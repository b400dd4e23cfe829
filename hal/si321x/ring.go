package si321x

import (
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// ringRegs are the register values for one ringing signal.
type ringRegs struct {
	rco, rngx uint16 // indirect 20, 21: frequency and amplitude
	nrtp      uint16 // indirect 36: ring trip filter
	rtdi      uint8  // direct 70: ring trip debounce
	vbath     uint8  // direct 74: the battery the ring voltage needs
}

// ringTrip is the data sheet's table of recommended ring trip settings by
// ringing frequency; a frequency uses the row of the highest frequency not
// above it.
var ringTrip = [...]struct {
	hz   float64
	nrtp uint16
	rtdi uint8
}{
	{0, 0x0200, 0x0f}, // 16.667 Hz
	{20, 0x0320, 0x0b},
	{30, 0x0380, 0x09},
	{40, 0x0400, 0x07},
	{50, 0x06a8, 0x05},
	{60, 0x0800, 0x05},
}

// ringOverhead is the battery headroom above the ring peak that keeps the
// line-feed transistors out of saturation.
const ringOverhead = 6 * physic.Volt

// ringProgram computes the ringing oscillator registers for sine ringing
// at c.Freq and c.Voltage peak. The oscillator runs at 1 kHz:
//
//	coeff = cos(2π·f / 1000 Hz)
//	RCO   = coeff · 2^15
//	RNGX  = ¼ · √((1 − coeff)/(1 + coeff)) · (Vpk / 96 V) · (2^15 − 1)
func ringProgram(c hal.Cadence) ringRegs {
	hz := float64(c.Freq) / float64(physic.Hertz)
	v := float64(c.Voltage) / float64(physic.Volt)
	k := math.Cos(2 * math.Pi * hz / reg.RingSampleHz)
	var r ringRegs
	r.rco = uint16(min(32767, math.Round(k*32768)))
	r.rngx = uint16(min(32767, math.Round(0.25*math.Sqrt((1-k)/(1+k))*v/reg.RingFullScale*32767)))
	for _, row := range ringTrip {
		if hz >= row.hz {
			r.nrtp, r.rtdi = row.nrtp, row.rtdi
		}
	}
	step := physic.ElectricPotential(reg.VoltStepMV) * physic.MilliVolt
	r.vbath = uint8(min(63, (c.Voltage+ringOverhead+step-1)/step))
	return r
}

// maxTimer is the longest period the 16-bit ringing timers hold.
const maxTimer = 0xffff * reg.TimerTick

// hardwareCadence reports whether the chip's ringing timers can run p.
func hardwareCadence(p []time.Duration) bool {
	return len(p) == 2 && p[0] <= maxTimer && p[1] <= maxTimer
}

func timerTicks(d time.Duration) uint16 {
	return uint16((d + reg.TimerTick/2) / reg.TimerTick)
}

// Ring starts ringing with cadence c: the first burst starts now (EvRingOn)
// and the cadence repeats until StopRing, SetFeed or a ring trip. Ringing
// an off-hook line is refused. Ring while ringing switches to the new
// cadence.
func (d *Dev) Ring(c hal.Cadence) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("si321x: %w", err)
	}
	pat := append([]time.Duration(nil), c.Pattern...)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed()
	}
	if d.hook == hal.OffHook {
		return fmt.Errorf("si321x: %w: will not ring it", errOffHook)
	}
	if d.ringing {
		// Restart: leave the ringing state so that the chip starts the
		// new cadence with a fresh burst.
		if err := d.endRingLocked(); err != nil {
			return err
		}
		if err := d.write(reg.Linefeed, reg.LFForwardOHT); err != nil {
			return err
		}
	} else {
		d.prevFeed = d.feed
	}
	rp := ringProgram(c)
	s := seq{d: d}
	s.w(reg.RingOsc, 0)
	s.ind(reg.IRRCO, rp.rco)
	s.ind(reg.IRRNGX, rp.rngx)
	s.ind(reg.IRNRTP, rp.nrtp)
	s.w(reg.RTDebounce, rp.rtdi)
	if rp.vbath > d.vbath {
		d.vbath = rp.vbath
		s.w(reg.VBATH, d.vbath)
	}
	hw := hardwareCadence(pat)
	if hw {
		on, off := timerTicks(pat[0]), timerTicks(pat[1])
		s.w(reg.RATLo, byte(on))
		s.w(reg.RATHi, byte(on>>8))
		s.w(reg.RITLo, byte(off))
		s.w(reg.RITHi, byte(off>>8))
		s.w(reg.RingOsc, reg.RTAE|reg.RTIE)
	}
	s.w(reg.Linefeed, reg.LFRinging)
	if s.err != nil {
		return s.err
	}
	d.ringing, d.ringOn, d.hwCadence, d.feed = true, true, hw, hal.FeedRinging
	d.emitLocked(hal.EvRingOn)
	if !hw && len(pat) > 1 {
		q := make(chan struct{})
		d.ringQuit = q
		d.wg.Add(1)
		go d.cadence(q, pat, time.Now())
	}
	return nil
}

// StopRing stops ringing and returns the line to the feed it had before
// Ring. A burst in progress ends with EvRingOff.
func (d *Dev) StopRing() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errClosed()
	}
	if !d.ringing {
		return nil
	}
	if err := d.endRingLocked(); err != nil {
		return err
	}
	f := d.prevFeed
	if f == hal.FeedRinging {
		f = hal.FeedForward
	}
	if err := d.write(reg.Linefeed, lfOf[f]); err != nil {
		return err
	}
	d.feed = f
	return nil
}

// endRingLocked stops the cadence and the ringing timers, reporting the
// end of a burst in progress. The caller sets the linefeed.
func (d *Dev) endRingLocked() error {
	wasOn := d.ringOn
	d.stopCadenceLocked()
	d.ringing, d.ringOn = false, false
	if wasOn {
		d.emitLocked(hal.EvRingOff)
	}
	return d.write(reg.RingOsc, 0)
}

// stopCadenceLocked stops a software cadence goroutine, if any.
func (d *Dev) stopCadenceLocked() {
	if d.ringQuit != nil {
		close(d.ringQuit)
		d.ringQuit = nil
	}
}

// ringTripLocked ends ringing because the handset was lifted: forward
// feed, EvRingTrip.
func (d *Dev) ringTripLocked() {
	if !d.ringing {
		return
	}
	d.stopCadenceLocked()
	d.ringing, d.ringOn = false, false
	d.pending = false
	s := seq{d: d}
	s.w(reg.RingOsc, 0)
	s.w(reg.Linefeed, reg.LFForward)
	d.feed, d.hook = hal.FeedForward, hal.OffHook
	d.emitLocked(hal.EvRingTrip)
}

// cadence times a cadence the chip's timers cannot: the linefeed goes to
// ringing for each burst and to on-hook transmission for each silence
// (where caller ID may be sent). The schedule is absolute from start, so
// it does not drift. Consecutive periods of the same kind (an odd-length
// pattern wrapping round) merge.
func (d *Dev) cadence(quit <-chan struct{}, pat []time.Duration, start time.Time) {
	defer d.wg.Done()
	next := start
	t := time.NewTimer(0)
	<-t.C
	for i := 0; ; {
		next = next.Add(pat[i])
		i = (i + 1) % len(pat)
		t.Reset(time.Until(next))
		select {
		case <-quit:
			t.Stop()
			return
		case <-d.stop:
			t.Stop()
			return
		case <-t.C:
		}
		d.mu.Lock()
		select {
		case <-quit:
			d.mu.Unlock()
			return
		default:
		}
		d.cadenceStepLocked(i%2 == 0)
		d.mu.Unlock()
	}
}

// cadenceStepLocked switches a software cadence to a burst (on) or a
// silence. When the chip left the state the driver put it in (a ring trip
// or a power alarm), it leaves the line alone: the interrupt handler deals
// with it.
func (d *Dev) cadenceStepLocked(on bool) {
	if !d.ringing || on == d.ringOn {
		return
	}
	want, next := uint8(reg.LFRinging), uint8(reg.LFForwardOHT)
	if !d.ringOn {
		want, next = next, want
	}
	lf, err := d.read(reg.Linefeed)
	if err != nil || lf&reg.LFMask != want {
		return
	}
	if d.write(reg.Linefeed, next) != nil {
		return
	}
	d.ringOn = on
	if on {
		d.emitLocked(hal.EvRingOn)
	} else {
		d.emitLocked(hal.EvRingOff)
	}
}
