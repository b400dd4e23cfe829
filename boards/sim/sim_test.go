package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/boards"
	"github.com/openiad/openiad/boards/sim/wire"
	"github.com/openiad/openiad/dsp"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/signal"
	"periph.io/x/conn/v3/physic"
)

// logBuf collects the board's log for checks.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start builds and starts a board; the caller defers Close.
func start(t *testing.T, o Options) (*Board, *logBuf) {
	t.Helper()
	lb := &logBuf{}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		b.Close()
		t.Fatal(err)
	}
	return b, lb
}

func attach(t *testing.T, b *Board, port int) *phone.Phone {
	t.Helper()
	c, err := b.Attach(port)
	if err != nil {
		t.Fatal(err)
	}
	p, err := phone.Attach(c, port)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitEvent returns the next event of kind from fxs, failing after limit.
func waitEvent(t *testing.T, fxs hal.FXS, kind hal.LineEventKind, limit time.Duration) hal.LineEvent {
	t.Helper()
	timeout := time.After(limit)
	for {
		select {
		case ev, ok := <-fxs.Events():
			if !ok {
				t.Fatalf("%s: events closed", fxs)
			}
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("%s: no %s event within %s", fxs, kind, limit)
		}
	}
}

func TestOptions(t *testing.T) {
	cases := []struct {
		o    Options
		fxs  int
		fail bool
	}{
		{Options{}, DefaultFXS, false},
		{Options{FXS: 1}, 1, false},
		{Options{FXS: MaxFXS + 1}, 0, true},
		{Options{FXS: -1}, 0, true},
		{Options{FXO: -1}, 0, true},
		{Options{FXO: MaxFXO + 1}, 0, true},
		{Options{E1: MaxE1 + 1}, 0, true},
		{Options{FXS: 2, FXO: 2, E1: 1}, 2, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c.o), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, err := New(c.o)
				if c.fail {
					if !errors.Is(err, errOption) {
						t.Fatalf("got %v, want errOption", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				if len(b.FXS()) != c.fxs {
					t.Errorf("%d FXS ports, want %d", len(b.FXS()), c.fxs)
				}
				v := b.Boards()
				if v.Name != "sim" || len(v.FXS) != c.fxs || v.Highway == nil || v.Close == nil {
					t.Errorf("bad generic view %+v", v)
				}
				if want := fmt.Sprintf("%d declared, inactive", c.o.FXO); v.Info["fxo"] != want {
					t.Errorf("info fxo %q, want %q", v.Info["fxo"], want)
				}
				if want := fmt.Sprintf("%d declared, inactive", c.o.E1); v.Info["e1"] != want {
					t.Errorf("info e1 %q, want %q", v.Info["e1"], want)
				}
			})
		})
	}
}

// Test64Ports: a full board builds, each driver programs its own slot, and
// the last port works.
func Test64Ports(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{FXS: MaxFXS})
		defer b.Close()
		if len(b.FXS()) != MaxFXS {
			t.Fatalf("%d ports", len(b.FXS()))
		}
		for i, p := range b.ports {
			pcm := p.chip.PCM()
			if !pcm.Enabled || pcm.TxSlot != 2*i || pcm.RxSlot != 2*i {
				t.Errorf("port %d: PCM %+v, want slots %d", i+1, pcm, 2*i)
			}
			if got := b.FXS()[i].Timeslot(); got != 2*i {
				t.Errorf("port %d: Timeslot() %d, want %d", i+1, got, 2*i)
			}
		}
		ph := attach(t, b, MaxFXS)
		defer ph.Close()
		if err := ph.OffHook(); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, b.FXS()[MaxFXS-1], hal.EvHook, time.Second)
	})
}

func TestHookEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{})
		defer b.Close()
		ph := attach(t, b, 2)
		defer ph.Close()
		fxs := b.FXS()[1]
		if fxs.Hook() != hal.OnHook {
			t.Fatal("port 2 starts off-hook")
		}
		t0 := time.Now()
		if err := ph.OffHook(); err != nil {
			t.Fatal(err)
		}
		ev := waitEvent(t, fxs, hal.EvHook, time.Second)
		if ev.Hook != hal.OffHook || fxs.Hook() != hal.OffHook {
			t.Fatalf("event %+v, hook %s; want off-hook", ev, fxs.Hook())
		}
		if d := time.Since(t0); d > 200*time.Millisecond {
			t.Errorf("off-hook took %s to report", d)
		}
		select {
		case ev := <-b.FXS()[0].Events():
			t.Errorf("port 1 reported %+v", ev)
		default:
		}
		if err := ph.OnHook(); err != nil {
			t.Fatal(err)
		}
		if ev := waitEvent(t, fxs, hal.EvHook, time.Second); ev.Hook != hal.OnHook {
			t.Fatalf("event %+v, want on-hook", ev)
		}
		// Unplugging an off-hook phone opens the loop.
		if err := ph.OffHook(); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, fxs, hal.EvHook, time.Second)
		ph.Close()
		if ev := waitEvent(t, fxs, hal.EvHook, time.Second); ev.Hook != hal.OnHook {
			t.Fatalf("after unplug: %+v, want on-hook", ev)
		}
	})
}

// TestFlash: a flash opens the loop for its duration through the chip's
// hook bit; the driver sees on-hook then off-hook that far apart.
func TestFlash(t *testing.T) {
	for _, d := range []time.Duration{150 * time.Millisecond, 500 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, _ := start(t, Options{FXS: 1})
				defer b.Close()
				ph := attach(t, b, 1)
				defer ph.Close()
				fxs := b.FXS()[0]
				if err := ph.OffHook(); err != nil {
					t.Fatal(err)
				}
				waitEvent(t, fxs, hal.EvHook, time.Second)
				if err := ph.Flash(d); err != nil {
					t.Fatal(err)
				}
				down := waitEvent(t, fxs, hal.EvHook, time.Second)
				up := waitEvent(t, fxs, hal.EvHook, 2*time.Second)
				if down.Hook != hal.OnHook || up.Hook != hal.OffHook {
					t.Fatalf("events %+v %+v, want on-hook then off-hook", down, up)
				}
				if got := up.At.Sub(down.At); got < d-10*time.Millisecond || got > d+10*time.Millisecond {
					t.Errorf("flash seen for %s, want %s ±10ms", got, d)
				}
			})
		})
	}
}

// TestRingCadenceChina: the phone sees 1 s on / 4 s off ring bursts with
// the right times, and the feed shows ringing.
func TestRingCadenceChina(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{FXS: 2})
		defer b.Close()
		ph := attach(t, b, 1)
		defer ph.Close()
		fxs := b.FXS()[0]
		cad := hal.Cadence{Freq: 25 * physic.Hertz, Voltage: 65 * physic.Volt, Pattern: []time.Duration{time.Second, 4 * time.Second}}
		ph.Record(50 * time.Millisecond) // the phone has the initial line state
		t0 := time.Now()
		if err := fxs.Ring(cad); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if err := ph.WaitRing(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if ph.Feed() != wire.FeedRinging {
			t.Errorf("feed %s while ringing", ph.Feed())
		}
		ph.Record(11 * time.Second)
		if err := fxs.StopRing(); err != nil {
			t.Fatal(err)
		}
		ph.Record(100 * time.Millisecond)
		if ph.Ringing() {
			t.Error("still ringing after StopRing")
		}
		log := ph.RingLog()
		want := []struct {
			on bool
			at time.Duration
		}{{true, 0}, {false, time.Second}, {true, 5 * time.Second}, {false, 6 * time.Second}, {true, 10 * time.Second}, {false, 11 * time.Second}}
		if len(log) < len(want) {
			t.Fatalf("ring log %v, want %d edges", log, len(want))
		}
		start := log[0].At
		if d := start.Sub(t0); d > 50*time.Millisecond {
			t.Errorf("first ring %s after Ring", d)
		}
		for i, w := range want {
			got := log[i].At.Sub(start)
			if log[i].On != w.on || got < w.at-10*time.Millisecond || got > w.at+10*time.Millisecond {
				t.Errorf("edge %d: on=%v at %s, want on=%v at %s ±10ms", i, log[i].On, got, w.on, w.at)
			}
		}
	})
}

// engine is a test stand-in for dsp/engine: it sends gen's frames on slot
// tx and keeps what arrives on every slot.
type engine struct {
	hw   hal.Highway
	mu   sync.Mutex
	rx   [][]hal.Frame // per tick, all slots
	gen  func(tx []hal.Frame)
	done chan error
}

func runEngine(hw hal.Highway, gen func(tx []hal.Frame)) *engine {
	e := &engine{hw: hw, gen: gen, done: make(chan error, 1)}
	go func() {
		rx := make([]hal.Frame, hw.Slots())
		tx := make([]hal.Frame, hw.Slots())
		for {
			if e.gen != nil {
				e.gen(tx)
			}
			if err := hw.Exchange(rx, tx); err != nil {
				e.done <- err
				return
			}
			e.mu.Lock()
			if len(e.rx) == engineKeep {
				e.rx = e.rx[1:]
			}
			e.rx = append(e.rx, append([]hal.Frame(nil), rx...))
			e.mu.Unlock()
		}
	}()
	return e
}

// engineKeep is how many ticks the test engine remembers.
const engineKeep = 50

// slot returns the last n frames received on slot s, as samples.
func (e *engine) slot(s, n int) []int16 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []int16
	for _, f := range e.rx[max(0, len(e.rx)-n):] {
		out = append(out, f[s][:]...)
	}
	return out
}

// TestAudioPath: a tone the engine sends on a port's slot reaches that
// port's phone only, and the phone's microphone reaches the port's slot
// only, both at the level sent.
func TestAudioPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{FXS: 3})
		defer b.Close()
		var phones []*phone.Phone
		for n := 1; n <= 3; n++ {
			ph := attach(t, b, n)
			defer ph.Close()
			phones = append(phones, ph)
		}
		for i := range 2 { // port 3 stays on-hook, feed open
			if err := b.FXS()[i].SetFeed(hal.FeedForward); err != nil {
				t.Fatal(err)
			}
			if err := phones[i].OffHook(); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.FXS()[2].SetFeed(hal.FeedOpen); err != nil {
			t.Fatal(err)
		}
		// The engine sends 1004 Hz at -10 dBm0 to port 2 (slot 2) and
		// 697 Hz at -20 dBm0 on slot 0 to port 1, and 400 Hz to port 3.
		var ph1, ph2, ph3 float64
		e := runEngine(b.Highway(), func(tx []hal.Frame) {
			signal.Sine(tx[0][:], 697, -20, &ph1)
			signal.Sine(tx[2][:], 1004, -10, &ph2)
			signal.Sine(tx[4][:], 400, -10, &ph3)
		})
		phones[0].Play(1500, -13)
		phones[1].Play(2000, -3)
		phones[2].Play(800, -3)
		phones[0].Record(200 * time.Millisecond) // settle: hook debounce, first frames

		check := func(what string, x []int16, freq, dbm0 float64) {
			t.Helper()
			if got := signal.LevelAt(x, freq); got < dbm0-0.5 || got > dbm0+0.5 {
				t.Errorf("%s: %g Hz at %.2f dBm0, want %.1f", what, freq, got, dbm0)
			}
			if f, l := signal.MaxOther(x, []float64{freq}, 50); l > -40 {
				t.Errorf("%s: stray %g Hz at %.1f dBm0", what, f, l)
			}
		}
		rec1 := phones[0].Record(300 * time.Millisecond)
		rec2 := phones[1].Record(300 * time.Millisecond)
		rec3 := phones[2].Record(300 * time.Millisecond)
		check("earpiece 1", rec1, 697, -20)
		check("earpiece 2", rec2, 1004, -10)
		check("slot 0 (port 1 mic)", e.slot(0, 30), 1500, -13)
		check("slot 2 (port 2 mic)", e.slot(2, 30), 2000, -3)
		for _, s := range []int{1, 3, 4, 5, 6, 100} {
			if x := e.slot(s, 30); dsp.RMS(x) != 0 {
				t.Errorf("slot %d carries audio (%.1f dBm0)", s, dsp.RMSToDBm0(dsp.RMS(x)))
			}
		}
		if lvl := dsp.RMSToDBm0(dsp.RMS(rec3)); lvl > -70 {
			t.Errorf("port 3 (open, on-hook) hears %.1f dBm0", lvl)
		}
		if b.Highway().Overruns() != 0 {
			t.Errorf("%d overruns with a punctual engine", b.Highway().Overruns())
		}
		b.Close()
		if err := <-e.done; !errors.Is(err, hal.ErrClosed) {
			t.Errorf("engine after close: %v", err)
		}
	})
}

// TestLateEngine: an engine that misses ticks loses them; the clock and
// the phones go on at 10 ms.
func TestLateEngine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{FXS: 1})
		defer b.Close()
		ph := attach(t, b, 1)
		defer ph.Close()
		hw := b.Highway()
		rx, tx := make([]hal.Frame, Slots), make([]hal.Frame, Slots)
		if err := hw.Exchange(rx, tx); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // the phone has the frame of this tick
		before := hw.Overruns()
		t0 := time.Now()
		got := ph.Record(100 * time.Millisecond) // the engine sleeps 10 ticks
		if len(got) != 800 || time.Since(t0) != 100*time.Millisecond {
			t.Fatalf("phone got %d samples in %s", len(got), time.Since(t0))
		}
		if err := hw.Exchange(rx, tx); err != nil {
			t.Fatal(err)
		}
		if n := hw.Overruns() - before; n < 9 || n > 10 {
			t.Errorf("%d overruns while the engine slept 10 ticks", n)
		}
		if err := hw.Exchange(rx, tx[:3]); !errors.Is(err, hal.ErrRange) {
			t.Errorf("short tx: %v", err)
		}
	})
}

// TestSlowPhone: a phone that stops reading loses audio; the clock, the
// engine and the other phones keep time.
func TestSlowPhone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{FXS: 2})
		defer b.Close()
		c, err := b.Attach(1)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := wire.NewWriter(c).Write(&wire.Msg{Type: wire.Hello, Version: wire.Version, Port: 1}); err != nil {
			t.Fatal(err)
		}
		// ... and never reads.
		ph := attach(t, b, 2)
		defer ph.Close()
		hw := b.Highway()
		rx, tx := make([]hal.Frame, Slots), make([]hal.Frame, Slots)
		t0 := time.Now()
		for range 100 {
			if err := hw.Exchange(rx, tx); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(t0); d > 1010*time.Millisecond {
			t.Errorf("100 ticks took %s", d)
		}
		if hw.Overruns() != 0 {
			t.Errorf("%d overruns", hw.Overruns())
		}
		if got := ph.Record(100 * time.Millisecond); len(got) != 800 {
			t.Errorf("the other phone got %d samples", len(got))
		}
	})
}

// raw is a hostile peer: it sends bytes and collects what the board says.
func raw(t *testing.T, c net.Conn, send []byte) (got []wire.Msg) {
	t.Helper()
	if len(send) > 0 {
		go func() {
			c.Write(send) // may fail part way: the board hangs up
		}()
	}
	r := wire.NewReader(c)
	for {
		var m wire.Msg
		if err := r.Read(&m); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
				t.Errorf("reading the board: %v", err)
			}
			return got
		}
		got = append(got, m)
	}
}

func frame(ty wire.Type, payload ...byte) []byte {
	return append([]byte{byte(ty), byte(len(payload)), byte(len(payload) >> 8)}, payload...)
}

func hello(port int) []byte {
	b, _ := (&wire.Msg{Type: wire.Hello, Version: wire.Version, Port: port}).Append(nil)
	return b
}

// TestHostile: each malformed or hostile message drops only that
// connection, with a logged reason; the board, its clock and the phone on
// the other port keep working.
func TestHostile(t *testing.T) {
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	flood := hello(2)
	for range floodBurst + 10 {
		flood = append(flood, frame(wire.Hook, 1)...)
	}
	cases := []struct {
		name   string
		send   []byte
		reason string
	}{
		{"bad type", cat(hello(2), frame(42)), "unknown message type"},
		{"bad length", cat(hello(2), frame(wire.Hook, 1, 0, 0, 0, 0)), "wrong payload length"},
		{"oversize", cat(hello(2), []byte{byte(wire.Audio), 0xff, 0xff}, make([]byte, 1000)), "too large"},
		{"wrong version", frame(wire.Hello, 2, 2, 0), "unsupported version"},
		{"audio 100 bytes", cat(hello(2), frame(wire.Audio, make([]byte, 100)...)), "audio payload of 100 bytes"},
		{"audio before hello", frame(wire.Audio, make([]byte, wire.AudioLen)...), "want hello"},
		{"board message from a phone", cat(hello(2), frame(wire.Ring, 1)), "unexpected ring"},
		{"second hello", cat(hello(2), hello(2)), "unexpected hello"},
		{"hello for another port", hello(3), "attached to port 2"},
		{"no such port", hello(9), "no such port"},
		{"busy port", hello(1), "busy"},
		{"flood", flood, "flood"},
		{"silence", nil, "no hello within"},
		{"bad hook value", cat(hello(2), frame(wire.Hook, 7)), "bad field value"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, lb := start(t, Options{FXS: 3})
				defer b.Close()
				good := attach(t, b, 1)
				defer good.Close()
				engine := runEngine(b.Highway(), nil)

				bc, pc := net.Pipe()
				want := 2
				if c.name == "no such port" || c.name == "busy port" {
					want = 0 // as on the socket: any port may be asked for
				}
				b.serve(bc, want)
				got := raw(t, pc, c.send)
				pc.Close()
				if len(got) == 0 || got[len(got)-1].Type != wire.Error {
					t.Fatalf("board said %v, want an error last", got)
				} else if txt := got[len(got)-1].Text; !strings.Contains(txt, c.reason) {
					t.Errorf("error %q lacks %q", txt, c.reason)
				}
				if log := lb.String(); !strings.Contains(log, "dropping phone connection") || !strings.Contains(log, c.reason) {
					t.Errorf("log lacks the reason %q:\n%s", c.reason, log)
				}
				// The board goes on: the good phone still works.
				if err := good.OffHook(); err != nil {
					t.Fatal(err)
				}
				waitEvent(t, b.FXS()[0], hal.EvHook, time.Second)
				if n := len(good.Record(50 * time.Millisecond)); n != 400 {
					t.Errorf("good phone recorded %d samples", n)
				}
				// The hostile port is free again.
				if c.name != "busy port" {
					ph := attach(t, b, 2)
					ph.Close()
				}
				b.Close()
				if err := <-engine.done; !errors.Is(err, hal.ErrClosed) {
					t.Errorf("engine: %v", err)
				}
			})
		})
	}
}

// TestBusyPortRefused: a second phone on a port gets Error and close;
// the first keeps the port.
func TestBusyPortRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := start(t, Options{FXS: 2})
		defer b.Close()
		first := attach(t, b, 1)
		defer first.Close()
		c, err := b.Attach(1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := phone.Attach(c, 1); err == nil || !strings.Contains(err.Error(), "busy") {
			t.Fatalf("second phone on port 1: %v, want busy", err)
		}
		if err := first.OffHook(); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, b.FXS()[0], hal.EvHook, time.Second)
		if _, err := b.Attach(3); !errors.Is(err, errPort) {
			t.Errorf("Attach(3) on 2 ports: %v", err)
		}
	})
}

// TestSocket: the TCP socket serves phones like the pipe does, and drops
// a hostile one without disturbing the board. Real time, a few ticks.
func TestSocket(t *testing.T) {
	b, lb := start(t, Options{FXS: 2, Listen: "127.0.0.1:0"})
	defer b.Close()
	addr := b.Addr()
	if addr == nil || b.Boards().Info["listen"] != addr.String() {
		t.Fatalf("addr %v, info %q", addr, b.Boards().Info["listen"])
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	ph, err := phone.Attach(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ph.Close()

	bad, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if got := raw(t, bad, frame(99)); len(got) != 1 || got[0].Type != wire.Error {
		t.Errorf("hostile socket peer got %v", got)
	}

	if err := ph.OffHook(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, b.FXS()[0], hal.EvHook, 2*time.Second)
	if n := len(ph.Record(30 * time.Millisecond)); n != 240 {
		t.Errorf("recorded %d samples over TCP", n)
	}
	if !strings.Contains(lb.String(), "unknown message type") {
		t.Errorf("log lacks the hostile peer:\n%s", lb.String())
	}
}

func TestRegistry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bd, report, err := boards.Open(context.Background(), "sim", boards.Options{FXS: 2, FXO: 1})
		if err != nil {
			t.Fatalf("%v %v", err, report)
		}
		defer bd.Close()
		if bd.Name != "sim" || len(bd.FXS) != 2 || bd.Highway.Slots() != Slots {
			t.Errorf("board %+v", bd)
		}
		found := false
		for _, r := range report {
			if r.Name == "sim" && r.State == boards.Loaded {
				found = true
			}
		}
		if !found {
			t.Errorf("report %v lacks sim loaded", report)
		}
		if err := bd.Close(); err != nil {
			t.Fatal(err)
		}
		rx, tx := make([]hal.Frame, Slots), make([]hal.Frame, Slots)
		if err := bd.Highway.Exchange(rx, tx); !errors.Is(err, hal.ErrClosed) {
			t.Errorf("exchange after close: %v", err)
		}
	})
}

func TestStartClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := New(Options{FXS: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := b.Start(context.Background()); !errors.Is(err, errState) {
			t.Errorf("second Start: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := b.Start(context.Background()); !errors.Is(err, errState) {
			t.Errorf("Start after Close: %v", err)
		}
		if _, err := b.Attach(1); !errors.Is(err, errState) {
			t.Errorf("Attach after Close: %v", err)
		}
	})
}

// TestTickZeroAlloc: a tick of the board — chips, highway, two phones in
// a call-like state answering over the wire — allocates nothing. The tick
// is driven by hand so that only the board's and the phones' work is
// counted (the drivers' IRQ goroutines are not part of the tick).
func TestTickZeroAlloc(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, err := New(Options{FXS: 8})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for n := 1; n <= 2; n++ {
			ph := attach(t, b, n)
			defer ph.Close()
			if err := ph.OffHook(); err != nil {
				t.Fatal(err)
			}
			ph.Play(1004, -10)
		}
		h := b.hw
		tick := func() {
			h.mu.Lock()
			h.state, h.txValid, h.engaged = engWaiting, true, true
			h.mu.Unlock()
			b.tick(time.Now())
			<-h.ready
			synctest.Wait() // the phones have answered
		}
		for range 5 {
			tick()
		}
		b.ports[0].mu.Lock()
		attached := b.ports[0].conn != nil
		b.ports[0].mu.Unlock()
		if !b.ports[0].chip.Talk() || !attached {
			t.Fatal("port 1 is not talking")
		}
		allocs := testing.AllocsPerRun(50, tick)
		if allocs != 0 {
			t.Errorf("%v allocations per tick, want 0", allocs)
		}
		if lvl := signal.LevelAt(h.rx[0][:], 1004); lvl < -11 || lvl > -9 {
			t.Errorf("the tick did not carry the phone's tone: %.1f dBm0", lvl)
		}
	})
}
