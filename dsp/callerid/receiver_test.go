package callerid

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/dtmf"
	"github.com/openiad/openiad/testrig/jbtrace"
	"github.com/openiad/openiad/testrig/signal"
)

// wantOne checks that evs is exactly one message event carrying raw.
func wantOne(t *testing.T, name string, evs []collected, kind EventKind, raw string) {
	t.Helper()
	if len(evs) != 1 || evs[0].Kind != kind || evs[0].Raw != raw || evs[0].Err != nil {
		t.Errorf("%s: heard %+v, want one %v %q", name, evs, kind, raw)
	}
}

// TestReceiveEveryKind sends every sample message on both modems with
// every alerting variant and reads it back, in frames of various sizes
// (the receiver must not care how the audio is cut).
func TestReceiveEveryKind(t *testing.T) {
	sizes := []int{80, 1, 37, 160}
	k := 0
	for _, s := range sample {
		raw, err := s.msg.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		for _, modem := range []Modem{Bell202, V23} {
			for _, a := range []Alert{AlertNone, AlertDTAS, AlertRPAS, AlertCAS} {
				tx := PriorToRing(modem, a, raw)
				if a == AlertCAS {
					tx = CallWaiting(modem, raw)
				}
				name := fmt.Sprintf("%s/%v/%v", s.name, modem, a)
				evs := receive(render(t, tx), sizes[k%len(sizes)])
				k++
				if a == AlertDTAS || a == AlertCAS {
					if len(evs) == 0 || evs[0].Kind != EventAlert {
						t.Errorf("%s: no alerting signal heard: %+v", name, evs)
						continue
					}
					evs = evs[1:]
				}
				wantOne(t, name, evs, EventMessage, string(raw))
			}
		}
	}
}

// TestLevelsAndDrift reads a message from -45 to -3 dBm0 at bit rates 2 %
// off (twice what the checks ask).
func TestLevelsAndDrift(t *testing.T) {
	raw, _ := sample[5].msg.MarshalBinary()
	for _, modem := range []Modem{Bell202, V23} {
		for _, lvl := range []float64{-45, -40, -25, -10, -3} {
			for _, baud := range []float64{1176, 1188, 1200, 1212, 1224} {
				tx := OnHook(modem, raw)
				tx.Level, tx.Baud = lvl, baud
				wantOne(t, fmt.Sprintf("%v/%v dBm0/%v baud", modem, lvl, baud), receive(render(t, tx), 80), EventMessage, string(raw))
			}
		}
	}
}

// TestMessageAt: the event's At is the first start bit of the message,
// to within 2 ms.
func TestMessageAt(t *testing.T) {
	raw, _ := sample[0].msg.MarshalBinary()
	tx := OnHook(V23, raw)
	evs := receive(render(t, tx), 80)
	want := int64((300 + 180) * 8000 / 1200) // seizure and marks
	if len(evs) != 1 || evs[0].At < want || evs[0].At > want+16 {
		t.Errorf("heard %+v, want the message at sample %d", evs, want)
	}
}

// TestNoise reads 40 messages on each modem in white noise 12 dB below the
// signal (over the whole 4 kHz band) without loss, and at 8 dB at least 90 %.
func TestNoise(t *testing.T) {
	raw, _ := sample[5].msg.MarshalBinary()
	rng := rand.New(rand.NewPCG(4, 5))
	for _, modem := range []Modem{Bell202, V23} {
		for _, c := range []struct{ snr, min float64 }{{12, 1}, {8, 0.9}} {
			ok := 0
			const n = 40
			for range n {
				tx := OnHook(modem, raw)
				tx.Level = -20
				x := render(t, tx)
				sd := dsp.DBm0ToRMS(tx.Level - c.snr)
				for i := range x {
					x[i] = dsp.SatF16(float64(x[i]) + rng.NormFloat64()*sd)
				}
				for _, e := range receive(x, 80) {
					if e.Kind == EventMessage && e.Raw == string(raw) {
						ok++
					}
				}
			}
			t.Logf("%v at %v dB SNR: %d of %d", modem, c.snr, ok, n)
			if float64(ok) < c.min*n {
				t.Errorf("%v at %v dB SNR: %d of %d messages, want at least %.0f%%", modem, c.snr, ok, n, 100*c.min)
			}
		}
	}
}

// fskBits renders bits with the modulator at -13.5 dBm0, 1200 baud, then
// 200 ms of silence.
func fskBits(modem Modem, bits []byte) []int16 {
	var m modulator
	m.start(modem, DefaultLevel, Baud)
	x := make([]int16, int(float64(len(bits))*8000/1200)+2)
	i := 0
	n, _ := m.render(x, func() (byte, bool) {
		if i == len(bits) {
			return 1, false
		}
		i++
		return bits[i-1], true
	})
	return append(x[:n], make([]int16, 1600)...)
}

// frame appends the UART frames of bs, each with the given stop bit.
func frame(bits []byte, stop byte, bs ...byte) []byte {
	for _, b := range bs {
		bits = append(bits, 0)
		for k := range 8 {
			bits = append(bits, (b>>k)&1)
		}
		bits = append(bits, stop)
	}
	return bits
}

func marks(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 1
	}
	return b
}

// TestReceiveErrors: broken transmissions are reported with what arrived
// and an error that says what broke.
func TestReceiveErrors(t *testing.T) {
	raw, _ := sample[5].msg.MarshalBinary()
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1] ^= 0x55
	tests := []struct {
		name string
		bits []byte
		err  error
		raw  string
	}{
		{"checksum", frame(marks(100), 1, bad...), errRxChecksum, string(bad)},
		{"carrier", frame(marks(100), 1, raw[:10]...), errRxCarrier, string(raw[:10])},
		{"gap", append(frame(marks(100), 1, raw[:7]...), marks(40)...), errRxGap, string(raw[:7])},
		{"framing", frame(frame(marks(100), 1, raw[:5]...), 0, raw[5]), errRxFraming, string(raw[:5])},
	}
	for _, tt := range tests {
		evs := receive(fskBits(Bell202, tt.bits), 80)
		if len(evs) != 1 || evs[0].Kind != EventError || !errors.Is(evs[0].Err, tt.err) || evs[0].Raw != tt.raw {
			t.Errorf("%s: heard %+v, want %v with % x", tt.name, evs, tt.err, tt.raw)
			continue
		}
		e := Event{Kind: evs[0].Kind, Err: evs[0].Err}
		if _, err := e.Message(); !errors.Is(err, tt.err) {
			t.Errorf("%s: Message() error %v", tt.name, err)
		}
	}
	// Too short a preamble: not a message, and no error either.
	if evs := receive(fskBits(V23, frame(marks(20), 1, raw...)), 80); len(evs) != 0 {
		t.Errorf("20-bit preamble: heard %+v", evs)
	}
	// A lone type byte is not worth an error.
	if evs := receive(fskBits(V23, frame(marks(100), 1, raw[0])), 80); len(evs) != 0 {
		t.Errorf("type byte alone: heard %+v", evs)
	}
}

// dtmfAudio renders DTMF digits (70 ms on and off, -10 dBm0) and then
// quiet.
func dtmfAudio(t *testing.T, digits string, quiet time.Duration) []int16 {
	var g dtmf.Generator
	if err := g.Start(digits, DigitOn, DigitOff, DefaultDTMFLevel); err != nil {
		t.Fatal(err)
	}
	var x []int16
	var f [80]int16
	for g.Active() {
		g.Generate(f[:])
		x = append(x, f[:]...)
	}
	return append(x, make([]int16, dsp.Samples(quiet))...)
}

// TestReceiveDTMF reads DTMF caller ID and its failures.
func TestReceiveDTMF(t *testing.T) {
	wantOne(t, "A...C", receive(dtmfAudio(t, "A0312345678C", 0), 80), EventDTMF, "A0312345678C")
	wantOne(t, "D...C", receive(dtmfAudio(t, "D0223456789C", 0), 37), EventDTMF, "D0223456789C")
	wantOne(t, "A...#", receive(dtmfAudio(t, "A123#", 0), 80), EventDTMF, "A123#")
	wantOne(t, "B10C", receive(dtmfAudio(t, "B10C", 0), 80), EventDTMF, "B10C")
	// Digits before a start code are ignored.
	wantOne(t, "noise first", receive(dtmfAudio(t, "12A5C", 0), 80), EventDTMF, "A5C")
	// A lone 'D' (a call-waiting acknowledgement, say) is nothing.
	if evs := receive(dtmfAudio(t, "D", 1500*time.Millisecond), 80); len(evs) != 0 {
		t.Errorf("lone D: %+v", evs)
	}
	evs := receive(dtmfAudio(t, "A123", 1500*time.Millisecond), 80)
	if len(evs) != 1 || !errors.Is(evs[0].Err, errRxDTMFEnd) || evs[0].Raw != "A123" {
		t.Errorf("unfinished: %+v", evs)
	}
	long := "A"
	for range maxDigits {
		long += "5"
	}
	evs = receive(dtmfAudio(t, long, 0), 80)
	if len(evs) != 1 || !errors.Is(evs[0].Err, errRxDTMFLong) {
		t.Errorf("too long: %+v", evs)
	}
}

// TestAlerts: DT-AS and CAS are reported once each, 2130 Hz alone or DTMF
// or FSK never.
func TestAlerts(t *testing.T) {
	tone := func(ms int, freqs ...float64) []int16 {
		x := make([]int16, ms*8)
		for _, f := range freqs {
			y := make([]int16, len(x))
			var ph float64
			signal.Sine(y, f, -20, &ph)
			dsp.MixInto(x, y)
		}
		return append(x, make([]int16, 800)...)
	}
	for _, c := range []struct {
		name string
		x    []int16
		want int
	}{
		{"dt-as", tone(100, 2130, 2750), 1},
		{"cas", tone(80, 2130, 2750), 1},
		{"too short", tone(30, 2130, 2750), 0},
		{"2130 alone", tone(200, 2130), 0},
		{"2750 alone", tone(200, 2750), 0},
		{"dtmf", dtmfAudio(t, "0123456789*#ABCD", 0), 0},
		{"fsk", render(t, OnHook(V23, []byte{0x82, 0x03, 0x0b, 0x01, 0xff, 0x70})), 0},
	} {
		n := 0
		for _, e := range receive(c.x, 80) {
			if e.Kind == EventAlert {
				n++
			}
		}
		if n != c.want {
			t.Errorf("%s: %d alerts, want %d", c.name, n, c.want)
		}
	}
}

// TestQuietOnSpeech: two minutes of synthetic speech (formant synthesis,
// with pauses and background noise) give no event at all.
func TestQuietOnSpeech(t *testing.T) {
	x := jbtrace.Voiced(120*8000, 7)
	if evs := receive(x, 80); len(evs) != 0 {
		t.Errorf("speech gave %d events, first %+v", len(evs), evs[0])
	}
}

// TestReceiverAllocs: the receiver never allocates, whatever it hears.
func TestReceiverAllocs(t *testing.T) {
	raw, _ := sample[5].msg.MarshalBinary()
	x := append(render(t, CallWaiting(Bell202, raw)), dtmfAudio(t, "A123C", 0)...)
	r := NewReceiver()
	i, events := 0, 0
	allocs := testing.AllocsPerRun(len(x)/80-1, func() {
		events += len(r.Process(x[i : i+80]))
		i += 80
	})
	if allocs != 0 || events < 3 {
		t.Errorf("%v allocations per frame (%d events)", allocs, events)
	}
}
