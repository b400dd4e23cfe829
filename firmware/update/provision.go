package update

import (
	"io"

	"github.com/openiad/openiad/firmware/update/image"
)

// Provision writes a verified image into slot s and makes it the committed
// slot, without a trial: the factory's way (and a test harness's) of
// filling a blank disk. Unlike Install it may write any slot, and checks
// neither board nor version.
func Provision(b Backend, s Slot, r io.Reader, keys []image.PublicKey) (image.Manifest, error) {
	ir, err := image.NewReader(r, keys)
	if err != nil {
		return image.Manifest{}, err
	}
	m := ir.Manifest()
	c, err := b.ReadControl()
	if err != nil {
		return m, err
	}
	c.Slots[s] = SlotInfo{}
	if c.Committed == s {
		c.Committed = s.Other()
	}
	c.TrialPending, c.TriesLeft = false, 0
	if err := b.WriteControl(c); err != nil {
		return m, err
	}
	sw, err := b.OpenSlot(s)
	if err != nil {
		return m, err
	}
	for {
		p, pr, err := ir.Next()
		if err == io.EOF {
			break
		}
		if err == nil {
			err = sw.WritePart(p, pr)
		}
		if err != nil {
			sw.Close()
			return m, err
		}
	}
	if err := sw.Close(); err != nil {
		return m, err
	}
	c.Slots[s] = SlotInfo{Valid: true, Board: m.Board, Version: m.Version, Parts: m.Parts}
	c.Committed, c.Booted, c.BootedTrial = s, s, false
	return m, b.WriteControl(c)
}
