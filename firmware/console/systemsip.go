package console

import (
	"fmt"

	"github.com/openiad/openiad/firmware/system"
)

// SystemSIP shows a booted box's SIP side: the registration of every port
// with an account, and the live SIP trace from the box's SIP socket.
type SystemSIP struct{ Sys *system.System }

var _ SIP = SystemSIP{}

// Registrations lists the accounts and how they stand.
func (c SystemSIP) Registrations() []Registration {
	cfg := c.Sys.Config.Get()
	var out []Registration
	for _, p := range cfg.Ports {
		st, ok := c.Sys.Trunk.Registration(p.Index)
		if !ok {
			continue
		}
		domain := ""
		if p.SIP.Profile < len(cfg.SIP.Profiles) {
			domain = cfg.SIP.Profiles[p.SIP.Profile].Domain
		}
		out = append(out, Registration{
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

// TraceSIP streams every SIP datagram from now until stop.
func (c SystemSIP) TraceSIP(buffer int) (<-chan SIPMessage, func()) {
	in, stop := c.Sys.SIPTap.Subscribe(buffer)
	out := make(chan SIPMessage, buffer)
	go func() {
		defer close(out)
		for m := range in {
			select {
			case out <- SIPMessage{At: m.At, Sent: m.Sent, Remote: m.Remote.String(), Data: m.Data}:
			default:
			}
		}
	}()
	return out, stop
}
