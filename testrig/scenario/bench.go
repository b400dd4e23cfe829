package scenario

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"

	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/testrig/phone"
)

// Bench is a booted box on the sim board with a phone on every FXS port.
// Make it inside a testing/synctest bubble: the whole box then runs in
// virtual time, deterministically.
type Bench struct {
	Sys    *system.System
	Board  *sim.Board
	Phones []*phone.Phone // Phones[0] is on FXS 1
	Plan   *tone.Plan
	cancel context.CancelFunc
}

// Boot starts a box with fxs ports for country and plugs a phone into each.
// Everything stops when the test ends. Call it inside a synctest bubble:
// the box's SIP socket is a quiet in-memory one.
func Boot(t testing.TB, country string, fxs int) *Bench {
	t.Helper()
	b := boot(t, fxs, system.Options{SIPConn: newQuietConn()})
	b.setCountry(t, country)
	synctest.Wait() // the running lines take the new country
	return b
}

// BootReal starts a box in real time whose SIP user agent listens on
// 127.0.0.1, for scenarios with real SIP peers. The country stays CN.
func BootReal(t testing.TB, fxs int) *Bench {
	t.Helper()
	b := boot(t, fxs, system.Options{SIPListen: netip.MustParseAddrPort("127.0.0.1:0")})
	b.setCountry(t, "CN")
	return b
}

func (bench *Bench) setCountry(t testing.TB, country string) {
	t.Helper()
	if _, err := bench.Sys.Config.Update(config.SourceSystem, "scenario", func(c *config.Config) error {
		c.Device.Country = country
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if bench.Plan, err = tone.Lookup(country); err != nil {
		t.Fatal(err)
	}
}

func boot(t testing.TB, fxs int, so system.Options) *Bench {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("SCENARIO_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	b, err := sim.New(sim.Options{FXS: fxs, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	so.Board, so.StateDir, so.Log = b.Boards(), t.TempDir(), log
	sys, err := system.Start(ctx, so)
	if err != nil {
		t.Fatal(err)
	}
	bench := &Bench{Sys: sys, Board: b, cancel: cancel}
	t.Cleanup(bench.stop)
	for port := 1; port <= fxs; port++ {
		conn, err := b.Attach(port)
		if err != nil {
			t.Fatal(err)
		}
		p, err := phone.Attach(conn, port)
		if err != nil {
			t.Fatalf("phone on FXS %d: %v", port, err)
		}
		bench.Phones = append(bench.Phones, p)
	}
	return bench
}

func (b *Bench) stop() {
	for _, p := range b.Phones {
		p.Close()
	}
	b.cancel()
	b.Sys.Wait()
	b.Board.Close()
}

// Extension is the number of FXS port (from 1).
func (b *Bench) Extension(port int) string {
	for _, l := range b.Sys.Lines {
		if l.Port() == port {
			return l.Extension()
		}
	}
	panic(fmt.Sprintf("scenario: no FXS %d", port))
}
