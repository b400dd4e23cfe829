package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // zone names validate on a box without /usr/share/zoneinfo
)

// Network is the WAN interface: how the box gets its address.
type Network struct {
	Mode     string   `json:"mode"`     // "dhcp" or "static"
	Address  string   `json:"address"`  // static: CIDR, "192.0.2.10/24"
	Gateway  string   `json:"gateway"`  // static: the default router
	DNS      []string `json:"dns"`      // name servers; with DHCP they replace the lease's when set
	Hostname string   `json:"hostname"` // sent in DHCP requests and syslog
	VLAN     int      `json:"vlan"`     // 802.1Q tag of the WAN, 0 = untagged
	MTU      int      `json:"mtu"`      // 0 = the default (1500)
}

// Network modes.
const (
	NetDHCP   = "dhcp"
	NetStatic = "static"
)

// Time says where the clock comes from and how it is shown.
type Time struct {
	NTPServers []string `json:"ntpServers"` // tried in order
	Zone       string   `json:"zone"`       // IANA zone name, "Asia/Shanghai"
}

// Syslog sends the box's log to a remote collector.
type Syslog struct {
	Server   string `json:"server"`   // "" = off; "host" or "host:port" (514)
	Protocol string `json:"protocol"` // "udp" or "tcp"
	Level    string `json:"level"`    // "debug", "info", "warn" or "error"
}

// CWMP is the TR-069 client: how the box reaches its carrier's ACS.
type CWMP struct {
	Enabled  bool   `json:"enabled"`
	URL      string `json:"url"` // the ACS, http:// or https://
	Username string `json:"username"`
	Password string `json:"password"`
	// PeriodicEnabled turns on a periodic Inform every PeriodicInterval,
	// in phase with PeriodicTime when that is set.
	PeriodicEnabled  bool      `json:"periodicEnabled"`
	PeriodicInterval Duration  `json:"periodicInterval"`
	PeriodicTime     time.Time `json:"periodicTime"`
	// The connection request server: the ACS asks for a session with an
	// HTTP GET to this port, authenticated with these credentials.
	ConnectionRequestPort     int    `json:"connectionRequestPort"`
	ConnectionRequestUsername string `json:"connectionRequestUsername"`
	ConnectionRequestPassword string `json:"connectionRequestPassword"`
	// CACerts is a PEM bundle the ACS certificate must chain to; empty
	// means the system roots.
	CACerts string `json:"caCerts"`
	// DataModel is "tr104v2" (Device.Services.VoiceService.1. per TR-104
	// issue 2) or "tr104v1" (the VoiceProfile layout of issue 1, for
	// older ACSs).
	DataModel string `json:"dataModel"`
	// The session retry back-off of TR-069 (CWMPRetryMinimumWaitInterval,
	// CWMPRetryIntervalMultiplier in thousandths).
	RetryMinimumWait        Duration `json:"retryMinimumWait"`
	RetryIntervalMultiplier int      `json:"retryIntervalMultiplier"`
}

// Data model flavours.
const (
	DataModelTR104v2 = "tr104v2"
	DataModelTR104v1 = "tr104v1"
)

// Limits of the management sections.
const (
	MaxNTPServers = 5
	MaxDNSServers = 3
	MaxCACerts    = 64 << 10 // bytes of PEM
)

// defaultManagement fills the schema-3 sections of c with factory values:
// DHCP on the WAN, pool.ntp.org in China's zone, no syslog, TR-069 off.
func defaultManagement(c *Config) {
	c.Network = Network{Mode: NetDHCP, DNS: []string{}, Hostname: "openiad"}
	c.Time = Time{NTPServers: []string{"pool.ntp.org"}, Zone: "Asia/Shanghai"}
	c.Syslog = Syslog{Protocol: "udp", Level: "info"}
	c.CWMP = CWMP{
		PeriodicEnabled:         true,
		PeriodicInterval:        Duration(24 * time.Hour),
		ConnectionRequestPort:   7547,
		DataModel:               DataModelTR104v2,
		RetryMinimumWait:        Duration(5 * time.Second),
		RetryIntervalMultiplier: 2000,
	}
}

// validateManagement adds the problems of the network, time, syslog and
// cwmp sections through bad.
func (c *Config) validateManagement(bad func(field, format string, args ...any)) {
	n := &c.Network
	if r := oneOf(n.Mode, NetDHCP, NetStatic); r != "" {
		bad("network.mode", "%s", r)
	}
	var prefix netip.Prefix
	if n.Mode == NetStatic || n.Address != "" {
		p, err := netip.ParsePrefix(n.Address)
		switch {
		case err != nil:
			bad("network.address", "is %q, must be an IPv4 address with prefix length such as \"192.0.2.10/24\"", n.Address)
		case !p.Addr().Is4() || p.Bits() < 1 || p.Bits() > 30:
			bad("network.address", "is %q, must be IPv4 with a prefix length of 1 to 30", n.Address)
		case p.Addr() == p.Masked().Addr():
			bad("network.address", "%q is the network address, not a host", n.Address)
		default:
			prefix = p
		}
	}
	if n.Mode == NetStatic || n.Gateway != "" {
		g, err := netip.ParseAddr(n.Gateway)
		switch {
		case err != nil || !g.Is4():
			bad("network.gateway", "is %q, must be an IPv4 address", n.Gateway)
		case prefix.IsValid() && !prefix.Masked().Contains(g):
			bad("network.gateway", "%s is not in the WAN subnet %s", g, prefix.Masked())
		case prefix.IsValid() && g == prefix.Addr():
			bad("network.gateway", "%s is the box's own address", g)
		}
	}
	if len(n.DNS) > MaxDNSServers {
		bad("network.dns", "has %d servers, at most %d", len(n.DNS), MaxDNSServers)
	}
	for i, d := range n.DNS {
		if a, err := netip.ParseAddr(d); err != nil || !a.Is4() {
			bad(fmt.Sprintf("network.dns[%d]", i), "is %q, must be an IPv4 address", d)
		}
	}
	if r := checkHostname(n.Hostname); r != "" {
		bad("network.hostname", "%s", r)
	}
	if n.VLAN < 0 || n.VLAN > 4094 {
		bad("network.vlan", "is %d, must be 0 (untagged) or 1 to 4094", n.VLAN)
	}
	if n.MTU != 0 && (n.MTU < 576 || n.MTU > 1500) {
		bad("network.mtu", "is %d, must be 0 (default) or 576 to 1500", n.MTU)
	}

	t := &c.Time
	if len(t.NTPServers) > MaxNTPServers {
		bad("time.ntpServers", "has %d servers, at most %d", len(t.NTPServers), MaxNTPServers)
	}
	for i, s := range t.NTPServers {
		if r := checkServer(s); r != "" {
			bad(fmt.Sprintf("time.ntpServers[%d]", i), "%s", r)
		}
	}
	if t.Zone == "" || len(t.Zone) > 64 || strings.Contains(t.Zone, "..") {
		bad("time.zone", "is %q, must be an IANA zone such as \"Asia/Shanghai\" or \"UTC\"", t.Zone)
	} else if _, err := time.LoadLocation(t.Zone); err != nil {
		bad("time.zone", "%q is not a known time zone", t.Zone)
	}

	s := &c.Syslog
	if s.Server != "" {
		if r := checkServer(s.Server); r != "" {
			bad("syslog.server", "%s", r)
		}
	}
	if r := oneOf(s.Protocol, "udp", "tcp"); r != "" {
		bad("syslog.protocol", "%s", r)
	}
	if r := oneOf(s.Level, "debug", "info", "warn", "error"); r != "" {
		bad("syslog.level", "%s", r)
	}

	w := &c.CWMP
	if w.URL != "" || w.Enabled {
		u, err := url.Parse(w.URL)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
			bad("cwmp.url", "is %q, must be an http:// or https:// URL without credentials", w.URL)
		case len(w.URL) > 256:
			bad("cwmp.url", "is longer than 256 characters")
		}
	}
	for _, cred := range []struct{ field, v string }{
		{"cwmp.username", w.Username}, {"cwmp.password", w.Password},
		{"cwmp.connectionRequestUsername", w.ConnectionRequestUsername},
		{"cwmp.connectionRequestPassword", w.ConnectionRequestPassword},
	} {
		if len(cred.v) > 256 || strings.ContainsAny(cred.v, "\x00\r\n") {
			bad(cred.field, "must be at most 256 characters without control characters")
		}
	}
	if w.PeriodicInterval.D() < 30*time.Second || w.PeriodicInterval.D() > 365*24*time.Hour {
		bad("cwmp.periodicInterval", "is %v, must be between 30s and 8760h", w.PeriodicInterval)
	}
	if w.ConnectionRequestPort < 1 || w.ConnectionRequestPort > 65535 {
		bad("cwmp.connectionRequestPort", "is %d, must be between 1 and 65535", w.ConnectionRequestPort)
	}
	if len(w.CACerts) > MaxCACerts {
		bad("cwmp.caCerts", "is %d bytes, at most %d", len(w.CACerts), MaxCACerts)
	} else if w.CACerts != "" && !strings.Contains(w.CACerts, "-----BEGIN CERTIFICATE-----") {
		bad("cwmp.caCerts", "holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
	}
	if r := oneOf(w.DataModel, DataModelTR104v2, DataModelTR104v1); r != "" {
		bad("cwmp.dataModel", "%s", r)
	}
	if w.RetryMinimumWait.D() < time.Second || w.RetryMinimumWait.D() > 65535*time.Second {
		bad("cwmp.retryMinimumWait", "is %v, must be between 1s and 65535s", w.RetryMinimumWait)
	}
	if w.RetryIntervalMultiplier < 1000 || w.RetryIntervalMultiplier > 65535 {
		bad("cwmp.retryIntervalMultiplier", "is %d, must be between 1000 and 65535", w.RetryIntervalMultiplier)
	}
}

// checkHostname checks an RFC 1123 host name (letters, digits, hyphens,
// dots between labels of at most 63 characters).
func checkHostname(s string) string {
	if s == "" || len(s) > 253 {
		return fmt.Sprintf("is %q, must be 1 to 253 characters", s)
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Sprintf("is %q, not a host name (labels of 1-63 letters, digits and inner hyphens)", s)
		}
		for i := 0; i < len(l); i++ {
			ch := l[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return fmt.Sprintf("is %q, not a host name (labels of 1-63 letters, digits and inner hyphens)", s)
			}
		}
	}
	return ""
}
