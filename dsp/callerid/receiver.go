package callerid

import (
	"errors"
	"math"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/dsp/goertzel"
)

// EventKind says what a receiver Event reports.
type EventKind uint8

const (
	// EventMessage is an FSK message whose length and checksum hold: Raw.
	EventMessage EventKind = iota + 1
	// EventDTMF is a complete DTMF caller-ID string: Raw.
	EventDTMF
	// EventAlert is the start of a 2130+2750 Hz alerting signal (DT-AS on
	// hook, CAS on call waiting: an off-hook FXO line answers a CAS with
	// DTMF 'D').
	EventAlert
	// EventError is a transmission that went wrong: Err says how, Raw
	// holds what had arrived.
	EventError
)

func (k EventKind) String() string {
	switch k {
	case EventMessage:
		return "message"
	case EventDTMF:
		return "dtmf"
	case EventAlert:
		return "alert"
	case EventError:
		return "error"
	}
	return "event?"
}

// Event is something the receiver heard.
type Event struct {
	Kind EventKind
	At   int64  // sample index (from NewReceiver or Reset) where it began
	Raw  []byte // message bytes or DTMF digits; valid until the next Process
	Err  error  // EventError only
}

// Message decodes the event's message (EventMessage or EventDTMF). It
// allocates the strings of the result.
func (e *Event) Message() (Message, error) {
	switch e.Kind {
	case EventMessage:
		return Decode(e.Raw)
	case EventDTMF:
		return DecodeDTMF(string(e.Raw))
	case EventError:
		return Message{}, e.Err
	}
	return Message{}, errNoMessage
}

// Receiver errors. They are fixed values so that reporting them costs no
// allocation on the media path.
var (
	errNoMessage   = errors.New("callerid: event carries no message")
	errRxChecksum  = errors.New("callerid: receiver: checksum does not match, message dropped")
	errRxFraming   = errors.New("callerid: receiver: framing error (a stop bit was a space) inside a message")
	errRxCarrier   = errors.New("callerid: receiver: carrier lost before the end of the message")
	errRxGap       = errors.New("callerid: receiver: data stopped before the end of the message")
	errRxDTMFEnd   = errors.New("callerid: receiver: DTMF caller ID stopped without its end digit")
	errRxDTMFLong  = errors.New("callerid: receiver: DTMF caller ID longer than 32 digits")
	errRxTruncated = errors.New("callerid: receiver: too many events in one frame, some dropped")
)

// Receiver tuning.
const (
	minPreamble = 30 // mark bits that must precede a message (80 on call waiting, 180 on hook)
	maxGap      = 20 // mark bits allowed between two bytes of a message
	dtmfTimeout = dsp.SampleRate
	maxDigits   = 32
	alertBlock  = 80 // samples per alerting-signal block (10 ms)
	alertBlocks = 4  // blocks in a row that make an alerting signal
	alertLevel  = -42.0
	maxEvents   = 8
	histLen     = 16
	nominalSPB  = float64(dsp.SampleRate) / Baud
	edgeGain    = 0.5 // share of a transition's timing error the bit clock takes up
	// The mark preamble's mean phase step, in radians per sample, must lie
	// between those of 1450 Hz and 1110 Hz (marks: 1200 Hz is -0.39, 1300
	// Hz -0.31), and wander by less than preSD (white noise at 6 dB SNR
	// gives up to 0.11; DTMF and speech more).
	preMin = -2 * math.Pi * (centre - 1110) / dsp.SampleRate
	preMax = -2 * math.Pi * (centre - 1450) / dsp.SampleRate
	preSD  = 0.12
	// The in-band share of the signal's power during the preamble (a mark
	// tone 6 dB above white noise gives 0.85; vowels, whose first formant
	// lies below the band, much less).
	preShare = 0.6
)

// Receiver decodes caller ID from line audio. Make one with NewReceiver.
type Receiver struct {
	n     int64 // samples seen
	demod demodulator

	// soft decisions: the mean of the last three phase steps, kept for
	// the last histLen samples.
	d1, d2  float64
	hist    [histLen]float64
	prev    float64
	markRun int     // samples of mark in a row, carrier present
	markSum float64 // sum of their soft decisions
	markSq  float64 // and of their squares
	markIn  float64 // sum of the in-band power over the run
	markAll float64 // and of the whole signal's power

	// UART
	inByte  bool
	edge    float64 // sample time of the current start edge
	bitK    int     // next bit to sample (0 start .. 9 stop)
	shift   byte
	preOK   bool // the current byte followed a long enough mark preamble
	sinceSt int  // samples since the last stop bit, inside a message

	// message
	inMsg  bool
	msg    [MaxMessage]byte
	nmsg   int
	msgAt  int64
	msgPow float64 // in-band power when it began

	// DTMF
	det     *dtmf.Detector
	digits  [maxDigits]byte
	ndig    int
	dtmfAt  int64
	lastDig int64

	// alerting signal
	ga, gb   goertzel.Filter
	energy   float64
	blkN     int
	alertRun int
	alertOn  bool
	alertThr float64

	evs  [maxEvents]Event
	nev  int
	bufs [maxEvents][MaxMessage]byte
}

// NewReceiver returns a receiver for Bell 202 and V.23 FSK, DTMF caller ID
// and the alerting signals.
func NewReceiver() *Receiver {
	r := &Receiver{det: dtmf.NewDetector()}
	r.demod.init()
	r.ga = goertzel.New(2130, dsp.SampleRate, alertBlock)
	r.gb = goertzel.New(2750, dsp.SampleRate, alertBlock)
	t := dsp.DBm0ToRMS(alertLevel)
	r.alertThr = t * t
	r.Reset()
	return r
}

// Reset forgets everything heard; sample indices start again from 0.
func (r *Receiver) Reset() {
	det, ga, gb, thr := r.det, r.ga, r.gb, r.alertThr
	demod := r.demod
	*r = Receiver{det: det, ga: ga, gb: gb, alertThr: thr, demod: demod}
	r.demod.reset()
	r.det.Reset()
	r.ga.Reset()
	r.gb.Reset()
}

// emit adds an event, copying raw into a buffer of the receiver.
func (r *Receiver) emit(k EventKind, at int64, raw []byte, err error) {
	if r.nev == maxEvents {
		r.evs[maxEvents-1] = Event{Kind: EventError, At: at, Err: errRxTruncated}
		return
	}
	b := r.bufs[r.nev][:copy(r.bufs[r.nev][:], raw)]
	r.evs[r.nev] = Event{Kind: k, At: at, Raw: b, Err: err}
	r.nev++
}

// Process takes the next samples of line input (any length, normally one
// 80-sample frame) and returns what was heard in them, valid until the
// next call. It never allocates.
func (r *Receiver) Process(frame []int16) []Event {
	r.nev = 0
	for _, v := range frame {
		r.sample(float64(v))
	}
	for _, e := range r.det.Process(frame) {
		if e.Down {
			r.digit(e.Digit, e.At)
		}
	}
	if r.ndig > 0 && r.n-r.lastDig > dtmfTimeout {
		if r.ndig > 1 {
			r.emit(EventError, r.dtmfAt, r.digits[:r.ndig], errRxDTMFEnd)
		}
		r.ndig = 0
	}
	return r.evs[:r.nev]
}

func (r *Receiver) digit(d byte, at int64) {
	r.lastDig = r.n
	if r.ndig == 0 {
		if d != 'A' && d != 'B' && d != 'D' {
			return
		}
		r.dtmfAt = at
	}
	if r.ndig == maxDigits {
		r.emit(EventError, r.dtmfAt, r.digits[:r.ndig], errRxDTMFLong)
		r.ndig = 0
		return
	}
	r.digits[r.ndig] = d
	r.ndig++
	if (d == 'C' || d == '#') && r.ndig > 1 {
		r.emit(EventDTMF, r.dtmfAt, r.digits[:r.ndig], nil)
		r.ndig = 0
	}
}

// sample runs one sample through the alerting-signal detector and the FSK
// demodulator and framer.
func (r *Receiver) sample(x float64) {
	n := r.n
	r.n++
	r.alert(x)

	a := math.Atan2(r.demod.step(x))
	s := (a + r.d1 + r.d2) / 3
	r.d2, r.d1 = r.d1, a
	r.hist[n%histLen] = s
	prev := r.prev
	r.prev = s

	if !r.demod.carrier {
		if r.inMsg {
			r.fail(errRxCarrier)
		}
		r.inByte, r.markRun = false, 0
		return
	}
	if !r.inByte {
		if s < 0 {
			r.markRun++
			r.markSum += s
			r.markSq += s * s
			r.markIn += r.demod.power
			r.markAll += r.demod.total
			if r.inMsg {
				r.sinceSt++
				if float64(r.sinceSt) > maxGap*nominalSPB {
					if r.demod.power < r.msgPow/10 {
						r.fail(errRxCarrier) // fading away, not yet below the threshold
					} else {
						r.fail(errRxGap)
					}
				}
			}
			return
		}
		if prev >= 0 || r.markRun == 0 {
			r.markRun, r.markSum, r.markSq, r.markIn, r.markAll = 0, 0, 0, 0, 0
			return
		}
		// A start edge between the previous sample and this one.
		r.inByte = true
		r.edge = float64(n-1) + prev/(prev-s)
		r.bitK = 0
		r.shift = 0
		r.preOK = r.preamble()
		r.markRun, r.markSum, r.markSq, r.markIn, r.markAll = 0, 0, 0, 0, 0
		return
	}
	// Inside a character: a transition between bits pulls the bit clock
	// halfway towards it (a baud rate a few percent off stays centred).
	if (prev < 0) != (s < 0) {
		tc := float64(n-1) + prev/(prev-s)
		if k := math.Round((tc - r.edge) / nominalSPB); k >= 1 && k <= 9 {
			r.edge += edgeGain * (tc - r.edge - k*nominalSPB)
		}
	}
	// Sample bit bitK at its centre once the sample after the centre is
	// in.
	ct := r.edge + (float64(r.bitK)+0.5)*nominalSPB
	if float64(n) < ct+1 {
		return
	}
	i := int64(ct)
	f := ct - float64(i)
	v := r.hist[i%histLen]*(1-f) + r.hist[(i+1)%histLen]*f
	switch {
	case r.bitK == 0:
		if v < 0 { // not a start bit after all
			r.inByte = false
			return
		}
	case r.bitK <= 8:
		r.shift >>= 1
		if v < 0 {
			r.shift |= 0x80
		}
	default:
		r.inByte = false
		if v >= 0 {
			if r.inMsg {
				r.fail(errRxFraming)
			}
			return
		}
		r.markRun = int(float64(n) - ct) // the stop bit is mark already
		r.markSum, r.markSq = -0.3*float64(r.markRun), 0.09*float64(r.markRun)
		r.markIn, r.markAll = float64(r.markRun), float64(r.markRun)
		r.byteIn(r.shift)
		return
	}
	r.bitK++
}

// preamble reports whether the mark run that ends at a start edge can be
// the preamble of a message: long enough, and a steady tone at the mark
// frequency of one of the modems (speech and DTMF wander).
func (r *Receiver) preamble() bool {
	if float64(r.markRun) < minPreamble*nominalSPB {
		return false
	}
	n := float64(r.markRun)
	mean := r.markSum / n
	sd := math.Sqrt(max(r.markSq/n-mean*mean, 0))
	return mean > preMin && mean < preMax && sd < preSD && r.markIn > preShare*r.markAll
}

// fail reports a broken message, if enough of it arrived to be sure it
// was one: its type and length.
func (r *Receiver) fail(err error) {
	if r.nmsg >= 2 {
		r.emit(EventError, r.msgAt, r.msg[:r.nmsg], err)
	}
	r.inMsg = false
}

// rxType reports whether a message of type b is worth receiving: the
// caller-ID and message-waiting types, and the other MDMF types 0x80-0x8F
// of GR-30 and EN 300 659-3 (charge, short messages ...).
func rxType(b byte) bool {
	return b == byte(SDMF) || b == byte(SDMFWaiting) || b&0xF0 == 0x80
}

// byteIn takes one character.
func (r *Receiver) byteIn(b byte) {
	r.sinceSt = 0
	if !r.inMsg {
		if !r.preOK || !rxType(b) {
			return // seizure, noise, or a type no caller ID uses
		}
		r.inMsg = true
		r.nmsg = 0
		r.msgAt = int64(r.edge)
		r.msgPow = r.demod.power
	}
	r.msg[r.nmsg] = b
	r.nmsg++
	if r.nmsg < 3 || r.nmsg < int(r.msg[1])+3 {
		return
	}
	r.inMsg = false
	m := r.msg[:r.nmsg]
	if Checksum(m[:len(m)-1]) != m[len(m)-1] {
		r.emit(EventError, r.msgAt, m, errRxChecksum)
		return
	}
	r.emit(EventMessage, r.msgAt, m, nil)
}

// alert runs one sample through the alerting-signal detector.
func (r *Receiver) alert(x float64) {
	r.ga.Push(x)
	r.gb.Push(x)
	r.energy += x * x
	r.blkN++
	if r.blkN < alertBlock {
		return
	}
	pa, pb := r.ga.Power(), r.gb.Power()
	total := r.energy / alertBlock
	r.ga.Reset()
	r.gb.Reset()
	r.energy, r.blkN = 0, 0
	ok := pa > r.alertThr && pb > r.alertThr && pa+pb > 0.6*total && pa < 10*pb && pb < 10*pa
	if !ok {
		r.alertRun, r.alertOn = 0, false
		return
	}
	r.alertRun++
	if r.alertRun >= alertBlocks && !r.alertOn {
		r.alertOn = true
		r.emit(EventAlert, r.n-int64(alertBlocks*alertBlock), nil, nil)
	}
}
