package datamodel

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// The table: one row per parameter, in the order GetParameterNames lists
// them. Names are full patterns; "{i}" steps are the multi-instance
// objects of tablesFor. Each row says its TR type, whether the ACS may
// write it (set != nil), where its value comes from (get) and which config
// field it is (path). TestNamesInStandards checks every name, type and
// access against the Broadband Forum XML.

const (
	vs = "Device.Services.VoiceService.1."
	ms = "Device.ManagementServer."
)

func ro(name string, t xtype, get getter) *param { return &param{name: name, typ: t, get: get} }

func konst(name string, t xtype, v string) *param {
	return ro(name, t, func(*env, []int) string { return v })
}

func rw(name string, t xtype, path pather, get getter, set setter) *param {
	return &param{name: name, typ: t, path: path, get: get, set: set}
}

func fixed(p string) pather { return func(*config.Config, []int) string { return p } }

// cfgString maps a string field of the configuration.
func cfgString(name, path string, ptr func(c *config.Config) *string) *param {
	return rw(name, tString, fixed(path),
		func(e *env, _ []int) string { return *ptr(e.c) },
		func(_ *env, c *config.Config, _ []int, v string) error { *ptr(c) = v; return nil })
}

func cfgBool(name, path string, ptr func(c *config.Config) *bool) *param {
	return rw(name, tBool, fixed(path),
		func(e *env, _ []int) string { return fmtBool(*ptr(e.c)) },
		func(_ *env, c *config.Config, _ []int, v string) error { *ptr(c) = v == "true"; return nil })
}

// cfgSeconds maps a Duration field as whole seconds.
func cfgSeconds(name, path string, ptr func(c *config.Config) *config.Duration) *param {
	return rw(name, tUint, fixed(path),
		func(e *env, _ []int) string { return seconds(ptr(e.c).D()) },
		func(_ *env, c *config.Config, _ []int, v string) error {
			*ptr(c) = config.Duration(time.Duration(atoi(v)) * time.Second)
			return nil
		})
}

// only accepts the one value the box supports for a writable parameter.
func only(name string, t xtype, v string) *param {
	return rw(name, t, nil, func(*env, []int) string { return v },
		func(_ *env, _ *config.Config, _ []int, got string) error {
			if got != v {
				return fmt.Errorf("only %q is supported", v)
			}
			return nil
		})
}

// ref is a reference to an object instance as TR-069 writes it: the path
// without the trailing dot.
func ref(pattern string, i int) string {
	return strings.Replace(pattern, "{i}", strconv.Itoa(i), 1)
}

// parseRef reads a reference to pattern ("….Network.{i}", with or without
// a trailing dot) and returns its instance number.
func parseRef(pattern, v string) (int, bool) {
	v = strings.TrimSuffix(v, ".")
	pre, post, _ := strings.Cut(pattern, "{i}")
	if !strings.HasPrefix(v, pre) || !strings.HasSuffix(v, post) {
		return 0, false
	}
	n, err := strconv.Atoi(v[len(pre) : len(v)-len(post)])
	return n, err == nil && n > 0
}

// count returns the NumberOfEntries of a table at the parent instance.
func count(name, pattern string) *param {
	return ro(name, tUint, func(e *env, ix []int) string {
		t := e.m.schemaFor(e.c).tables[pattern]
		return fmtInt(len(t.list(e, ix)))
	})
}

func upTo(n int) []int {
	out := make([]int, 0, max(n, 0))
	for i := 1; i <= n; i++ {
		out = append(out, i)
	}
	return out
}

var one = &table{list: func(*env, []int) []int { return []int{1} }}

// tablesFor returns the multi-instance objects of one flavour.
func tablesFor(m *Model, v1 bool) map[string]*table {
	t := map[string]*table{
		"Device.DeviceInfo.VendorLogFile.{i}": {list: func(e *env, _ []int) []int {
			if e.m.o.Status.Logs == nil {
				return nil
			}
			return upTo(len(e.m.o.Status.Logs()))
		}},
		"Device.IP.Interface.{i}":                      one,
		"Device.IP.Interface.{i}.IPv4Address.{i}":      one,
		"Device.DHCPv4.Client.{i}":                     one,
		"Device.Routing.Router.{i}":                    one,
		"Device.Routing.Router.{i}.IPv4Forwarding.{i}": one,
		"Device.DNS.Client.Server.{i}":                 {list: func(*env, []int) []int { return upTo(config.MaxDNSServers) }},
	}
	voiceTables(m, v1, t)
	return t
}

// paramsFor returns the rows of one flavour: the TR-181 basics, then the
// voice service in the TR-104 issue 2 or issue 1 layout.
func paramsFor(m *Model, v1 bool) []*param {
	p := deviceParams(m)
	if v1 {
		return append(p, voice1Params(m)...)
	}
	return append(p, voice2Params(m)...)
}

func deviceParams(m *Model) []*param {
	x := m.VendorPrefix()
	d := &m.o.Device
	ps := []*param{
		konst("Device.RootDataModelVersion", tString, "2.17"),
		lockParam(m, "Device."+x+"LockedParameters"),
		konst("Device.DeviceInfo.Manufacturer", tString, d.Manufacturer),
		konst("Device.DeviceInfo.ManufacturerOUI", tString, m.oui),
		konst("Device.DeviceInfo.ModelName", tString, d.ModelName),
		konst("Device.DeviceInfo.ProductClass", tString, d.ProductClass),
		konst("Device.DeviceInfo.SerialNumber", tString, d.SerialNumber),
		konst("Device.DeviceInfo.HardwareVersion", tString, d.HardwareVersion),
		{name: "Device.DeviceInfo.SoftwareVersion", typ: tString, notify: notifyForceActive,
			get: func(e *env, _ []int) string { return e.m.o.Device.SoftwareVersion }},
		{name: "Device.DeviceInfo.ProvisioningCode", typ: tString, notify: notifyForceActive,
			get: func(e *env, _ []int) string { return e.m.st.ProvisioningCode },
			set: func(_ *env, _ *config.Config, _ []int, v string) error {
				if len(v) > 64 {
					return errors.New("at most 64 characters")
				}
				return nil
			},
			action: func(m *Model, _ []int, v string) { m.st.ProvisioningCode = v }},
		{name: "Device.DeviceInfo.UpTime", typ: tUint, notify: notifyCanDeny, get: func(e *env, _ []int) string {
			if e.m.o.Device.Started.IsZero() {
				return "0"
			}
			return seconds(e.now.Sub(e.m.o.Device.Started))
		}},
		cfgString("Device.DeviceInfo.HostName", "network.hostname", func(c *config.Config) *string { return &c.Network.Hostname }),
		count("Device.DeviceInfo.VendorLogFileNumberOfEntries", "Device.DeviceInfo.VendorLogFile.{i}"),
		ro("Device.DeviceInfo.VendorLogFile.{i}.Name", tString, func(e *env, ix []int) string { return logFile(e, ix).Name }),
		ro("Device.DeviceInfo.VendorLogFile.{i}.MaximumSize", tUint, func(e *env, ix []int) string { return fmtUint(uint64(logFile(e, ix).MaximumSize)) }),
		ro("Device.DeviceInfo.VendorLogFile.{i}.Persistent", tBool, func(e *env, ix []int) string { return fmtBool(logFile(e, ix).Persistent) }),

		cfgBool(ms+"EnableCWMP", "cwmp.enabled", func(c *config.Config) *bool { return &c.CWMP.Enabled }),
		cfgString(ms+"URL", "cwmp.url", func(c *config.Config) *string { return &c.CWMP.URL }),
		cfgString(ms+"Username", "cwmp.username", func(c *config.Config) *string { return &c.CWMP.Username }),
		secret(cfgString(ms+"Password", "cwmp.password", func(c *config.Config) *string { return &c.CWMP.Password })),
		cfgBool(ms+"PeriodicInformEnable", "cwmp.periodicEnabled", func(c *config.Config) *bool { return &c.CWMP.PeriodicEnabled }),
		cfgSeconds(ms+"PeriodicInformInterval", "cwmp.periodicInterval", func(c *config.Config) *config.Duration { return &c.CWMP.PeriodicInterval }),
		rw(ms+"PeriodicInformTime", tDateTime, fixed("cwmp.periodicTime"),
			func(e *env, _ []int) string { return fmtTime(e.c.CWMP.PeriodicTime) },
			func(_ *env, c *config.Config, _ []int, v string) error {
				if v == unknownTime {
					c.CWMP.PeriodicTime = time.Time{}
					return nil
				}
				t, err := time.Parse(time.RFC3339, v)
				c.CWMP.PeriodicTime = t.UTC()
				return err
			}),
		{name: ms + "ParameterKey", typ: tString, notify: notifyCanDeny, get: func(e *env, _ []int) string { return e.m.st.ParameterKey }},
		{name: ms + "ConnectionRequestURL", typ: tString, notify: notifyDefaultActive, get: func(e *env, _ []int) string {
			if e.m.o.Runtime == nil {
				return ""
			}
			return e.m.o.Runtime.ConnectionRequestURL()
		}},
		cfgString(ms+"ConnectionRequestUsername", "cwmp.connectionRequestUsername", func(c *config.Config) *string { return &c.CWMP.ConnectionRequestUsername }),
		secret(cfgString(ms+"ConnectionRequestPassword", "cwmp.connectionRequestPassword", func(c *config.Config) *string { return &c.CWMP.ConnectionRequestPassword })),
		cfgSeconds(ms+"CWMPRetryMinimumWaitInterval", "cwmp.retryMinimumWait", func(c *config.Config) *config.Duration { return &c.CWMP.RetryMinimumWait }),
		rw(ms+"CWMPRetryIntervalMultiplier", tUint, fixed("cwmp.retryIntervalMultiplier"),
			func(e *env, _ []int) string { return fmtInt(e.c.CWMP.RetryIntervalMultiplier) },
			func(_ *env, c *config.Config, _ []int, v string) error {
				c.CWMP.RetryIntervalMultiplier = atoi(v)
				return nil
			}),
		konst(ms+"AliasBasedAddressing", tBool, "false"),
		rw(ms+x+"DataModel", tString, fixed("cwmp.dataModel"),
			func(e *env, _ []int) string { return e.c.CWMP.DataModel },
			func(_ *env, c *config.Config, _ []int, v string) error { c.CWMP.DataModel = v; return nil }),

		rw("Device.Time.Enable", tBool, fixed("time.ntpServers"),
			func(e *env, _ []int) string { return fmtBool(len(e.c.Time.NTPServers) > 0) },
			func(_ *env, c *config.Config, _ []int, v string) error {
				switch {
				case v == "false":
					c.Time.NTPServers = []string{}
				case len(c.Time.NTPServers) == 0:
					c.Time.NTPServers = config.Default(0).Time.NTPServers
				}
				return nil
			}),
		ro("Device.Time.Status", tString, func(e *env, _ []int) string {
			switch {
			case len(e.c.Time.NTPServers) == 0:
				return "Disabled"
			case e.m.o.Status.TimeSynced != nil && e.m.o.Status.TimeSynced():
				return "Synchronized"
			}
			return "Unsynchronized"
		}),
	}
	for k := range config.MaxNTPServers {
		ps = append(ps, rw(fmt.Sprintf("Device.Time.NTPServer%d", k+1), tString,
			func(c *config.Config, _ []int) string { return fmt.Sprintf("time.ntpServers[%d]", k) },
			func(e *env, _ []int) string {
				if k < len(e.c.Time.NTPServers) {
					return e.c.Time.NTPServers[k]
				}
				return ""
			},
			func(_ *env, c *config.Config, _ []int, v string) error {
				for len(c.Time.NTPServers) <= k {
					c.Time.NTPServers = append(c.Time.NTPServers, "")
				}
				c.Time.NTPServers[k] = v // empties are dropped by normalize
				return nil
			}))
	}
	ps = append(ps,
		&param{name: "Device.Time.CurrentLocalTime", typ: tDateTime, notify: notifyCanDeny, get: func(e *env, _ []int) string {
			loc, err := time.LoadLocation(e.c.Time.Zone)
			if err != nil {
				loc = time.UTC
			}
			return e.now.In(loc).Format(time.RFC3339)
		}},
		rw("Device.Time.LocalTimeZone", tString, fixed("time.zone"),
			func(e *env, _ []int) string { return posixTZ(e.c.Time.Zone, e.now) },
			func(e *env, c *config.Config, _ []int, v string) error {
				z, err := zoneFor(v, c.Time.Zone, e.now)
				c.Time.Zone = z
				return err
			}),
	)
	ps = append(ps, ipParams()...)
	return ps
}

func secret(p *param) *param { p.secret = true; return p }

func logFile(e *env, ix []int) LogFile {
	if e.m.o.Status.Logs == nil {
		return LogFile{}
	}
	l := e.m.o.Status.Logs()
	if ix[0] > len(l) {
		return LogFile{}
	}
	return l[ix[0]-1]
}

// wan returns the WAN address in effect (else the configured one) and
// whether it came from DHCP.
func wan(e *env) (netip.Prefix, bool) {
	if v, ok := e.cache["wan"].(netip.Prefix); ok {
		return v, e.cache["dhcp"].(bool)
	}
	var p netip.Prefix
	dhcp := e.c.Network.Mode == config.NetDHCP
	if e.m.o.Status.WAN != nil {
		p, dhcp = e.m.o.Status.WAN()
	}
	if !p.IsValid() && e.c.Network.Address != "" {
		p, _ = netip.ParsePrefix(e.c.Network.Address)
	}
	e.cache["wan"], e.cache["dhcp"] = p, dhcp
	return p, dhcp
}

func mask(bits int) string {
	if bits <= 0 {
		return ""
	}
	m := ^uint32(0) << (32 - bits)
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String()
}

func maskBits(s string) (int, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for m&(1<<31) != 0 {
		n++
		m <<= 1
	}
	return n, m == 0
}

// staticPrefix is the configured address, or a placeholder /24 so that
// setting the address and mask in either order works.
func staticPrefix(c *config.Config) netip.Prefix {
	if p, err := netip.ParsePrefix(c.Network.Address); err == nil {
		return p
	}
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{}), 24)
}

func ipParams() []*param {
	const ipif = "Device.IP.Interface.{i}."
	const v4 = ipif + "IPv4Address.{i}."
	const dhcp = "Device.DHCPv4.Client.{i}."
	const fwd = "Device.Routing.Router.{i}.IPv4Forwarding.{i}."
	return []*param{
		count("Device.IP.InterfaceNumberOfEntries", "Device.IP.Interface.{i}"),
		konst(ipif+"Status", tString, "Up"),
		konst(ipif+"Name", tString, "wan"),
		konst(ipif+"Type", tString, "Normal"),
		rw(ipif+"MaxMTUSize", tUint, fixed("network.mtu"),
			func(e *env, _ []int) string { return fmtInt(cmpOr(e.c.Network.MTU, 1500)) },
			func(_ *env, c *config.Config, _ []int, v string) error { c.Network.MTU = atoi(v); return nil }),
		count(ipif+"IPv4AddressNumberOfEntries", "Device.IP.Interface.{i}.IPv4Address.{i}"),
		konst(v4+"Status", tString, "Enabled"),
		rw(v4+"IPAddress", tString, fixed("network.address"),
			func(e *env, _ []int) string {
				if p, _ := wan(e); p.IsValid() {
					return p.Addr().String()
				}
				return ""
			},
			func(_ *env, c *config.Config, _ []int, v string) error {
				a, err := netip.ParseAddr(v)
				if err != nil || !a.Is4() {
					return fmt.Errorf("%q is not an IPv4 address", v)
				}
				c.Network.Address = netip.PrefixFrom(a, staticPrefix(c).Bits()).String()
				return nil
			}),
		rw(v4+"SubnetMask", tString, fixed("network.address"),
			func(e *env, _ []int) string {
				if p, _ := wan(e); p.IsValid() {
					return mask(p.Bits())
				}
				return ""
			},
			func(_ *env, c *config.Config, _ []int, v string) error {
				n, ok := maskBits(v)
				if !ok {
					return fmt.Errorf("%q is not a subnet mask", v)
				}
				c.Network.Address = netip.PrefixFrom(staticPrefix(c).Addr(), n).String()
				return nil
			}),
		ro(v4+"AddressingType", tString, func(e *env, _ []int) string {
			if e.c.Network.Mode == config.NetDHCP {
				return "DHCP"
			}
			return "Static"
		}),
		count("Device.DHCPv4.ClientNumberOfEntries", "Device.DHCPv4.Client.{i}"),
		rw(dhcp+"Enable", tBool, fixed("network.mode"),
			func(e *env, _ []int) string { return fmtBool(e.c.Network.Mode == config.NetDHCP) },
			func(_ *env, c *config.Config, _ []int, v string) error {
				c.Network.Mode = config.NetStatic
				if v == "true" {
					c.Network.Mode = config.NetDHCP
				}
				return nil
			}),
		only(dhcp+"Interface", tString, "Device.IP.Interface.1"),
		ro(dhcp+"Status", tString, func(e *env, _ []int) string {
			if e.c.Network.Mode == config.NetDHCP {
				return "Enabled"
			}
			return "Disabled"
		}),
		ro(dhcp+"IPAddress", tString, func(e *env, _ []int) string {
			if p, d := wan(e); d && p.IsValid() {
				return p.Addr().String()
			}
			return ""
		}),
		ro(dhcp+"DNSServers", tString, func(e *env, _ []int) string {
			if e.m.o.Status.DNS == nil || e.c.Network.Mode != config.NetDHCP {
				return ""
			}
			var s []string
			for _, a := range e.m.o.Status.DNS() {
				s = append(s, a.String())
			}
			return strings.Join(s, ",")
		}),
		rw(fwd+"GatewayIPAddress", tString, fixed("network.gateway"),
			func(e *env, _ []int) string { return e.c.Network.Gateway },
			func(_ *env, c *config.Config, _ []int, v string) error { c.Network.Gateway = v; return nil }),
		count("Device.DNS.Client.ServerNumberOfEntries", "Device.DNS.Client.Server.{i}"),
		rw("Device.DNS.Client.Server.{i}.DNSServer", tString,
			func(_ *config.Config, ix []int) string { return fmt.Sprintf("network.dns[%d]", ix[0]-1) },
			func(e *env, ix []int) string {
				if ix[0] <= len(e.c.Network.DNS) {
					return e.c.Network.DNS[ix[0]-1]
				}
				return ""
			},
			func(_ *env, c *config.Config, ix []int, v string) error {
				for len(c.Network.DNS) < ix[0] {
					c.Network.DNS = append(c.Network.DNS, "")
				}
				c.Network.DNS[ix[0]-1] = v // empties are dropped by normalize
				return nil
			}),
		ro("Device.DNS.Client.Server.{i}.Type", tString, func(e *env, ix []int) string { return "Static" }),
	}
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// normalize drops the empty entries that setting NTPServerN or a DNS
// server to "" leaves, after every setter of a request ran (so that the
// positions they name stay put while they run).
func normalize(c *config.Config) {
	c.Time.NTPServers = slices.DeleteFunc(c.Time.NTPServers, func(s string) bool { return s == "" })
	c.Network.DNS = slices.DeleteFunc(c.Network.DNS, func(s string) bool { return s == "" })
}
