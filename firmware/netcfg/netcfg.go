// Package netcfg brings up the box's WAN interface from the configuration
// (config.Network): DHCP (RFC 2131, client from github.com/insomniacslk/dhcp,
// lease renewed at T1 and rebound when it runs out) or a static address,
// with the MTU, an 802.1Q VLAN, the host name and the DNS servers
// (/etc/resolv.conf, read by Go's resolver). Addresses and routes are set
// over rtnetlink (github.com/vishvananda/netlink); nothing is shelled out.
//
// Plan computes what to apply (pure, tested on any host); Run applies it
// and keeps a DHCP lease alive until its context ends. Run is called from
// one goroutine; State may be called from any.
package netcfg

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/openiad/openiad/firmware/config"
)

var (
	errConfig = errors.New("netcfg: bad network configuration")
	errLease  = errors.New("netcfg: unusable DHCP lease")
	errLink   = errors.New("netcfg: interface")
)

// Settings are what the interface gets: the outcome of a static
// configuration or of a DHCP lease.
type Settings struct {
	Address  netip.Prefix // the interface address with its prefix length
	Gateway  netip.Addr   // invalid when there is no default route
	DNS      []netip.Addr
	Hostname string
	MTU      int           // 0 leaves the interface's MTU
	Lease    time.Duration // 0 for a static address
	Server   netip.Addr    // the DHCP server, invalid when static
}

func (s Settings) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "address %s", s.Address)
	if s.Gateway.IsValid() {
		fmt.Fprintf(&b, " gateway %s", s.Gateway)
	}
	if len(s.DNS) > 0 {
		fmt.Fprintf(&b, " dns %v", s.DNS)
	}
	if s.Lease > 0 {
		fmt.Fprintf(&b, " lease %v from %s", s.Lease, s.Server)
	}
	return b.String()
}

// Static computes the settings of a static configuration.
func Static(n config.Network) (Settings, error) {
	if n.Mode != config.NetStatic {
		return Settings{}, fmt.Errorf("%w: network.mode is %q, not static", errConfig, n.Mode)
	}
	p, err := netip.ParsePrefix(n.Address)
	if err != nil || !p.Addr().Is4() {
		return Settings{}, fmt.Errorf("%w: network.address %q: want IPv4 CIDR such as 192.0.2.10/24", errConfig, n.Address)
	}
	s := Settings{Address: p, Hostname: n.Hostname, MTU: n.MTU}
	if n.Gateway != "" {
		g, err := netip.ParseAddr(n.Gateway)
		if err != nil || !g.Is4() {
			return Settings{}, fmt.Errorf("%w: network.gateway %q: want an IPv4 address", errConfig, n.Gateway)
		}
		if !p.Masked().Contains(g) {
			return Settings{}, fmt.Errorf("%w: network.gateway %s is not on %s", errConfig, g, p.Masked())
		}
		s.Gateway = g
	}
	dns, err := parseDNS(n.DNS)
	if err != nil {
		return Settings{}, err
	}
	s.DNS = dns
	return s, nil
}

func parseDNS(list []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for i, d := range list {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, fmt.Errorf("%w: network.dns[%d] %q: want an IP address", errConfig, i, d)
		}
		out = append(out, a)
	}
	return out, nil
}

// FromLease computes the settings of a DHCP acknowledgement; DNS servers
// in the configuration override the lease's.
func FromLease(ack *dhcpv4.DHCPv4, n config.Network) (Settings, error) {
	if ack == nil || ack.MessageType() != dhcpv4.MessageTypeAck {
		return Settings{}, fmt.Errorf("%w: not an ACK", errLease)
	}
	ip, ok := netip.AddrFromSlice(ack.YourIPAddr.To4())
	if !ok || ip.IsUnspecified() {
		return Settings{}, fmt.Errorf("%w: no address offered", errLease)
	}
	mask := ack.SubnetMask()
	if mask == nil {
		mask = ip4DefaultMask(ack.YourIPAddr)
	}
	ones, bits := mask.Size()
	if bits != 32 || ones == 0 {
		return Settings{}, fmt.Errorf("%w: subnet mask %v", errLease, mask)
	}
	s := Settings{Address: netip.PrefixFrom(ip, ones), Hostname: n.Hostname, MTU: n.MTU}
	for _, r := range ack.Router() {
		if g, ok := netip.AddrFromSlice(r.To4()); ok && s.Address.Masked().Contains(g) {
			s.Gateway = g
			break
		}
	}
	if len(n.DNS) > 0 {
		dns, err := parseDNS(n.DNS)
		if err != nil {
			return Settings{}, err
		}
		s.DNS = dns
	} else {
		for _, d := range ack.DNS() {
			if a, ok := netip.AddrFromSlice(d.To4()); ok {
				s.DNS = append(s.DNS, a)
			}
		}
	}
	s.Lease = ack.IPAddressLeaseTime(0)
	if s.Lease <= 0 {
		// No lease time: RFC 2131 has none by default; renew hourly.
		s.Lease = 2 * time.Hour
	}
	if srv := ack.ServerIdentifier(); srv != nil {
		s.Server, _ = netip.AddrFromSlice(srv.To4())
	}
	return s, nil
}

func ip4DefaultMask(ip net.IP) net.IPMask {
	if m := ip.DefaultMask(); m != nil {
		return m
	}
	return net.CIDRMask(24, 32)
}

// ResolvConf renders /etc/resolv.conf for the settings.
func ResolvConf(s Settings) []byte {
	var b strings.Builder
	b.WriteString("# written by the OpenIAD firmware (netcfg)\n")
	for _, d := range s.DNS {
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	return []byte(b.String())
}

// InterfaceName is the name of the interface the address goes on: the
// VLAN subinterface ("eth0.100") when a VLAN is configured.
func InterfaceName(base string, vlan int) string {
	if vlan == 0 {
		return base
	}
	return fmt.Sprintf("%s.%d", base, vlan)
}

// State is what the interface has now, for the console and the web page.
type State struct {
	mu  sync.Mutex
	cur Settings
	up  bool
	err error
}

// Get returns the current settings, whether they are applied, and the
// last error.
func (s *State) Get() (Settings, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.up, s.err
}

func (s *State) set(cur Settings, up bool, err error) {
	s.mu.Lock()
	s.cur, s.up, s.err = cur, up, err
	s.mu.Unlock()
}
