package spandsp_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/dsp/callerid"
	"github.com/openiad/openiad/testrig/spandsp"
)

// messages is every kind of message dsp/callerid generates.
var messages = []struct {
	name string
	msg  callerid.Message
}{
	{"sdmf-number", callerid.Message{Type: callerid.SDMF, Time: callerid.DateTime{Month: 12, Day: 31, Hour: 23, Minute: 59}, Number: "13800138000"}},
	{"sdmf-private", callerid.Message{Type: callerid.SDMF, Time: callerid.DateTime{Month: 1, Day: 2, Hour: 3, Minute: 4}, NumberAbsent: callerid.Private}},
	{"sdmf-unavailable", callerid.Message{Type: callerid.SDMF, Time: callerid.DateTime{Month: 6, Day: 15, Hour: 12, Minute: 0}, NumberAbsent: callerid.Unavailable}},
	{"sdmf-mwi-on", callerid.Message{Type: callerid.SDMFWaiting, Waiting: callerid.IndicatorOn}},
	{"sdmf-mwi-off", callerid.Message{Type: callerid.SDMFWaiting, Waiting: callerid.IndicatorOff}},
	{"mdmf-full", callerid.Message{Type: callerid.MDMF, Time: callerid.DateTime{Month: 3, Day: 14, Hour: 15, Minute: 9}, Number: "4930123456789", Name: "Erika Mustermann"}},
	{"mdmf-private", callerid.Message{Type: callerid.MDMF, Time: callerid.DateTime{Month: 7, Day: 4, Hour: 9, Minute: 30}, NumberAbsent: callerid.Private, NameAbsent: callerid.Private}},
	{"mdmf-unavailable", callerid.Message{Type: callerid.MDMF, Time: callerid.DateTime{Month: 2, Day: 29, Hour: 0, Minute: 1}, NumberAbsent: callerid.Unavailable, NameAbsent: callerid.Unavailable}},
	{"mdmf-number-name-private", callerid.Message{Type: callerid.MDMF, Number: "2025550143", NameAbsent: callerid.Private}},
	{"mdmf-mwi-on", callerid.Message{Type: callerid.MDMFWaiting, Time: callerid.DateTime{Month: 11, Day: 11, Hour: 11, Minute: 11}, Waiting: callerid.IndicatorOn}},
	{"mdmf-mwi-off", callerid.Message{Type: callerid.MDMFWaiting, Waiting: callerid.IndicatorOff}},
}

// dtmfMessages is every kind of DTMF caller ID dsp/callerid generates.
var dtmfMessages = []struct {
	name   string
	msg    callerid.Message
	format callerid.DTMFFormat
}{
	{"dtmf-a", callerid.Message{Type: callerid.DTMFMessage, Number: "0312345678"}, callerid.DTMFFormatA},
	{"dtmf-d", callerid.Message{Type: callerid.DTMFMessage, Number: "0223456789"}, callerid.DTMFFormatD},
	{"dtmf-private", callerid.Message{Type: callerid.DTMFMessage, NumberAbsent: callerid.Private}, callerid.DTMFFormatA},
	{"dtmf-unavailable", callerid.Message{Type: callerid.DTMFMessage, NumberAbsent: callerid.Unavailable}, callerid.DTMFFormatA},
}

var (
	levels = []float64{-25, -15, -5}
	bauds  = []float64{1188, 1200, 1212} // ±1 %
	alerts = []callerid.Alert{callerid.AlertNone, callerid.AlertDTAS, callerid.AlertRPAS, callerid.AlertCAS}
)

// heard is what both receivers made of one transmission.
type heard struct {
	ours   []callerid.Event // copies
	errs   []error
	theirs []spandsp.Message
}

// play renders tx frame by frame into our receiver and spandsp's, followed
// by 300 ms of silence. On call waiting it acknowledges the CAS 100 ms
// after our receiver reports it, as a telephone would.
func play(t *testing.T, tx *callerid.Transmission, std spandsp.Standard) heard {
	t.Helper()
	var g callerid.Generator
	if err := g.Start(tx); err != nil {
		t.Fatal(err)
	}
	rx := callerid.NewReceiver()
	sp, err := spandsp.NewReceiver(std)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	var h heard
	var f [80]int16
	ackIn := -1
	take := func() {
		for _, e := range rx.Process(f[:]) {
			switch e.Kind {
			case callerid.EventAlert:
				if tx.Alert == callerid.AlertCAS {
					ackIn = 10
				}
			case callerid.EventError:
				h.errs = append(h.errs, e.Err)
			default:
				e.Raw = bytes.Clone(e.Raw)
				h.ours = append(h.ours, e)
			}
		}
		sp.Write(f[:])
	}
	for i := 0; g.Active(); i++ {
		if i > 1000 {
			t.Fatal("the transmission does not end")
		}
		g.Generate(f[:])
		take()
		if ackIn >= 0 {
			if ackIn == 0 && !g.Ack('D') {
				t.Fatal("generator refused the acknowledgement")
			}
			ackIn--
		}
	}
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	clear(f[:])
	for range 30 {
		take()
	}
	h.theirs = sp.Messages()
	return h
}

// ourFields lists a message the way spandsp's adsi_next_field does: the
// type, then each MDMF parameter or the SDMF body.
func ourFields(t *testing.T, raw []byte) []spandsp.Field {
	ps, err := callerid.Split(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := []spandsp.Field{{Type: raw[0]}}
	for _, p := range ps {
		fs = append(fs, spandsp.Field{Type: p.Type, Body: p.Body})
	}
	return fs
}

// TestSameAsSpandsp sends every message type we generate, with every
// alerting variant, on both modems, at -25, -15 and -5 dBm0 and at 1188,
// 1200 and 1212 baud, into our receiver and spandsp's ADSI receiver: both
// must deliver exactly the bytes sent, spandsp's field split must equal
// ours, and the decoded message must equal the one sent.
func TestSameAsSpandsp(t *testing.T) {
	spandsp.Need(t)
	runs := 0
	for _, m := range messages {
		raw, err := m.msg.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		want := ourFields(t, raw)
		for _, modem := range []callerid.Modem{callerid.Bell202, callerid.V23} {
			std := spandsp.CLASS
			if modem == callerid.V23 {
				std = spandsp.CLIP
			}
			for _, a := range alerts {
				for _, lvl := range levels {
					for _, baud := range bauds {
						var tx callerid.Transmission
						switch a {
						case callerid.AlertNone:
							tx = callerid.OnHook(modem, raw)
						case callerid.AlertCAS:
							tx = callerid.CallWaiting(modem, raw)
						default:
							tx = callerid.PriorToRing(modem, a, raw)
						}
						tx.Level, tx.Baud = lvl, baud
						name := fmt.Sprintf("%s/%v/%v/%.0fdBm0/%.0fbaud", m.name, modem, a, lvl, baud)
						h := play(t, &tx, std)
						runs++
						if len(h.errs) > 0 || len(h.ours) != 1 || h.ours[0].Kind != callerid.EventMessage || !bytes.Equal(h.ours[0].Raw, raw) {
							t.Errorf("%s: ours heard %v (errors %v), want % x", name, h.ours, h.errs, raw)
							continue
						}
						got, err := h.ours[0].Message()
						if err != nil || !reflect.DeepEqual(got, m.msg) {
							t.Errorf("%s: ours decoded %+v, %v; want %+v", name, got, err, m.msg)
						}
						if len(h.theirs) != 1 || !bytes.Equal(h.theirs[0].Raw, raw[:len(raw)-1]) {
							t.Errorf("%s: spandsp heard %v, want % x (and a good checksum)", name, h.theirs, raw[:len(raw)-1])
							continue
						}
						if h.theirs[0].Split != -1 || !reflect.DeepEqual(h.theirs[0].Fields, want) {
							t.Errorf("%s: spandsp fields %q (end %d), ours %q", name, h.theirs[0].Fields, h.theirs[0].Split, want)
						}
					}
				}
			}
		}
	}
	t.Logf("%d FSK transmissions: identical in both receivers", runs)
}

// TestSameAsSpandspDTMF does the same for DTMF caller ID (spandsp's
// CLIP-DTMF receiver), at -25, -15 and -5 dBm0 per tone.
func TestSameAsSpandspDTMF(t *testing.T) {
	spandsp.Need(t)
	for _, m := range dtmfMessages {
		digits, err := m.msg.DTMF(m.format)
		if err != nil {
			t.Fatal(err)
		}
		for _, rev := range []bool{false, true} {
			for _, lvl := range levels {
				name := fmt.Sprintf("%s/reverse=%v/%.0fdBm0", m.name, rev, lvl)
				tx := callerid.DTMFCallerID(digits, rev)
				tx.Level = lvl
				h := play(t, &tx, spandsp.CLIPDTMF)
				if len(h.errs) > 0 || len(h.ours) != 1 || h.ours[0].Kind != callerid.EventDTMF || string(h.ours[0].Raw) != digits {
					t.Errorf("%s: ours heard %v (errors %v), want %q", name, h.ours, h.errs, digits)
					continue
				}
				got, err := h.ours[0].Message()
				if err != nil || !reflect.DeepEqual(got, m.msg) {
					t.Errorf("%s: ours decoded %+v, %v; want %+v", name, got, err, m.msg)
				}
				if len(h.theirs) != 1 || string(h.theirs[0].Raw) != digits {
					t.Errorf("%s: spandsp heard %v, want %q", name, h.theirs, digits)
					continue
				}
				// spandsp: the end code as the message type, then the
				// field under its start code.
				want := []spandsp.Field{{Type: digits[len(digits)-1]}, {Type: digits[0], Body: []byte(digits[1 : len(digits)-1])}}
				if !reflect.DeepEqual(h.theirs[0].Fields, want) {
					t.Errorf("%s: spandsp fields %q, want %q", name, h.theirs[0].Fields, want)
				}
			}
		}
	}
}

// TestSpandspToOurs sends messages with spandsp's transmitter into our
// receiver: an independent modulator must be read too.
func TestSpandspToOurs(t *testing.T) {
	spandsp.Need(t)
	cases := []struct {
		std spandsp.Standard
		msg []byte // FSK: with checksum (stripped for spandsp); DTMF: digits
	}{}
	for _, m := range messages {
		raw, err := m.msg.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct {
			std spandsp.Standard
			msg []byte
		}{spandsp.CLASS, raw}, struct {
			std spandsp.Standard
			msg []byte
		}{spandsp.CLIP, raw})
	}
	for _, m := range dtmfMessages {
		d, _ := m.msg.DTMF(m.format)
		cases = append(cases, struct {
			std spandsp.Standard
			msg []byte
		}{spandsp.CLIPDTMF, []byte(d)})
	}
	for _, c := range cases {
		tx, err := spandsp.NewTransmitter(c.std)
		if err != nil {
			t.Fatal(err)
		}
		send := c.msg
		if c.std != spandsp.CLIPDTMF {
			send = c.msg[:len(c.msg)-1]
		}
		if err := tx.Send(send); err != nil {
			t.Fatal(err)
		}
		rx := callerid.NewReceiver()
		var got [][]byte
		var errs []error
		var f [80]int16
		for i := 0; i < 400; i++ {
			n := tx.Generate(f[:])
			clear(f[n:])
			for _, e := range rx.Process(f[:]) {
				switch e.Kind {
				case callerid.EventMessage, callerid.EventDTMF:
					got = append(got, bytes.Clone(e.Raw))
				case callerid.EventError:
					errs = append(errs, e.Err)
				}
			}
		}
		tx.Close()
		if len(got) != 1 || !bytes.Equal(got[0], c.msg) || len(errs) > 0 {
			t.Errorf("standard %d, message %q: ours heard %q (errors %v)", c.std, c.msg, got, errs)
		}
	}
}

// TestNoiseMargin sends an MDMF message of 44 bytes at -20 dBm0 in white
// noise (over the whole 4 kHz band) to both receivers, 50 times per
// signal-to-noise ratio, and prints how many each read. Ours must read at
// least as many as spandsp at every point, and all of them at 12 dB.
func TestNoiseMargin(t *testing.T) {
	spandsp.Need(t)
	raw, err := messages[5].msg.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const trials = 50
	t.Logf("%-8s %6s %6s %8s", "modem", "SNR dB", "ours", "spandsp")
	for _, modem := range []callerid.Modem{callerid.Bell202, callerid.V23} {
		std := spandsp.CLASS
		if modem == callerid.V23 {
			std = spandsp.CLIP
		}
		for _, snr := range []float64{12, 10, 8, 6} {
			ours, theirs := 0, 0
			for range trials {
				tx := callerid.OnHook(modem, raw)
				tx.Level = -20
				var g callerid.Generator
				if err := g.Start(&tx); err != nil {
					t.Fatal(err)
				}
				r := callerid.NewReceiver()
				sp, err := spandsp.NewReceiver(std)
				if err != nil {
					t.Fatal(err)
				}
				var f [80]int16
				sd := dsp.DBm0ToRMS(tx.Level - snr)
				for g.Active() {
					g.Generate(f[:])
					for i := range f {
						f[i] = dsp.SatF16(float64(f[i]) + rng.NormFloat64()*sd)
					}
					for _, e := range r.Process(f[:]) {
						if e.Kind == callerid.EventMessage && bytes.Equal(e.Raw, raw) {
							ours++
						}
					}
					sp.Write(f[:])
				}
				for _, m := range sp.Messages() {
					if bytes.Equal(m.Raw, raw[:len(raw)-1]) {
						theirs++
					}
				}
				sp.Close()
			}
			t.Logf("%-8v %6.0f %3d/%d %5d/%d", modem, snr, ours, trials, theirs, trials)
			if ours < theirs || (snr >= 12 && ours < trials) {
				t.Errorf("%v at %v dB: ours read %d, spandsp %d of %d", modem, snr, ours, theirs, trials)
			}
		}
	}
}
