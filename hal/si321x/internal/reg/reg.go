// Package reg is the register map of the Silicon Labs Si3210/Si3215
// ProSLIC, shared by the driver (hal/si321x) and the register model
// (hal/si321x/si321xsim) so that both speak of the same numbers. The
// numbers, bit positions and units come from the public Si3210/Si3215
// data sheet; where a field is only partly described there, the comment
// says what this project assumes.
//
// It holds constants only; any goroutine may use it.
package reg

// SPI framing. Every access is a control byte followed by one data byte,
// each byte in its own chip-select cycle (the ProSLIC latches a byte on the
// rising edge of CS). The control byte carries the direction in bit 7 and
// the direct register address in bits 6:0.
const (
	Read     = 0x80 // control byte bit 7: 1 = read, 0 = write
	AddrMask = 0x7f // control byte bits 6:0: direct register address
)

// Direct registers.
const (
	SPIMode    = 0  // D7 SPIDC (daisy chain), D6:D4 PARTNUM, D3:D0 REVISION
	PCMMode    = 1  // D5 PCME, D4:D3 PCMF (data format), D2 PCMT
	PCMTXLo    = 2  // PCM transmit start count, bits 7:0 (PCLK cycles after FSYNC)
	PCMTXHi    = 3  // PCM transmit start count, bits 9:8 in D1:D0
	PCMRXLo    = 4  // PCM receive start count, bits 7:0
	PCMRXHi    = 5  // PCM receive start count, bits 9:8 in D1:D0
	DIO        = 6  // DIO control (Si3211/12 external battery)
	Loopback   = 8  // D2 ALM2, D1 DLM, D0 ALM1; reset value 0x02
	AudioGain  = 9  // transmit and receive path gain
	TwoWireZ   = 10 // two-wire impedance synthesis
	Hybrid     = 11 // trans-hybrid balance; reset value 0x33
	PowerDown1 = 14 // D4 PDDCDC: 1 = dc-dc converter powered down (reset 0x10)
	PowerDown2 = 15
	IRQ1       = 18 // interrupt status 1 (oscillator and ringing timers); write 1 to clear
	IRQ2       = 19 // interrupt status 2 (power alarms, loop closure, ring trip); write 1 to clear
	IRQ3       = 20 // interrupt status 3 (common-mode balance / ground key, indirect, DTMF); write 1 to clear
	IRQEn1     = 21 // interrupt enable for IRQ1, bit for bit
	IRQEn2     = 22 // interrupt enable for IRQ2
	IRQEn3     = 23 // interrupt enable for IRQ3
	DTMFDigit  = 24 // decoded DTMF digit (read only)
	IDALo      = 28 // indirect data access, low byte
	IDAHi      = 29 // indirect data access, high byte
	IAA        = 30 // indirect address: writing it starts the access
	IAS        = 31 // indirect access status: D0 = 1 while an access is pending
	Osc1       = 32 // tone oscillator 1 control
	Osc2       = 33 // tone oscillator 2 control
	RingOsc    = 34 // ringing oscillator control: D4 RTAE, D3 RTIE, D2 ROE, D1 RVO, D0 TSWS
	PulseOsc   = 35 // pulse metering oscillator control
	RATLo      = 48 // ringing active timer, low byte (125 µs/LSB)
	RATHi      = 49 // ringing active timer, high byte
	RITLo      = 50 // ringing inactive timer, low byte (125 µs/LSB)
	RITHi      = 51 // ringing inactive timer, high byte
	FSKData    = 52
	RingLCD    = 63 // loop closure debounce while ringing (1.25 ms/LSB)
	Linefeed   = 64 // D6:D4 LFS (shadow, read only), D2:D0 LF
	ExtBJT     = 65 // external bipolar transistor settings
	BatFeed    = 66 // battery feed control
	AutoManual = 67 // automatic/manual control; D0 = automatic ring trip → active
	LoopStatus = 68 // D2 DBIRAW, D1 RTP, D0 LCR (read only)
	LCDebounce = 69 // loop closure debounce interval, D6:D0 (1.25 ms/LSB)
	RTDebounce = 70 // ring trip debounce interval, D6:D0 (1.25 ms/LSB)
	ILim       = 71 // loop current limit, D2:D0 (20 mA + 3 mA/LSB)
	VOC        = 72 // on-hook line voltage, D5:D0 (1.5 V/LSB)
	VCM        = 73 // common-mode voltage, D5:D0 (1.5 V/LSB)
	VBATH      = 74 // high battery voltage, D5:D0 (1.5 V/LSB)
	VBATL      = 75 // low battery voltage, D5:D0 (1.5 V/LSB)
	VBATSense  = 82 // battery voltage sense (376 mV/LSB, read only)
	DCN        = 92 // dc-dc converter PWM period (61.035 ns/LSB)
	DCTOF      = 93 // D7 DCCAL (write 1: calibrate, self-clears), D6:D0 min off time (61.035 ns/LSB)
	Cal1       = 96 // calibration control/status 1: D6 CAL, D4 CALR, D3 CALT, D2 CALD, D1 CALC, D0 CALIL
	Cal2       = 97 // calibration control/status 2: D4 CALM1, D3 CALM2, D2 CALDAC, D1 CALADC, D0 CALCM
	Enhance    = 108
	NumDirect  = 109 // direct registers 0..108
)

// Register 0.
const (
	SPIDC        = 0x80
	PartShift    = 4
	PartMask     = 0x07 // after shifting
	RevisionMask = 0x0f
)

// PARTNUM values in register 0 bits 6:4.
const (
	PartSi3210  = 0
	PartSi3211  = 1
	PartSi3212  = 2
	PartSi3210M = 3
	PartSi3215  = 4
	PartSi3215M = 5
	PartSi3216  = 6
	PartSi3216M = 7
)

// Register 1.
const (
	PCME       = 0x20 // PCM enable
	PCMFShift  = 3
	PCMFMask   = 0x03 // after shifting
	PCMFALaw   = 0
	PCMFULaw   = 1
	PCMFLinear = 3 // 16-bit linear
)

// Register 8.
const (
	ALM1 = 0x01
	DLM  = 0x02 // digital loopback: PCM receive data returns on PCM transmit
	ALM2 = 0x04
)

// Register 14.
const PDDCDC = 0x10

// Register 18 (and 21).
const (
	O1AP = 0x01 // oscillator 1 active timer
	O1IP = 0x02 // oscillator 1 inactive timer
	O2AP = 0x04
	O2IP = 0x08
	RGAP = 0x10 // ringing active timer expired: the ring burst ended
	RGIP = 0x20 // ringing inactive timer expired: a ring burst starts
	PMAP = 0x40
	PMIP = 0x80
)

// Register 19 (and 22).
const (
	RTIP = 0x01 // ring trip
	LCIP = 0x02 // loop closure changed
	Q1AP = 0x04 // power alarm Q1; Q2AP..Q6AP follow in bits 3..7
	QAll = 0xfc // all six power alarms
)

// Register 20 (and 23).
const (
	DTMFIP  = 0x01
	INDIP   = 0x02 // indirect register access done
	CMBALIP = 0x04 // common-mode balance (ground key)
)

// Register 31.
const IASBusy = 0x01

// Register 34.
const (
	TSWS = 0x01 // trapezoid (1) or sine (0) ringing
	RVO  = 0x02 // ringing dc offset enable
	ROE  = 0x04 // ringing oscillator enable (set by the chip in the ringing state)
	RTIE = 0x08 // ringing inactive timer enable
	RTAE = 0x10 // ringing active timer enable
)

// Linefeed codes (register 64 LF and LFS).
const (
	LFOpen       = 0
	LFForward    = 1
	LFForwardOHT = 2
	LFTipOpen    = 3
	LFRinging    = 4
	LFReverse    = 5
	LFReverseOHT = 6
	LFRingOpen   = 7
	LFMask       = 0x07
	LFSShift     = 4
)

// Register 67.
const AutoRingTrip = 0x01

// Register 68.
const (
	LCR    = 0x01
	RTP    = 0x02
	DBIRAW = 0x04
)

// Register 93.
const DCCAL = 0x80

// Registers 96 and 97.
const (
	CAL   = 0x40
	CALR  = 0x10
	CALT  = 0x08
	CALD  = 0x04
	CALC  = 0x02
	CALIL = 0x01

	CALM1  = 0x10
	CALM2  = 0x08
	CALDAC = 0x04
	CALADC = 0x02
	CALCM  = 0x01
)

// Indirect registers (16 bit).
const (
	IROsc1Coef   = 13
	IROsc1X      = 14
	IROsc1Y      = 15
	IROsc2Coef   = 16
	IROsc2X      = 17
	IROsc2Y      = 18
	IRROFF       = 19 // ringing dc offset
	IRRCO        = 20 // ringing frequency coefficient
	IRRNGX       = 21 // ringing amplitude
	IRRNGY       = 22 // ringing initial phase
	IRRxGain     = 26 // receive digital gain (0x4000 = 0 dB)
	IRTxGain     = 27 // transmit digital gain
	IRLCRT       = 28 // loop closure threshold
	IRRPTP       = 29 // ring trip threshold
	IRCMMin      = 30 // common-mode minimum threshold (speed-up)
	IRCMMax      = 31 // common-mode maximum threshold
	IRPAQ1Q2     = 32 // power alarm threshold Q1/Q2
	IRPAQ3Q4     = 33
	IRPAQ5Q6     = 34
	IRNCLR       = 35 // loop closure filter coefficient
	IRNRTP       = 36 // ring trip filter coefficient
	IRNQ12       = 37 // thermal low-pass pole Q1/Q2
	IRNQ34       = 38
	IRNQ56       = 39
	IRVCMR       = 40 // common-mode bias while ringing
	IRDCDCMinV   = 41
	IRLCRTLow    = 43 // loop closure threshold, low
	IRFSKFirst   = 99 // FSK registers 99..104
	IRFSKLast    = 104
	IRLastSimple = 43 // registers 0..43 exist
)

// Units.
const (
	TimerTick     = 125_000   // ns per ringing timer LSB (8 kHz)
	DebounceTick  = 1_250_000 // ns per debounce LSB
	VoltStepMV    = 1500      // mV per LSB of VOC, VCM, VBATH, VBATL
	VSenseUV      = 376_000   // µV per LSB of the battery sense
	DCDCTickPS    = 61_035    // ps per LSB of DCN and DCTOF
	RingSampleHz  = 1000      // the ringing oscillator runs at 1 kHz
	RingFullScale = 96        // volts at RNGX full scale
)

// IndirectExists reports whether indirect register a exists on the part.
func IndirectExists(a uint8) bool {
	return a <= IRLastSimple || (a >= IRFSKFirst && a <= IRFSKLast)
}
