//go:build linux

package netcfg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/openiad/openiad/firmware/config"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Options say which interface to bring up and how.
type Options struct {
	Interface  string // "eth0"
	Network    config.Network
	ResolvConf string // "" for /etc/resolv.conf
	Log        *slog.Logger
	State      *State // filled as the interface changes; may be nil
	// Ready, when set, is called each time settings are applied.
	Ready func(Settings)
}

// Run brings up the loopback interface and the WAN interface and keeps
// it configured until ctx ends: a static address once, a DHCP lease
// renewed at half its time (and acquired afresh when a renewal fails or
// the lease runs out). It returns nil when ctx ends, or an error when the
// configuration cannot be applied at all.
func Run(ctx context.Context, o Options) error {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.State == nil {
		o.State = &State{}
	}
	if o.ResolvConf == "" {
		o.ResolvConf = "/etc/resolv.conf"
	}
	if err := linkUp("lo", 0); err != nil {
		log.Warn("netcfg: loopback", "err", err)
	}
	name, err := prepareLink(o.Interface, o.Network)
	if err != nil {
		o.State.set(Settings{}, false, err)
		return err
	}
	if o.Network.Hostname != "" {
		if err := unix.Sethostname([]byte(o.Network.Hostname)); err != nil {
			log.Warn("netcfg: host name", "err", err)
		}
	}
	if o.Network.Mode == config.NetStatic {
		s, err := Static(o.Network)
		if err == nil {
			err = apply(name, s, o.ResolvConf)
		}
		o.State.set(s, err == nil, err)
		if err != nil {
			return err
		}
		log.Info("netcfg: static address", "interface", name, "settings", s.String())
		if o.Ready != nil {
			o.Ready(s)
		}
		<-ctx.Done()
		return nil
	}
	return runDHCP(ctx, name, o, log)
}

func runDHCP(ctx context.Context, name string, o Options, log *slog.Logger) error {
	mods := []dhcpv4.Modifier{}
	if o.Network.Hostname != "" {
		mods = append(mods, dhcpv4.WithOption(dhcpv4.OptHostName(o.Network.Hostname)))
	}
	backoff := time.Second
	var lease *nclient4.Lease
	var cur Settings
	for ctx.Err() == nil {
		c, err := nclient4.New(name, nclient4.WithTimeout(2*time.Second), nclient4.WithRetry(3))
		if err != nil {
			o.State.set(cur, false, err)
			log.Warn("netcfg: DHCP client", "interface", name, "err", err)
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		if lease == nil {
			lease, err = c.Request(ctx, mods...)
		} else {
			lease, err = c.Renew(ctx, lease, mods...)
		}
		c.Close()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("netcfg: DHCP", "interface", name, "err", err)
			o.State.set(cur, false, err)
			lease = nil
			if !sleep(ctx, backoff) {
				return nil
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		s, err := FromLease(lease.ACK, o.Network)
		if err == nil {
			err = apply(name, s, o.ResolvConf)
		}
		o.State.set(s, err == nil, err)
		if err != nil {
			log.Error("netcfg: lease not applied", "interface", name, "err", err)
			lease = nil
			if !sleep(ctx, backoff) {
				return nil
			}
			continue
		}
		if s.Address != cur.Address || s.Gateway != cur.Gateway {
			log.Info("netcfg: DHCP lease", "interface", name, "settings", s.String())
		}
		cur = s
		backoff = time.Second
		if o.Ready != nil {
			o.Ready(s)
		}
		if !sleep(ctx, s.Lease/2) {
			return nil
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// prepareLink sets the MTU, makes the VLAN subinterface when configured,
// and brings the links up. It returns the name the address goes on.
func prepareLink(base string, n config.Network) (string, error) {
	if err := linkUp(base, n.MTU); err != nil {
		return "", err
	}
	if n.VLAN == 0 {
		return base, nil
	}
	name := InterfaceName(base, n.VLAN)
	parent, err := netlink.LinkByName(base)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", errLink, base, err)
	}
	if _, err := netlink.LinkByName(name); err != nil {
		v := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parent.Attrs().Index, MTU: n.MTU}, VlanId: n.VLAN}
		if err := netlink.LinkAdd(v); err != nil {
			return "", fmt.Errorf("%w: VLAN %d on %s: %w", errLink, n.VLAN, base, err)
		}
	}
	return name, linkUp(name, n.MTU)
}

func linkUp(name string, mtu int) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errLink, name, err)
	}
	if mtu > 0 && l.Attrs().MTU != mtu {
		if err := netlink.LinkSetMTU(l, mtu); err != nil {
			return fmt.Errorf("%w: %s: MTU %d: %w", errLink, name, mtu, err)
		}
	}
	if err := netlink.LinkSetUp(l); err != nil {
		return fmt.Errorf("%w: %s up: %w", errLink, name, err)
	}
	return nil
}

// apply puts the settings on the interface: the address (replacing any
// other IPv4 address), the default route, resolv.conf.
func apply(name string, s Settings, resolv string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", errLink, name, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: s.Address.Addr().AsSlice(), Mask: net.CIDRMask(s.Address.Bits(), 32)}}
	old, err := netlink.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("%w: %s: addresses: %w", errLink, name, err)
	}
	for _, a := range old {
		if !a.IPNet.IP.Equal(addr.IP) || a.IPNet.String() != addr.IPNet.String() {
			_ = netlink.AddrDel(l, &a)
		}
	}
	if err := netlink.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("%w: %s: address %s: %w", errLink, name, s.Address, err)
	}
	if s.Gateway.IsValid() {
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: s.Gateway.AsSlice(), Dst: nil}
		if err := netlink.RouteReplace(r); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("%w: %s: default route via %s: %w", errLink, name, s.Gateway, err)
		}
	}
	if len(s.DNS) > 0 {
		if err := writeFile(resolv, ResolvConf(s)); err != nil {
			return fmt.Errorf("netcfg: %w", err)
		}
	}
	return nil
}

// writeFile replaces path atomically (resolv.conf lives on a tmpfs or the
// initramfs; a half-written one would break name lookups).
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
