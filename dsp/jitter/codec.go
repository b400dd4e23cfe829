package jitter

import "github.com/openiad/openiad/dsp/g711"

// Codec turns the payload of one RTP packet into 8 kHz linear PCM. The Put
// goroutine asks Samples (to know how much time a packet covers) and the
// Get goroutine calls Decode, once per packet, when the packet is about to
// play; both must not allocate. A stateful decoder is fine: packets are
// decoded in playout order, each at most once.
type Codec interface {
	Samples(payload []byte) int             // samples the payload decodes to (<= 0: not decodable)
	Decode(dst []int16, payload []byte) int // decode into dst, return the samples written
}

// G711 decodes G.711 A-law or µ-law payloads (one byte a sample).
type G711 g711.Law

// Samples returns len(payload).
func (G711) Samples(payload []byte) int { return len(payload) }

// Decode expands the payload.
func (c G711) Decode(dst []int16, payload []byte) int { return g711.Decode(g711.Law(c), dst, payload) }
