// Command firmware is the OpenIAD firmware: it boots the board (the sim
// board when no hardware is there), the media engine, call control and the
// management faces, and runs until it is told to stop.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "openiad:", err)
		os.Exit(1)
	}
}
