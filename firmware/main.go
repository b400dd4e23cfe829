// Command firmware is the OpenIAD firmware: it boots the board (the sim
// board when no hardware is there), the media engine, call control and the
// management faces, and runs until it is told to stop.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if os.Getpid() == 1 {
		initMain() // the firmware is /init of its image: it never returns
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	stop()
	if errors.Is(err, errReboot) {
		// Everything has shut down cleanly: start again from the top, as
		// the box does after a reboot.
		exe, xerr := os.Executable()
		if xerr == nil {
			xerr = syscall.Exec(exe, os.Args, os.Environ())
		}
		fmt.Fprintln(os.Stderr, "openiad: reboot:", xerr)
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openiad:", err)
		os.Exit(1)
	}
}
