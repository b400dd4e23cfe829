package console_test

import (
	"context"
	"log/slog"
	"os"

	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
)

// The console on the terminal, as `make run` starts it: the log and the
// console share one Screen, so log lines appear above the prompt.
func Example() {
	ctx := context.Background()
	scr := console.NewScreen(os.Stdout, false, 80)
	logs := logbuf.New(logbuf.Options{Size: 1000})
	log := slog.New(slog.NewMultiHandler(slog.NewTextHandler(scr, nil), logs))

	users, first, err := auth.Open("var/users", nil)
	if err != nil {
		log.Error("no console accounts", "err", err)
		return
	}
	con, err := console.New(console.Options{
		In:            os.Stdin, // Device "" : the terminal
		Screen:        scr,
		Users:         users,
		FirstPassword: first, // shown once, on the first console session
		Logs:          logs,
		Log:           log,
		// Status, DSP, Config, SIP, CDRs, Actions: what the box has.
	})
	if err != nil {
		log.Error("console", "err", err)
		return
	}
	go con.Run(ctx)
}
