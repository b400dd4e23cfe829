package callerid

import (
	"testing"
	"time"

	"github.com/openiad/openiad/dsp"
)

// China and North America use Bell 202, the UK and Germany V.23.
func TestForCountry(t *testing.T) {
	for c, want := range map[string]Modem{"CN": Bell202, "US": Bell202, "us": Bell202, "GB": V23, "DE": V23, "XX": Bell202} {
		if got := ForCountry(c); got != want {
			t.Errorf("ForCountry(%q) = %v, want %v", c, got, want)
		}
	}
}

func TestAlertFor(t *testing.T) {
	for c, want := range map[string]Alert{"GB": AlertDTAS, "gb": AlertDTAS, "DE": AlertNone, "CN": AlertNone, "US": AlertNone} {
		if got := AlertFor(c); got != want {
			t.Errorf("AlertFor(%q) = %v, want %v", c, got, want)
		}
	}
}

// Lead is silence before the data: the FSK starts exactly that late and
// the transmission lasts that much longer; the receiver still reads it.
func TestLead(t *testing.T) {
	m := Message{Type: MDMF, Time: DateTime{Month: 11, Day: 22, Hour: 23, Minute: 59}, Number: "201", Name: "Front desk"}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	tx := OnHook(V23, b)
	plain := tx.Duration()
	tx.Lead = RingGap
	if d := tx.Duration(); d != plain+RingGap {
		t.Errorf("Duration %v with lead, %v without: want %v more", d, plain, RingGap)
	}
	var g Generator
	if err := g.Start(&tx); err != nil {
		t.Fatal(err)
	}
	x := make([]int16, dsp.Samples(tx.Duration()+100*time.Millisecond))
	for i := 0; i < len(x); i += 80 {
		g.Generate(x[i:min(i+80, len(x))])
	}
	first := -1
	for i, v := range x {
		if v != 0 {
			first = i
			break
		}
	}
	if want := int(dsp.Samples(RingGap)); first < want || first > want+1 { // a sine may start at 0
		t.Errorf("first sample of signal at %d, want %d", first, want)
	}
	r := NewReceiver()
	var got []Message
	for i := 0; i < len(x); i += 80 {
		for _, ev := range r.Process(x[i:min(i+80, len(x))]) {
			if ev.Kind == EventMessage {
				msg, err := ev.Message()
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, msg)
			}
		}
	}
	if len(got) != 1 || got[0].Number != "201" || got[0].Name != "Front desk" {
		t.Errorf("received %+v, want the one message sent", got)
	}
	tx.Lead = -time.Second
	if err := tx.Validate(); err == nil {
		t.Error("a negative lead is valid")
	}
}
