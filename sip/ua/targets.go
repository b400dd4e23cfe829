package ua

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Resolver is the DNS a UA uses; *net.Resolver implements it.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

const defaultPort = 5060

// splitServer takes "host", "host:port", "[v6]:port" or the same with a
// "sip:" prefix, and returns host and port (0 when absent).
func splitServer(s string) (host string, port int, err error) {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "sip:") {
		s = s[4:]
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "", 0, fmt.Errorf("%w: empty server address", errConfig)
	}
	if h, p, e := net.SplitHostPort(s); e == nil {
		n, e := strconv.Atoi(p)
		if e != nil || n <= 0 || n > 65535 {
			return "", 0, fmt.Errorf("%w: server %q: bad port", errConfig, s)
		}
		host, port = h, n
	} else {
		host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	if host == "" || strings.ContainsAny(host, " \t@/<>\"") {
		return "", 0, fmt.Errorf("%w: server %q: bad host", errConfig, s)
	}
	return host, port, nil
}

// resolve turns one server entry into addresses in the order to try them:
// an IP literal as is, host:port by A/AAAA, a bare host by SRV _sip._udp
// or _sip._tcp (proto; priority, then weight) and failing that by A/AAAA
// on port 5060.
func resolve(ctx context.Context, r Resolver, entry, proto string) ([]netip.AddrPort, error) {
	host, port, err := splitServer(entry)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(ip.Unmap(), cmp.Or(uint16(port), defaultPort))}, nil
	}
	if port == 0 {
		if _, srvs, err := r.LookupSRV(ctx, "sip", proto, host); err == nil && len(srvs) > 0 {
			var out []netip.AddrPort
			for _, s := range srvs {
				ips, err := lookupIPs(ctx, r, strings.TrimSuffix(s.Target, "."))
				if err != nil {
					continue
				}
				for _, ip := range ips {
					out = append(out, netip.AddrPortFrom(ip, s.Port))
				}
			}
			if len(out) > 0 {
				return out, nil
			}
		}
		port = defaultPort
	}
	ips, err := lookupIPs(ctx, r, host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip, uint16(port))
	}
	return out, nil
}

// lookupIPs resolves host, IPv4 addresses first.
func lookupIPs(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errDNS, host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%w: %s: no address", errDNS, host)
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is4() == b.Is4():
			return 0
		case a.Is4():
			return -1
		}
		return 1
	})
	return ips, nil
}

// target is one address a line can register at or send calls through.
type target struct {
	path      int            // index of the registrar/proxy pair; 0 is the primary
	addr      netip.AddrPort // where datagrams (or the connection) go
	tr        string         // trUDP or trTCP
	registrar string         // registrar host (Request-URI of REGISTER when there is no domain)
	proxy     string         // "host:port" of the outbound proxy for the Route header, "" for none
}

func (t target) String() string {
	if !t.addr.IsValid() {
		return ""
	}
	return t.addr.String()
}

// paths is how many registrar/proxy pairs a profile has.
func (p Profile) paths() int {
	return max(len(p.Registrars), len(p.OutboundProxy))
}

func pick(list []string, i int) string {
	if len(list) == 0 {
		return ""
	}
	return list[min(i, len(list)-1)]
}

// resolveTargets resolves every path of the profile, primary first. Paths
// that do not resolve are left out; the error tells why when none does.
func resolveTargets(ctx context.Context, r Resolver, p Profile, domain string) ([]target, error) {
	var out []target
	var firstErr error
	tr := p.sipTransport()
	proto := strings.ToLower(tr)
	if p.paths() == 0 && domain != "" {
		// neither registrar nor proxy: the domain itself (SRV or A)
		addrs, err := resolve(ctx, r, domain, proto)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			out = append(out, target{addr: a, tr: tr, registrar: domain})
		}
		return out, nil
	}
	for i := range p.paths() {
		reg, prx := pick(p.Registrars, i), pick(p.OutboundProxy, i)
		regHost := domain
		if reg != "" {
			h, _, err := splitServer(reg)
			if err != nil {
				return nil, err
			}
			regHost = h
		}
		via := reg
		route := ""
		if prx != "" {
			via = prx
			h, port, err := splitServer(prx)
			if err != nil {
				return nil, err
			}
			route = hostPort(h, port)
		}
		addrs, err := resolve(ctx, r, via, proto)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, a := range addrs {
			out = append(out, target{path: i, addr: a, tr: tr, registrar: regHost, proxy: route})
		}
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = fmt.Errorf("%w: no server configured", errConfig)
		}
		return nil, firstErr
	}
	return out, nil
}

// hostPort formats a host (bracketing IPv6) with an optional port.
func hostPort(host string, port int) string {
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]"
	}
	if port == 0 {
		return host
	}
	return host + ":" + strconv.Itoa(port)
}
