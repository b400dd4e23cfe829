package webui

import (
	"net/http"
	"time"

	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/sip/ua"
)

// statusData is the home page.
type statusData struct {
	Name    string          `json:"name"` // the device name (config device.name)
	Version string          `json:"version"`
	Board   string          `json:"board"`
	Started time.Time       `json:"started"`
	Uptime  string          `json:"uptime"`
	FXS     int             `json:"fxs"`
	FXO     int             `json:"fxo"`
	E1      int             `json:"e1"`
	Ports   []portStatus    `json:"ports"`
	Calls   []callStatus    `json:"calls"`
	Alarms  []console.Alarm `json:"alarms"`
	Drivers []console.DriverInfo
}

type portStatus struct {
	Port      int    `json:"port"`
	Kind      string `json:"kind"`
	Extension string `json:"extension"`
	Hook      string `json:"hook"`
	Feed      string `json:"feed"`
	State     string `json:"state"`
	InCall    bool   `json:"inCall"`
	// Registration: "none" (no SIP account), or the ua.RegStatus name.
	Registration string    `json:"registration"`
	RegServer    string    `json:"registrar,omitempty"`
	RegReason    string    `json:"reason,omitempty"`
	RegCode      int       `json:"code,omitempty"`
	RegExpires   time.Time `json:"expires,omitzero"`
	RegRetry     time.Time `json:"retry,omitzero"`
	RegOK        bool      `json:"registered"`
	User         string    `json:"user,omitempty"`
}

var inCall = map[string]bool{"routing": true, "ringback": true, "alerting": true, "connected": true}

func (s *Server) status() statusData {
	cfg := s.o.Config.Get()
	d := statusData{Name: cfg.Device.Name, Version: s.o.Version, Ports: []portStatus{}, Calls: []callStatus{}, Alarms: []console.Alarm{}}
	if s.o.Status == nil {
		return d
	}
	b := s.o.Status.Box()
	d.Board, d.Started, d.FXS, d.FXO, d.E1, d.Drivers = b.Board, b.Started, b.FXS, b.FXO, b.E1, b.Drivers
	if !b.Started.IsZero() {
		d.Uptime = humanDuration(s.now().Sub(b.Started))
	}
	for _, p := range s.o.Status.Ports() {
		ps := portStatus{Port: p.Port, Kind: p.Kind, Extension: p.Extension, Hook: p.Hook, Feed: p.Feed, State: p.State,
			InCall: inCall[p.State], Registration: "none"}
		if cp := cfg.Port(p.Port); cp != nil && cp.SIP.Enabled {
			ps.User = cp.SIP.User
		}
		if s.o.Registration != nil {
			if st, ok := s.o.Registration(p.Port); ok {
				ps.Registration = st.Status.String()
				ps.RegServer = st.Server
				ps.RegOK = st.Status == ua.RegRegistered
				if ps.RegOK {
					ps.RegExpires = st.Expires
				} else {
					ps.RegReason, ps.RegCode = st.Reason, st.Code
				}
				if st.Status == ua.RegFailed {
					ps.RegRetry = st.Retry
				}
			}
		}
		d.Ports = append(d.Ports, ps)
	}
	d.Calls = s.calls(d.Ports)
	if a := s.o.Status.Alarms(); a != nil {
		d.Alarms = a
	}
	return d
}

func (s *Server) statusPage(x *rx) {
	x.page(http.StatusOK, "status", "title.status", "status", s.status())
}
