package si321x

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/openiad/openiad/hal/si321x/internal/reg"
	"github.com/openiad/openiad/hal/si321x/si321xsim"
)

var update = flag.Bool("update", false, "re-record testdata/*.golden from the register model")

// spiConn makes a conntest recorder or player an spi.Conn.
type spiConn struct{ conn.Conn }

func (s spiConn) TxPackets(p []spi.Packet) error {
	for i := range p {
		if err := s.Tx(p[i].W, p[i].R); err != nil {
			return err
		}
	}
	return nil
}

// fakePin stands in for INT (never asserted) and RESET (levels recorded)
// when the SPI side is a playback.
type fakePin struct {
	mu     sync.Mutex
	levels []gpio.Level
}

func (p *fakePin) String() string                        { return "fake" }
func (p *fakePin) Halt() error                           { return nil }
func (p *fakePin) Name() string                          { return "fake" }
func (p *fakePin) Number() int                           { return -1 }
func (p *fakePin) Function() string                      { return "" }
func (p *fakePin) In(gpio.Pull, gpio.Edge) error         { return nil }
func (p *fakePin) Read() gpio.Level                      { return gpio.High }
func (p *fakePin) Pull() gpio.Pull                       { return gpio.PullUp }
func (p *fakePin) DefaultPull() gpio.Pull                { return gpio.PullUp }
func (p *fakePin) PWM(gpio.Duty, physic.Frequency) error { return nil }

// WaitForEdge: the transcript's chip never interrupts, so every wait runs
// out its timeout.
func (p *fakePin) WaitForEdge(timeout time.Duration) bool { <-time.After(timeout); return false }
func (p *fakePin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.levels = append(p.levels, l)
	return nil
}

// The golden transcript: one SPI transaction (one chip-select cycle) a
// line, "w=<hex> r=<hex>", with what the byte means after '#'.
func writeGolden(path string, ops []conntest.IO) error {
	var b bytes.Buffer
	b.WriteString("# si321x: New(Opts{Timeslot: 6}) then Halt, recorded against si321xsim.\n")
	b.WriteString("# Regenerate with: go test ./hal/si321x -run TestInitTranscript -update\n")
	ctl := -1
	for _, op := range ops {
		note := ""
		switch {
		case len(op.W) != 1:
			note = "?"
		case ctl < 0:
			ctl = int(op.W[0])
			dir := "write"
			if ctl&reg.Read != 0 {
				dir = "read"
			}
			note = fmt.Sprintf("%s register %d", dir, ctl&reg.AddrMask)
		case ctl&reg.Read != 0:
			note = fmt.Sprintf("  -> %#02x", op.R[0])
			ctl = -1
		default:
			note = fmt.Sprintf("  <- %#02x", op.W[0])
			ctl = -1
		}
		fmt.Fprintf(&b, "w=%x r=%x\t# %s\n", op.W, op.R, note)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func readGolden(path string) ([]conntest.IO, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var ops []conntest.IO
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var op conntest.IO
		for _, field := range strings.Fields(line) {
			k, v, ok := strings.Cut(field, "=")
			b, err := hex.DecodeString(v)
			if !ok || err != nil {
				return nil, fmt.Errorf("%s:%d: bad field %q", path, n, field)
			}
			switch k {
			case "w":
				op.W = b
			case "r":
				op.R = b
			default:
				return nil, fmt.Errorf("%s:%d: bad field %q", path, n, field)
			}
		}
		if len(op.W) == 0 {
			op.W = nil
		}
		if len(op.R) == 0 {
			op.R = nil
		}
		ops = append(ops, op)
	}
	return ops, sc.Err()
}

// TestInitTranscript pins the exact SPI traffic of New and Halt: reset,
// identification, indirect registers, dc-dc power-up, calibration, line,
// PCM and interrupt set-up. The transcript is recorded from the driver
// running against the register model.
func TestInitTranscript(t *testing.T) {
	golden := filepath.Join("testdata", "init.golden")
	opts := &Opts{Timeslot: 6}
	if *update {
		synctest.Test(t, func(t *testing.T) {
			chip := si321xsim.NewChip("golden")
			rec := &conntest.Record{Conn: chip}
			d, err := New(spiConn{rec}, chip.IRQ(), chip.Reset(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Halt(); err != nil {
				t.Fatal(err)
			}
			for _, err := range chip.Errors() {
				t.Error(err)
			}
			if err := writeGolden(golden, rec.Ops); err != nil {
				t.Fatal(err)
			}
		})
	}
	ops, err := readGolden(golden)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) < 100 {
		t.Fatalf("%s holds %d transactions, an init takes hundreds", golden, len(ops))
	}
	synctest.Test(t, func(t *testing.T) {
		p := &conntest.Playback{Ops: ops, DontPanic: true}
		rst := &fakePin{}
		d, err := New(spiConn{p}, &fakePin{}, rst, opts)
		if err != nil {
			t.Fatal(err)
		}
		if d.Part() != Si3210 || d.Revision() != 4 {
			t.Errorf("identified %s rev %d, want Si3210 rev 4", d.Part(), d.Revision())
		}
		if err := d.Halt(); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if want := []gpio.Level{gpio.Low, gpio.High}; fmt.Sprint(rst.levels) != fmt.Sprint(want) {
			t.Errorf("RESET driven %v, want %v", rst.levels, want)
		}
	})
}

// A transcript that differs from the chip's answers is caught: here the
// chip reports another hybrid register value.
func TestTranscriptDetectsNoChip(t *testing.T) {
	ops, err := readGolden(filepath.Join("testdata", "init.golden"))
	if err != nil {
		t.Fatal(err)
	}
	// ops[3] is the data cycle of the read of register 11.
	if len(ops) < 4 || !bytes.Equal(ops[2].W, []byte{reg.Read | reg.Hybrid}) {
		t.Fatalf("transcript does not start with reads of registers 0 and 11: %v", ops[:min(4, len(ops))])
	}
	ops[3].R = []byte{0xff}
	synctest.Test(t, func(t *testing.T) {
		p := &conntest.Playback{Ops: ops, DontPanic: true}
		_, err := New(spiConn{p}, &fakePin{}, &fakePin{}, &Opts{Timeslot: 6})
		if err == nil || !strings.Contains(err.Error(), "register 11 reads 0xff") {
			t.Fatalf("New = %v, want a no-device error naming register 11", err)
		}
	})
}
