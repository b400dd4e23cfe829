package ua

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Account is who a line is: its SIP identity and credentials.
type Account struct {
	User        string // user part of the address of record, usually the number
	AuthUser    string // digest user name; User when empty
	Password    string // digest password; never logged
	DisplayName string // name shown to the called party
	Domain      string // domain of the address of record; the first registrar's host when empty
}

// String shows the account without its password.
func (a Account) String() string {
	return fmt.Sprintf("%s@%s", a.User, a.Domain)
}

// LogValue keeps the password out of structured logs.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user", a.User),
		slog.String("authuser", a.authUser()),
		slog.String("domain", a.Domain),
		slog.Bool("password", a.Password != ""),
	)
}

func (a Account) authUser() string {
	if a.AuthUser != "" {
		return a.AuthUser
	}
	return a.User
}

// Keep-alive methods for Profile.KeepAliveMethod.
const (
	KeepAliveCRLF    = "crlf"    // a double CRLF: over UDP a datagram (no pong); over TCP a RFC 5626 ping that wants a pong
	KeepAliveOptions = "options" // an OPTIONS request; no answer counts as a dead server
)

// PRACK modes for Profile.PRACK (RFC 3262).
const (
	PRACKOff       = "off"       // never offer or use reliable provisional responses
	PRACKSupported = "supported" // offer 100rel; use it when the far end asks for it
	PRACKRequired  = "required"  // require 100rel on our calls; insist on incoming calls that support it
)

// Hook-flash encodings for Profile.FlashInfo.
const (
	FlashDTMFRelay = "dtmf-relay" // INFO, application/dtmf-relay, Signal=16
	FlashHookFlash = "hook-flash" // INFO, application/hook-flash, signal=hf
)

// Profile is how a line reaches its service: servers, timers and options. A
// zero field takes the default named beside it.
type Profile struct {
	// Registrars are the registrar addresses, primary first: "host",
	// "host:port" or a domain with DNS SRV records (_sip._udp). Empty:
	// the line does not register and calls go to OutboundProxy or Domain.
	Registrars []string
	// OutboundProxy, when set, receives every request of the line (with a
	// loose Route to it); entry i pairs with registrar i (the last entry
	// serves the rest).
	OutboundProxy []string
	// Transport is "udp" (default) or "tcp": how the line's requests
	// travel (Via, Contact ;transport=tcp, DNS SRV _sip._tcp). Over TCP a
	// line keeps one connection per server and reuses it, keep-alive is
	// CRLFCRLF on it (RFC 5626 §4.4.1, a pong expected within Timeout, at
	// most 10 s) or OPTIONS, and a dropped connection counts as a dead
	// server (fail-over, re-register).
	Transport string

	Expires  time.Duration // registration lifetime asked for; 3600 s
	RetryMin time.Duration // first back-off after a failed round; 5 s
	RetryMax time.Duration // back-off cap; 300 s
	// Timeout is how long a REGISTER or keep-alive OPTIONS may wait for a
	// final answer before the server counts as dead and the next one is
	// tried; 10 s (at most Timer F, 32 s).
	Timeout time.Duration
	// Failback is how often the primary is probed (OPTIONS) while the line
	// is registered elsewhere; 60 s.
	Failback time.Duration
	// KeepAlive is the NAT keep-alive interval while registered; 0: off.
	KeepAlive       time.Duration
	KeepAliveMethod string // KeepAliveCRLF (default) or KeepAliveOptions

	// SessionExpires is the RFC 4028 session interval asked for; 1800 s.
	// A negative value turns session timers off.
	SessionExpires time.Duration
	MinSE          time.Duration // smallest session interval accepted; 90 s
	PRACK          string        // PRACKOff, PRACKSupported (default) or PRACKRequired
	FlashInfo      string        // FlashDTMFRelay (default) or FlashHookFlash
	// NoContactRewrite keeps the Contact address as configured even when
	// the registrar reports (Via received/rport) that we are behind a NAT.
	NoContactRewrite bool
}

func (p Profile) withDefaults() Profile {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.Expires, 3600*time.Second)
	def(&p.RetryMin, 5*time.Second)
	def(&p.RetryMax, 300*time.Second)
	if p.RetryMax < p.RetryMin {
		p.RetryMax = p.RetryMin
	}
	def(&p.Timeout, 10*time.Second)
	if p.Timeout > 32*time.Second {
		p.Timeout = 32 * time.Second
	}
	def(&p.Failback, 60*time.Second)
	if p.SessionExpires == 0 {
		p.SessionExpires = 1800 * time.Second
	}
	def(&p.MinSE, 90*time.Second)
	if p.SessionExpires > 0 && p.SessionExpires < p.MinSE {
		p.SessionExpires = p.MinSE
	}
	p.Transport = strings.ToLower(strings.TrimSpace(p.Transport))
	if p.Transport == "" {
		p.Transport = "udp"
	}
	if p.KeepAliveMethod == "" {
		p.KeepAliveMethod = KeepAliveCRLF
	}
	if p.PRACK == "" {
		p.PRACK = PRACKSupported
	}
	if p.FlashInfo == "" {
		p.FlashInfo = FlashDTMFRelay
	}
	return p
}

func (p Profile) validate() error {
	if p.Transport != "udp" && p.Transport != "tcp" {
		return fmt.Errorf("%w: transport %q (udp or tcp)", errConfig, p.Transport)
	}
	switch p.KeepAliveMethod {
	case KeepAliveCRLF, KeepAliveOptions:
	default:
		return fmt.Errorf("%w: keep-alive method %q", errConfig, p.KeepAliveMethod)
	}
	switch p.PRACK {
	case PRACKOff, PRACKSupported, PRACKRequired:
	default:
		return fmt.Errorf("%w: prack %q", errConfig, p.PRACK)
	}
	switch p.FlashInfo {
	case FlashDTMFRelay, FlashHookFlash:
	default:
		return fmt.Errorf("%w: flash info %q", errConfig, p.FlashInfo)
	}
	for _, s := range append(append([]string(nil), p.Registrars...), p.OutboundProxy...) {
		if _, _, err := splitServer(s); err != nil {
			return err
		}
	}
	return nil
}

// sipTransport is the transport name of a profile as sipgo and Via spell it.
func (p Profile) sipTransport() string {
	if p.Transport == "tcp" {
		return trTCP
	}
	return trUDP
}

// Transports as Via and sipgo spell them.
const (
	trUDP = "UDP"
	trTCP = "TCP"
)
