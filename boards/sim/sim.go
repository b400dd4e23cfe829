// Package sim is the virtual board: a box with FXS ports that behaves like
// hardware, for `make run`, the end-to-end tests and the phone CLI.
//
// It builds one Si321x chip model (hal/si321x/si321xsim) per FXS port on a
// simulated SPI bus (one chip select per chip, one transfer at a time) and
// runs the real driver (hal/si321x) on each, so the firmware drives the same
// code it drives on a real board. A TDM clock ticks every hal.FrameDuration
// (virtual under testing/synctest) and moves each chip's audio between its
// line and the PCM highway at the timeslots its registers hold.
//
// # Ports and timeslots
//
// Ports are numbered from 1, as on the box's front panel; FXS()[i] is port
// i+1. The highway has Slots (128) 8-bit timeslots. Port n is given
// timeslot 2(n-1) for both directions: its 16-bit linear samples occupy slots
// 2(n-1) and 2(n-1)+1, and travel in the hal.Frame of the first. The highway
// routes by what the chip's PCM registers say (si321xsim PCMStatus), not by
// port number: a driver that programs the wrong slot is heard on the wrong
// slot. Two chips sending on one slot is a bus clash: the higher port wins.
// In the chip's digital loopback the frames it receives go back out on its
// transmit slot. The highway carries linear samples whatever PCM format
// the chip is set to (the sim does not compand).
//
// # Lines
//
// Phones (testrig/phone, the phone CLI) plug into ports over the protocol of
// package wire: a TCP socket when Options.Listen is set, or an in-memory pipe
// from Attach — both served by the same code. One phone per port. Each tick
// the board tells an attached phone about ring and feed changes and sends it
// its earpiece frame; the phone answers with its microphone frame, used at
// the next tick (silence if none came). A phone that breaks the protocol
// (unknown type, wrong length, oversize frame, wrong version, flood, ...) is
// disconnected with a logged reason; the board and the other lines go on.
//
// # Timing
//
// The clock never waits: an engine that is late in Highway().Exchange loses
// that tick's frames (Overruns), a phone that reads too slowly loses
// earpiece frames (its write queue is bounded). Hook changes from a phone
// reach the chip at the next tick; a Flash opens the loop at the next tick
// for its duration, through the chip's hook bit and the driver's debounce,
// as a real hook switch would.
//
// # Goroutines
//
// New starts one IRQ goroutine per driver (in hal/si321x). Start adds the
// clock goroutine and, when listening, the accept loop; each phone
// connection has a reader and a writer goroutine. Every method of Board may
// be called from any goroutine; Highway().Exchange from one goroutine (the
// media engine). Close stops them all and waits for them.
//
// The package registers boards driver "sim" at init.
package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"

	"github.com/openiad/openiad/boards"
	"github.com/openiad/openiad/boards/sim/wire"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/hal/si321x"
	"github.com/openiad/openiad/hal/si321x/si321xsim"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Limits of the board.
const (
	DefaultFXS = 4  // FXS ports when Options.FXS is 0
	MaxFXS     = 64 // most FXS ports a sim board can have (Slots / 2)
	MaxFXO     = 16 // FXO ports that may be declared
	MaxE1      = 2  // E1 ports that may be declared
)

var (
	errOption = errors.New("sim: bad option")
	errState  = errors.New("sim: board state")
	errPort   = errors.New("sim: no such port")
	errSPI    = errors.New("sim: spi")
)

// Options say what board to build.
type Options struct {
	FXS    int          // FXS ports, 0 for DefaultFXS, at most MaxFXS
	FXO    int          // FXO ports declared (not yet alive: recorded in Info)
	E1     int          // E1 ports declared (not yet alive: recorded in Info)
	Listen string       // TCP address to serve phones on ("127.0.0.1:7070", ":0"), "" for none
	Log    *slog.Logger // nil discards
}

// Board is a running virtual board.
type Board struct {
	opt   Options
	log   *slog.Logger
	bus   *bus
	ports []*port
	fxs   []hal.FXS
	hw    *highway
	view  *boards.Board

	mu      sync.Mutex
	started bool
	closed  bool
	ln      net.Listener
	conns   map[*lineConn]struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Mutex // serialises Close
}

// New builds the board: the chip models, the bus, and the driver of each
// port (reset, calibration, PCM timeslot). The TDM clock starts with Start.
func New(o Options) (*Board, error) {
	if o.FXS == 0 {
		o.FXS = DefaultFXS
	}
	if o.FXS < 1 || o.FXS > MaxFXS {
		return nil, fmt.Errorf("%w: %d FXS ports, want 1-%d", errOption, o.FXS, MaxFXS)
	}
	if o.FXO < 0 || o.FXO > MaxFXO {
		return nil, fmt.Errorf("%w: %d FXO ports, want 0-%d", errOption, o.FXO, MaxFXO)
	}
	if o.E1 < 0 || o.E1 > MaxE1 {
		return nil, fmt.Errorf("%w: %d E1 ports, want 0-%d", errOption, o.E1, MaxE1)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Board{
		opt:   o,
		log:   log.With("board", "sim"),
		bus:   &bus{name: "simspi0"},
		hw:    newHighway(),
		conns: make(map[*lineConn]struct{}),
		quit:  make(chan struct{}),
	}
	b.ports = make([]*port, o.FXS)
	for i := range b.ports {
		chip := si321xsim.NewChip(fmt.Sprintf("fxs%d", i+1))
		b.ports[i] = &port{
			n:    i + 1,
			chip: chip,
			spi:  &spiPort{bus: b.bus, cs: i, chip: chip},
		}
	}
	if err := b.startDrivers(); err != nil {
		return nil, err
	}
	b.fxs = make([]hal.FXS, len(b.ports))
	for i, p := range b.ports {
		b.fxs[i] = p.dev
	}
	b.view = b.makeView()
	return b, nil
}

// startDrivers brings up every chip concurrently: their calibration waits
// overlap, their SPI transfers take turns on the bus. The chip models keep
// their own time (each transfer advances them), so no clock is needed yet.
func (b *Board) startDrivers() error {
	errs := make([]error, len(b.ports))
	var init sync.WaitGroup
	for i, p := range b.ports {
		init.Go(func() {
			c, err := p.spi.Connect(4*physic.MegaHertz, spi.Mode3, 8)
			if err != nil {
				errs[i] = err
				return
			}
			dev, err := si321x.New(c, p.chip.IRQ(), p.chip.Reset(), &si321x.Opts{Name: fmt.Sprintf("fxs%d", p.n), Timeslot: 2 * i})
			if err != nil {
				errs[i] = fmt.Errorf("sim: port %d: %w", p.n, err)
				return
			}
			p.dev = dev
		})
	}
	init.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, p := range b.ports {
			if p.dev != nil {
				_ = p.dev.Halt()
			}
		}
		return err
	}
	return nil
}

// Start starts the TDM clock and, when Options.Listen is set, the socket
// for phones. ctx bounds the start-up only (as net.ListenConfig.Listen); the
// board runs until Close.
func (b *Board) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("%w: start after close", errState)
	}
	if b.started {
		return fmt.Errorf("%w: started twice", errState)
	}
	if b.opt.Listen != "" {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", b.opt.Listen)
		if err != nil {
			return fmt.Errorf("sim: serve phones: %w", err)
		}
		b.ln = ln
		b.view.Info["listen"] = ln.Addr().String()
		b.log.Info("sim: phones attach here", "addr", ln.Addr().String(), "ports", len(b.ports), "protocol", wire.Version)
		b.wg.Go(func() { b.acceptLoop(ln) })
	}
	b.started = true
	b.wg.Go(b.clock)
	return nil
}

// FXS returns the ports; FXS()[i] is port i+1.
func (b *Board) FXS() []hal.FXS { return b.fxs }

// Highway returns the PCM highway (Slots timeslots).
func (b *Board) Highway() hal.Highway { return b.hw }

// Addr is where phones attach over TCP, nil when not listening.
func (b *Board) Addr() net.Addr {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ln == nil {
		return nil
	}
	return b.ln.Addr()
}

// Attach plugs a phone into port (1-based) through an in-memory pipe and
// returns the phone's end. The board serves it exactly as a TCP phone: the
// phone still sends Hello (for this port) and gets Welcome or Error.
func (b *Board) Attach(port int) (net.Conn, error) {
	if port < 1 || port > len(b.ports) {
		return nil, fmt.Errorf("%w: %d (board has FXS 1-%d)", errPort, port, len(b.ports))
	}
	board, phone := net.Pipe()
	if !b.serve(board, port) {
		phone.Close()
		return nil, fmt.Errorf("%w: attach after close", errState)
	}
	return phone, nil
}

// Boards returns the generic view of the board for the firmware. Its Close
// is Board.Close.
func (b *Board) Boards() *boards.Board { return b.view }

func (b *Board) makeView() *boards.Board {
	info := map[string]string{
		"fxs":       strconv.Itoa(len(b.ports)),
		"fxo":       fmt.Sprintf("%d declared, inactive", b.opt.FXO),
		"e1":        fmt.Sprintf("%d declared, inactive", b.opt.E1),
		"spi":       fmt.Sprintf("%s, chip selects 0-%d", b.bus.name, len(b.ports)-1),
		"timeslots": "port n at slot 2(n-1), 16-bit linear (two 8-bit slots)",
		"protocol":  fmt.Sprintf("boards/sim/wire v%d", wire.Version),
	}
	return &boards.Board{
		Name:    "sim",
		FXS:     b.fxs,
		Highway: b.hw,
		Info:    info,
		Close:   b.Close,
	}
}

// Close stops the clock and the socket, drops every phone, halts the
// drivers and waits for all goroutines. The highway returns hal.ErrClosed
// from then on. Close is idempotent.
func (b *Board) Close() error {
	b.closeMu.Lock()
	defer b.closeMu.Unlock()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.quit)
	if b.ln != nil {
		b.ln.Close()
	}
	conns := make([]*lineConn, 0, len(b.conns))
	for c := range b.conns {
		conns = append(conns, c)
	}
	b.mu.Unlock()

	for _, c := range conns {
		c.close("board closing")
	}
	b.hw.close()
	b.wg.Wait()
	var errs []error
	for _, p := range b.ports {
		if err := p.dev.Halt(); err != nil && !errors.Is(err, hal.ErrClosed) {
			errs = append(errs, fmt.Errorf("sim: port %d: %w", p.n, err))
		}
	}
	return errors.Join(errs...)
}

// driver is the boards registry entry.
type driver struct{}

func (driver) Name() string { return "sim" }

// Open builds and starts a sim board; it never skips (the sim is always
// there).
func (driver) Open(ctx context.Context, o boards.Options) (*boards.Board, error) {
	b, err := New(Options{FXS: o.FXS, FXO: o.FXO, E1: o.E1, Listen: o.Listen, Log: o.Log})
	if err != nil {
		return nil, err
	}
	if err := b.Start(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b.Boards(), nil
}

func init() { boards.Register(driver{}) }
