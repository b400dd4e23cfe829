package console

import (
	"fmt"

	"github.com/openiad/openiad/dsp/engine"

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

// SystemDSP shows a booted box's media loop: its counters and, per
// channel, the echo canceller's ERLE with the jitter, loss and
// concealment of the SIP call on the port that owns the channel.
type SystemDSP struct{ Sys *system.System }

var _ ChannelStatser = SystemDSP{}

// Stats reports the media loop's counters.
func (d SystemDSP) Stats() engine.Stats { return d.Sys.Engine.Stats() }

// ChannelStats reports channel ch's figures.
func (d SystemDSP) ChannelStats(ch int) (ChannelStats, error) {
	if n := d.Sys.Engine.Channels(); ch < 0 || ch >= n {
		return ChannelStats{}, fmt.Errorf("dsp stats: there is no channel %d (0 to %d; show lines lists them)", ch, n-1)
	}
	var st ChannelStats
	st.ERLE, _ = d.Sys.Engine.ERLE(ch)
	for _, l := range d.Sys.Lines {
		if l.Channel() != ch {
			continue
		}
		if q, ok := d.Sys.Trunk.Quality(l.Port()); ok {
			st.Jitter, st.Loss, st.Concealed = q.Jitter, q.LossPercent/100, q.Concealed
		}
	}
	return st, nil
}
