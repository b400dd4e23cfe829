package system

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
	"github.com/openiad/openiad/hal"
)

// CWMPOptions say how the TR-069 client of the box runs.
type CWMPOptions struct {
	Dir string // events.json and the model's attributes.json (created if missing)
	// ConnReqListen is where the Connection Request server listens
	// (default ":<connectionRequestPort>" of the configuration; "off" for none).
	ConnReqListen string
	// ConnReqHost is the host the ACS reaches the server at (default: the
	// box's SIP address).
	ConnReqHost string
	Device      datamodel.Device
	Status      datamodel.Status
	Firmware    cwmp.Firmware // nil: firmware downloads refused
	// Reboot and FactoryReset restart the box (nil: the RPC is refused).
	Reboot       func(context.Context) error
	FactoryReset func(context.Context) error
	// Client holds further client options (tests: Transport, Rand, Sent);
	// the fields StartCWMP sets itself are overwritten.
	Client cwmp.Options
}

// CWMPSettings derives the client's settings from the configuration.
func CWMPSettings(c config.CWMP) cwmp.Settings {
	return cwmp.Settings{
		Enabled: c.Enabled, URL: c.URL, Username: c.Username, Password: c.Password,
		PeriodicEnabled: c.PeriodicEnabled, PeriodicInterval: c.PeriodicInterval.D(), PeriodicTime: c.PeriodicTime,
		CACerts: c.CACerts, RetryMinimumWait: c.RetryMinimumWait.D(), RetryMultiplier: c.RetryIntervalMultiplier,
		ConnReqUsername: c.ConnectionRequestUsername, ConnReqPassword: c.ConnectionRequestPassword,
	}
}

// lateRuntime lets the model ask the client, which is made after it.
type lateRuntime struct {
	mu sync.Mutex
	c  *cwmp.Client
}

func (r *lateRuntime) client() *cwmp.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

func (r *lateRuntime) ConnectionRequestURL() string {
	if c := r.client(); c != nil {
		return c.ConnectionRequestURL()
	}
	return ""
}

func (r *lateRuntime) LastInform() time.Time {
	if c := r.client(); c != nil {
		return c.LastInform()
	}
	return time.Time{}
}

// StartCWMP starts the TR-069 client and its data model; they run until
// ctx is done (Wait waits for them) and follow configuration changes.
func (s *System) StartCWMP(ctx context.Context, o CWMPOptions) (*cwmp.Client, *datamodel.Model, error) {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("system: cwmp: %w", err)
	}
	cfg := s.Config.Get()
	if o.Device.FXS == 0 {
		o.Device.FXS = len(s.Board.FXS)
	}
	if o.Device.Manufacturer == "" {
		o.Device.Manufacturer = "OpenIAD"
	}
	if o.Device.ProductClass == "" {
		o.Device.ProductClass = "IAD"
	}
	if o.Device.ModelName == "" {
		o.Device.ModelName = s.Board.Name
	}
	if o.Device.HardwareVersion == "" {
		o.Device.HardwareVersion = s.Board.Name
	}
	if o.Device.SerialNumber == "" {
		sn, err := serialNumber(o.Dir)
		if err != nil {
			return nil, nil, fmt.Errorf("system: cwmp: %w", err)
		}
		o.Device.SerialNumber = sn
	}
	s.cwmpStatus(&o.Status)
	rt := &lateRuntime{}
	m, err := datamodel.New(datamodel.Options{
		Config: s.Config, Dir: o.Dir, Device: o.Device, Status: o.Status, Runtime: rt, Log: s.log,
		Diagnostics: func() {
			if c := rt.client(); c != nil {
				c.Trigger(cwmp.EventDiagnostics, "")
			}
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("system: cwmp: %w", err)
	}
	listen := o.ConnReqListen
	switch listen {
	case "":
		listen = ":" + strconv.Itoa(cfg.CWMP.ConnectionRequestPort)
	case "off":
		listen = ""
	}
	host := o.ConnReqHost
	if host == "" && listen != "" {
		if h, _, err := net.SplitHostPort(listen); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
			host = h
		} else {
			host = mediaIP(netip.Addr{}).String()
		}
	}
	copts := o.Client
	copts.Model, copts.Dir, copts.Log = m, o.Dir, s.log
	copts.Firmware, copts.Reboot, copts.FactoryReset = o.Firmware, o.Reboot, o.FactoryReset
	copts.ConnReqListen, copts.ConnReqHost = listen, host
	copts.ApplyConfig = s.applyConfigFile
	c, err := cwmp.New(copts, CWMPSettings(cfg.CWMP))
	if err != nil {
		return nil, nil, fmt.Errorf("system: %w", err)
	}
	rt.mu.Lock()
	rt.c = c
	rt.mu.Unlock()
	s.goRun("cwmp model", m.Run, ctx)
	s.goRun("cwmp", c.Run, ctx)
	s.goRun("cwmp config", func(ctx context.Context) error {
		ch, cancel := s.Config.Watch()
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return nil
			case cfg := <-ch:
				c.SetSettings(CWMPSettings(cfg.CWMP))
			}
		}
	}, ctx)
	return c, m, nil
}

// cwmpStatus fills the status sources the caller left nil with the
// running box's: registrations from the trunk, hook and call state from
// the board and the switch, call records from the CDR store. The line
// test (Status.LineTest) is the console's, which the caller passes.
func (s *System) cwmpStatus(st *datamodel.Status) {
	if st.Registration == nil && s.Trunk != nil {
		st.Registration = func(port int) (datamodel.Registration, bool) {
			r, ok := s.Trunk.Registration(port)
			return datamodel.Registration{State: r.Status.String(), Code: r.Code}, ok
		}
	}
	if st.Hook == nil && s.Board != nil {
		fxs := s.Board.FXS
		st.Hook = func(port int) (offHook, ok bool) {
			if port < 1 || port > len(fxs) {
				return false, false
			}
			return fxs[port-1].Hook() == hal.OffHook, true
		}
	}
	if st.LineState == nil && s.Switch != nil {
		st.LineState = func(port int) string {
			for _, l := range s.Switch.Lines() {
				if l.Port() == port {
					return l.State().String()
				}
			}
			return ""
		}
	}
	if st.Records == nil && s.CDR != nil {
		st.Records = s.CDR.Last
	}
}

// applyConfigFile applies a vendor configuration file from a TR-069
// Download: a configuration document as the web page exports it. It goes
// through the store like any change from the carrier (validated, audited,
// allowed over carrier locks); the box's identity and the ACS settings of
// the file are ignored, so that a file cannot cut the box off its ACS.
func (s *System) applyConfigFile(_ context.Context, r io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return &cwmp.Fault{Code: cwmp.FaultIncomplete, String: err.Error()}
	}
	next, err := config.Parse(data)
	if err != nil {
		return &cwmp.Fault{Code: cwmp.FaultCorrupted, String: err.Error()}
	}
	_, err = s.Config.Update(config.SourceCWMP, "acs", func(c *config.Config) error {
		keep := c.CWMP
		rev := c.Revision
		*c = next
		c.CWMP, c.Revision = keep, rev
		return nil
	})
	if err != nil {
		return &cwmp.Fault{Code: cwmp.FaultDownload, String: err.Error()}
	}
	return nil
}

// serialNumber is the box's serial number for the ACS: made once at
// random and kept in dir/serial (written to a temporary file, synced and
// renamed, so a power cut leaves none or the whole one).
func serialNumber(dir string) (string, error) {
	name := filepath.Join(dir, "serial")
	if b, err := os.ReadFile(name); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var r [5]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	sn := "OIAD" + strings.ToUpper(hex.EncodeToString(r[:]))
	f, err := os.CreateTemp(dir, "serial-*")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(sn + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return sn, config.OSFS{}.SyncDir(dir)
}
