package netcfg

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/openiad/openiad/firmware/config"
)

func TestStatic(t *testing.T) {
	s, err := Static(config.Network{Mode: config.NetStatic, Address: "192.0.2.10/24", Gateway: "192.0.2.1", DNS: []string{"192.0.2.53"}, Hostname: "iad", MTU: 1400})
	if err != nil {
		t.Fatal(err)
	}
	if s.Address != netip.MustParsePrefix("192.0.2.10/24") || s.Gateway != netip.MustParseAddr("192.0.2.1") ||
		len(s.DNS) != 1 || s.DNS[0] != netip.MustParseAddr("192.0.2.53") || s.MTU != 1400 || s.Lease != 0 {
		t.Errorf("settings %+v", s)
	}
	if got := string(ResolvConf(s)); !strings.Contains(got, "nameserver 192.0.2.53\n") {
		t.Errorf("resolv.conf:\n%s", got)
	}
	for _, bad := range []config.Network{
		{Mode: config.NetStatic, Address: "192.0.2.10"},
		{Mode: config.NetStatic, Address: "2001:db8::1/64"},
		{Mode: config.NetStatic, Address: "192.0.2.10/24", Gateway: "198.51.100.1"}, // not on the subnet
		{Mode: config.NetStatic, Address: "192.0.2.10/24", DNS: []string{"dns.example"}},
		{Mode: config.NetDHCP},
	} {
		if _, err := Static(bad); err == nil {
			t.Errorf("Static(%+v) accepted", bad)
		}
	}
}

func ack(t *testing.T, mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	t.Helper()
	m, err := dhcpv4.New(append([]dhcpv4.Modifier{dhcpv4.WithMessageType(dhcpv4.MessageTypeAck),
		dhcpv4.WithYourIP(net.IPv4(10, 0, 2, 15))}, mods...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFromLease(t *testing.T) {
	a := ack(t, dhcpv4.WithNetmask(net.CIDRMask(24, 32)), dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2)),
		dhcpv4.WithDNS(net.IPv4(10, 0, 2, 3)), dhcpv4.WithLeaseTime(3600),
		dhcpv4.WithServerIP(net.IPv4(10, 0, 2, 2)), dhcpv4.WithOption(dhcpv4.OptServerIdentifier(net.IPv4(10, 0, 2, 2))))
	s, err := FromLease(a, config.Network{Mode: config.NetDHCP})
	if err != nil {
		t.Fatal(err)
	}
	if s.Address != netip.MustParsePrefix("10.0.2.15/24") || s.Gateway != netip.MustParseAddr("10.0.2.2") ||
		len(s.DNS) != 1 || s.DNS[0] != netip.MustParseAddr("10.0.2.3") || s.Lease != time.Hour || s.Server != netip.MustParseAddr("10.0.2.2") {
		t.Errorf("settings %+v", s)
	}
	// DNS servers in the configuration replace the lease's.
	s, err = FromLease(a, config.Network{Mode: config.NetDHCP, DNS: []string{"192.0.2.53"}})
	if err != nil || len(s.DNS) != 1 || s.DNS[0] != netip.MustParseAddr("192.0.2.53") {
		t.Errorf("configured DNS: %+v, %v", s.DNS, err)
	}
	// A router off the subnet is no gateway.
	s, err = FromLease(ack(t, dhcpv4.WithNetmask(net.CIDRMask(24, 32)), dhcpv4.WithRouter(net.IPv4(192, 0, 2, 1))), config.Network{})
	if err != nil || s.Gateway.IsValid() {
		t.Errorf("off-subnet router: %+v, %v", s, err)
	}
	if s.Lease <= 0 {
		t.Errorf("no lease time: renewal period %v", s.Lease)
	}
	// An offer is not a lease; an ACK without an address neither.
	offer, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeOffer), dhcpv4.WithYourIP(net.IPv4(10, 0, 2, 15)))
	if _, err := FromLease(offer, config.Network{}); err == nil {
		t.Error("an OFFER was taken as a lease")
	}
	empty, _ := dhcpv4.New(dhcpv4.WithMessageType(dhcpv4.MessageTypeAck))
	if _, err := FromLease(empty, config.Network{}); err == nil {
		t.Error("an ACK without an address was taken")
	}
}

func TestInterfaceName(t *testing.T) {
	if InterfaceName("eth0", 0) != "eth0" || InterfaceName("eth0", 100) != "eth0.100" {
		t.Error(InterfaceName("eth0", 100))
	}
}

// FuzzFromLease: any datagram a DHCP server (or an attacker on the WAN)
// sends either is refused or gives settings with an IPv4 address and a
// positive renewal time.
func FuzzFromLease(f *testing.F) {
	for _, m := range []*dhcpv4.DHCPv4{
		mustNew(dhcpv4.WithMessageType(dhcpv4.MessageTypeAck), dhcpv4.WithYourIP(net.IPv4(10, 0, 2, 15)),
			dhcpv4.WithNetmask(net.CIDRMask(24, 32)), dhcpv4.WithRouter(net.IPv4(10, 0, 2, 2)), dhcpv4.WithLeaseTime(86400)),
		mustNew(dhcpv4.WithMessageType(dhcpv4.MessageTypeAck), dhcpv4.WithYourIP(net.IPv4(192, 0, 2, 7))),
	} {
		f.Add(m.ToBytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := dhcpv4.FromBytes(b)
		if err != nil {
			return
		}
		s, err := FromLease(m, config.Network{Mode: config.NetDHCP})
		if err != nil {
			return
		}
		if !s.Address.Addr().Is4() || s.Address.Bits() < 1 || s.Lease <= 0 {
			t.Fatalf("settings %+v from an accepted lease", s)
		}
		if s.Gateway.IsValid() && !s.Address.Masked().Contains(s.Gateway) {
			t.Fatalf("gateway %v off the subnet %v", s.Gateway, s.Address)
		}
	})
}

func mustNew(mods ...dhcpv4.Modifier) *dhcpv4.DHCPv4 {
	m, err := dhcpv4.New(mods...)
	if err != nil {
		panic(err)
	}
	return m
}
