// Package system boots the box: it opens the board, loads the
// configuration, starts the media engine and one call-control line per FXS
// port, and keeps them in step with configuration changes. The firmware's
// main and the end-to-end scenarios in testrig both boot through Start, so
// the program that ships is the program under test.
//
// Start may be called once per System; the goroutines it starts stop when
// its context is done, and Wait returns after they all have.
package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"

	"periph.io/x/conn/v3/physic"

	"github.com/openiad/openiad/boards"
	"github.com/openiad/openiad/dsp/engine"
	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/line"
	"github.com/openiad/openiad/firmware/route"
	"github.com/openiad/openiad/firmware/voip"
	"github.com/openiad/openiad/hal"
	"github.com/openiad/openiad/sip/ua"
)

// RingVoltage is the peak open-circuit ring voltage the box rings with.
const RingVoltage = 70 * physic.Volt

// Options say what to boot.
type Options struct {
	Board     *boards.Board // an opened board; when nil, BoardName is opened from the registry
	BoardName string        // "" picks the first board that loads
	BoardOpts boards.Options
	StateDir  string    // configuration, call records and logs live here
	FS        config.FS // nil means the operating system's file system
	Log       *slog.Logger
	Observe   func(line.Change) // told of every line state change (may be nil)
	// SIPListen overrides where the SIP user agent listens (default: all
	// addresses on the configured SIP port). Tests use 127.0.0.1:0.
	SIPListen netip.AddrPort
	// SIPConn, when set, is the SIP socket to serve instead of opening one
	// (an in-memory one in virtual-time tests).
	SIPConn net.PacketConn
}

// System is a booted box.
type System struct {
	Board  *boards.Board
	Report []boards.Result // how each board driver fared
	Config *config.Store
	Engine *engine.Engine
	Switch *line.Switch
	Lines  []*line.Line
	UA     *ua.UA      // the SIP user agent
	Trunk  *voip.Trunk // the carrier side of the lines
	SIPTap *voip.Tap   // every SIP datagram, for live traces and captures
	CDR    *cdr.Store  // the call detail records; nil when the store could not be opened

	log  *slog.Logger
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

// Start boots the box and returns once every subsystem runs.
func Start(ctx context.Context, o Options) (*System, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &System{log: log, Board: o.Board}
	if s.Board == nil {
		bo := o.BoardOpts
		bo.Log = log
		b, report, err := boards.Open(ctx, o.BoardName, bo)
		s.Report = report
		for _, r := range report {
			log.Info("board driver", "driver", r.Name, "state", string(r.State), "reason", errString(r.Err))
		}
		if err != nil {
			return nil, fmt.Errorf("system: %w", err)
		}
		s.Board = b
	}
	fsys := o.FS
	dir := filepath.Join(o.StateDir, "config")
	if fsys == nil {
		fsys = config.OSFS{}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			s.closeBoard(o)
			return nil, fmt.Errorf("system: state folder: %w", err)
		}
	}
	store, err := config.Open(fsys, dir, config.Default(len(s.Board.FXS)), log)
	if err != nil {
		s.closeBoard(o)
		return nil, fmt.Errorf("system: configuration: %w", err)
	}
	s.Config = store
	cfg := store.Get()
	settings, err := Settings(cfg)
	if err != nil {
		s.closeBoard(o)
		return nil, fmt.Errorf("system: %w", err)
	}

	s.Engine = engine.New(s.Board.Highway, engine.Options{Log: log})
	s.Switch = line.NewSwitch(settings, log, o.Observe)
	for i, fxs := range s.Board.FXS {
		if err := s.Engine.Open(i, fxs.Timeslot()); err != nil {
			s.closeBoard(o)
			return nil, fmt.Errorf("system: port %d: %w", i+1, err)
		}
		l := s.Switch.Add(i+1, i, fxs, s.Engine, extension(cfg, i+1))
		l.SetName(portName(cfg, i+1))
		s.Lines = append(s.Lines, l)
	}

	if err := s.startSIP(ctx, o, cfg); err != nil {
		s.closeBoard(o)
		return nil, err
	}

	s.startCDR(ctx, o, fsys)
	s.goRun("engine", s.Engine.Run, ctx)
	for _, l := range s.Lines {
		s.goRun(fmt.Sprintf("line %d", l.Port()), l.Run, ctx)
	}
	s.goRun("digits", s.dispatch, ctx)
	s.goRun("config", s.follow, ctx)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-ctx.Done()
		s.closeBoard(o)
	}()
	return s, nil
}

func (s *System) closeBoard(o Options) {
	// A board we opened is ours to close; one we were handed is not.
	if o.Board == nil && s.Board != nil && s.Board.Close != nil {
		if err := s.Board.Close(); err != nil {
			s.log.Error("system: closing the board", "err", err)
		}
	}
}

func (s *System) goRun(name string, f func(context.Context) error, ctx context.Context) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := f(ctx); err != nil {
			s.log.Error("system: subsystem stopped", "subsystem", name, "err", err)
			s.mu.Lock()
			s.errs = append(s.errs, fmt.Errorf("%s: %w", name, err))
			s.mu.Unlock()
		}
	}()
}

// TestCall rings the phone on port and, when it is answered, dials number
// for it; see line.Switch.TestCall.
func (s *System) TestCall(ctx context.Context, port int, number string, progress func(string)) error {
	return s.Switch.TestCall(ctx, port, number, progress)
}

// Wait waits for every subsystem to stop and returns their errors.
func (s *System) Wait() error {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// dispatch hands the engine's DTMF digits to the lines and its fax and
// modem signals to the trunk.
func (s *System) dispatch(ctx context.Context) error {
	evs := make([]engine.Event, 0, 64)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.Engine.Notify():
		}
		evs = s.Engine.Events(evs[:0])
		for _, ev := range evs {
			if ev.Kind == engine.Fax && s.Trunk != nil {
				s.Trunk.Fax(ev.Ch) // a fax or modem: plain G.711
			}
			if ev.Kind != engine.DigitDown {
				continue
			}
			if l := s.Switch.LineByChannel(ev.Ch); l != nil {
				l.Digit(ev.Digit)
			}
		}
	}
}

// follow applies configuration changes to the running lines.
func (s *System) follow(ctx context.Context) error {
	ch, cancel := s.Config.Watch()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case cfg := <-ch:
			st, err := Settings(cfg)
			if err != nil {
				s.log.Error("system: new configuration not applied", "err", err)
				continue
			}
			s.Switch.SetSettings(st)
			for _, l := range s.Lines {
				s.Switch.SetExtension(l, extension(cfg, l.Port()))
				l.SetName(portName(cfg, l.Port()))
			}
			if err := s.Trunk.Configure(cfg); err != nil {
				s.log.Error("system: SIP accounts", "err", err)
			}
			s.log.Info("system: configuration applied")
		}
	}
}

// startSIP opens the user agent and the trunk over it.
func (s *System) startSIP(ctx context.Context, o Options, cfg config.Config) error {
	conn := o.SIPConn
	var sipTCP net.Listener // nil: no TCP (an in-memory SIPConn)
	if conn == nil {
		listen := o.SIPListen
		if !listen.IsValid() {
			listen = netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(cfg.SIP.Port))
		}
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(listen))
		if err != nil {
			return fmt.Errorf("system: SIP socket: %w", err)
		}
		conn = c
		// SIP over TCP on the same port, for profiles whose transport is tcp
		tcpAddr := netip.AddrPortFrom(listen.Addr(), uint16(c.LocalAddr().(*net.UDPAddr).Port))
		if l, err := net.Listen("tcp", tcpAddr.String()); err == nil {
			sipTCP = l
		} else {
			s.log.Warn("system: SIP over TCP takes no connections", "err", err)
		}
	}
	s.SIPTap = voip.NewTap(conn)
	u, err := ua.New(ua.Options{Conn: s.SIPTap, Listener: sipTCP, Log: s.log, UserAgent: "OpenIAD"})
	if err != nil {
		conn.Close()
		if sipTCP != nil {
			sipTCP.Close()
		}
		return fmt.Errorf("system: SIP: %w", err)
	}
	s.UA = u
	s.Trunk = voip.New(ctx, voip.Options{UA: u, Engine: s.Engine, Switch: s.Switch, MediaIP: mediaIP(u.Addr().Addr()), Log: s.log, Tap: s.SIPTap})
	s.Switch.SetTrunk(s.Trunk)
	s.goRun("sip", u.Run, ctx)
	if err := s.Trunk.Configure(cfg); err != nil {
		s.log.Error("system: SIP accounts", "err", err)
	}
	s.log.Info("SIP user agent listening", "addr", u.Addr().String())
	return nil
}

// mediaIP is the address put in SDP: the SIP address when it is a real one,
// else the first non-loopback IPv4 address of the box.
func mediaIP(sipAddr netip.Addr) netip.Addr {
	if sipAddr.IsValid() && !sipAddr.IsUnspecified() {
		return sipAddr
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP.To4()); ok && !ip.IsLoopback() && n.IP.To4() != nil {
					return ip
				}
			}
		}
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// Settings derives the call-control settings from a configuration.
func Settings(c config.Config) (line.Settings, error) {
	plan, err := tone.Lookup(c.Device.Country)
	if err != nil {
		return line.Settings{}, err
	}
	var dm *route.DigitMap
	if len(c.SIP.Profiles) > 0 {
		if dm, err = route.ParseDigitMap(c.SIP.Profiles[0].DigitMap); err != nil {
			return line.Settings{}, err
		}
	}
	d := c.DialPlan
	return line.Settings{
		Plan: plan,
		Ring: hal.Cadence{
			Freq:    physic.Frequency(plan.Ring.Freq * float64(physic.Hertz)),
			Voltage: RingVoltage,
			Pattern: plan.Ring.Pattern,
		},
		FirstDigit:     d.FirstDigit.D(),
		InterDigit:     d.InterDigit.D(),
		OffHookWarning: d.OffHookWarning.D(),
		HowlerTimeout:  d.HowlerTimeout.D(),
		FlashMin:       d.FlashMin.D(),
		FlashMax:       d.FlashMax.D(),
		DigitMap:       dm,
	}, nil
}

// portName is the name of FXS port (shown as caller ID on the others).
func portName(c config.Config, port int) string {
	for _, p := range c.Ports {
		if p.Index == port {
			return p.Name
		}
	}
	return ""
}

func extension(c config.Config, port int) string {
	for _, p := range c.Ports {
		if p.Index == port && p.Enabled {
			return p.Extension
		}
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// startCDR opens the call records under <state>/cdr and has every line
// record its calls there. A store that cannot be opened is logged and the
// box works on without records.
func (s *System) startCDR(ctx context.Context, o Options, fsys config.FS) {
	var cfs config.FS // nil: the store makes its folder on the OS file system
	if o.FS != nil {
		cfs = fsys
	}
	st, err := cdr.Open(filepath.Join(o.StateDir, "cdr"), cdr.Options{FS: cfs, Log: s.log})
	if err != nil {
		s.log.Error("system: call records not kept", "err", err)
		return
	}
	s.CDR = st
	queue := make(chan cdr.Record, 256)
	s.Switch.SetRecorder(func(r cdr.Record) {
		select {
		case queue <- r:
		case <-ctx.Done():
		}
	})
	s.goRun("cdr", func(ctx context.Context) error {
		// The tamper check re-reads every stored record: here, off the
		// boot path, before this goroutine (the only writer) appends.
		if rep := st.Verify(); !rep.OK {
			s.log.Error("system: call records were altered", "first", rep.FirstBad, "problem", rep.Problem)
		}
		for {
			select {
			case <-ctx.Done():
				return nil
			case r := <-queue:
				if _, err := st.Append(r); err != nil {
					s.log.Error("system: call record lost", "port", r.Port, "callee", r.Callee, "err", err)
				}
			}
		}
	}, ctx)
}

// Calls lists the calls in progress with their live media figures, one
// per port in a call (see line.Switch.Calls). Any goroutine.
func (s *System) Calls() []cdr.Call { return s.Switch.Calls() }
