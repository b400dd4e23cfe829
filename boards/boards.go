// Package boards is the registry of board definitions. A board wires chip
// drivers from hal/ to buses, pins and TDM timeslots and hands the firmware
// a Board: its ports, its highway and its housekeeping devices. Board
// packages register a Driver from their init function, like periph's
// driverreg; the firmware opens one by name, or the first that loads, and
// shows the report of every driver on the console and the web page.
//
// Register is called from init functions only; Open and Drivers may be
// called from any goroutine.
package boards

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/openiad/openiad/hal"
)

// ErrSkip is wrapped by Driver.Open when the board is not present on this
// machine: the registry reports the driver as skipped, not failed.
var ErrSkip = errors.New("boards: board not present")

// ErrNoBoard is returned by Open when no driver loaded.
var ErrNoBoard = errors.New("boards: no board loaded")

// Options are the requests the firmware makes of a board. A board that
// cannot honour one fails with an error that says which.
type Options struct {
	FXS    int    // FXS ports wanted; 0 means the board's default
	FXO    int    // FXO ports wanted (declared; later work brings them alive)
	E1     int    // E1 ports wanted (declared)
	Listen string // where a virtual board serves its lines ("" for none)
	Log    *slog.Logger
}

// Board is an opened board: what the firmware may drive.
type Board struct {
	Name     string
	FXS      []hal.FXS
	FXO      []hal.FXO
	E1       []hal.E1
	Highway  hal.Highway
	Watchdog hal.Watchdog // nil when the board has none
	LEDs     []hal.LED
	Relays   []hal.Relay
	Console  string            // the console UART device, "" when the terminal is the console
	Info     map[string]string // facts for people: where the lines are served, chip revisions
	Close    func() error      // releases the board; the highway returns ErrClosed afterwards
}

// Driver opens one kind of board.
type Driver interface {
	Name() string
	// Open probes for the board and opens it. It returns an error wrapping
	// ErrSkip when the board is not there.
	Open(ctx context.Context, o Options) (*Board, error)
}

// State is how a driver fared in Open.
type State string

const (
	Loaded  State = "loaded"
	Skipped State = "skipped"
	Failed  State = "failed"
	NotRun  State = "not tried"
)

// Result is one row of the report.
type Result struct {
	Name  string
	State State
	Err   error // the reason when skipped or failed
}

func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s: %s (%v)", r.Name, r.State, r.Err)
	}
	return fmt.Sprintf("%s: %s", r.Name, r.State)
}

var (
	mu      sync.Mutex
	drivers []Driver
)

// Register adds a driver. Names are unique: registering a name twice is a
// programming error and panics.
func Register(d Driver) {
	mu.Lock()
	defer mu.Unlock()
	for _, o := range drivers {
		if o.Name() == d.Name() {
			panic("boards: driver " + d.Name() + " registered twice")
		}
	}
	drivers = append(drivers, d)
}

// Drivers lists the registered driver names in registration order.
func Drivers() []string {
	mu.Lock()
	defer mu.Unlock()
	names := make([]string, len(drivers))
	for i, d := range drivers {
		names[i] = d.Name()
	}
	return names
}

// Open opens the board called name, or when name is "" the first board in
// registration order that loads. The report has one row per registered
// driver.
func Open(ctx context.Context, name string, o Options) (*Board, []Result, error) {
	mu.Lock()
	ds := slices.Clone(drivers)
	mu.Unlock()
	report := make([]Result, 0, len(ds))
	var board *Board
	found := false
	for _, d := range ds {
		r := Result{Name: d.Name(), State: NotRun}
		if board == nil && (name == "" || name == d.Name()) {
			found = true
			b, err := d.Open(ctx, o)
			switch {
			case err == nil:
				board, r.State = b, Loaded
				if board.Name == "" {
					board.Name = d.Name()
				}
			case errors.Is(err, ErrSkip):
				r.State, r.Err = Skipped, err
			default:
				r.State, r.Err = Failed, err
			}
		}
		report = append(report, r)
	}
	if board != nil {
		return board, report, nil
	}
	if name != "" && !found {
		return nil, report, fmt.Errorf("%w: no driver named %q (have %v)", ErrNoBoard, name, Drivers())
	}
	return nil, report, ErrNoBoard
}
