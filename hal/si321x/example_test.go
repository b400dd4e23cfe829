package si321x_test

import (
	"fmt"
	"log"

	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x"
	"github.com/openiad/openiad/hal/si321x/si321xsim"
)

// A port on a modelled chip: bring it up, lift the handset, ring.
func ExampleNew() {
	chip := si321xsim.NewChip("fxs1")
	dev, err := si321x.New(chip, chip.IRQ(), chip.Reset(), &si321x.Opts{Name: "fxs1", Timeslot: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer dev.Halt()
	fmt.Println(dev, dev.Feed(), chip.PCM().TxSlot)

	chip.SetOffHook(true)
	ev := <-dev.Events()
	fmt.Println(ev.Kind, ev.Hook)

	err = dev.Ring(si321x.DefaultRing)
	fmt.Println(err)
	chip.SetOffHook(false)
	ev = <-dev.Events()
	fmt.Println(ev.Kind, ev.Hook)
	if err := dev.Ring(si321x.DefaultRing); err != nil {
		log.Fatal(err)
	}
	ev = <-dev.Events()
	fmt.Println(ev.Kind, chip.Line().Ringing, dev.Feed() == hal.FeedRinging)
	// Output:
	// fxs1(Si3210 rev 4, slot 2) forward 2
	// hook off-hook
	// si321x: line is off hook: will not ring it
	// hook on-hook
	// ring-on true true
}
