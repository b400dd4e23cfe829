package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/openiad/openiad/firmware/system"
	"github.com/openiad/openiad/firmware/update"
	fwversion "github.com/openiad/openiad/firmware/version"
	"github.com/openiad/openiad/sip/ua"
)

// updateFlags are the firmware's flags for signed updates.
type updateFlags struct {
	trust   *string // a file of trusted public keys (besides the release keys)
	slots   *string // the slot directory ("" = <state>/slots)
	disk    *string // a block device (or image file) holding the slots instead
	running *string // the slot the bootloader booted ("" = decide here)
}

func addUpdateFlags(fs *flag.FlagSet) updateFlags {
	return updateFlags{
		trust: fs.String("trust", "", "file of minisign public keys whose images this box installs, besides the release keys and <state>/trusted.pub (e.g. out/keys/openiad.pub)"),
		slots: fs.String("slots", "", "folder of the A/B firmware slots (default <state>/slots)"),
		disk:  fs.String("slot-disk", "", "block device holding the boot-control record and both slots (update.OpenDisk layout), instead of -slots"),
		running: fs.String("running-slot", "", "the slot the bootloader booted, A or B (from openiad.slot= on the kernel command line); "+
			"empty: the firmware makes the boot decision itself"),
	}
}

// startUpdater opens the slots, runs the boot decision (the sim has no
// bootloader: the firmware is its own), and, on a trial boot, confirms the
// new firmware's health in the background or reboots to roll back.
func startUpdater(ctx context.Context, f updateFlags, state string, sys *system.System, log *slog.Logger, reboot func(context.Context) error) (*update.Updater, error) {
	var required []string
	if *f.trust != "" {
		required = []string{*f.trust}
	}
	keys, err := update.TrustedKeys(required, filepath.Join(state, "trusted.pub"))
	if err != nil {
		return nil, err
	}
	running := update.RunningFromControl
	if *f.running != "" {
		if running, err = update.ParseSlot(*f.running); err != nil {
			return nil, fmt.Errorf("-running-slot: %w", err)
		}
	}
	var be update.Backend
	if *f.disk != "" {
		d, err := os.OpenFile(*f.disk, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("-slot-disk: %w", err)
		}
		size, err := d.Seek(0, io.SeekEnd)
		if err == nil {
			be, err = update.OpenDisk(d, size, running, sys.Board.Name, fwversion.Version)
		}
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("-slot-disk: %w", err)
		}
		context.AfterFunc(ctx, func() { d.Close() })
	} else {
		if running != update.RunningFromControl {
			return nil, errors.New("-running-slot needs -slot-disk")
		}
		dir := *f.slots
		if dir == "" {
			dir = filepath.Join(state, "slots")
		}
		if be, err = update.NewFileBackend(dir, sys.Board.Name, fwversion.Version); err != nil {
			return nil, err
		}
	}
	u, err := update.New(update.Options{Backend: be, Board: sys.Board.Name, Keys: keys})
	if err != nil {
		return nil, err
	}
	if running == update.RunningFromControl { // no bootloader decided: decide here
		if _, err := u.Boot(); err != nil {
			return nil, err
		}
	}
	st, err := u.Status()
	if err != nil {
		return nil, err
	}
	log.Info("update: slots", "running", st.Running.String(), "version", st.Version, "trial", st.Trial,
		"last", string(st.Last.Result), "reason", st.Last.Reason, "trusted keys", len(keys))
	if st.Trial {
		go func() {
			err := u.Confirm(ctx, firmwareHealth(sys))
			switch {
			case err == nil:
				log.Info("update: trial boot healthy; slot committed", "slot", st.Running.String(), "version", st.Version)
			case errors.Is(err, update.ErrHealth):
				log.Error("update: trial boot failed its health check; rebooting into the previous firmware", "err", err)
				reboot(ctx)
			case ctx.Err() == nil:
				log.Error("update: confirm", "err", err)
			}
		}()
	}
	return u, nil
}

// firmwareHealth is the health check of a trial boot: the media engine
// runs and the configuration loaded; SIP lines registered, or 2 minutes.
func firmwareHealth(sys *system.System) update.Health {
	return update.Health{
		Ready: func() error {
			if sys.Config == nil {
				return errors.New("configuration not loaded")
			}
			if !sys.Engine.Stats().Running {
				return errors.New("media engine not running")
			}
			return nil
		},
		Registered: func() bool {
			c := sys.Config.Get()
			for _, p := range c.Ports {
				if !p.Enabled || !p.SIP.Enabled || p.SIP.Profile >= len(c.SIP.Profiles) || len(c.SIP.Profiles[p.SIP.Profile].Registrars) == 0 {
					continue
				}
				if st, ok := sys.Trunk.Registration(p.Index); ok && st.Status != ua.RegRegistered {
					return false
				}
			}
			return true
		},
		Wait: 2 * time.Minute,
	}
}
