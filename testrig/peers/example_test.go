package peers_test

import (
	"context"
	"fmt"
	"time"

	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/signal"
)

// A registrar with one user, a far-end phone registered at it that
// answers by itself, a sipp call to it, and the far end's recording
// analysed. In a test, prefer NewKamailio / NewBaresip, which also call
// Need, stop the programs in t.Cleanup and log them on failure.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := peers.StartKamailio(ctx, peers.KamailioOptions{Users: []peers.User{{Name: "bob", Password: "secret"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()
	b, err := peers.StartBaresip(ctx, peers.BaresipOptions{User: "bob", Password: "secret", Registrar: k.Addr().String(), AutoAnswer: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close() // runs before k.Close: baresip unregisters while Kamailio is up
	if _, err := k.WaitRegistered(ctx, "bob"); err != nil {
		fmt.Println(err)
		return
	}
	r, err := peers.RunSipp(ctx, peers.SippOptions{
		Scenario: peers.UACScenario(peers.UAC{Audio: "tone.ul", Hold: 2 * time.Second}),
		Files:    map[string][]byte{"tone.ul": peers.G711File(0, peers.Tone(1004, -10, 5*time.Second))},
		Target:   k.Addr().String(),
		Service:  "bob",
	})
	if err != nil || r.Err() != nil {
		fmt.Println(err, r)
		return
	}
	b.Next(ctx, "CALL_CLOSED")
	rec, err := b.ReadRecording(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, level := signal.Dominant(rec[4000:])
	fmt.Printf("bob heard %.0f Hz at %.0f dBm0\n", f, level)
}

// Fail-over: a registrar that starts answering 503, then goes silent,
// then dies and comes back on the same port.
func ExampleKamailio_Fail() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := peers.StartKamailio(ctx, peers.KamailioOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()
	k.Fail(ctx, 503, "Service Unavailable") // every request answered 503
	k.Fail(ctx, 0, "")                      // back to normal
	k.Mute(ctx, true)                       // no answers at all
	k.Mute(ctx, false)
	k.Stop()       // gone: the port is closed
	k.Restart(ctx) // back, registrations lost
}
