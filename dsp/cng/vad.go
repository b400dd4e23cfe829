package cng

import (
	"math"

	"github.com/openiad/openiad/dsp"
)

// VAD is an energy voice-activity detector with an adaptive noise floor and
// a hangover. A frame is active when its level stands VAD.Margin dB above
// the floor (and above VAD.Min); activity lasts VAD.Hangover frames past the
// last loud frame so word endings are not clipped. The floor follows quiet
// frames quickly and creeps up slowly (faster while inactive), so a
// steady background is learnt within seconds while speech pauses keep
// pulling it back down.
//
// The zero value is ready with the defaults below.
type VAD struct {
	Margin   float64 // dB above the floor for activity (0: 9 dB)
	Min      float64 // dBm0 a frame must exceed to be active (0: -55 dBm0)
	Hangover int     // frames of activity after the last loud frame (0: 20, that is 200 ms)

	init   bool
	floor  float64 // dBm0
	hang   int
	active bool
}

const (
	floorFall       = 0.3  // share of the distance per frame when the level is below the floor
	floorRiseActive = 0.01 // dB per frame while active
	floorRiseQuiet  = 0.1  // dB per frame while inactive
	levelFloor      = -100 // dBm0 given to digital silence
)

// Reset forgets the floor and the hangover.
func (v *VAD) Reset() {
	m, mi, h := v.Margin, v.Min, v.Hangover
	*v = VAD{Margin: m, Min: mi, Hangover: h}
}

// Floor returns the current noise-floor estimate in dBm0.
func (v *VAD) Floor() float64 { return v.floor }

// Active returns the last decision.
func (v *VAD) Active() bool { return v.active }

// FrameLevel returns the level of a frame in dBm0, at least -100.
func FrameLevel(frame []int16) float64 {
	rms := dsp.RMS(frame)
	if rms <= 0 {
		return levelFloor
	}
	return max(levelFloor, dsp.RMSToDBm0(rms))
}

// Process classifies one frame and returns true when it holds speech (or
// any signal standing out of the background).
func (v *VAD) Process(frame []int16) bool {
	margin, minLevel, hangover := v.Margin, v.Min, v.Hangover
	if margin == 0 {
		margin = 9
	}
	if minLevel == 0 {
		minLevel = -55
	}
	if hangover == 0 {
		hangover = 20
	}
	e := FrameLevel(frame)
	if !v.init {
		v.init = true
		v.floor = e
	}
	loud := e > v.floor+margin && e > minLevel
	switch {
	case e < v.floor:
		v.floor += floorFall * (e - v.floor)
	case loud || v.hang > 0:
		v.floor += math.Min(e-v.floor, floorRiseActive)
	default:
		v.floor += math.Min(e-v.floor, floorRiseQuiet)
	}
	if loud {
		v.hang = hangover
		v.active = true
	} else if v.hang > 0 {
		v.hang--
		v.active = true
	} else {
		v.active = false
	}
	return v.active
}

// Action is what a sender does with a frame under discontinuous
// transmission.
type Action uint8

const (
	Speech Action = iota // send the frame as audio
	SID                  // send the SID payload written into the caller's buffer (payload type 13)
	Quiet                // send nothing
)

// String names the action.
func (a Action) String() string {
	switch a {
	case Speech:
		return "speech"
	case SID:
		return "sid"
	case Quiet:
		return "quiet"
	}
	return "action?"
}

// Encoder makes the discontinuous-transmission decision of a sender: audio
// while the VAD hears speech, a SID frame when a pause begins and whenever
// the background changes noticeably (level by LevelStep dB or the
// spectrum) or Refresh frames have passed, and nothing in between. The zero
// value is ready.
type Encoder struct {
	VAD      VAD
	Analyzer Analyzer
	Refresh  int // frames between SIDs of an unchanged background (0: 500, that is 5 s)

	silent bool
	since  int
	last   Params
}

// levelStep is the level change, in dB, that triggers a new SID.
const levelStep = 3

// spectralStep is the squared change of the reflection coefficients that
// triggers a new SID.
const spectralStep = 0.05

// Reset restarts the encoder (the VAD and the noise estimate too).
func (e *Encoder) Reset() {
	e.VAD.Reset()
	e.Analyzer.Reset()
	e.silent, e.since, e.last = false, 0, Params{}
}

// Encode classifies one frame. For SID it writes the payload into sid and
// returns its length (sid needs 1+MaxOrder bytes at most; a shorter buffer
// gets a lower-order SID).
func (e *Encoder) Encode(frame []int16, sid []byte) (Action, int) {
	if e.VAD.Process(frame) {
		e.silent = false
		return Speech, 0
	}
	e.Analyzer.Update(frame)
	refresh := e.Refresh
	if refresh <= 0 {
		refresh = 500
	}
	p := e.Analyzer.Params()
	e.since++
	if e.silent && e.since < refresh && !changed(&p, &e.last) {
		return Quiet, 0
	}
	if len(sid) == 0 {
		return Quiet, 0
	}
	p.Order = min(p.Order, len(sid)-1)
	n, err := p.MarshalTo(sid)
	if err != nil {
		return Quiet, 0
	}
	e.silent, e.since, e.last = true, 0, p
	return SID, n
}

// changed reports whether p differs enough from the last SID sent.
func changed(p, last *Params) bool {
	if math.Abs(float64(p.Level)-float64(last.Level)) >= levelStep {
		return true
	}
	var d float64
	for i := range max(p.Order, last.Order) {
		x := p.K[i] - last.K[i]
		d += x * x
	}
	return d > spectralStep
}
