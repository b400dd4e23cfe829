//go:build !linux

package pid1

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Paths, as on Linux.
const (
	ModulesDir   = "/lib/modules"
	ModulesOrder = "/lib/modules/order"
	DataDir      = "/data"
)

var errNotLinux = errors.New("pid1: only Linux boots the firmware as PID 1")

// Options say what the board needs at boot.
type Options struct {
	DataDevice string
	DataFS     string
	DeviceWait time.Duration
	Log        *slog.Logger
}

// Report says what Boot did.
type Report struct {
	Modules    []string
	DataMount  string
	Persistent bool
}

// Boot fails: only Linux has a PID 1 for the firmware.
func Boot(Options) (Report, error) { return Report{}, errNotLinux }

// Reap returns at once.
func Reap(context.Context) {}

// How is what Shutdown does at the end.
type How int

// Ways to end.
const (
	Reboot How = iota
	PowerOff
)

// Shutdown fails: only Linux has a PID 1 for the firmware.
func Shutdown(How, *slog.Logger) error { return errNotLinux }

// WaitDevice fails: only Linux has a PID 1 for the firmware.
func WaitDevice(string, time.Duration) error { return errNotLinux }
