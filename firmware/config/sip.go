package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/route"
)

// SIP holds how the box reaches its carrier's softswitch or IMS.
type SIP struct {
	// Port is the local SIP port (UDP and TCP).
	Port int `json:"port"`
	// Profiles are the carrier set-ups; a port's account names one by index.
	Profiles []SIPProfile `json:"profiles"`
}

// SIPProfile is one carrier's servers, timers and media choices.
type SIPProfile struct {
	Name string `json:"name"`
	// Domain is the SIP domain of the accounts (the host part of their
	// address of record).
	Domain string `json:"domain"`
	// Registrars are tried in order: the first is primary, the next are
	// fail-overs; "host", "host:port" or an SRV domain.
	Registrars []string `json:"registrars"`
	// OutboundProxies, when set, carry every request, in fail-over order.
	OutboundProxies []string `json:"outboundProxies"`
	Transport       string   `json:"transport"` // "udp" or "tcp"
	RegisterExpires Duration `json:"registerExpires"`
	RetryMin        Duration `json:"retryMin"` // first back-off after a failed registration
	RetryMax        Duration `json:"retryMax"` // the back-off never grows past this
	// RegisterTimeout is how long a REGISTER or keep-alive may go
	// unanswered before the server counts as dead and the next is tried.
	RegisterTimeout Duration `json:"registerTimeout"`
	// Failback is how often the primary is probed while a line is
	// registered at a fail-over server.
	Failback       Duration `json:"failback"`
	KeepAlive      string   `json:"keepAlive"` // "off", "crlf" or "options"
	KeepAliveEvery Duration `json:"keepAliveEvery"`
	SessionExpires Duration `json:"sessionExpires"` // RFC 4028; 0 turns session timers off
	PRACK          string   `json:"prack"`          // "off", "supported" or "required"
	Codecs         []string `json:"codecs"`         // in preference order: "PCMA", "PCMU"
	PTime          Duration `json:"ptime"`          // 10, 20 or 30 ms
	DTMF           string   `json:"dtmf"`           // "rfc4733", "info" or "inband"
	Flash          string   `json:"flash"`          // hook-flash as "rfc4733" (event 16) or "info"
	DigitMap       string   `json:"digitMap"`       // RFC 3435 digit map of numbers sent to the carrier
	RTPPortMin     int      `json:"rtpPortMin"`
	RTPPortMax     int      `json:"rtpPortMax"`
}

// PortSIP is the carrier account of one port.
type PortSIP struct {
	Enabled     bool   `json:"enabled"`
	Profile     int    `json:"profile"` // index into SIP.Profiles
	User        string `json:"user"`    // the number / user part of the address of record
	AuthUser    string `json:"authUser"`
	Password    string `json:"password"`
	DisplayName string `json:"displayName"`
}

// Secret reports whether the field at path holds a secret that must never
// be shown: passwords. Changes and audit records carry "***" instead.
func Secret(path string) bool {
	return strings.HasSuffix(path, ".password") || strings.HasSuffix(path, "Password")
}

// DefaultSIPProfile is the factory carrier profile: no servers yet, the
// timers commercial gateways ship with, A-law first (China, Europe), 20 ms
// packets, RFC 4733 digits, and a China digit map.
func DefaultSIPProfile() SIPProfile {
	return SIPProfile{
		Name:            "carrier",
		Registrars:      []string{},
		OutboundProxies: []string{},
		Transport:       "udp",
		RegisterExpires: Duration(time.Hour),
		RetryMin:        Duration(30 * time.Second),
		RetryMax:        Duration(30 * time.Minute),
		RegisterTimeout: Duration(10 * time.Second),
		Failback:        Duration(time.Minute),
		KeepAlive:       "crlf",
		KeepAliveEvery:  Duration(30 * time.Second),
		SessionExpires:  Duration(30 * time.Minute),
		PRACK:           "supported",
		Codecs:          []string{"PCMA", "PCMU"},
		PTime:           Duration(20 * time.Millisecond),
		DTMF:            "rfc4733",
		Flash:           "info",
		DigitMap:        "[2-9]xxxxxxx|1[3-9]xxxxxxxxx|0[1-9]xx.T|1[0-2]x|9xxxx|*xx#|#",
		RTPPortMin:      10000,
		RTPPortMax:      10999,
	}
}

func checkServer(s string) string {
	if s == "" {
		return "is empty"
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q has a bad port (1-65535)", s)
		}
	}
	if host == "" || len(host) > 253 || strings.ContainsAny(host, " /@;?<>\"'\\") {
		return fmt.Sprintf("%q is not a host name, address or host:port", s)
	}
	return ""
}

func oneOf(v string, allowed ...string) string {
	if slices.Contains(allowed, v) {
		return ""
	}
	return fmt.Sprintf("is %q, must be one of %s", v, strings.Join(allowed, ", "))
}

// validateSIP adds the SIP section's problems through bad.
func (c *Config) validateSIP(bad func(field, format string, args ...any)) {
	s := &c.SIP
	if s.Port < 1 || s.Port > 65535 {
		bad("sip.port", "is %d, must be between 1 and 65535", s.Port)
	}
	if len(s.Profiles) == 0 || len(s.Profiles) > 8 {
		bad("sip.profiles", "has %d profiles, must have 1 to 8", len(s.Profiles))
	}
	for i := range s.Profiles {
		p := &s.Profiles[i]
		f := fmt.Sprintf("sip.profiles[%d]", i)
		if r := checkName(p.Name, true); r != "" {
			bad(f+".name", "%s", r)
		}
		if p.Domain != "" {
			if r := checkServer(p.Domain); r != "" {
				bad(f+".domain", "%s", r)
			}
		}
		if len(p.Registrars) > 4 {
			bad(f+".registrars", "has %d, at most 4", len(p.Registrars))
		}
		for j, r := range p.Registrars {
			if m := checkServer(r); m != "" {
				bad(fmt.Sprintf("%s.registrars[%d]", f, j), "%s", m)
			}
		}
		if len(p.OutboundProxies) > 4 {
			bad(f+".outboundProxies", "has %d, at most 4", len(p.OutboundProxies))
		}
		for j, r := range p.OutboundProxies {
			if m := checkServer(r); m != "" {
				bad(fmt.Sprintf("%s.outboundProxies[%d]", f, j), "%s", m)
			}
		}
		for _, e := range []struct {
			field, v string
			allowed  []string
		}{
			{".transport", p.Transport, []string{"udp", "tcp"}},
			{".keepAlive", p.KeepAlive, []string{"off", "crlf", "options"}},
			{".prack", p.PRACK, []string{"off", "supported", "required"}},
			{".dtmf", p.DTMF, []string{"rfc4733", "info", "inband"}},
			{".flash", p.Flash, []string{"rfc4733", "info"}},
		} {
			if r := oneOf(e.v, e.allowed...); r != "" {
				bad(f+e.field, "%s", r)
			}
		}
		for _, l := range []struct {
			field    string
			v        Duration
			min, max time.Duration
		}{
			{".registerExpires", p.RegisterExpires, 60 * time.Second, 24 * time.Hour},
			{".retryMin", p.RetryMin, time.Second, time.Hour},
			{".retryMax", p.RetryMax, time.Second, 24 * time.Hour},
			{".keepAliveEvery", p.KeepAliveEvery, 5 * time.Second, 10 * time.Minute},
			{".registerTimeout", p.RegisterTimeout, time.Second, 32 * time.Second},
			{".failback", p.Failback, 5 * time.Second, 24 * time.Hour},
		} {
			if v := l.v.D(); v < l.min || v > l.max {
				bad(f+l.field, "is %v, must be between %v and %v", v, l.min, l.max)
			}
		}
		if p.RetryMin > p.RetryMax {
			bad(f+".retryMin", "(%v) must not be longer than retryMax (%v)", p.RetryMin, p.RetryMax)
		}
		if v := p.SessionExpires.D(); v != 0 && (v < 90*time.Second || v > 24*time.Hour) {
			bad(f+".sessionExpires", "is %v, must be 0 (off) or between 90s (RFC 4028 Min-SE) and 24h", v)
		}
		if len(p.Codecs) == 0 {
			bad(f+".codecs", "is empty, needs PCMA and/or PCMU")
		}
		for j, k := range p.Codecs {
			if r := oneOf(k, "PCMA", "PCMU"); r != "" {
				bad(fmt.Sprintf("%s.codecs[%d]", f, j), "%s", r)
			} else if slices.Index(p.Codecs, k) != j {
				bad(fmt.Sprintf("%s.codecs[%d]", f, j), "%q is listed twice", k)
			}
		}
		switch p.PTime.D() {
		case 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond:
		default:
			bad(f+".ptime", "is %v, must be 10ms, 20ms or 30ms", p.PTime)
		}
		if _, err := route.ParseDigitMap(p.DigitMap); err != nil {
			bad(f+".digitMap", "%v", strings.TrimPrefix(err.Error(), "route: "))
		}
		if p.RTPPortMin < 1024 || p.RTPPortMax > 65534 || p.RTPPortMin%2 != 0 || p.RTPPortMax-p.RTPPortMin < 2 {
			bad(f+".rtpPortMin", "range %d-%d must be even-started, within 1024-65534 and hold at least one pair", p.RTPPortMin, p.RTPPortMax)
		}
	}
	for i := range c.Ports {
		a := &c.Ports[i].SIP
		f := fmt.Sprintf("ports[%d].sip", i)
		if len(s.Profiles) > 0 && (a.Profile < 0 || a.Profile >= len(s.Profiles)) {
			bad(f+".profile", "is %d, there are %d profiles", a.Profile, len(s.Profiles))
		}
		for _, v := range []struct{ field, v string }{{".user", a.User}, {".authUser", a.AuthUser}, {".password", a.Password}, {".displayName", a.DisplayName}} {
			if len(v.v) > 128 || strings.ContainsAny(v.v, "\r\n\x00") {
				bad(f+v.field, "must be at most 128 characters on one line")
			}
		}
		if a.User != "" && strings.ContainsAny(a.User, " <>@:;\"") {
			bad(f+".user", "%q may not contain spaces or any of <>@:;\"", a.User)
		}
		if a.Enabled {
			if a.User == "" {
				bad(f+".user", "is empty, an enabled account needs one")
			}
			if a.Profile >= 0 && a.Profile < len(s.Profiles) && len(s.Profiles[a.Profile].Registrars) == 0 && s.Profiles[a.Profile].Domain == "" {
				bad(f+".profile", "profile %d has neither a registrar nor a domain", a.Profile)
			}
		}
	}
}
