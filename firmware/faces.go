package main

import (
	"fmt"

	"github.com/openiad/openiad/firmware/console"
	"github.com/openiad/openiad/firmware/system"
)

// consoleSIP shows the box's SIP side on the console.
type consoleSIP struct{ sys *system.System }

func (c consoleSIP) Registrations() []console.Registration {
	cfg := c.sys.Config.Get()
	var out []console.Registration
	for _, p := range cfg.Ports {
		st, ok := c.sys.Trunk.Registration(p.Index)
		if !ok {
			continue
		}
		domain := ""
		if p.SIP.Profile < len(cfg.SIP.Profiles) {
			domain = cfg.SIP.Profiles[p.SIP.Profile].Domain
		}
		out = append(out, console.Registration{
			Line:      fmt.Sprintf("FXS %d", p.Index),
			AOR:       "sip:" + p.SIP.User + "@" + domain,
			Registrar: st.Server,
			State:     st.Status.String(),
			Expires:   st.Expires,
			Reason:    st.Reason,
		})
	}
	return out
}

func (c consoleSIP) TraceSIP(buffer int) (<-chan console.SIPMessage, func()) {
	in, stop := c.sys.SIPTap.Subscribe(buffer)
	out := make(chan console.SIPMessage, buffer)
	go func() {
		defer close(out)
		for m := range in {
			select {
			case out <- console.SIPMessage{At: m.At, Sent: m.Sent, Remote: m.Remote.String(), Data: m.Data}:
			default:
			}
		}
	}()
	return out, stop
}

var _ console.SIP = consoleSIP{}
