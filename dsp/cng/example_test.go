package cng_test

import (
	"fmt"

	"github.com/openiad/openiad/dsp/cng"
)

// The receiving side: a SID payload (RFC 3389) turned into comfort noise.
func ExampleGenerator() {
	var p cng.Params
	if err := p.Unmarshal([]byte{0x40, 0x3f, 0x9f}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("level %.2f dBm0, order %d, k1 %.3f, k2 %.3f\n", p.LevelDBm0(), p.Order, p.K[0], p.K[1])
	var g cng.Generator
	g.Set(&p)
	frame := make([]int16, 80)
	g.Generate(frame) // every 10 ms while the far end is quiet
	// Output:
	// level -57.82 dBm0, order 2, k1 -0.500, k2 0.250
}

// The sending side: discontinuous transmission with a VAD.
func ExampleEncoder() {
	var e cng.Encoder
	sid := make([]byte, 1+cng.MaxOrder)
	quiet := make([]int16, 80) // digital silence
	for i := range 3 {
		a, n := e.Encode(quiet, sid)
		fmt.Println(i, a, sid[:n])
	}
	// Output:
	// 0 sid [127]
	// 1 quiet []
	// 2 quiet []
}

// Unmarshal refuses what RFC 3389 does not allow.
func ExampleParams_Unmarshal() {
	var p cng.Params
	fmt.Println(p.Unmarshal(nil))
	fmt.Println(p.Unmarshal([]byte{0x80}))
	// Output:
	// cng: empty payload
	// cng: noise level byte has its unused top bit set (0x80)
}
