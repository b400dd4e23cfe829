package sim

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// bus is the simulated SPI bus: one controller, one chip select per chip.
// Like a real bus it carries one transaction at a time: mu serialises every
// transfer, whichever chip it selects, so the drivers of all ports may run
// concurrently.
type bus struct {
	name string
	mu   sync.Mutex
}

// spiPort is one chip select of the bus (periph's spi.Port).
type spiPort struct {
	bus  *bus
	cs   int
	chip conn.Conn // the chip model's SPI side

	mu        sync.Mutex
	connected bool
	speed     physic.Frequency
	mode      spi.Mode
}

var _ spi.Port = (*spiPort)(nil)

func (p *spiPort) String() string { return fmt.Sprintf("%s.%d", p.bus.name, p.cs) }

// Connect hands out the connection to the chip. As with periph's ports, a
// device driver connects exactly once.
func (p *spiPort) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.connected {
		return nil, fmt.Errorf("%w: %s already connected", errSPI, p)
	}
	if bits != 8 {
		return nil, fmt.Errorf("%w: %s: %d bits per word, the chip takes 8", errSPI, p, bits)
	}
	if f < 0 {
		return nil, fmt.Errorf("%w: %s: negative clock %s", errSPI, p, f)
	}
	p.connected, p.speed, p.mode = true, f, mode
	return &spiConn{p: p}, nil
}

// spiConn routes transfers to the chip behind its chip select.
type spiConn struct{ p *spiPort }

var _ spi.Conn = (*spiConn)(nil)

func (c *spiConn) String() string      { return c.p.String() }
func (c *spiConn) Duplex() conn.Duplex { return conn.Full }
func (c *spiConn) MaxTxSize() int      { return 4096 }
func (c *spiConn) chipTx(w, r []byte) error {
	c.p.bus.mu.Lock()
	defer c.p.bus.mu.Unlock()
	return c.p.chip.Tx(w, r)
}

// Tx is one transaction: chip select asserted for the whole of w and r.
func (c *spiConn) Tx(w, r []byte) error {
	if len(r) != 0 && len(r) != len(w) {
		return fmt.Errorf("%w: %s: full duplex needs len(r) == len(w), have %d and %d", errSPI, c, len(r), len(w))
	}
	return c.chipTx(w, r)
}

// TxPackets runs packets as transactions: consecutive packets joined by
// KeepCS form one transaction, the chip select rises after a packet without
// it (a trailing KeepCS is treated as the end, the bus being released).
func (c *spiConn) TxPackets(pkts []spi.Packet) error {
	start := 0
	for i, p := range pkts {
		if len(p.R) != 0 && len(p.R) != len(p.W) {
			return fmt.Errorf("%w: %s: packet %d: len(R) %d != len(W) %d", errSPI, c, i, len(p.R), len(p.W))
		}
		if p.BitsPerWord != 0 && p.BitsPerWord != 8 {
			return fmt.Errorf("%w: %s: packet %d: %d bits per word, the chip takes 8", errSPI, c, i, p.BitsPerWord)
		}
		if p.KeepCS && i < len(pkts)-1 {
			continue
		}
		if err := c.txGroup(pkts[start : i+1]); err != nil {
			return err
		}
		start = i + 1
	}
	return nil
}

func (c *spiConn) txGroup(g []spi.Packet) error {
	if len(g) == 1 {
		return c.chipTx(g[0].W, g[0].R)
	}
	var w []byte
	for _, p := range g {
		w = append(w, p.W...)
	}
	r := make([]byte, len(w))
	if err := c.chipTx(w, r); err != nil {
		return err
	}
	off := 0
	for _, p := range g {
		if len(p.R) != 0 {
			copy(p.R, r[off:off+len(p.W)])
		}
		off += len(p.W)
	}
	return nil
}
