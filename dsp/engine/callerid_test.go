package engine

import (
	"testing"

	"github.com/openiad/openiad/dsp/callerid"
)

// SendCallerID puts the transmission on the channel's line output, where
// a receiver reads the message; nil stops it. Nothing is allocated per
// tick while it plays.
func TestSendCallerID(t *testing.T) {
	m := callerid.Message{Type: callerid.MDMF, Time: callerid.DateTime{Month: 3, Day: 4, Hour: 5, Minute: 6}, Number: "201", Name: "Reception"}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, modem := range []callerid.Modem{callerid.Bell202, callerid.V23} {
		e := New(bench{4}, Options{Channels: 4})
		must(t, e.Open(2, 3))
		tx := callerid.OnHook(modem, b)
		tx.Lead = callerid.RingGap
		must(t, e.SendCallerID(2, &tx))
		r := callerid.NewReceiver()
		var got []callerid.Message
		ticks := int(tx.Duration().Milliseconds()/10) + 20
		for range ticks {
			e.tick()
			for _, ev := range r.Process(e.tx[3][:]) {
				if ev.Kind == callerid.EventMessage {
					msg, err := ev.Message()
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, msg)
				}
			}
		}
		if len(got) != 1 || got[0].Number != "201" || got[0].Name != "Reception" {
			t.Errorf("%v: the line heard %+v, want the message sent", modem, got)
		}
		// While a transmission plays, a tick allocates nothing.
		must(t, e.SendCallerID(2, &tx))
		e.tick()
		if a := testing.AllocsPerRun(50, e.tick); a != 0 {
			t.Errorf("%v: %v allocations per tick while caller ID plays", modem, a)
		}
		// Stopped, the line is silent.
		must(t, e.SendCallerID(2, nil))
		e.tick()
		for _, v := range e.tx[3] {
			if v != 0 {
				t.Fatalf("%v: the line still hears caller ID after it was stopped", modem)
			}
		}
	}
}
