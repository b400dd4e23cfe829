//go:build linux

// Package pid1 does the duties of the first process of a Linux system, for
// the firmware when it runs as /init of its initramfs: it mounts the kernel's
// file systems (proc, sys, dev, tmp), loads the board's kernel modules with
// finit_module, mounts the persistent /data partition, reaps orphaned
// children, and shuts the machine down cleanly (sync, unmount, reboot(2)).
//
// The firmware never shells out: everything here is system calls through
// golang.org/x/sys/unix. Boot and Shutdown are called from the main
// goroutine; Reap runs in its own goroutine until its context ends.
package pid1

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ModulesDir holds the initramfs's kernel modules, and ModulesOrder lists
// their file names in the order to load them (dependencies first), one a
// line. tools/mkimage writes both.
const (
	ModulesDir   = "/lib/modules"
	ModulesOrder = "/lib/modules/order"
)

// DataDir is where the persistent partition is mounted.
const DataDir = "/data"

var (
	errMount  = errors.New("pid1: mount")
	errModule = errors.New("pid1: module")
	errData   = errors.New("pid1: data partition")
)

// Options say what the board needs at boot.
type Options struct {
	// DataDevice is the block device of the /data partition ("/dev/vda"),
	// "" for none (then /data is a tmpfs and nothing survives a reboot).
	DataDevice string
	// DataFS is its file system type ("ext4").
	DataFS string
	// DeviceWait bounds the wait for DataDevice to appear after its driver
	// loads (0 means 10 s).
	DeviceWait time.Duration
	Log        *slog.Logger
}

// Report says what Boot did, for the log and the console.
type Report struct {
	Modules    []string // modules loaded (or already in the kernel)
	DataMount  string   // "ext4 on /dev/vda" or "tmpfs (not persistent: reason)"
	Persistent bool     // /data survives a reboot
}

// Boot brings the system up: kernel file systems, modules, /data. A module
// that fails to load is logged and reported, the others still load; a
// missing or unmountable data partition falls back to a tmpfs with a loud
// log line, so the box still comes up for its technician.
func Boot(o Options) (Report, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var rep Report
	if err := mountKernelFS(); err != nil {
		return rep, err
	}
	mods, err := LoadModules(ModulesDir, ModulesOrder, log)
	rep.Modules = mods
	if err != nil {
		log.Error("pid1: loading modules", "err", err)
	}
	rep.DataMount, rep.Persistent = mountData(o, log)
	log.Info("pid1: system up", "modules", len(mods), "data", rep.DataMount)
	return rep, nil
}

type mnt struct {
	src, dir, fstype string
	flags            uintptr
	data             string
}

var kernelFS = []mnt{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=620,ptmxmode=666"},
	{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
}

func mountKernelFS() error {
	for _, m := range kernelFS {
		if err := mount(m); err != nil {
			return err
		}
	}
	return nil
}

func mount(m mnt) error {
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return fmt.Errorf("%w: %s: %w", errMount, m.dir, err)
	}
	err := unix.Mount(m.src, m.dir, m.fstype, m.flags, m.data)
	if err != nil && !errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("%w: %s on %s: %w", errMount, m.fstype, m.dir, err)
	}
	return nil
}

// LoadModules loads the modules named in the order file, from dir, with
// finit_module. A module the kernel already has (EEXIST) counts as loaded.
// It returns the modules loaded and the errors of those that failed,
// joined. A missing order file means no modules: not an error.
func LoadModules(dir, order string, log *slog.Logger) ([]string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	data, err := os.ReadFile(order)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errModule, err)
	}
	var loaded []string
	var errs []error
	for _, name := range strings.Fields(string(data)) {
		if err := loadModule(filepath.Join(dir, name)); err != nil {
			errs = append(errs, err)
			continue
		}
		log.Debug("pid1: module loaded", "module", name)
		loaded = append(loaded, strings.TrimSuffix(name, ".ko"))
	}
	return loaded, errors.Join(errs...)
}

func loadModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %w", errModule, err)
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("%w: %s: %w", errModule, filepath.Base(path), err)
	}
	return nil
}

// mountData mounts the data partition, or a tmpfs in its place.
func mountData(o Options, log *slog.Logger) (string, bool) {
	if o.DataDevice != "" {
		wait := o.DeviceWait
		if wait == 0 {
			wait = 10 * time.Second
		}
		err := WaitDevice(o.DataDevice, wait)
		if err == nil {
			err = mount(mnt{o.DataDevice, DataDir, o.DataFS, unix.MS_NOATIME | unix.MS_NODEV | unix.MS_NOSUID, ""})
		}
		if err == nil {
			return fmt.Sprintf("%s on %s", o.DataFS, o.DataDevice), true
		}
		log.Error("pid1: the data partition does not mount: settings and records will NOT survive a reboot",
			"device", o.DataDevice, "err", err)
		why := fmt.Sprintf("tmpfs (not persistent: %v)", err)
		if err := mount(mnt{"tmpfs", DataDir, "tmpfs", unix.MS_NODEV | unix.MS_NOSUID, "mode=0755"}); err != nil {
			log.Error("pid1: tmpfs on /data", "err", err)
		}
		return why, false
	}
	if err := mount(mnt{"tmpfs", DataDir, "tmpfs", unix.MS_NODEV | unix.MS_NOSUID, "mode=0755"}); err != nil {
		log.Error("pid1: tmpfs on /data", "err", err)
	}
	return "tmpfs (no data partition on this board)", false
}

// WaitDevice waits for a device node that a driver creates asynchronously
// (devtmpfs makes it when the disk is probed).
func WaitDevice(path string, d time.Duration) error {
	deadline := time.Now().Add(d)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		_, err := os.Stat(path)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s did not appear within %v: %w", errData, path, d, err)
		}
		<-t.C
	}
}

// Reap collects every child that exits (PID 1 inherits the orphans of the
// whole system) until ctx ends.
func Reap(ctx context.Context) {
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, syscall.SIGCHLD)
	defer signal.Stop(ch)
	for {
		reapAll()
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}

func reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// How is what Shutdown does at the end.
type How int

// Ways to end.
const (
	Reboot How = iota
	PowerOff
)

func (h How) String() string {
	if h == PowerOff {
		return "power-off"
	}
	return "reboot"
}

// Shutdown ends the system cleanly: it flushes the file systems, remounts
// /data read-only and unmounts it, then reboots or powers off. The caller
// has stopped the firmware first. It returns only on failure.
func Shutdown(how How, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log.Warn("pid1: shutting down", "how", how.String())
	unix.Sync()
	if err := unix.Unmount(DataDir, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		log.Error("pid1: unmount /data; remounting read-only", "err", err)
		_ = unix.Mount("", DataDir, "", unix.MS_REMOUNT|unix.MS_RDONLY, "")
	}
	unix.Sync()
	cmd := unix.LINUX_REBOOT_CMD_RESTART
	if how == PowerOff {
		cmd = unix.LINUX_REBOOT_CMD_POWER_OFF
	}
	if err := unix.Reboot(cmd); err != nil {
		return fmt.Errorf("pid1: %s: %w", how, err)
	}
	return nil
}
