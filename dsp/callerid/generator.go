package callerid

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/dtmf"
)

// Alert is how the line is made ready for the data.
type Alert uint8

const (
	// AlertNone sends the data at once: caller ID between the first and
	// second ring (GR-30; EN 300 659-1 "after the first ring"), or message
	// waiting on an idle line. The line starts the generator at least
	// 500 ms after the first ring ends.
	AlertNone Alert = iota
	// AlertDTAS sends the dual-tone alerting signal (2130+2750 Hz, 100 ms)
	// and the data 100 ms after it, before the first ring (EN 300 659-1;
	// with Reverse, a line reversal 200 ms before the tone, as in the UK).
	AlertDTAS
	// AlertRPAS asks the line for a ring pulse of 250 ms (CueRingOn,
	// CueRingOff) and sends the data 600 ms after it, before the first
	// ring (EN 300 659-1 ring-pulse alerting signal).
	AlertRPAS
	// AlertCAS is caller ID on call waiting, off hook (GR-30 type 2,
	// EN 300 659-2): the CPE alerting signal (2130+2750 Hz, 80 ms), then
	// silence until the telephone acknowledges with DTMF 'D' or 'A'
	// (Generator.Ack), then the data 100 ms later, without channel seizure.
	// Without an acknowledgement within AckTimeout the data is not sent.
	AlertCAS
)

func (a Alert) String() string {
	switch a {
	case AlertNone:
		return "none"
	case AlertDTAS:
		return "DT-AS"
	case AlertRPAS:
		return "RP-AS"
	case AlertCAS:
		return "CAS"
	}
	return "alert?"
}

// Cue is line signalling that is not audio, which the line carries out
// when Generate reports it (a bit set; several may come together).
type Cue uint8

const (
	CueReverse Cue = 1 << iota // reverse the line polarity
	CueRestore                 // restore the normal polarity
	CueRingOn                  // start ringing (the ring-pulse alerting signal)
	CueRingOff                 // stop ringing
)

// Timing of the transmissions, from GR-30-CORE, EN 300 659-1 and -2.
const (
	ReversalLead = 200 * time.Millisecond // line reversal to alerting signal or data (≥ 100 ms)
	DTASLen      = 100 * time.Millisecond // dual-tone alerting signal
	DTASGap      = 100 * time.Millisecond // end of DT-AS to data (45-500 ms)
	RPASLen      = 250 * time.Millisecond // ring pulse (200-300 ms)
	RPASGap      = 600 * time.Millisecond // end of ring pulse to data (500-2000 ms)
	CASLen       = 80 * time.Millisecond  // CPE alerting signal (75-85 ms)
	// AckTimeout is how long after the CAS the generator waits for the
	// acknowledgement: the telephone starts it within 100 ms and it lasts
	// 60 ms, and a DTMF detector reports it some 40 ms into the tone.
	AckTimeout = 250 * time.Millisecond
	AckGap     = 100 * time.Millisecond // acknowledgement seen to data (data must start 0-500 ms after the ACK ends)
	// RingLead is the quiet kept after data sent before the first ring,
	// so that the line rings no earlier than the standards allow (≥ 200 ms).
	RingLead  = 250 * time.Millisecond
	DigitOn   = 70 * time.Millisecond // DTMF caller ID: tone
	DigitOff  = 70 * time.Millisecond // DTMF caller ID: pause
	PostMarks = 4                     // mark bits after the last byte
)

// Levels.
const (
	// DefaultLevel is the FSK level of GR-30 (-13.5 dBm ±1 at the office);
	// alerting tones are sent at the same level per tone.
	DefaultLevel = -13.5
	// DefaultDTMFLevel is the level per tone of DTMF caller ID.
	DefaultDTMFLevel = -10.0
	minLevel         = -45.0
	maxLevel         = -3.0
)

// Transmission is everything the generator sends for one caller ID.
type Transmission struct {
	Modem   Modem
	Alert   Alert
	Reverse bool    // start with a line reversal (CueReverse), end with CueRestore
	Level   float64 // dBm0 of the FSK signal, of each alerting tone, of each DTMF tone
	Baud    float64 // FSK bit rate (1200 nominal)
	Seizure int     // bits of channel seizure, alternating 0 and 1 (300 on hook, none on call waiting)
	Marks   int     // bits of mark before the message (180 on hook, 80 on call waiting)
	Message []byte  // the encoded message (Message.AppendBinary) for FSK, or
	Digits  string  // the DTMF caller-ID string (Message.DTMF); exactly one of the two
	// Lead is silence before anything else: between the first and second
	// ring, the wait from the end of the ring to the data (RingGap).
	Lead time.Duration
}

// RingGap is the wait from the end of the first ring to caller-ID data
// sent between the rings (GR-30-CORE and EN 300 659-1: at least 500 ms).
const RingGap = 500 * time.Millisecond

// AlertFor is how the country's on-hook caller ID is alerted: AlertDTAS
// (line reversal, dual-tone alerting signal, data, then the first ring:
// EN 300 659-1 as in the UK's SIN 227) for the UK, AlertNone (data
// between the first and second ring) elsewhere.
func AlertFor(country string) Alert {
	if strings.ToUpper(country) == "GB" {
		return AlertDTAS
	}
	return AlertNone
}

// ForCountry is the FSK modem of the country's on-hook caller ID (ISO
// 3166 alpha-2): V.23 (EN 300 659) in Europe and most of the world that
// follows ETSI, Bell 202 (GR-30) in North America, China, Taiwan, Hong
// Kong, Australia, Japan and Korea (their own variants of it). Countries
// it does not know get Bell 202.
func ForCountry(country string) Modem {
	switch strings.ToUpper(country) {
	case "GB", "DE", "FR", "IT", "ES", "PT", "NL", "BE", "AT", "CH", "SE", "NO", "DK", "FI", "IE", "PL", "CZ", "SK",
		"HU", "GR", "RO", "BG", "HR", "SI", "TR", "RU", "UA", "IN", "SG", "MY", "ZA", "IL", "NZ", "BR", "AR":
		return V23
	}
	return Bell202
}

// OnHook is FSK caller ID or message waiting sent on hook with no alerting
// signal: between the first and second ring, or on an idle line.
func OnHook(m Modem, msg []byte) Transmission {
	return Transmission{Modem: m, Alert: AlertNone, Level: DefaultLevel, Baud: Baud, Seizure: 300, Marks: 180, Message: msg}
}

// PriorToRing is FSK caller ID sent before the first ring (EN 300 659-1):
// with AlertDTAS a line reversal and the dual-tone alerting signal, with
// AlertRPAS a ring pulse.
func PriorToRing(m Modem, a Alert, msg []byte) Transmission {
	t := OnHook(m, msg)
	t.Alert = a
	t.Reverse = a == AlertDTAS
	return t
}

// CallWaiting is caller ID on call waiting: CAS, acknowledgement, 80 mark
// bits and the message, no channel seizure.
func CallWaiting(m Modem, msg []byte) Transmission {
	return Transmission{Modem: m, Alert: AlertCAS, Level: DefaultLevel, Baud: Baud, Marks: 80, Message: msg}
}

// DTMFCallerID is DTMF caller ID before the first ring, optionally after
// a line reversal.
func DTMFCallerID(digits string, reverse bool) Transmission {
	return Transmission{Level: DefaultDTMFLevel, Reverse: reverse, Digits: digits}
}

var (
	errBadTx = errors.New("bad transmission")
	errNoAck = errors.New("callerid: no acknowledgement from the telephone after the CPE alerting signal")
)

// Validate checks the transmission's parameters.
func (t *Transmission) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("callerid: transmission: %s: %w", fmt.Sprintf(format, args...), errBadTx)
	}
	switch {
	case (len(t.Message) == 0) == (t.Digits == ""):
		return bad("give a Message or Digits, exactly one")
	case len(t.Message) > MaxMessage:
		return bad("message of %d bytes (at most %d)", len(t.Message), MaxMessage)
	case t.Modem > V23:
		return bad("modem %d", t.Modem)
	case t.Alert > AlertCAS:
		return bad("alert %d", t.Alert)
	case t.Level < minLevel || t.Level > maxLevel:
		return bad("level %.1f dBm0 outside %.0f..%.0f", t.Level, minLevel, maxLevel)
	case t.Digits == "" && (t.Baud < 1100 || t.Baud > 1300):
		return bad("baud rate %.1f outside 1100..1300", t.Baud)
	case t.Seizure < 0 || t.Seizure > 1000 || t.Marks < 0 || t.Marks > 1000:
		return bad("seizure %d or marks %d outside 0..1000 bits", t.Seizure, t.Marks)
	case t.Digits != "" && t.Alert == AlertCAS:
		return bad("DTMF caller ID on call waiting")
	case t.Lead < 0 || t.Lead > 10*time.Second:
		return bad("lead %v outside 0..10s", t.Lead)
	}
	if t.Digits != "" {
		var g dtmf.Generator
		if err := g.Start(t.Digits, DigitOn, DigitOff, t.Level); err != nil {
			return fmt.Errorf("callerid: transmission: %w", err)
		}
	}
	return nil
}

// Duration is how long the transmission lasts (on call waiting: when the
// acknowledgement comes at once).
func (t *Transmission) Duration() time.Duration {
	var g Generator
	if g.plan(t) != nil {
		return 0
	}
	var n int64
	for _, s := range g.segs[:g.nseg] {
		switch s.kind {
		case segFSK:
			n += int64(float64(t.Seizure+t.Marks+10*len(t.Message)+PostMarks)*dsp.SampleRate/t.Baud + 0.5)
		case segDTMF:
			n += int64(len(t.Digits)) * dsp.Samples(DigitOn+DigitOff)
		case segAwaitAck:
		default:
			n += s.n
		}
	}
	return time.Duration(n) * time.Second / dsp.SampleRate
}

type segKind uint8

const (
	segSilence segKind = iota
	segCue
	segAlert
	segAwaitAck
	segFSK
	segDTMF
)

type segment struct {
	kind segKind
	n    int64 // samples (silence, alert, ack timeout)
	cue  Cue
}

const maxSegs = 12

// Generator renders transmissions. Its zero value is idle; Start begins
// one, Generate renders it frame by frame. It never allocates.
type Generator struct {
	segs  [maxSegs]segment
	nseg  int
	si    int   // segment playing
	pos   int64 // samples into it
	tx    Transmission
	msg   [MaxMessage]byte
	nmsg  int
	bit   int // next FSK bit
	nbits int
	mod   modulator
	dt    dtmf.Generator
	tone  [2]dsp.Osc
	amp   float64
	acked bool
	err   error
	on    bool
}

// plan lays out the segments of t.
func (g *Generator) plan(t *Transmission) error {
	if err := t.Validate(); err != nil {
		return err
	}
	g.nseg = 0
	add := func(k segKind, d time.Duration, c Cue) {
		g.segs[g.nseg] = segment{kind: k, n: dsp.Samples(d), cue: c}
		g.nseg++
	}
	if t.Lead > 0 {
		add(segSilence, t.Lead, 0)
	}
	if t.Reverse {
		add(segCue, 0, CueReverse)
		add(segSilence, ReversalLead, 0)
	}
	switch t.Alert {
	case AlertDTAS:
		add(segAlert, DTASLen, 0)
		add(segSilence, DTASGap, 0)
	case AlertRPAS:
		add(segCue, 0, CueRingOn)
		add(segSilence, RPASLen, 0)
		add(segCue, 0, CueRingOff)
		add(segSilence, RPASGap, 0)
	case AlertCAS:
		add(segAlert, CASLen, 0)
		add(segAwaitAck, AckTimeout, 0)
		add(segSilence, AckGap, 0)
	}
	if t.Digits != "" {
		add(segDTMF, 0, 0)
	} else {
		add(segFSK, 0, 0)
	}
	if t.Alert == AlertDTAS || t.Alert == AlertRPAS || (t.Digits != "" && t.Alert == AlertNone) {
		add(segSilence, RingLead, 0)
	}
	if t.Reverse {
		add(segCue, 0, CueRestore)
	}
	return nil
}

// Start begins sending t, replacing what was playing. t is copied; its
// message bytes too. An error says what is wrong with t; the generator is
// then idle.
func (g *Generator) Start(t *Transmission) error {
	g.on = false
	if err := g.plan(t); err != nil {
		return err
	}
	g.tx = *t
	g.nmsg = copy(g.msg[:], t.Message)
	g.tx.Message = nil
	g.si, g.pos, g.acked, g.err, g.on = 0, 0, false, nil, true
	g.bit, g.nbits = 0, t.Seizure+t.Marks+10*g.nmsg+PostMarks
	g.amp = dsp.DBm0ToPeak(t.Level)
	g.enter()
	return nil
}

// Stop abandons the transmission (no further cues: the line restores its
// own state).
func (g *Generator) Stop() { g.on = false }

// Active reports whether the transmission is still going on (waiting for
// an acknowledgement included).
func (g *Generator) Active() bool { return g.on }

// Waiting reports whether the generator is waiting for the telephone's
// acknowledgement of a CAS (or still sending the CAS).
func (g *Generator) Waiting() bool {
	if !g.on || g.acked || g.tx.Alert != AlertCAS {
		return false
	}
	k := g.segs[g.si].kind
	return k == segAlert || k == segAwaitAck
}

// Ack tells the generator that the line input carried DTMF digit (from the
// channel's DTMF detector). It returns true when the digit was the
// acknowledgement the generator waited for ('D', or 'A' from an ADSI
// telephone); the data follows AckGap later.
func (g *Generator) Ack(digit byte) bool {
	if !g.Waiting() || (digit != 'D' && digit != 'A') {
		return false
	}
	g.acked = true
	return true
}

// Err returns nil, or after a call-waiting transmission that ended without
// an acknowledgement, an error saying so.
func (g *Generator) Err() error { return g.err }

// enter prepares the segment g.si.
func (g *Generator) enter() {
	g.pos = 0
	if g.si >= g.nseg {
		g.on = false
		return
	}
	switch g.segs[g.si].kind {
	case segAlert:
		g.tone[0].SetFreq(2130)
		g.tone[1].SetFreq(2750)
		g.tone[0].SetPhase(0)
		g.tone[1].SetPhase(0)
	case segFSK:
		g.mod.start(g.tx.Modem, g.tx.Level, g.tx.Baud)
		g.bit = 0
	case segDTMF:
		_ = g.dt.Start(g.tx.Digits, DigitOn, DigitOff, g.tx.Level) // checked by Validate
	}
}

// nextBit returns the FSK bit g.bit and advances.
func (g *Generator) nextBit() (byte, bool) {
	i := g.bit
	if i >= g.nbits {
		return 1, false
	}
	g.bit++
	if i < g.tx.Seizure {
		return byte(i & 1), true // 0101...: starts with a space
	}
	i -= g.tx.Seizure
	if i < g.tx.Marks {
		return 1, true
	}
	i -= g.tx.Marks
	if i < 10*g.nmsg {
		switch k := i % 10; k {
		case 0:
			return 0, true // start bit
		case 9:
			return 1, true // stop bit
		default:
			return (g.msg[i/10] >> (k - 1)) & 1, true // LSB first
		}
	}
	return 1, true // post marks
}

// rampLen is the raised-cosine ramp, in samples, at the edges of the
// alerting tones (keeps their spectrum tight).
const rampLen = 16

// Generate overwrites dst with the next samples of the transmission
// (silence when idle) and returns the cues that fell within them.
func (g *Generator) Generate(dst []int16) Cue {
	var cues Cue
	for {
		// Segments that take no time: cues, a wait already acknowledged.
		for g.on {
			s := &g.segs[g.si]
			if s.kind == segCue {
				cues |= s.cue
			} else if s.kind != segAwaitAck || !g.acked {
				break
			}
			g.si++
			g.enter()
		}
		if !g.on {
			clear(dst)
			return cues
		}
		if len(dst) == 0 {
			return cues
		}
		s := &g.segs[g.si]
		n := int(min(int64(len(dst)), s.n-g.pos))
		done := g.pos+int64(n) >= s.n
		switch s.kind {
		case segSilence:
			clear(dst[:n])
		case segAwaitAck:
			clear(dst[:n])
			if done {
				g.err = errNoAck
				g.on = false
			}
			done = false
		case segAlert:
			for i := range dst[:n] {
				a := g.amp * ramp(g.pos+int64(i), s.n)
				dst[i] = dsp.SatF16(a * (g.tone[0].Next() + g.tone[1].Next()))
			}
		case segFSK:
			n, done = g.mod.render(dst, g.nextBit)
		case segDTMF:
			n = len(dst)
			g.dt.Generate(dst)
			done = !g.dt.Active()
		}
		dst = dst[n:]
		g.pos += int64(n)
		if done {
			g.si++
			g.enter()
		}
	}
}

// ramp is the gain at sample p of a tone n samples long.
func ramp(p, n int64) float64 {
	switch {
	case p < rampLen:
		return rampTable[p]
	case n-1-p < rampLen:
		return rampTable[n-1-p]
	}
	return 1
}

var rampTable = func() (t [rampLen]float64) {
	for i := range t {
		t[i] = 0.5 - 0.5*math.Cos(math.Pi*float64(i+1)/float64(rampLen+1))
	}
	return t
}()
