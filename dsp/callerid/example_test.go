package callerid_test

import (
	"fmt"

	"github.com/openiad/openiad/dsp/callerid"
)

// A caller ID sent between the first and second ring on a Bell 202 line,
// read back by a receiver as an FXO port would.
func Example() {
	m := callerid.Message{
		Type:   callerid.MDMF,
		Time:   callerid.DateTime{Month: 3, Day: 14, Hour: 15, Minute: 9},
		Number: "13800138000",
		Name:   "Zhang San",
	}
	raw, err := m.MarshalBinary()
	if err != nil {
		panic(err)
	}
	tx := callerid.OnHook(callerid.Bell202, raw)
	var g callerid.Generator
	if err := g.Start(&tx); err != nil {
		panic(err)
	}
	r := callerid.NewReceiver()
	var frame [80]int16
	for g.Active() {
		g.Generate(frame[:]) // the line sends the frame to the telephone
		for _, e := range r.Process(frame[:]) {
			got, err := e.Message()
			fmt.Println(e.Kind, got.Time, got.Number, got.Name, err)
		}
	}
	// Output: message 03-14 15:09 13800138000 Zhang San <nil>
}

// Caller ID on call waiting: the generator sends the CAS and waits until
// the line's DTMF detector hears the telephone's acknowledgement.
func ExampleGenerator_Ack() {
	raw, _ := (&callerid.Message{Type: callerid.SDMF, Time: callerid.DateTime{Month: 1, Day: 2, Hour: 3, Minute: 4}, NumberAbsent: callerid.Private}).MarshalBinary()
	tx := callerid.CallWaiting(callerid.V23, raw)
	var g callerid.Generator
	if err := g.Start(&tx); err != nil {
		panic(err)
	}
	var frame [80]int16
	frames := 0
	for g.Active() {
		g.Generate(frame[:])
		frames++
		if frames == 15 && g.Waiting() { // the DTMF detector reports 'D'
			fmt.Println("acknowledged:", g.Ack('D'))
		}
	}
	fmt.Println("sent in", frames*10, "ms, error:", g.Err())
	// Output:
	// acknowledged: true
	// sent in 430 ms, error: <nil>
}

// DTMF caller ID in the A...C format, and a withheld number.
func ExampleMessage_DTMF() {
	for _, m := range []callerid.Message{{Number: "0312345678"}, {NumberAbsent: callerid.Private}} {
		s, _ := m.DTMF(callerid.DTMFFormatA)
		back, _ := callerid.DecodeDTMF(s)
		fmt.Println(s, back.Number, back.NumberAbsent)
	}
	// Output:
	// A0312345678C 0312345678 present
	// B10C  private
}
