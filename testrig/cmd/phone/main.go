// Command phone is an analog telephone in a terminal: it plugs a
// testrig/phone into one port of the virtual board and lets a person lift
// the handset, dial, flash, speak a test tone and listen.
//
//	go run ./testrig/cmd/phone -addr 127.0.0.1:7070 -port 1
//
// Type help at the prompt for the commands. Ring and line-feed changes are
// printed as they happen. The command loop runs on the main goroutine; a
// second goroutine prints line events.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openiad/openiad/testrig/phone"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "phone:", err)
		os.Exit(1)
	}
}

// run parses flags, dials the board and runs the session.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("phone", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:7070", "where the sim board serves its lines")
	port := fs.Int("port", 1, "FXS port to plug into (1-based)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot reach the board: %w (is `make run` going?)", err)
	}
	p, err := phone.Attach(c, *port)
	if err != nil {
		return err
	}
	defer p.Close()
	return session(ctx, p, stdin, stdout)
}

// out serialises lines from the command loop and the event printer.
type out struct {
	mu sync.Mutex
	w  io.Writer
}

func (o *out) printf(format string, a ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, format+"\n", a...)
}

const helpText = `commands:
  off                 lift the handset (off-hook)
  on                  hang up (on-hook)
  flash [ms]          hook flash, default 300 ms
  dial DIGITS         dial DTMF digits 0-9 * # A-D (100 ms on / 100 ms off, -7 dBm0)
  tone FREQ [DBM0]    speak a sine into the microphone, default -10 dBm0
  quiet               stop the tone
  listen [SECONDS]    record the earpiece (default 2 s) and name what is heard
  status              hook, feed, polarity, ringing
  rings               the ring log with times
  help                this text
  quit                hang up and leave`

// session runs the command loop until quit, end of input or ctx.
func session(ctx context.Context, p *phone.Phone, stdin io.Reader, stdout io.Writer) error {
	o := &out{w: stdout}
	o.printf("phone on port %d. Type help for commands.", p.Port())
	evDone := make(chan struct{})
	stopEv := make(chan struct{})
	go func() {
		defer close(evDone)
		for {
			select {
			case e := <-p.Events():
				o.printf("* %s %s", e.At.Format("15:04:05.000"), e)
			case <-stopEv:
				return
			}
		}
	}()
	defer func() { close(stopEv); <-evDone }()

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-stopEv:
				return
			}
		}
	}()
	for {
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case <-p.Done():
			o.printf("the board closed the line")
			return nil
		case line, ok = <-lines:
			if !ok {
				return nil
			}
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if f[0] == "quit" || f[0] == "exit" {
			_ = p.OnHook()
			return nil
		}
		if err := command(p, o, f); err != nil {
			o.printf("error: %v", err)
		}
	}
}

var errUsage = errors.New("usage")

func command(p *phone.Phone, o *out, f []string) error {
	arg := func(i int, def float64) (float64, error) {
		if len(f) <= i {
			return def, nil
		}
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%w: %q is not a number", errUsage, f[i])
		}
		return v, nil
	}
	switch f[0] {
	case "help", "?":
		o.printf("%s", helpText)
	case "off", "offhook":
		if err := p.OffHook(); err != nil {
			return err
		}
		o.printf("off-hook")
	case "on", "onhook", "hangup":
		if err := p.OnHook(); err != nil {
			return err
		}
		o.printf("on-hook")
	case "flash":
		ms, err := arg(1, 300)
		if err != nil {
			return err
		}
		if ms < 1 || ms > 65535 {
			return fmt.Errorf("%w: flash from 1 to 65535 ms", errUsage)
		}
		if err := p.Flash(time.Duration(ms) * time.Millisecond); err != nil {
			return err
		}
		o.printf("flash %v", time.Duration(ms)*time.Millisecond)
	case "dial":
		if len(f) < 2 {
			return fmt.Errorf("%w: dial DIGITS", errUsage)
		}
		digits := strings.Join(f[1:], "")
		o.printf("dialling %s ...", digits)
		if err := p.Dial(digits); err != nil {
			return err
		}
		o.printf("dialled %s", digits)
	case "tone":
		if len(f) < 2 {
			return fmt.Errorf("%w: tone FREQ [DBM0]", errUsage)
		}
		freq, err := arg(1, 0)
		if err != nil {
			return err
		}
		lvl, err := arg(2, -10)
		if err != nil {
			return err
		}
		if freq <= 0 || freq >= 4000 || lvl > 3.14 {
			return fmt.Errorf("%w: frequency 1-3999 Hz, level up to +3.14 dBm0", errUsage)
		}
		p.Play(freq, lvl)
		o.printf("playing %g Hz at %g dBm0", freq, lvl)
	case "quiet":
		p.StopPlay()
		o.printf("microphone quiet")
	case "listen":
		secs, err := arg(1, 2)
		if err != nil {
			return err
		}
		if secs <= 0 || secs > 60 {
			return fmt.Errorf("%w: listen from 0.01 to 60 seconds", errUsage)
		}
		x := p.Record(time.Duration(secs * float64(time.Second)))
		o.printf("%s", phone.Recognise(x))
	case "status":
		l := p.Line()
		hook := "on-hook"
		if l.OffHook {
			hook = "off-hook"
		}
		pol := "normal"
		if l.Reversed {
			pol = "reversed"
		}
		o.printf("port %d: %s, feed %s, polarity %s, ringing %v", p.Port(), hook, l.Feed, pol, l.Ringing)
	case "rings":
		log := p.RingLog()
		if len(log) == 0 {
			o.printf("no rings yet")
		}
		for i, e := range log {
			state := "off"
			if e.On {
				state = "on "
			}
			d := ""
			if i+1 < len(log) {
				d = fmt.Sprintf(" for %v", log[i+1].At.Sub(e.At).Round(time.Millisecond))
			}
			o.printf("%s ring %s%s", e.At.Format("15:04:05.000"), state, d)
		}
	default:
		return fmt.Errorf("%w: unknown command %q (try help)", errUsage, f[0])
	}
	return nil
}
