package si321xsim

import (
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/openiad/openiad/hal/si321x/internal/reg"
)

// FuzzTx feeds garbage to the SPI decoder, mixed with line-side events and
// clock steps: the chip must never panic, and what it reports must stay
// within its register fields.
func FuzzTx(f *testing.F) {
	f.Add([]byte{reg.Linefeed, reg.LFRinging, 0x80 | reg.Linefeed, 0})
	f.Add([]byte{reg.IDAHi, 0xff, reg.IAA, 0xff, reg.IAA, 20})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{reg.Cal1, 0xff, reg.DCTOF, 0xff, reg.PowerDown1, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := NewChip("fuzz")
		now := time.Now()
		for len(data) > 0 {
			op := data[0]
			data = data[1:]
			switch op >> 5 {
			case 0, 1, 2, 3: // a transfer of up to 4 bytes, full duplex or not
				n := min(int(op&3)+1, len(data))
				w := data[:n]
				data = data[n:]
				var r []byte
				if op&4 != 0 {
					r = make([]byte, n)
				}
				if op&8 != 0 {
					w = nil
				}
				if err := c.Tx(w, r); err != nil {
					t.Fatal(err)
				}
			case 4:
				c.SetOffHook(op&1 != 0)
			case 5:
				now = now.Add(time.Duration(op&31) * 37 * time.Millisecond)
				c.Tick(now)
			case 6:
				lvl := gpio.Level(op&1 != 0)
				_ = c.Reset().Out(lvl)
			case 7:
				c.PowerAlarm(int(op & 7))
				c.SetGroundKey(op&8 != 0)
			}
		}
		ls := c.Line()
		if ls.Linefeed > 7 || ls.Shadow > 7 {
			t.Fatalf("linefeed %d shadow %d out of range", ls.Linefeed, ls.Shadow)
		}
		p := c.PCM()
		if p.TxSlot < 0 || p.TxSlot > 127 || p.RxSlot < 0 || p.RxSlot > 127 {
			t.Fatalf("PCM slots %d/%d out of range", p.TxSlot, p.RxSlot)
		}
		_ = c.Talk()
		_ = c.IRQ().Read()
		if len(c.Errors()) > 64 {
			t.Fatalf("%d errors kept, the list must stay bounded", len(c.Errors()))
		}
	})
}
