package sim_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/phone"
)

// A board with a phone on port 1 through an in-memory pipe: the phone
// lifts the handset and the port's driver reports it. (Compiled, not run:
// it takes real time; the tests run the same under testing/synctest.)
func Example() {
	b, err := sim.New(sim.Options{FXS: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	if err := b.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	c, err := b.Attach(1)
	if err != nil {
		log.Fatal(err)
	}
	p, err := phone.Attach(c, 1)
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	if err := p.OffHook(); err != nil {
		log.Fatal(err)
	}
	fxs := b.FXS()[0] // port 1
	for ev := range fxs.Events() {
		if ev.Kind == hal.EvHook {
			fmt.Println(fxs, ev.Hook)
			break
		}
	}
	// The media engine's side: one Exchange per 10 ms tick.
	rx, tx := make([]hal.Frame, b.Highway().Slots()), make([]hal.Frame, b.Highway().Slots())
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if err := b.Highway().Exchange(rx, tx); err != nil {
			log.Fatal(err)
		}
		copy(tx[fxs.Timeslot():], rx[fxs.Timeslot():fxs.Timeslot()+1]) // echo port 1
	}
}
