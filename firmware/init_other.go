//go:build !linux

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/openiad/openiad/firmware/system"
)

// onSystem is set by PID 1, which only Linux has.
var onSystem func(ctx context.Context, sys *system.System, log *slog.Logger)

func initMain() {
	fmt.Fprintln(os.Stderr, "openiad: PID 1 only on Linux")
	os.Exit(1)
}
