package datamodel

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/cwmp"
)

// What both voice layouts share: ports, accounts, profiles and codecs of
// the configuration, and the status of lines.

// codec is one codec the box offers.
type codec struct {
	cfg  string // name in config ("PCMU")
	tr   string // TR-104 name ("G.711MuLaw")
	rate int    // bit/s
}

var codecs = []codec{{"PCMU", "G.711MuLaw", 64000}, {"PCMA", "G.711ALaw", 64000}}

func codecIndex(cfg string) int {
	return slices.IndexFunc(codecs, func(c codec) bool { return c.cfg == cfg }) + 1
}

// portPos is the position of the port with Index index in c.Ports, or -1.
func portPos(c *config.Config, index int) int {
	return slices.IndexFunc(c.Ports, func(p config.Port) bool { return p.Index == index })
}

// port returns the port of instance index; the instance exists, so does
// the port (lists come from the same configuration).
func port(c *config.Config, index int) *config.Port {
	if i := portPos(c, index); i >= 0 {
		return &c.Ports[i]
	}
	return &config.Port{}
}

func fxsPorts(c *config.Config) []int {
	var out []int
	for _, p := range c.Ports {
		if p.Kind == config.KindFXS {
			out = append(out, p.Index)
		}
	}
	slices.Sort(out)
	return out
}

// accountKey names a port's account in state.Added.
func accountKey(index int) string { return "account:" + strconv.Itoa(index) }

// accounts lists the ports whose carrier account exists: one the ACS
// added, or one with a user or enabled.
func accounts(e *env) []int {
	var out []int
	for _, i := range fxsPorts(e.c) {
		a := port(e.c, i).SIP
		if a.Enabled || a.User != "" || a.AuthUser != "" || e.m.st.Added[accountKey(i)] {
			out = append(out, i)
		}
	}
	return out
}

// accountTable is SIP.Client / CallControl.Line / VoiceProfile.Line: one
// instance per port account, numbered by port. Adding takes the first port
// without an account; deleting clears the account.
func accountTable(portIx func(ix []int) int, inProfile func(e *env, ix []int, p int) bool) *table {
	return &table{
		list: func(e *env, ix []int) []int {
			var out []int
			for _, p := range accounts(e) {
				if inProfile == nil || inProfile(e, ix, p) {
					out = append(out, p)
				}
			}
			return out
		},
		add: func(e *env, c *config.Config, ix []int) (int, error) {
			have := accounts(e)
			for _, p := range fxsPorts(c) {
				if !slices.Contains(have, p) {
					prof := 0
					if inProfile != nil {
						prof = ix[0] - 1
					}
					port(c, p).SIP = config.PortSIP{Profile: prof}
					e.m.st.Added[accountKey(p)] = true
					return p, nil
				}
			}
			return 0, faultf(cwmp.FaultResourcesExceeded, "every port has an account already")
		},
		del: func(e *env, c *config.Config, ix []int) error {
			p := portIx(ix)
			port(c, p).SIP = config.PortSIP{}
			delete(e.m.st.Added, accountKey(p))
			return nil
		},
		path: func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d].sip", portPos(c, portIx(ix))) },
	}
}

// profileTable is SIP.Network / VoIPProfile / VoiceProfile: one instance
// per SIP profile, numbered by position.
func profileTable() *table {
	return &table{
		list: func(e *env, _ []int) []int { return upTo(len(e.c.SIP.Profiles)) },
		add: func(_ *env, c *config.Config, _ []int) (int, error) {
			p := config.DefaultSIPProfile()
			p.Name = fmt.Sprintf("profile %d", len(c.SIP.Profiles)+1)
			c.SIP.Profiles = append(c.SIP.Profiles, p)
			return len(c.SIP.Profiles), nil
		},
		del: func(_ *env, c *config.Config, ix []int) error {
			k := ix[len(ix)-1] - 1
			if len(c.SIP.Profiles) == 1 {
				return faultf(cwmp.FaultRequestDenied, "the last profile cannot be deleted")
			}
			for _, p := range c.Ports {
				if (p.SIP.Enabled || p.SIP.User != "") && p.SIP.Profile == k {
					return faultf(cwmp.FaultRequestDenied, "profile %d is used by the account of port %d", k+1, p.Index)
				}
			}
			c.SIP.Profiles = slices.Delete(c.SIP.Profiles, k, k+1)
			for i := range c.Ports {
				if a := &c.Ports[i].SIP; a.Profile > k {
					a.Profile--
				} else if a.Profile == k {
					a.Profile = 0
				}
			}
			return nil
		},
		path: func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d]", ix[len(ix)-1]-1) },
	}
}

// prof returns the profile at instance k.
func prof(c *config.Config, k int) *config.SIPProfile {
	if k >= 1 && k <= len(c.SIP.Profiles) {
		return &c.SIP.Profiles[k-1]
	}
	return &config.SIPProfile{}
}

// hostPort splits "host:port"; port 0 when absent.
func hostPort(s string) (string, int) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		n, _ := strconv.Atoi(p)
		return h, n
	}
	return s, 0
}

func joinHostPort(h string, p int) string {
	if p == 0 {
		return h
	}
	return net.JoinHostPort(h, strconv.Itoa(p))
}

// server maps the host or the port of the first entry of a server list.
func server(name string, list func(p *config.SIPProfile) *[]string, field string, portPart bool, k func(ix []int) int) *param {
	t := tString
	if portPart {
		t = tUint
	}
	return rw(name, t,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].%s[0]", k(ix)-1, field) },
		func(e *env, ix []int) string {
			l := *list(prof(e.c, k(ix)))
			h, p := "", 0
			if len(l) > 0 {
				h, p = hostPort(l[0])
			}
			if portPart {
				return fmtInt(p)
			}
			return h
		},
		func(_ *env, c *config.Config, ix []int, v string) error {
			l := list(prof(c, k(ix)))
			h, p := "", 0
			if len(*l) > 0 {
				h, p = hostPort((*l)[0])
			}
			if portPart {
				p = atoi(v)
				if p > 65535 {
					return errors.New("a port is at most 65535")
				}
			} else {
				h = v
			}
			switch {
			case h == "" && len(*l) > 0:
				*l = (*l)[1:]
			case h == "":
			case len(*l) == 0:
				*l = []string{joinHostPort(h, p)}
			default:
				(*l)[0] = joinHostPort(h, p)
			}
			return nil
		})
}

func transport(name string, k func(ix []int) int) *param {
	return rw(name, tString,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].transport", k(ix)-1) },
		func(e *env, ix []int) string { return strings.ToUpper(prof(e.c, k(ix)).Transport) },
		func(_ *env, c *config.Config, ix []int, v string) error {
			switch v {
			case "UDP", "TCP":
				prof(c, k(ix)).Transport = strings.ToLower(v)
				return nil
			}
			return fmt.Errorf("%q: the box speaks UDP or TCP", v)
		})
}

func profSeconds(name, field string, ptr func(p *config.SIPProfile) *config.Duration, k func(ix []int) int) *param {
	return rw(name, tUint,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].%s", k(ix)-1, field) },
		func(e *env, ix []int) string { return seconds(ptr(prof(e.c, k(ix))).D()) },
		func(_ *env, c *config.Config, ix []int, v string) error {
			*ptr(prof(c, k(ix))) = config.Duration(time.Duration(atoi(v)) * time.Second)
			return nil
		})
}

func profString(name, field string, ptr func(p *config.SIPProfile) *string, k func(ix []int) int) *param {
	return rw(name, tString,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].%s", k(ix)-1, field) },
		func(e *env, ix []int) string { return *ptr(prof(e.c, k(ix))) },
		func(_ *env, c *config.Config, ix []int, v string) error { *ptr(prof(c, k(ix))) = v; return nil })
}

func profInt(name, field string, ptr func(p *config.SIPProfile) *int, k func(ix []int) int) *param {
	return rw(name, tUint,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].%s", k(ix)-1, field) },
		func(e *env, ix []int) string { return fmtInt(*ptr(prof(e.c, k(ix)))) },
		func(_ *env, c *config.Config, ix []int, v string) error { *ptr(prof(c, k(ix))) = atoi(v); return nil })
}

// dtmf maps the TR-104 DTMF methods to the profile's.
var dtmfNames = map[string]string{"rfc4733": "RFC4733", "info": "SIPInfo", "inband": "InBand"}

func dtmfParam(name string, k func(ix []int) int) *param {
	return rw(name, tString,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].dtmf", k(ix)-1) },
		func(e *env, ix []int) string { return dtmfNames[prof(e.c, k(ix)).DTMF] },
		func(_ *env, c *config.Config, ix []int, v string) error {
			first, _, _ := strings.Cut(v, ",") // a list in issue 2: the first is used
			first = strings.TrimSpace(first)
			if first == "RFC2833" {
				first = "RFC4733"
			}
			for cfg, tr := range dtmfNames {
				if tr == first {
					prof(c, k(ix)).DTMF = cfg
					return nil
				}
			}
			return fmt.Errorf("%q: the box sends digits as RFC4733, SIPInfo or InBand", v)
		})
}

// account maps a string field of a port's carrier account.
func account(name, field string, ptr func(a *config.PortSIP) *string, pi func(ix []int) int) *param {
	return rw(name, tString,
		func(c *config.Config, ix []int) string {
			return fmt.Sprintf("ports[%d].sip.%s", portPos(c, pi(ix)), field)
		},
		func(e *env, ix []int) string { return *ptr(&port(e.c, pi(ix)).SIP) },
		func(_ *env, c *config.Config, ix []int, v string) error { *ptr(&port(c, pi(ix)).SIP) = v; return nil })
}

func accountEnable(name string, pi func(ix []int) int) *param {
	return rw(name, tBool,
		func(c *config.Config, ix []int) string {
			return fmt.Sprintf("ports[%d].sip.enabled", portPos(c, pi(ix)))
		},
		func(e *env, ix []int) string { return fmtBool(port(e.c, pi(ix)).SIP.Enabled) },
		func(_ *env, c *config.Config, ix []int, v string) error {
			port(c, pi(ix)).SIP.Enabled = v == "true"
			return nil
		})
}

// registerURI reads "sip:user@domain" and writes the user, and the
// profile's domain when one is given.
func registerURI(name string, pi func(ix []int) int) *param {
	p := registerURIRow(name, pi)
	p.alias = true
	return p
}

func registerURIRow(name string, pi func(ix []int) int) *param {
	return rw(name, tString,
		func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d].sip.user", portPos(c, pi(ix))) },
		func(e *env, ix []int) string {
			a := port(e.c, pi(ix)).SIP
			if a.User == "" {
				return ""
			}
			p := prof(e.c, a.Profile+1)
			host := p.Domain
			if host == "" && len(p.Registrars) > 0 {
				host, _ = hostPort(p.Registrars[0])
			}
			if host == "" {
				return "sip:" + a.User
			}
			return "sip:" + a.User + "@" + host
		},
		func(_ *env, c *config.Config, ix []int, v string) error {
			a := &port(c, pi(ix)).SIP
			rest := strings.TrimPrefix(strings.TrimPrefix(v, "sip:"), "tel:")
			user, host, hasHost := strings.Cut(rest, "@")
			a.User = user
			if hasHost && host != "" {
				prof(c, a.Profile+1).Domain = host
			}
			return nil
		})
}

// regStatus is a port account's registration state in TR-104 issue 2's
// SIP.Client.Status words.
func regStatus(e *env, p int) string {
	a := port(e.c, p).SIP
	if !a.Enabled {
		return "Disabled"
	}
	if e.m.o.Status.Registration == nil {
		return "Initializing"
	}
	st, ok := e.m.o.Status.Registration(p)
	if !ok {
		return "Error_Misconfigured"
	}
	switch st.State {
	case "registered":
		return "Up"
	case "registering":
		return "Registering"
	case "failed":
		if st.Code == 0 {
			return "Error_Network"
		}
		return "Error_Registration"
	case "stopped":
		return "Deregistering"
	}
	return "Up" // no registrar: the account works without registering
}

// callStatus maps the call-control state of a port.
func callStatus(e *env, p int) string {
	if e.m.o.Status.LineState == nil {
		return "Idle"
	}
	switch e.m.o.Status.LineState(p) {
	case "dialtone", "digits", "routing":
		return "Dialing"
	case "ringback":
		return "Delivered"
	case "alerting":
		return "Alerting"
	case "connected":
		return "Connected"
	case "signalling", "howler", "lockout":
		return "Disconnected"
	}
	return "Idle"
}

func offHook(e *env, p int) bool {
	if e.m.o.Status.Hook == nil {
		return false
	}
	off, ok := e.m.o.Status.Hook(p)
	return ok && off
}

// codecList maps a profile's codec list to CodecProfile references.
func codecList(name, pattern string, k func(ix []int) int) *param {
	return rw(name, tString,
		func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].codecs", k(ix)-1) },
		func(e *env, ix []int) string {
			var refs []string
			for _, c := range prof(e.c, k(ix)).Codecs {
				if i := codecIndex(c); i > 0 {
					refs = append(refs, ref(pattern, i))
				}
			}
			return strings.Join(refs, ",")
		},
		func(_ *env, c *config.Config, ix []int, v string) error {
			var list []string
			for _, r := range strings.Split(v, ",") {
				r = strings.TrimSpace(r)
				if r == "" {
					continue
				}
				i, ok := parseRef(pattern, r)
				if !ok || i > len(codecs) {
					return fmt.Errorf("%q is not a codec profile of this box", r)
				}
				list = append(list, codecs[i-1].cfg)
			}
			prof(c, k(ix)).Codecs = list
			return nil
		})
}
