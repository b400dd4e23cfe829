package tone

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

var errUnknownCountry = errors.New("unknown country")

const ms = time.Millisecond

// c is shorthand for a list of components at one level.
func c(level float64, freqs ...float64) []Component {
	t := make([]Component, len(freqs))
	for i, f := range freqs {
		t[i] = Component{Freq: f, Level: level}
	}
	return t
}

// steady is a continuous tone.
func steady(name string, tones []Component) Spec {
	return Spec{Name: name, Segments: []Segment{{Tones: tones}}}
}

// cadenced alternates tones and silence: on, off, on, off ... repeated.
func cadenced(name string, tones []Component, pattern ...time.Duration) Spec {
	s := Spec{Name: name, Repeat: true}
	for i, d := range pattern {
		sg := Segment{Dur: d}
		if i%2 == 0 {
			sg.Tones = tones
		}
		s.Segments = append(s.Segments, sg)
	}
	return s
}

// plans builds each country's plan afresh, so that callers own what Lookup
// returns.
var plans = map[string]func() *Plan{
	"CN": china,
	"US": unitedStates,
	"GB": unitedKingdom,
	"DE": germany,
}

// Lookup returns the tone plan of a country given as an ISO 3166 alpha-2
// code, in any case ("CN", "us"). The plan is a new copy each time.
func Lookup(country string) (*Plan, error) {
	mk, ok := plans[strings.ToUpper(strings.TrimSpace(country))]
	if !ok {
		return nil, fmt.Errorf("tone: no tone plan for country %q (have %s): %w",
			country, strings.Join(Countries(), ", "), errUnknownCountry)
	}
	return mk(), nil
}

// Countries returns the codes Lookup knows, sorted.
func Countries() []string {
	cs := make([]string, 0, len(plans))
	for k := range plans {
		cs = append(cs, k)
	}
	slices.Sort(cs)
	return cs
}

// china follows GB/T 3380-1982 ("Ringing current and tones of the automatic
// telephone exchange network") as listed for China in ITU-T E.180
// Supplement 2: all tones at 450 Hz ±25 Hz and -10 dBm0 ±3 dB except the
// howler (950 Hz, rising in level); ringing current 25 Hz, 1 s on, 4 s off.
func china() *Plan {
	t := c(-10, 450)
	return &Plan{
		Country:    "CN",
		Name:       "China",
		Dial:       steady("dial", t),
		Ringback:   cadenced("ringback", t, 1000*ms, 4000*ms),
		Busy:       cadenced("busy", t, 350*ms, 350*ms),
		Congestion: cadenced("congestion", t, 700*ms, 700*ms),
		// 空号音: three short bursts then a long one.
		Unobtainable: cadenced("unobtainable", t,
			100*ms, 100*ms, 100*ms, 100*ms, 100*ms, 100*ms, 400*ms, 400*ms),
		// 催挂音: 950 Hz, continuous, stepping up in loudness (five steps in
		// the standard); here a smooth rise from -20 dBm0 to 0 dBm0 in 5 s.
		Howler: Spec{Name: "howler", Segments: []Segment{{Tones: c(-20, 950)}}, RampDB: 4},
		// 呼叫等待音: a faint 450 Hz burst, 0.4 s every 4.4 s.
		CallWaiting: cadenced("call waiting", c(-20, 450), 400*ms, 4000*ms),
		// 特种拨号音 (special dial tone): 450 Hz, 0.4 s on, 0.04 s off.
		StutterDial: cadenced("stutter dial", t, 400*ms, 40*ms),
		Ring:        Ring{Freq: 25, Pattern: []time.Duration{1000 * ms, 4000 * ms}},
	}
}

// unitedStates follows the North American precise audible tone plan (ITU-T
// E.300-series Supplement 3, ANSI T1.401, Telcordia GR-506): dial 350+440 Hz
// at -13 dBm0 per tone, audible ringing 440+480 Hz at -19 dBm0, busy and
// reorder 480+620 Hz at -24 dBm0, receiver-off-hook 1400+2060+2450+2600 Hz
// 0.1 s on/off; ringing 20 Hz, 2 s on, 4 s off.
func unitedStates() *Plan {
	dial := c(-13, 350, 440)
	low := c(-24, 480, 620)
	reorder := cadenced("unobtainable", low, 250*ms, 250*ms)
	// Vacant-code special information tone (985.2 Hz long, 1370.6 Hz short,
	// 1776.7 Hz long at -24 dBm0), where an announcement would follow; then
	// reorder.
	sit := []Segment{
		{Dur: 380 * ms, Tones: c(-24, 985.2)},
		{Dur: 274 * ms, Tones: c(-24, 1370.6)},
		{Dur: 380 * ms, Tones: c(-24, 1776.7)},
		{Dur: 1000 * ms},
	}
	unob := Spec{Name: "unobtainable", Repeat: true, RepeatFrom: len(sit),
		Segments: append(sit, reorder.Segments...)}
	howler := cadenced("howler", c(-20, 1400, 2060, 2450, 2600), 100*ms, 100*ms)
	howler.RampDB = 2
	// Recall / message-waiting dial tone: ten 0.1 s bursts, then steady.
	stutter := Spec{Name: "stutter dial"}
	for range 10 {
		stutter.Segments = append(stutter.Segments, Segment{Dur: 100 * ms, Tones: dial}, Segment{Dur: 100 * ms})
	}
	stutter.Segments = append(stutter.Segments, Segment{Tones: dial})
	return &Plan{
		Country:      "US",
		Name:         "United States",
		Dial:         steady("dial", dial),
		Ringback:     cadenced("ringback", c(-19, 440, 480), 2000*ms, 4000*ms),
		Busy:         cadenced("busy", low, 500*ms, 500*ms),
		Congestion:   cadenced("congestion", low, 250*ms, 250*ms),
		Unobtainable: unob,
		Howler:       howler,
		// Call waiting: one 0.3 s burst of 440 Hz, again every 10 s.
		CallWaiting: cadenced("call waiting", c(-13, 440), 300*ms, 9700*ms),
		StutterDial: stutter,
		Ring:        Ring{Freq: 20, Pattern: []time.Duration{2000 * ms, 4000 * ms}},
	}
}

// unitedKingdom follows BT SIN 350 (and the UK entry of ITU-T E.180
// Supplement 2): dial tone 350+440 Hz continuous (BT's "proceed
// indication"; SIN 350 lists 440 Hz, not 450 Hz), ringing tone 400+450 Hz
// 0.4/0.2/0.4/2.0 s, busy 400 Hz 0.375/0.375 s, path engaged (congestion)
// 400 Hz 0.4 s, 0.35 s off, 0.225 s 6 dB louder, 0.525 s off, number
// unobtainable 400 Hz continuous; ringing current 25 Hz with the same
// double cadence as the ringing tone. Levels: SIN 350 allows 0 to -27 dBm
// at the network interface; we send -20 dBm0 per tone.
func unitedKingdom() *Plan {
	t := c(-20, 400)
	double := []time.Duration{400 * ms, 200 * ms, 400 * ms, 2000 * ms}
	// Howler: BT's off-hook warning warbles and grows louder; here the two
	// tone pairs alternate every 0.25 s, rising 3 dB per second.
	howler := Spec{Name: "howler", Repeat: true, RampDB: 3, Segments: []Segment{
		{Dur: 250 * ms, Tones: c(-20, 941, 1209)},
		{Dur: 250 * ms, Tones: c(-20, 941, 1477)},
	}}
	// Special proceed indication: 350 Hz interrupted 0.75 s on/off over
	// a steady 440 Hz (440 Hz first in both segments so its phase runs on).
	stutter := Spec{Name: "stutter dial", Repeat: true, Segments: []Segment{
		{Dur: 750 * ms, Tones: []Component{{Freq: 440, Level: -20}, {Freq: 350, Level: -20}}},
		{Dur: 750 * ms, Tones: []Component{{Freq: 440, Level: -20}}},
	}}
	return &Plan{
		Country:  "GB",
		Name:     "United Kingdom",
		Dial:     steady("dial", c(-20, 350, 440)),
		Ringback: cadenced("ringback", c(-20, 400, 450), double...),
		Busy:     cadenced("busy", t, 375*ms, 375*ms),
		Congestion: Spec{Name: "congestion", Repeat: true, Segments: []Segment{
			{Dur: 400 * ms, Tones: t},
			{Dur: 350 * ms},
			{Dur: 225 * ms, Tones: c(-14, 400)},
			{Dur: 525 * ms},
		}},
		Unobtainable: steady("unobtainable", t),
		Howler:       howler,
		// Call waiting: 400 Hz, 0.1 s every 3.1 s.
		CallWaiting: cadenced("call waiting", t, 100*ms, 3000*ms),
		StutterDial: stutter,
		Ring:        Ring{Freq: 25, Pattern: double},
	}
}

// germany follows Deutsche Telekom 1 TR 110-1 chapter 8 (and the German
// entry of ITU-T E.180 Supplement 2): all tones 425 Hz; dial continuous,
// Freiton (ringback) 1 s on, 4 s off, Teilnehmerbesetztton (busy)
// 0.48/0.48 s, Gassenbesetztton (congestion) 0.24/0.24 s, Hinweiston
// (unobtainable) 950/1400/1800 Hz 0.33 s each then 1 s off, Anklopfton
// (call waiting) 0.2/0.2/0.2 s with 1 s off the first time and 5 s after,
// Sonderwählton 425+400 Hz continuous; ringing current 25 Hz 1 s on, 4 s
// off. 1 TR 110-1 gives frequencies and timing; the level, -10 dBm0, is
// ours.
func germany() *Plan {
	t := c(-10, 425)
	cw := Spec{Name: "call waiting", Repeat: true, RepeatFrom: 4, Segments: []Segment{
		{Dur: 200 * ms, Tones: t}, {Dur: 200 * ms}, {Dur: 200 * ms, Tones: t}, {Dur: 1000 * ms},
		{Dur: 200 * ms, Tones: t}, {Dur: 200 * ms}, {Dur: 200 * ms, Tones: t}, {Dur: 5000 * ms},
	}}
	// 1 TR 110-1 has no howler; after the off-hook timeout we send busy
	// tone that grows louder, 3 dB per second up to 0 dBm0.
	howler := cadenced("howler", t, 480*ms, 480*ms)
	howler.RampDB = 3
	return &Plan{
		Country:    "DE",
		Name:       "Germany",
		Dial:       steady("dial", t),
		Ringback:   cadenced("ringback", t, 1000*ms, 4000*ms),
		Busy:       cadenced("busy", t, 480*ms, 480*ms),
		Congestion: cadenced("congestion", t, 240*ms, 240*ms),
		Unobtainable: Spec{Name: "unobtainable", Repeat: true, Segments: []Segment{
			{Dur: 330 * ms, Tones: c(-10, 950)},
			{Dur: 330 * ms, Tones: c(-10, 1400)},
			{Dur: 330 * ms, Tones: c(-10, 1800)},
			{Dur: 1000 * ms},
		}},
		Howler:      howler,
		CallWaiting: cw,
		StutterDial: steady("stutter dial", c(-10, 425, 400)),
		Ring:        Ring{Freq: 25, Pattern: []time.Duration{1000 * ms, 4000 * ms}},
	}
}

// Specs returns the plan's tones in a fixed order, for iteration.
func (p *Plan) Specs() []*Spec {
	return []*Spec{&p.Dial, &p.Ringback, &p.Busy, &p.Congestion, &p.Unobtainable,
		&p.Howler, &p.CallWaiting, &p.StutterDial}
}
