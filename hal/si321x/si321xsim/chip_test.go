package si321xsim

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// wr writes direct register a the data sheet's way: control byte and data
// byte, each in its own chip-select cycle.
func wr(t *testing.T, c *Chip, a, v byte) {
	t.Helper()
	if err := c.Tx([]byte{a}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Tx([]byte{v}, nil); err != nil {
		t.Fatal(err)
	}
}

func rd(t *testing.T, c *Chip, a byte) byte {
	t.Helper()
	if err := c.Tx([]byte{a | reg.Read}, nil); err != nil {
		t.Fatal(err)
	}
	r := []byte{0}
	if err := c.Tx([]byte{0}, r); err != nil {
		t.Fatal(err)
	}
	return r[0]
}

func noErrors(t *testing.T, c *Chip) {
	t.Helper()
	for _, err := range c.Errors() {
		t.Error(err)
	}
}

// upAndCalibrated powers the converter, waits for the battery and
// calibrates, as a driver would.
func upAndCalibrated(t *testing.T, c *Chip) {
	t.Helper()
	wr(t, c, reg.PowerDown1, 0)
	elapse(DefaultTiming.BatteryRamp)
	wr(t, c, reg.Cal1, reg.CAL|0x1f)
	elapse(DefaultTiming.Calibration)
	if v := rd(t, c, reg.Cal1); v != 0 {
		t.Fatalf("register 96 = %#02x after calibration, want 0", v)
	}
}

func TestResetValues(t *testing.T) {
	c := NewChip("t", WithPart(Si3215, 3))
	for _, tc := range []struct {
		a    byte
		want byte
	}{
		{reg.SPIMode, 0x43},
		{reg.Loopback, reg.DLM},
		{reg.Hybrid, 0x33},
		{reg.PowerDown1, reg.PDDCDC},
		{reg.Linefeed, 0},
		{reg.LoopStatus, 0},
		{reg.AutoManual, 0x1f},
		{reg.Cal1, 0x1f},
		{reg.Cal2, 0x1f},
		{reg.IRQ1, 0},
		{reg.VBATSense, 0},
		{reg.PCMMode, 0},
	} {
		if got := rd(t, c, tc.a); got != tc.want {
			t.Errorf("register %d = %#02x, want %#02x", tc.a, got, tc.want)
		}
	}
	noErrors(t, c)
}

func TestFraming(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(c *Chip) byte
	}{
		{"byte per chip select", func(c *Chip) byte {
			_ = c.Tx([]byte{reg.VOC}, nil)
			_ = c.Tx([]byte{0x2a}, nil)
			_ = c.Tx([]byte{reg.VOC | reg.Read}, nil)
			r := []byte{0}
			_ = c.Tx([]byte{0}, r)
			return r[0]
		}},
		{"one chip select", func(c *Chip) byte {
			_ = c.Tx([]byte{reg.VOC, 0x2a}, nil)
			r := make([]byte, 2)
			_ = c.Tx([]byte{reg.VOC | reg.Read, 0}, r)
			if r[0] != 0xff {
				return 0 // the control byte cycle must read high
			}
			return r[1]
		}},
		{"packets", func(c *Chip) byte {
			r := []byte{0}
			_ = c.TxPackets([]spi.Packet{{W: []byte{reg.VOC}, KeepCS: true}, {W: []byte{0x2a}}, {W: []byte{reg.VOC | reg.Read}}, {W: []byte{0}, R: r}})
			return r[0]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewChip("t")
			if got := tc.do(c); got != 0x2a {
				t.Errorf("read back %#02x, want 0x2a", got)
			}
			noErrors(t, c)
		})
	}
}

func TestProtocolErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, c *Chip)
		want string
	}{
		{"write reserved", func(t *testing.T, c *Chip) { wr(t, c, 7, 1) }, "reserved register 7"},
		{"read reserved", func(t *testing.T, c *Chip) { rd(t, c, 120) }, "reserved register 120"},
		{"write read-only", func(t *testing.T, c *Chip) { wr(t, c, reg.LoopStatus, 1) }, "read-only register 68"},
		{"indirect reserved", func(t *testing.T, c *Chip) { wr(t, c, reg.IAA, 50) }, "indirect access to reserved register 50"},
		{"read without control", func(t *testing.T, c *Chip) { _ = c.Tx(nil, make([]byte, 1)) }, "no read control byte"},
		{"SPI in reset", func(t *testing.T, c *Chip) {
			_ = c.Reset().Out(gpio.Low)
			if v := rd(t, c, reg.Hybrid); v != 0xff {
				t.Errorf("read in reset = %#02x, want 0xff", v)
			}
		}, "while RESET is low"},
		{"dc-dc calibration without converter", func(t *testing.T, c *Chip) { wr(t, c, reg.DCTOF, reg.DCCAL) }, "converter down"},
		{"calibration without battery", func(t *testing.T, c *Chip) { wr(t, c, reg.Cal1, reg.CAL) }, "no battery"},
		{"daisy chain", func(t *testing.T, c *Chip) { wr(t, c, reg.SPIMode, reg.SPIDC) }, "daisy-chain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewChip("t")
			tc.do(t, c)
			errs := c.Errors()
			if len(errs) == 0 {
				t.Errorf("no error recorded, want %q", tc.want)
			}
			for _, err := range errs {
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %q, want only %q", err, tc.want)
				}
			}
		})
	}
}

func TestWriteOneToClear(t *testing.T) {
	c := NewChip("t")
	c.PowerAlarm(3)
	c.SetGroundKey(true)
	if got := rd(t, c, reg.IRQ2); got != reg.Q1AP<<2 {
		t.Fatalf("register 19 = %#02x, want %#02x", got, reg.Q1AP<<2)
	}
	wr(t, c, reg.IRQ2, 0x01) // another bit: no effect
	if got := rd(t, c, reg.IRQ2); got != reg.Q1AP<<2 {
		t.Fatalf("register 19 = %#02x after clearing another bit", got)
	}
	wr(t, c, reg.IRQ2, 0xff)
	wr(t, c, reg.IRQ3, reg.CMBALIP)
	if got := rd(t, c, reg.IRQ2) | rd(t, c, reg.IRQ3); got&^reg.INDIP != 0 {
		t.Fatalf("flags %#02x left after clearing", got)
	}
	noErrors(t, c)
}

func TestIndirect(t *testing.T) {
	c := NewChip("t")
	// write: data low, data high, address
	wr(t, c, reg.IDALo, 0x34)
	wr(t, c, reg.IDAHi, 0x12)
	wr(t, c, reg.IAA, reg.IRRCO)
	if got := c.Indirect(reg.IRRCO); got != 0x1234 {
		t.Fatalf("indirect 20 = %#04x, want 0x1234", got)
	}
	// read: address only, then the data registers
	wr(t, c, reg.IAA, reg.IRRxGain)
	if rd(t, c, reg.IAS) != 0 {
		t.Fatal("indirect access still pending")
	}
	if lo, hi := rd(t, c, reg.IDALo), rd(t, c, reg.IDAHi); lo != 0 || hi != 0x40 {
		t.Fatalf("indirect 26 read %#02x%02x, want 0x4000", hi, lo)
	}
	if c.Indirect(reg.IRRCO) != 0x1234 {
		t.Fatal("a read wrote indirect 20")
	}
	noErrors(t, c)
}

func TestResetPin(t *testing.T) {
	c := NewChip("t")
	wr(t, c, reg.VOC, 0x11)
	wr(t, c, reg.Linefeed, reg.LFForward)
	_ = c.Reset().Out(gpio.Low)
	_ = c.Reset().Out(gpio.High)
	if got := rd(t, c, reg.VOC); got != 0x20 {
		t.Errorf("VOC = %#02x after reset, want 0x20", got)
	}
	if got := c.Line().Feed; got != hal.FeedOpen {
		t.Errorf("feed %s after reset, want open", got)
	}
	if c.Reset().Read() != gpio.High {
		t.Error("RESET pin reads low")
	}
	noErrors(t, c)
}

func TestCalibrationTime(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []Option
		after time.Duration
		want  byte
	}{
		{"running", nil, DefaultTiming.Calibration - time.Millisecond, reg.CAL | 0x1f},
		{"done", nil, DefaultTiming.Calibration, 0},
		{"custom", []Option{WithTiming(Timing{Calibration: time.Second})}, 999 * time.Millisecond, reg.CAL | 0x1f},
		{"stuck", []Option{WithStuckCalibration()}, time.Minute, reg.CAL | 0x1f},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := NewChip("t", tc.opts...)
				wr(t, c, reg.PowerDown1, 0)
				elapse(DefaultTiming.BatteryRamp)
				wr(t, c, reg.Cal1, reg.CAL|0x1f)
				elapse(tc.after)
				if got := rd(t, c, reg.Cal1); got != tc.want {
					t.Errorf("register 96 = %#02x, want %#02x", got, tc.want)
				}
				noErrors(t, c)
			})
		})
	}
}

func TestBattery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewChip("t", WithTiming(Timing{BatteryRamp: 100 * time.Millisecond}))
		wr(t, c, reg.VBATH, 50) // 75 V
		if rd(t, c, reg.VBATSense) != 0 {
			t.Fatal("battery before power-up")
		}
		wr(t, c, reg.PowerDown1, 0)
		elapse(50 * time.Millisecond)
		if v := rd(t, c, reg.VBATSense); v < 95 || v > 105 { // 37.5 V / 376 mV
			t.Errorf("battery sense %d half way, want ~99", v)
		}
		elapse(50 * time.Millisecond)
		if v := rd(t, c, reg.VBATSense); v != 199 {
			t.Errorf("battery sense %d, want 199 (75 V)", v)
		}
		wr(t, c, reg.DCTOF, reg.DCCAL|0x0c)
		if rd(t, c, reg.DCTOF)&reg.DCCAL == 0 {
			t.Error("dc-dc calibration done at once")
		}
		elapse(DefaultTiming.DCDCCalibration)
		if v := rd(t, c, reg.DCTOF); v != 0x0c {
			t.Errorf("register 93 = %#02x after dc-dc calibration, want 0x0c", v)
		}
		noErrors(t, c)
	})
}

func TestLoopClosure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewChip("t")
		wr(t, c, reg.LCDebounce, 8) // 10 ms
		wr(t, c, reg.IRQEn2, reg.LCIP)
		wr(t, c, reg.Linefeed, reg.LFForward)
		c.SetOffHook(true)
		if got := rd(t, c, reg.LoopStatus); got != reg.DBIRAW {
			t.Fatalf("register 68 = %#02x at once, want DBIRAW only", got)
		}
		elapse(9 * time.Millisecond)
		if rd(t, c, reg.LoopStatus)&reg.LCR != 0 || c.IRQ().Read() != gpio.High {
			t.Fatal("LCR before the debounce")
		}
		elapse(time.Millisecond)
		if rd(t, c, reg.LoopStatus)&reg.LCR == 0 || rd(t, c, reg.IRQ2) != reg.LCIP || c.IRQ().Read() != gpio.Low {
			t.Fatal("no LCR/LCIP/INT after the debounce")
		}
		wr(t, c, reg.IRQ2, reg.LCIP)
		if c.IRQ().Read() != gpio.High {
			t.Fatal("INT still low after clearing")
		}
		// A bounce shorter than the debounce leaves LCR alone.
		c.SetOffHook(false)
		elapse(5 * time.Millisecond)
		c.SetOffHook(true)
		elapse(50 * time.Millisecond)
		if rd(t, c, reg.IRQ2) != 0 || rd(t, c, reg.LoopStatus)&reg.LCR == 0 {
			t.Fatal("a 5 ms bounce reached LCR")
		}
		// An open line carries no loop current.
		wr(t, c, reg.Linefeed, reg.LFOpen)
		elapse(10 * time.Millisecond)
		if rd(t, c, reg.LoopStatus) != 0 {
			t.Fatal("loop closure on an open line")
		}
		noErrors(t, c)
	})
}

func TestWaitForEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewChip("t")
		irq := c.IRQ()
		if err := irq.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			t.Fatal(err)
		}
		wr(t, c, reg.LCDebounce, 16) // 20 ms
		wr(t, c, reg.IRQEn2, reg.LCIP)
		wr(t, c, reg.Linefeed, reg.LFForward)
		if irq.WaitForEdge(50 * time.Millisecond) {
			t.Fatal("edge with nothing happening")
		}
		start := time.Now()
		c.SetOffHook(true)
		if !irq.WaitForEdge(time.Second) {
			t.Fatal("no edge")
		}
		if d := time.Since(start); d != 20*time.Millisecond {
			t.Errorf("edge after %s, want 20ms", d)
		}
		if irq.WaitForEdge(0) {
			t.Error("the same edge twice")
		}
		if err := irq.Out(gpio.Low); err == nil {
			t.Error("INT accepted Out")
		}
		noErrors(t, c)
	})
}

// ringing programs 20 Hz, 70 V, the given timers (in 125 µs) and rings.
func ringing(t *testing.T, c *Chip, rat, rit uint16, ro byte) {
	t.Helper()
	upAndCalibrated(t, c)
	for _, r := range [][2]uint16{{reg.IRRCO, 0x7efe}, {reg.IRRNGX, 0x0179}} {
		wr(t, c, reg.IDALo, byte(r[1]))
		wr(t, c, reg.IDAHi, byte(r[1]>>8))
		wr(t, c, reg.IAA, byte(r[0]))
	}
	wr(t, c, reg.RATLo, byte(rat))
	wr(t, c, reg.RATHi, byte(rat>>8))
	wr(t, c, reg.RITLo, byte(rit))
	wr(t, c, reg.RITHi, byte(rit>>8))
	wr(t, c, reg.RingOsc, ro)
	wr(t, c, reg.IRQEn1, reg.RGAP|reg.RGIP)
	wr(t, c, reg.Linefeed, reg.LFRinging)
}

func TestRingTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewChip("t")
		ringing(t, c, 8000, 16000, reg.RTAE|reg.RTIE) // 1 s on, 2 s off
		start := time.Now()
		ls := c.Line()
		if !ls.Ringing || ls.Feed != hal.FeedRinging || ls.Shadow != reg.LFRinging {
			t.Fatalf("line %+v at the start, want ringing", ls)
		}
		if f := float64(ls.RingFreq) / float64(physic.Hertz); f < 19.95 || f > 20.05 {
			t.Errorf("ring frequency %s, want 20 Hz", ls.RingFreq)
		}
		if v := float64(ls.RingVoltage) / float64(physic.Volt); v < 69.5 || v > 70.5 {
			t.Errorf("ring voltage %s, want 70 V", ls.RingVoltage)
		}
		for _, step := range []struct {
			at      time.Duration
			ringing bool
			flags   byte
		}{
			{999 * time.Millisecond, true, 0},
			{time.Second, false, reg.RGAP},
			{2999 * time.Millisecond, false, 0},
			{3 * time.Second, true, reg.RGIP},
			{4 * time.Second, false, reg.RGAP},
		} {
			elapse(time.Until(start.Add(step.at)))
			if got := c.Line(); got.Ringing != step.ringing {
				t.Errorf("at %s ringing %t, want %t", step.at, got.Ringing, step.ringing)
			}
			if got := rd(t, c, reg.IRQ1); got != step.flags {
				t.Errorf("at %s register 18 = %#02x, want %#02x", step.at, got, step.flags)
			}
			wr(t, c, reg.IRQ1, 0xff)
		}
		// Without the inactive timer the line stays quiet after a burst.
		wr(t, c, reg.RingOsc, reg.RTAE)
		elapse(10 * time.Second)
		if c.Line().Ringing {
			t.Error("ringing with the inactive timer off")
		}
		wr(t, c, reg.PCMMode, reg.PCME)
		if !c.Talk() {
			t.Error("no audio (on-hook transmission) between bursts")
		}
		wr(t, c, reg.Linefeed, reg.LFForward)
		noErrors(t, c)
	})
}

func TestRingTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		auto bool
		feed hal.Feed
	}{
		{"automatic", true, hal.FeedForward},
		{"manual", false, hal.FeedRinging},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := NewChip("t")
				if !tc.auto {
					wr(t, c, reg.AutoManual, 0x1e)
				}
				wr(t, c, reg.RTDebounce, 8) // 10 ms
				wr(t, c, reg.IRQEn2, reg.RTIP)
				ringing(t, c, 8000, 32000, reg.RTAE|reg.RTIE)
				elapse(1500 * time.Millisecond) // in the silence
				c.SetOffHook(true)
				elapse(9 * time.Millisecond)
				if rd(t, c, reg.IRQ2) != 0 {
					t.Fatal("ring trip before its debounce")
				}
				elapse(time.Millisecond)
				if rd(t, c, reg.IRQ2)&reg.RTIP == 0 || rd(t, c, reg.LoopStatus)&reg.RTP == 0 {
					t.Fatal("no ring trip")
				}
				if got := c.Line(); got.Feed != tc.feed || got.Ringing {
					t.Errorf("line %+v after ring trip, want feed %s, not ringing", got, tc.feed)
				}
				noErrors(t, c)
			})
		})
	}
}

func TestPCM(t *testing.T) {
	c := NewChip("t")
	wr(t, c, reg.PCMTXLo, 0x28) // 40 = slot 5
	wr(t, c, reg.PCMTXHi, 0)
	wr(t, c, reg.PCMRXLo, 0xf8) // 1016 = slot 127
	wr(t, c, reg.PCMRXHi, 3)
	wr(t, c, reg.PCMMode, reg.PCME|reg.PCMFLinear<<reg.PCMFShift)
	wr(t, c, reg.Loopback, 0)
	want := PCMStatus{Enabled: true, TxStart: 40, RxStart: 1016, TxSlot: 5, RxSlot: 127, Linear: true}
	if got := c.PCM(); got != want {
		t.Errorf("PCM() = %+v, want %+v", got, want)
	}
	wr(t, c, reg.PCMMode, reg.PCME|reg.PCMFULaw<<reg.PCMFShift)
	wr(t, c, reg.Loopback, reg.DLM)
	if got := c.PCM(); got.Linear || !got.Loopback {
		t.Errorf("PCM() = %+v, want µ-law with loopback", got)
	}
	noErrors(t, c)
}

func TestFeeds(t *testing.T) {
	for _, tc := range []struct {
		lf       byte
		feed     hal.Feed
		reversed bool
		talk     bool
	}{
		{reg.LFOpen, hal.FeedOpen, false, false},
		{reg.LFForward, hal.FeedForward, false, true},
		{reg.LFForwardOHT, hal.FeedOnHookTx, false, true},
		{reg.LFTipOpen, hal.FeedOpen, false, false},
		{reg.LFReverse, hal.FeedReverse, true, true},
		{reg.LFReverseOHT, hal.FeedOnHookTxRev, true, true},
		{reg.LFRingOpen, hal.FeedOpen, false, false},
	} {
		synctest.Test(t, func(t *testing.T) {
			c := NewChip("t")
			upAndCalibrated(t, c)
			wr(t, c, reg.PCMMode, reg.PCME)
			wr(t, c, reg.Linefeed, tc.lf)
			ls := c.Line()
			if ls.Feed != tc.feed || ls.Reversed != tc.reversed || ls.Linefeed != tc.lf || c.Talk() != tc.talk {
				t.Errorf("LF %d: line %+v talk %t, want feed %s reversed %t talk %t", tc.lf, ls, c.Talk(), tc.feed, tc.reversed, tc.talk)
			}
			if got := rd(t, c, reg.Linefeed); got != tc.lf<<4|tc.lf {
				t.Errorf("register 64 = %#02x, want LFS = LF = %d", got, tc.lf)
			}
			noErrors(t, c)
		})
	}
}

// The board calls these every 10 ms for every chip: they must not allocate.
func TestHotPathAllocs(t *testing.T) {
	c := NewChip("t")
	upAndCalibratedReal(c)
	irq := c.IRQ()
	_ = irq.In(gpio.PullUp, gpio.FallingEdge)
	now := time.Now()
	for name, f := range map[string]func(){
		"Tick": func() { now = now.Add(10 * time.Millisecond); c.Tick(now) },
		"Line": func() { _ = c.Line() },
		"PCM":  func() { _ = c.PCM() },
		"Talk": func() { _ = c.Talk() },
		"SetOffHook": func() {
			c.SetOffHook(true)
			c.SetOffHook(false)
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %.1f allocations per call, want 0", name, n)
		}
	}
}

// upAndCalibratedReal skips the waits by calibrating a chip with no delays.
func upAndCalibratedReal(c *Chip) {
	c.cfg.timing = Timing{}
	_ = c.Tx([]byte{reg.PowerDown1, 0}, nil)
	_ = c.Tx([]byte{reg.Cal1, reg.CAL}, nil)
	_ = c.Tx([]byte{reg.Linefeed, reg.LFForward}, nil)
}

func TestConcurrentTick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewChip("t")
		wr(t, c, reg.IRQEn2, reg.LCIP)
		wr(t, c, reg.Linefeed, reg.LFForward)
		irq := c.IRQ()
		_ = irq.In(gpio.PullUp, gpio.FallingEdge)
		done := make(chan struct{})
		go func() {
			tk := time.NewTicker(10 * time.Millisecond)
			defer tk.Stop()
			for {
				select {
				case now := <-tk.C:
					c.Tick(now)
					_ = c.Line()
				case <-done:
					return
				}
			}
		}()
		edges := 0
		for i := range 20 {
			c.SetOffHook(i%2 == 0)
			if irq.WaitForEdge(100 * time.Millisecond) {
				edges++
				wr(t, c, reg.IRQ2, 0xff)
			}
		}
		close(done)
		if edges != 20 {
			t.Errorf("%d edges for 20 hook changes", edges)
		}
		noErrors(t, c)
	})
}

// elapse lets d of virtual time pass. It is only called inside
// testing/synctest bubbles, where the clock jumps as soon as every
// goroutine waits: no real time is spent.
func elapse(d time.Duration) { <-time.After(d) }
