package jitter_test

import (
	"fmt"
	"time"

	"github.com/openiad/openiad/dsp/g711"
	"github.com/openiad/openiad/dsp/jitter"
)

// The RTP receiver goroutine puts packets as they arrive; the media engine
// gets one 10 ms frame per tick.
func ExampleBuffer() {
	b, err := jitter.New(jitter.Options{Codec: jitter.G711(g711.ULaw)})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Now()
	payload := make([]byte, 160) // 20 ms of µ-law
	frame := make([]int16, 80)
	var kinds []jitter.Kind
	for tick := range 8 {
		if tick%2 == 0 { // a packet every 20 ms (on the receiver goroutine, really)
			seq := uint16(tick / 2)
			if err := b.Put(seq, uint32(seq)*160, 0x1234, payload, start.Add(time.Duration(tick)*10*time.Millisecond)); err != nil {
				fmt.Println(err)
			}
		}
		kinds = append(kinds, b.Get(frame)) // on the media engine's tick
	}
	fmt.Println(kinds)
	s := b.Stats()
	fmt.Println("received", s.Received, "lost", s.Lost, "late", s.Late)
	// Output:
	// [silence silence audio audio audio audio audio audio]
	// received 4 lost 0 late 0
}
