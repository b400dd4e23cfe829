package si321x

import (
	"fmt"
	"math"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// Opts configures a Dev. The zero value of every field means its default.
type Opts struct {
	// Name is what String reports, e.g. the port's name on the board.
	Name string
	// Timeslot is the 8-bit PCM timeslot where the port's 16-bit linear
	// sample starts (it also takes the next slot): 0 to 126. The chip is
	// programmed to start transmitting and receiving 8*Timeslot PCLK
	// cycles after FSYNC.
	Timeslot int
	// Debounce is the hook debounce: loop changes shorter than it are
	// never reported. The chip's loop closure debounce (register 69)
	// filters the fast bounce, the driver then checks that the loop stays
	// put for Debounce. Default 30 ms, at most 1 s.
	Debounce time.Duration
	// Ring is the cadence of SetFeed(hal.FeedRinging).
	// Default 25 Hz, 65 V peak, 1 s on / 4 s off.
	Ring hal.Cadence
	// LoopCurrent is the off-hook loop current limit, 20 to 41 mA in 3 mA
	// steps. Default 23 mA.
	LoopCurrent physic.ElectricCurrent
	// OnHookVoltage is the open-circuit tip-ring voltage, up to 94.5 V in
	// 1.5 V steps. Default 48 V.
	OnHookVoltage physic.ElectricPotential
	// BatteryHigh and BatteryLow are the dc-dc converter's battery
	// targets (ringing / off-hook), up to 94.5 V in 1.5 V steps. Defaults
	// 75 V and 24 V. Ringing raises BatteryHigh when the ring voltage
	// needs more.
	BatteryHigh, BatteryLow physic.ElectricPotential
	// DCDCPeriod and DCDCMinOff set the dc-dc converter's PWM period and
	// minimum off time (61.035 ns steps); they depend on the board's
	// inductor or transformer. Defaults: the data sheet's values for the
	// part (Si3210/Si3215: 15.6 µs and 732 ns; the 3.3 V "M" parts 5.9 µs
	// and 3.4 µs).
	DCDCPeriod, DCDCMinOff time.Duration
	// PowerUpTimeout bounds the wait for the battery voltage and the dc-dc
	// calibration. Default 1 s.
	PowerUpTimeout time.Duration
	// CalTimeout bounds each wait for calibration (register 96 back to 0).
	// Default 1 s.
	CalTimeout time.Duration
	// IRQTimeout bounds each wait for the INT pin, so Halt takes effect
	// within it. Default 100 ms.
	IRQTimeout time.Duration
}

// DefaultRing is the default ring cadence: China's 25 Hz, 1 s on / 4 s off.
var DefaultRing = hal.Cadence{
	Freq:    25 * physic.Hertz,
	Voltage: 65 * physic.Volt,
	Pattern: []time.Duration{time.Second, 4 * time.Second},
}

// settings is Opts resolved to register values.
type settings struct {
	Opts
	ilim, voc, vbath, vbatl uint8
	dcn, dctof              uint8
	hwDebounce              uint8 // register 69
	start                   uint16
}

func resolve(o *Opts, part Part) (settings, error) {
	var s settings
	if o != nil {
		s.Opts = *o
	}
	if s.Name == "" {
		s.Name = "si321x"
	}
	if s.Timeslot < 0 || s.Timeslot > 126 {
		return s, fmt.Errorf("si321x: %w: timeslot %d outside 0-126", hal.ErrRange, s.Timeslot)
	}
	s.start = uint16(s.Timeslot * 8)
	if s.Debounce == 0 {
		s.Debounce = 30 * time.Millisecond
	}
	if s.Debounce < 0 || s.Debounce > time.Second {
		return s, fmt.Errorf("si321x: %w: debounce %s outside 0-1s", hal.ErrRange, s.Debounce)
	}
	s.hwDebounce = uint8(min(127, s.Debounce/3/reg.DebounceTick))
	if len(s.Ring.Pattern) == 0 {
		s.Ring = DefaultRing
	}
	s.Ring.Pattern = append([]time.Duration(nil), s.Ring.Pattern...)
	if err := s.Ring.Validate(); err != nil {
		return s, fmt.Errorf("si321x: default ring: %w", err)
	}
	if s.LoopCurrent == 0 {
		s.LoopCurrent = 23 * physic.MilliAmpere
	}
	if s.LoopCurrent < 20*physic.MilliAmpere || s.LoopCurrent > 41*physic.MilliAmpere {
		return s, fmt.Errorf("si321x: %w: loop current %s outside 20-41 mA", hal.ErrRange, s.LoopCurrent)
	}
	s.ilim = uint8((s.LoopCurrent - 20*physic.MilliAmpere) / (3 * physic.MilliAmpere))
	var err error
	if s.voc, err = volts("on-hook voltage", &s.OnHookVoltage, 48*physic.Volt); err != nil {
		return s, err
	}
	if s.vbath, err = volts("high battery", &s.BatteryHigh, 75*physic.Volt); err != nil {
		return s, err
	}
	if s.vbatl, err = volts("low battery", &s.BatteryLow, 24*physic.Volt); err != nil {
		return s, err
	}
	dcn, dctof := uint8(0xff), uint8(0x0c)
	if part == Si3210M || part == Si3215M {
		dcn, dctof = 0x60, 0x38
	}
	if s.dcn, err = dcdcSteps("dc-dc period", s.DCDCPeriod, dcn, 255); err != nil {
		return s, err
	}
	if s.dctof, err = dcdcSteps("dc-dc minimum off time", s.DCDCMinOff, dctof, 127); err != nil {
		return s, err
	}
	if s.PowerUpTimeout <= 0 {
		s.PowerUpTimeout = time.Second
	}
	if s.CalTimeout <= 0 {
		s.CalTimeout = time.Second
	}
	if s.IRQTimeout <= 0 {
		s.IRQTimeout = 100 * time.Millisecond
	}
	return s, nil
}

// volts converts a voltage to 1.5 V steps (6 bits), applying a default.
func volts(what string, v *physic.ElectricPotential, def physic.ElectricPotential) (uint8, error) {
	if *v == 0 {
		*v = def
	}
	step := physic.ElectricPotential(reg.VoltStepMV) * physic.MilliVolt
	if *v < 0 || *v > 63*step {
		return 0, fmt.Errorf("si321x: %w: %s %s outside 0-94.5 V", hal.ErrRange, what, *v)
	}
	return uint8((*v + step/2) / step), nil
}

// dcdcSteps converts a dc-dc converter time to 61.035 ns steps.
func dcdcSteps(what string, d time.Duration, def uint8, hi int) (uint8, error) {
	if d == 0 {
		return def, nil
	}
	n := int(math.Round(float64(d.Nanoseconds()) * 1000 / reg.DCDCTickPS))
	if n < 1 || n > hi {
		return 0, fmt.Errorf("si321x: %w: %s %s outside 61 ns-%s", hal.ErrRange, what, d,
			time.Duration(hi*reg.DCDCTickPS/1000))
	}
	return uint8(n), nil
}
