package callerid

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/testrig/signal"
)

const ms = 8 // samples per millisecond

// cueLog renders a transmission frame by frame and notes each cue with the
// sample index of the frame it came with. Call waiting is acknowledged
// with 'D' 120 ms after the generator starts waiting.
func cueLog(t *testing.T, tx Transmission) ([]int16, []string) {
	t.Helper()
	var g Generator
	if err := g.Start(&tx); err != nil {
		t.Fatal(err)
	}
	var out []int16
	var cues []string
	var f [80]int16
	for g.Active() {
		if len(out) > 30*8000 {
			t.Fatal("does not end")
		}
		if g.Waiting() && len(out) >= 120*ms+int(CASLen.Milliseconds())*ms {
			if !g.Ack('D') {
				t.Fatal("Ack refused")
			}
		}
		c := g.Generate(f[:])
		for b := Cue(1); b <= CueRingOff; b <<= 1 {
			if c&b != 0 {
				cues = append(cues, fmt.Sprintf("%s@%d", cueName[b], len(out)))
			}
		}
		out = append(out, f[:]...)
	}
	return out, cues
}

var cueName = map[Cue]string{CueReverse: "reverse", CueRestore: "restore", CueRingOn: "ring-on", CueRingOff: "ring-off"}

// TestTimeline checks where each part of each transmission lies: cues,
// alerting tones (frequency, level, length), the FSK's seizure, marks and
// level, and the total length against Duration.
func TestTimeline(t *testing.T) {
	raw, err := sample[5].msg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	msgBits := 10*len(raw) + PostMarks
	tests := []struct {
		name   string
		tx     Transmission
		cues   string
		tone   [2]int // alerting tone from..to, ms
		fsk    int    // FSK start, ms
		marks  int    // bits
		seize  int    // bits
		length int    // total, samples (approximately, ±1 frame)
	}{
		{"on-hook", OnHook(Bell202, raw), "", [2]int{}, 0, 180, 300, 0},
		{"dtas", PriorToRing(V23, AlertDTAS, raw), "reverse@0 restore@", [2]int{200, 300}, 400, 180, 300, 250},
		{"rpas", PriorToRing(V23, AlertRPAS, raw), "ring-on@0 ring-off@1920" /* reported with the frame it ends */, [2]int{}, 850, 180, 300, 250},
		{"cas", CallWaiting(Bell202, raw), "", [2]int{0, 80}, 80 + 120 + 100, 80, 0, 0},
	}
	for _, tt := range tests {
		x, cues := cueLog(t, tt.tx)
		got := strings.Join(cues, " ")
		if !strings.HasPrefix(got, tt.cues) || (tt.cues == "") != (got == "") {
			t.Errorf("%s: cues %q, want %q...", tt.name, got, tt.cues)
		}
		if tt.tone[1] > 0 {
			seg := x[(tt.tone[0]+5)*ms : (tt.tone[1]-5)*ms]
			for _, f := range []float64{2130, 2750} {
				if l := signal.LevelAt(seg, f); math.Abs(l-DefaultLevel) > 0.5 {
					t.Errorf("%s: %v Hz at %.1f dBm0, want %v", tt.name, f, l, DefaultLevel)
				}
			}
			if l := dsp.RMSToDBm0(dsp.RMS(x[(tt.tone[1]+2)*ms : (tt.tone[1]+40)*ms])); l > -90 {
				t.Errorf("%s: %.1f dBm0 after the alerting tone, want silence", tt.name, l)
			}
			if tt.tone[0] > 10 {
				if l := dsp.RMSToDBm0(dsp.RMS(x[(tt.tone[0]-10)*ms : (tt.tone[0]-1)*ms])); l > -90 {
					t.Errorf("%s: %.1f dBm0 before the alerting tone, want silence", tt.name, l)
				}
			}
		}
		// The FSK starts exactly where planned (the first sample that is
		// not silence) ...
		start := 0
		for start < len(x) && x[start] == 0 {
			start++
		}
		if tt.tone[1] > 0 {
			start = tt.fsk * ms
			for start < len(x) && x[start] == 0 {
				start++
			}
		}
		if d := start - tt.fsk*ms; d < 0 || d > 1 {
			t.Errorf("%s: FSK starts at sample %d, want %d", tt.name, start, tt.fsk*ms)
		}
		spb := 8000.0 / 1200
		modem := tt.tx.Modem
		// ... with the seizure at the nominal level (its spectrum, a
		// 600 Hz alternation, has lines at 1100, 1700 and 2300 Hz) ...
		if tt.seize > 0 {
			seg := x[start : start+int(float64(tt.seize)*spb)]
			if l := dsp.RMSToDBm0(dsp.RMS(seg)); math.Abs(l-DefaultLevel) > 0.2 {
				t.Errorf("%s: seizure at %.1f dBm0", tt.name, l)
			}
			if f, _ := signal.Dominant(seg); math.Abs(f-1700) > 5 && math.Abs(f-1100) > 5 && math.Abs(f-2300) > 5 {
				t.Errorf("%s: seizure's strongest component at %.1f Hz", tt.name, f)
			}
		}
		// ... then marks at the nominal level ...
		from := start + int(float64(tt.seize)*spb) + 8
		seg := x[from : from+int(float64(tt.marks-2)*spb)]
		if f, l := signal.Dominant(seg); math.Abs(f-modem.Mark()) > 3 || math.Abs(l-DefaultLevel) > 0.3 {
			t.Errorf("%s: marks at %.1f Hz %.1f dBm0, want %v Hz %v dBm0", tt.name, f, l, modem.Mark(), DefaultLevel)
		}
		// ... and the whole lasts what Duration says.
		end := start + int(math.Round(float64(tt.seize+tt.marks+msgBits)*spb))
		want := end + tt.length*ms
		if d := len(x) - want; d < 0 || d >= 80 {
			t.Errorf("%s: %d samples, want %d (+ at most one frame)", tt.name, len(x), want)
		}
		if d := int(tt.tx.Duration().Seconds()*8000) - (want - (func() int {
			if tt.name == "cas" {
				return 120 * ms
			}
			return 0
		})()); d < -1 || d > 1 {
			t.Errorf("%s: Duration %v, rendered %d samples", tt.name, tt.tx.Duration(), want)
		}
	}
}

// TestDTMFTransmission checks DTMF caller ID: the reversal, the digits'
// timing and the quiet before the first ring.
func TestDTMFTransmission(t *testing.T) {
	tx := DTMFCallerID("A123C", true)
	x, cues := cueLog(t, tx)
	if got := strings.Join(cues, " "); !strings.HasPrefix(got, "reverse@0 restore@") {
		t.Errorf("cues %q", got)
	}
	ps := signal.Cadence(x, []float64{697, 1633}, -30)
	// First digit 'A' (697+1633): on after the reversal lead, for DigitOn.
	if len(ps) < 2 || ps[0].On || ps[0].Dur != ReversalLead || !ps[1].On || ps[1].Dur != DigitOn {
		t.Errorf("cadence of A: %v", ps)
	}
	want := ReversalLead + 5*(DigitOn+DigitOff) + RingLead
	if got := time.Duration(len(x)) * time.Second / 8000; got < want || got >= want+10*time.Millisecond || tx.Duration() != want {
		t.Errorf("length %v, Duration %v, want %v", got, tx.Duration(), want)
	}
}

// TestNoAck: without an acknowledgement the data is never sent and Err
// says why; a wrong digit is no acknowledgement.
func TestNoAck(t *testing.T) {
	raw, _ := sample[0].msg.MarshalBinary()
	tx := CallWaiting(Bell202, raw)
	var g Generator
	if err := g.Start(&tx); err != nil {
		t.Fatal(err)
	}
	if g.Ack('5') || !g.Waiting() {
		t.Fatal("digit 5 taken as acknowledgement")
	}
	var f [80]int16
	n := 0
	for g.Active() {
		g.Generate(f[:])
		if n += 80; n > 8000 {
			t.Fatal("does not give up")
		}
		if n > int(CASLen.Milliseconds()+1)*ms && dsp.RMS(f[:]) != 0 {
			t.Fatalf("sound at %d ms without acknowledgement", n/ms)
		}
	}
	if want := (CASLen + AckTimeout).Milliseconds() * ms; int64(n) < want || int64(n) >= want+80 {
		t.Errorf("gave up after %d samples, want %d", n, want)
	}
	if !errors.Is(g.Err(), errNoAck) || g.Waiting() || g.Ack('D') {
		t.Errorf("Err %v, Waiting %v after the time-out", g.Err(), g.Waiting())
	}
	// 'A' (ADSI telephones) is an acknowledgement too.
	if err := g.Start(&tx); err != nil {
		t.Fatal(err)
	}
	if !g.Ack('A') || g.Err() != nil {
		t.Error("'A' refused")
	}
	g.Stop()
	if g.Active() || g.Generate(f[:]) != 0 || dsp.RMS(f[:]) != 0 {
		t.Error("Stop left the generator going")
	}
}

// TestTransmissionErrors checks Validate.
func TestTransmissionErrors(t *testing.T) {
	raw, _ := sample[0].msg.MarshalBinary()
	ok := OnHook(Bell202, raw)
	tests := []struct {
		name string
		edit func(*Transmission)
		text string
	}{
		{"nothing", func(t *Transmission) { t.Message = nil }, "exactly one"},
		{"both", func(t *Transmission) { t.Digits = "A1C" }, "exactly one"},
		{"long", func(t *Transmission) { t.Message = make([]byte, MaxMessage+1) }, "at most 258"},
		{"modem", func(t *Transmission) { t.Modem = 2 }, "modem 2"},
		{"alert", func(t *Transmission) { t.Alert = 9 }, "alert 9"},
		{"loud", func(t *Transmission) { t.Level = 0 }, "level 0.0"},
		{"quiet", func(t *Transmission) { t.Level = -50 }, "level -50.0"},
		{"baud", func(t *Transmission) { t.Baud = 0 }, "baud rate 0.0"},
		{"marks", func(t *Transmission) { t.Marks = -1 }, "marks -1"},
		{"digit", func(t *Transmission) { t.Message, t.Digits = nil, "A1XC" }, "'X'"},
		{"dtmf-cas", func(t *Transmission) { t.Message, t.Digits, t.Alert = nil, "A1C", AlertCAS }, "call waiting"},
	}
	for _, tt := range tests {
		tx := ok
		tt.edit(&tx)
		var g Generator
		err := g.Start(&tx)
		if err == nil || !strings.HasPrefix(err.Error(), "callerid: ") || !strings.Contains(err.Error(), tt.text) || g.Active() {
			t.Errorf("%s: %v (active %v), want an error mentioning %q", tt.name, err, g.Active(), tt.text)
		}
		if tx.Duration() != 0 {
			t.Errorf("%s: Duration %v of an invalid transmission", tt.name, tx.Duration())
		}
	}
}

// TestGeneratorAllocs: neither starting nor rendering allocates.
func TestGeneratorAllocs(t *testing.T) {
	raw, _ := sample[5].msg.MarshalBinary()
	txs := []Transmission{CallWaiting(V23, raw), PriorToRing(Bell202, AlertDTAS, raw), DTMFCallerID("A12345C", true)}
	var g Generator
	var f [80]int16
	for _, tx := range txs {
		if a := testing.AllocsPerRun(20, func() {
			if err := g.Start(&tx); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%v: Start allocates %v times", tx.Alert, a)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if g.Waiting() {
				g.Ack('D')
			}
			g.Generate(f[:])
		})
		if allocs != 0 {
			t.Errorf("%v: %v allocations per frame", tx.Alert, allocs)
		}
	}
}

// TestGolden renders one transmission of each kind and compares a digest
// of the audio, the cues and what our receiver made of it with
// testdata/transmissions.golden.
func TestGolden(t *testing.T) {
	mdmf, _ := sample[5].msg.MarshalBinary()
	sdmf, _ := sample[0].msg.MarshalBinary()
	mwi, _ := sample[9].msg.MarshalBinary()
	dt, _ := (&Message{Number: "0312345678"}).DTMF(DTMFFormatA)
	tests := []struct {
		name string
		tx   Transmission
	}{
		{"bell202-onhook-sdmf", OnHook(Bell202, sdmf)},
		{"bell202-onhook-mdmf", OnHook(Bell202, mdmf)},
		{"v23-dtas-mdmf", PriorToRing(V23, AlertDTAS, mdmf)},
		{"v23-rpas-mdmf", PriorToRing(V23, AlertRPAS, mdmf)},
		{"bell202-cas-mdmf", CallWaiting(Bell202, mdmf)},
		{"v23-onhook-mwi", OnHook(V23, mwi)},
		{"dtmf-reversal", DTMFCallerID(dt, true)},
	}
	var out strings.Builder
	for _, tt := range tests {
		x, cues := cueLog(t, tt.tx)
		b := make([]byte, 2*len(x))
		for i, v := range x {
			b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
		}
		fmt.Fprintf(&out, "%s: %d samples, sha256 %x, cues [%s]\n", tt.name, len(x), sha256.Sum256(b), strings.Join(cues, " "))
		for _, e := range receive(x, 80) {
			fmt.Fprintf(&out, "  %v at %d: %q %v\n", e.Kind, e.At, e.Raw, e.Err)
		}
	}
	golden(t, "transmissions.golden", out.String())
}
