package jitter

import (
	"testing"
	"time"
)

// FuzzBuffer drives a buffer with a script of packets and Gets read from
// the input: whatever the sequence numbers, timestamps, sources, payloads
// and comfort-noise payloads, Get never panics, returns a valid kind, and
// slots are never lost.
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 1, 0, 160, 1, 1, 1, 160, 2, 2, 0, 3, 0x40, 3, 0})
	f.Add([]byte{5, 200, 7, 255, 1, 1, 9, 9, 9, 2, 2, 2, 0, 0, 0, 4, 4})
	f.Add([]byte{0, 1, 0, 160, 4, 1, 0, 160, 0, 1, 0, 160, 3, 0x80, 2, 3, 0xff})
	f.Fuzz(func(t *testing.T, script []byte) {
		b, err := New(Options{Slots: 8, MaxPayload: 240, MaxSamples: 240})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int16, frame)
		payload := make([]byte, 256) // longer than MaxPayload: Put must refuse those
		var seq uint16
		var ts, ssrc uint32
		at := epoch
		for i := 0; i+2 < len(script); i += 3 {
			op, a, c := script[i], script[i+1], script[i+2]
			switch op % 6 {
			case 0: // next audio packet, a samples long, c extra timestamp step
				seq++
				ts += uint32(a) + uint32(c)*80
				_ = b.Put(seq, ts, ssrc, payload[:a], at)
			case 1: // a packet with a wild sequence number and timestamp
				_ = b.Put(uint16(a)<<8|uint16(c), uint32(c)<<24|uint32(a)<<8, ssrc, payload[:max(1, int(a)%240)], at)
			case 2: // Gets
				for range int(a%8) + 1 {
					if k := b.Get(out); k > ComfortNoise {
						t.Fatalf("kind %d", k)
					}
				}
			case 3: // a comfort-noise packet with payload bytes a, c...
				payload[0], payload[1] = a, c
				seq++
				_ = b.PutCN(seq, ts, ssrc, payload[:1+int(c)%3], at)
			case 4: // a new source
				ssrc = uint32(a)
			case 5: // control
				switch a % 4 {
				case 0:
					b.Reset()
				case 1:
					b.SetFixed(time.Duration(c) * time.Millisecond)
				case 2:
					b.SetFixed(0)
				}
			}
			at = at.Add(time.Duration(a) * time.Millisecond)
		}
		for range 100 {
			b.Get(out)
		}
		// Every slot is back with the writer or held by the reader.
		held := len(b.g.store)
		if b.g.pend >= 0 {
			held++
		}
		free := int(b.free.head.Load() - b.free.tail.Load())
		queued := int(b.full.head.Load() - b.full.tail.Load())
		if held+free+queued != len(b.slots) {
			t.Fatalf("slots: %d held, %d free, %d queued of %d", held, free, queued, len(b.slots))
		}
	})
}
