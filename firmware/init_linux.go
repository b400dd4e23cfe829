//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	qemuvirt "github.com/openiad/openiad/boards/qemu-virt"
	"github.com/openiad/openiad/boards/sim"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/netcfg"
	"github.com/openiad/openiad/firmware/ntp"
	"github.com/openiad/openiad/firmware/pid1"
	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/firmware/watchdog"
	"golang.org/x/sys/unix"
)

// onSystem, when set, is called by run once the system is up: PID 1 starts
// the network, the clock and the watchdog there.
var onSystem func(ctx context.Context, sys *system.System, log *slog.Logger)

// initMain is the firmware as PID 1 (/init of the image): it brings the
// machine up (firmware/pid1), runs the firmware with the board's flags,
// and reboots or powers off when the firmware ends. PID 1 must never exit
// (the kernel panics), so it does not return.
func initMain() {
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	start := time.Now()
	os.Setenv("PATH", "/bin")
	os.Setenv("HOME", "/data")
	// Ctrl-Alt-Del becomes SIGINT to PID 1 instead of an instant reset.
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF)
	p := qemuvirt.Platform
	rep, err := pid1.Boot(pid1.Options{DataDevice: p.DataDevice, DataFS: p.DataFS, Log: log})
	if err != nil {
		log.Error("init: boot failed; rebooting in 10 s", "err", err)
		halt(pid1.Reboot, 10*time.Second, log)
	}
	log.Info("init: platform up", "took", time.Since(start).Round(time.Millisecond), "modules", rep.Modules, "data", rep.DataMount)
	ctx, cancel := context.WithCancel(context.Background())
	go pid1.Reap(ctx)

	// The network comes up before the firmware, as on a box whose WAN is
	// there at power-on: SIP takes its media address from the interface at
	// start. The settings are read from the stored configuration (changes
	// to them apply at the next boot).
	state := filepath.Join(pid1.DataDir, "openiad")
	cfg := config.Default(sim.DefaultFXS)
	if err := os.MkdirAll(filepath.Join(state, "config"), 0o700); err == nil {
		if st, err := config.Open(config.OSFS{}, filepath.Join(state, "config"), cfg, log); err == nil {
			cfg = st.Get()
		}
	}
	var net netcfg.State
	up := make(chan struct{})
	clock := ntp.New(ntp.Options{Servers: cfg.Time.NTPServers, Log: log})
	var once sync.Once
	go func() {
		err := netcfg.Run(ctx, netcfg.Options{Interface: p.Interface, Network: cfg.Network, Log: log, State: &net,
			Ready: func(s netcfg.Settings) {
				once.Do(func() {
					log.Info("init: network up", "interface", p.Interface, "address", s.Address.String(), "since boot", time.Since(start).Round(time.Millisecond))
					close(up)
					go clock.Run(ctx)
				})
			}})
		if err != nil {
			log.Error("init: network", "err", err)
		}
	}()
	select {
	case <-up:
	case <-time.After(networkWait):
		log.Warn("init: no network address yet; starting the firmware without", "waited", networkWait)
	}
	onSystem = func(ctx context.Context, sys *system.System, log *slog.Logger) {
		superviseWatchdog(ctx, p.Watchdog, sys, log)
		if d := memlogEvery(); d > 0 {
			go memlog(ctx, d, log)
		}
	}

	args := []string{"-board", qemuvirt.Name, "-state", state,
		"-web", p.Web, "-web-http", p.WebHTTP, "-listen", p.Listen}
	// The bootloader names the slot it booted: the firmware then keeps its
	// slots on the slot disk and does not choose again.
	if slot := cmdlineValue("openiad.slot"); slot != "" {
		if err := pid1.WaitDevice(p.SlotDevice, 10*time.Second); err != nil {
			log.Error("init: the slot disk is missing; updates are off", "err", err)
		} else {
			args = append(args, "-slot-disk", p.SlotDevice, "-running-slot", slot)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPWR)
	how := pid1.Reboot
	runCtx, stop := context.WithCancel(ctx)
	go func() {
		s := <-sig
		if s != syscall.SIGINT {
			how = pid1.PowerOff
		}
		log.Warn("init: signal", "signal", s.String(), "then", how.String())
		stop()
	}()
	err = run(runCtx, args, os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, errReboot):
		how = pid1.Reboot
	case err != nil && runCtx.Err() == nil:
		log.Error("init: the firmware stopped; rebooting in 10 s", "err", err)
		halt(pid1.Reboot, 10*time.Second, log)
	}
	cancel()
	halt(how, 0, log)
}

// halt shuts the machine down after a pause (time to read the message on
// the console). If even that fails PID 1 can only wait.
func halt(how pid1.How, after time.Duration, log *slog.Logger) {
	if after > 0 {
		time.Sleep(after)
	}
	err := pid1.Shutdown(how, log)
	fmt.Fprintln(os.Stderr, "init:", err)
	select {}
}

// Watchdog limits: the device resets the box WatchdogTimeout after the last
// pet; the media engine (10 ms ticks) is stalled after engineStall without
// a tick, call control after controlStall without answering.
const (
	networkWait     = 15 * time.Second // most the firmware waits for a first address
	watchdogTimeout = 15 * time.Second
	engineStall     = 5 * time.Second
	controlStall    = 10 * time.Second
)

// superviseWatchdog arms the board's watchdog and pets it while the media
// engine ticks and call control answers; it disarms it (magic close) when
// ctx ends, for a clean reboot.
func superviseWatchdog(ctx context.Context, path string, sys *system.System, log *slog.Logger) {
	dev, err := watchdog.Open(path, watchdogTimeout)
	if err != nil {
		log.Error("init: no watchdog", "err", err)
		return
	}
	sup := watchdog.New(dev, log)
	sup.Counter("media engine", engineStall, func() uint64 { return sys.Engine.Stats().Ticks })
	calls := sup.Beat("call control", controlStall)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			sys.Switch.Calls() // blocks if a line's state is held by a hung goroutine
			calls.Tick()
		}
	}()
	log.Info("init: watchdog armed", "device", path, "timeout", dev.Timeout())
	go func() {
		err := sup.Run(ctx)
		if watchdog.IsStalled(err) {
			return // the device stays armed and unpetted: the box resets
		}
		if err := dev.Close(); err != nil {
			log.Warn("init: watchdog", "err", err)
		}
	}()
}

// memlogEvery reads openiad.memlog=<duration> from the kernel command line:
// how often to log the firmware's memory (0: never). `make bench` boots
// the image with it to measure the resident size under load.
func memlogEvery() time.Duration {
	d, err := time.ParseDuration(cmdlineValue("openiad.memlog"))
	if err != nil || d < 100*time.Millisecond {
		return 0
	}
	return d
}

// cmdlineValue returns the value of name=value on the kernel command line,
// "" when absent.
func cmdlineValue(name string) string {
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, name+"="); ok {
			return v
		}
	}
	return ""
}

// memlog logs the firmware's resident size (VmRSS, VmHWM) and the Go
// heap every d.
func memlog(ctx context.Context, d time.Duration, log *slog.Logger) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st := procStatus("/proc/self/status", "VmRSS", "VmHWM")
		mem := procStatus("/proc/meminfo", "MemTotal", "MemAvailable")
		log.Info("init: memory", "rss_kib", st["VmRSS"], "hwm_kib", st["VmHWM"],
			"heap_kib", ms.HeapAlloc>>10, "go_sys_kib", ms.Sys>>10, "goroutines", runtime.NumGoroutine(),
			"mem_total_kib", mem["MemTotal"], "mem_available_kib", mem["MemAvailable"])
	}
}

// procStatus reads "Name:   1234 kB" lines of a /proc file.
func procStatus(path string, names ...string) map[string]int64 {
	out := map[string]int64{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, n := range names {
			if k == n {
				f := strings.Fields(v)
				if len(f) > 0 {
					out[n], _ = strconv.ParseInt(f[0], 10, 64)
				}
			}
		}
	}
	return out
}
