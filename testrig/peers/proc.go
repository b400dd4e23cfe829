package peers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	errExited  = errors.New("peers: program exited")
	errNoPorts = errors.New("peers: no free ports")
	errStuck   = errors.New("peers: program did not stop")
)

// How long Stop waits after the polite signal before it kills, and after
// the kill before it gives up.
const (
	stopGrace = 5 * time.Second
	killGrace = 5 * time.Second
)

// logBuffer keeps the last max bytes of a program's output and copies
// everything to an optional writer as it arrives.
type logBuffer struct {
	mu      sync.Mutex
	b       []byte
	max     int
	dropped int64
	tee     io.Writer
}

func newLogBuffer(max int, tee io.Writer) *logBuffer { return &logBuffer{max: max, tee: tee} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 2*l.max {
		cut := len(l.b) - l.max
		l.dropped += int64(cut)
		l.b = append(l.b[:0], l.b[cut:]...)
	}
	if l.tee != nil {
		l.tee.Write(p) // a failing copy must not stop the program's output
	}
	return len(p), nil
}

// String returns the kept output, saying how much was dropped before it.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		return fmt.Sprintf("[... %d bytes dropped ...]\n%s", l.dropped, l.b)
	}
	return string(l.b)
}

// tail returns at most the last n bytes of the kept output.
func (l *logBuffer) tail(n int) string {
	s := l.String()
	if len(s) > n {
		s = "[...]" + s[len(s)-n:]
	}
	return s
}

// proc is one running program.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *logBuffer
	done chan struct{} // closed when the program has exited
	err  error         // cmd.Wait's result, valid after done
}

// startProc starts prog in dir with its output in log. The program runs in
// its own process group and is killed if the test binary dies.
func startProc(name, dir string, log *logBuffer, prog string, args ...string) (*proc, error) {
	cmd := exec.Command(prog, args...)
	cmd.Dir = dir
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.Stdin = nil
	cmd.WaitDelay = killGrace // output pipes held by stray children must not block Wait
	setProcAttr(cmd)
	fmt.Fprintf(log, "peers: %s: %s %s\n", name, prog, strings.Join(args, " "))
	p := &proc{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is bound to the thread that forked the
		// child: keep that thread for the life of the process.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		fmt.Fprintf(log, "peers: %s exited: %v\n", name, p.err)
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("peers: start %s: %w", name, err)
	}
	return p, nil
}

// exitErr describes how the program ended, for errors returned while
// waiting for it to become ready.
func (p *proc) exitErr() error {
	return fmt.Errorf("%w: %s: %v; last output:\n%s", errExited, p.name, p.err, p.log.tail(4096))
}

// exited reports whether the program has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the program to end with sig, waits up to grace, then kills
// its process group. It returns nil once the program is gone, whatever
// its exit status.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) error {
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
	}
	fmt.Fprintf(p.log, "peers: %s did not stop within %v, killing it\n", p.name, grace)
	killGroup(p.cmd)
	t.Reset(killGrace)
	select {
	case <-p.done:
		return nil
	case <-t.C:
		return fmt.Errorf("%w: %s (pid %d)", errStuck, p.name, p.cmd.Process.Pid)
	}
}

// poll calls try every interval until it returns true, the program exits
// or ctx ends.
func (p *proc) poll(ctx context.Context, interval time.Duration, what string, try func(context.Context) bool) error {
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		if try(ctx) {
			return nil
		}
		select {
		case <-p.done:
			return p.exitErr()
		case <-ctx.Done():
			return fmt.Errorf("peers: %s: waiting for %s: %w; last output:\n%s", p.name, what, ctx.Err(), p.log.tail(4096))
		case <-tk.C:
		}
	}
}

// Free ports are drawn at random below the kernel's usual ephemeral range
// (32768 and up), so that outgoing sockets of the tests do not take them.
const (
	portLow  = 20000
	portHigh = 32000
)

// freePorts returns a base port such that base..base+n-1 are free for both
// UDP and TCP on 127.0.0.1, with base a multiple of align.
func freePorts(n, align int) (int, error) {
	if align < 1 {
		align = 1
	}
	for range 200 {
		base := portLow + rand.IntN((portHigh-portLow)/align)*align
		if portsFree(base, n) {
			return base, nil
		}
	}
	return 0, fmt.Errorf("%w: %d ports from %d to %d", errNoPorts, n, portLow, portHigh)
}

// portsFree reports whether base..base+n-1 can be bound for UDP and TCP.
func portsFree(base, n int) bool {
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	for port := base; port < base+n; port++ {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		u, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return false
		}
		closers = append(closers, u)
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			return false
		}
		closers = append(closers, l)
	}
	return true
}

// udpBound reports whether something else holds UDP port on 127.0.0.1.
func udpBound(port int) bool {
	u, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return true
	}
	u.Close()
	return false
}

// shortTempDir makes a private directory with a short path: Unix socket
// paths are limited to 108 bytes, and t.TempDir's can be longer.
func shortTempDir(prefix string) (string, error) {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", fmt.Errorf("peers: %w", err)
	}
	return d, nil
}
