package webui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/config"
)

// The configuration pages. Every field of config.Config is on one of the
// settings pages; the set-up page repeats the few an installer needs first.
var (
	pageDevice = &formPage{name: "device", path: "/settings/device", title: "title.device", nav: "settings", build: buildDevice}
	pagePorts  = &formPage{name: "ports", path: "/settings/ports", title: "title.ports", nav: "settings", build: buildPorts}
	pageAccts  = &formPage{name: "accounts", path: "/settings/accounts", title: "title.accounts", nav: "settings", build: buildAccounts}
	pageSIP    = &formPage{name: "sip", path: "/settings/sip", title: "title.sip", nav: "settings", build: buildSIP}
	pageDial   = &formPage{name: "dialplan", path: "/settings/dialplan", title: "title.dialplan", nav: "settings", build: buildDialPlan}
	pageWAN    = &formPage{name: "network", path: "/settings/network", title: "title.network", nav: "settings", build: buildNetwork}
	pageTime   = &formPage{name: "time", path: "/settings/time", title: "title.time", nav: "settings", build: buildTime}
	pageSyslog = &formPage{name: "syslog", path: "/settings/syslog", title: "title.syslog", nav: "settings", build: buildSyslog}
	pageCWMP   = &formPage{name: "tr069", path: "/settings/tr069", title: "title.tr069", nav: "settings", build: buildCWMP}
	pageSetup  = &formPage{name: "setup", path: "/setup", title: "title.setup", nav: "setup", build: buildSetup, alias: setupAlias}

	settingsPages = []*formPage{pageDevice, pagePorts, pageAccts, pageSIP, pageDial, pageWAN, pageTime, pageSyslog, pageCWMP}
)

func countryField(x *rx) *field {
	var o []option
	for _, c := range tone.Countries() {
		label := c
		if name := x.TV("country.", c); name != c {
			label += " — " + name
		}
		o = append(o, option{Value: c, Label: label})
	}
	return selectField(x, "device.country", "f.country", func(c *config.Config) *string { return &c.Device.Country }, o)
}

func buildDevice(x *rx, c *config.Config) []section {
	return []section{{Title: x.T("sec.device"), Fields: []*field{
		textField(x, "device.name", "f.devicename", func(c *config.Config) *string { return &c.Device.Name }),
		countryField(x),
		numberField(x, "sip.port", "f.sipport", func(c *config.Config) *int { return &c.SIP.Port }),
	}}}
}

func buildPorts(x *rx, c *config.Config) []section {
	var secs []section
	for i, p := range c.Ports {
		f := fmt.Sprintf("ports[%d]", i)
		at := port(i)
		secs = append(secs, section{Title: x.T("sec.port", p.Index, p.Kind), Fields: []*field{
			boolField(x, f+".enabled", "f.enabled", func(c *config.Config) *bool {
				if p := at(c); p != nil {
					return &p.Enabled
				}
				return nil
			}),
			textField(x, f+".extension", "f.extension", func(c *config.Config) *string {
				if p := at(c); p != nil {
					return &p.Extension
				}
				return nil
			}),
			textField(x, f+".name", "f.portname", func(c *config.Config) *string {
				if p := at(c); p != nil {
					return &p.Name
				}
				return nil
			}),
		}})
	}
	return secs
}

func profileOptions(c *config.Config) []option {
	o := make([]option, len(c.SIP.Profiles))
	for i, p := range c.SIP.Profiles {
		o[i] = option{Value: strconv.Itoa(i), Label: fmt.Sprintf("%d: %s", i, p.Name)}
	}
	return o
}

// accountFields are a port's SIP account fields; full adds the profile,
// the authentication user and the display name.
func accountFields(x *rx, c *config.Config, i int, full bool) []*field {
	f := fmt.Sprintf("ports[%d].sip", i)
	at := func(c *config.Config) *config.PortSIP {
		if p := port(i)(c); p != nil {
			return &p.SIP
		}
		return nil
	}
	str := func(get func(*config.PortSIP) *string) func(*config.Config) *string {
		return func(c *config.Config) *string {
			if a := at(c); a != nil {
				return get(a)
			}
			return nil
		}
	}
	fs := []*field{
		boolField(x, f+".enabled", "f.sipenabled", func(c *config.Config) *bool {
			if a := at(c); a != nil {
				return &a.Enabled
			}
			return nil
		}),
	}
	if full {
		fs = append(fs, intSelectField(x, f+".profile", "f.profile", func(c *config.Config) *int {
			if a := at(c); a != nil {
				return &a.Profile
			}
			return nil
		}, profileOptions(c)))
	}
	fs = append(fs,
		textField(x, f+".user", "f.sipuser", str(func(a *config.PortSIP) *string { return &a.User })))
	if full {
		fs = append(fs, textField(x, f+".authUser", "f.authuser", str(func(a *config.PortSIP) *string { return &a.AuthUser })))
	}
	fs = append(fs, passwordField(x, f+".password", "f.password", str(func(a *config.PortSIP) *string { return &a.Password })))
	if full {
		fs = append(fs, textField(x, f+".displayName", "f.displayname", str(func(a *config.PortSIP) *string { return &a.DisplayName })))
	}
	return fs
}

func buildAccounts(x *rx, c *config.Config) []section {
	var secs []section
	for i, p := range c.Ports {
		secs = append(secs, section{Title: x.T("sec.account", p.Index, p.Extension), Fields: accountFields(x, c, i, true)})
	}
	return secs
}

func buildSIP(x *rx, c *config.Config) []section {
	var secs []section
	for i := range c.SIP.Profiles {
		f := fmt.Sprintf("sip.profiles[%d]", i)
		at := profile(i)
		str := func(get func(*config.SIPProfile) *string) func(*config.Config) *string {
			return func(c *config.Config) *string {
				if p := at(c); p != nil {
					return get(p)
				}
				return nil
			}
		}
		sel := func(name, label string, get func(*config.SIPProfile) *string, values ...string) *field {
			return selectField(x, f+"."+name, label, str(get), opts(values...))
		}
		dur := func(name, label string, get func(*config.SIPProfile) *config.Duration) *field {
			return durationField(x, f+"."+name, label, func(c *config.Config) *config.Duration {
				if p := at(c); p != nil {
					return get(p)
				}
				return nil
			})
		}
		list := func(name, label string, get func(*config.SIPProfile) *[]string) *field {
			return listField(x, f+"."+name, label, func(c *config.Config) *[]string {
				if p := at(c); p != nil {
					return get(p)
				}
				return nil
			})
		}
		num := func(name, label string, get func(*config.SIPProfile) *int) *field {
			return numberField(x, f+"."+name, label, func(c *config.Config) *int {
				if p := at(c); p != nil {
					return get(p)
				}
				return nil
			})
		}
		secs = append(secs, section{Title: x.T("sec.profile", i, c.SIP.Profiles[i].Name), Fields: []*field{
			textField(x, f+".name", "f.profilename", str(func(p *config.SIPProfile) *string { return &p.Name })),
			textField(x, f+".domain", "f.domain", str(func(p *config.SIPProfile) *string { return &p.Domain })),
			list("registrars", "f.registrars", func(p *config.SIPProfile) *[]string { return &p.Registrars }),
			list("outboundProxies", "f.proxies", func(p *config.SIPProfile) *[]string { return &p.OutboundProxies }),
			sel("transport", "f.transport", func(p *config.SIPProfile) *string { return &p.Transport }, "udp", "tcp"),
			dur("registerExpires", "f.expires", func(p *config.SIPProfile) *config.Duration { return &p.RegisterExpires }),
			dur("retryMin", "f.retrymin", func(p *config.SIPProfile) *config.Duration { return &p.RetryMin }),
			dur("retryMax", "f.retrymax", func(p *config.SIPProfile) *config.Duration { return &p.RetryMax }),
			dur("registerTimeout", "f.regtimeout", func(p *config.SIPProfile) *config.Duration { return &p.RegisterTimeout }),
			dur("failback", "f.failback", func(p *config.SIPProfile) *config.Duration { return &p.Failback }),
			sel("keepAlive", "f.keepalive", func(p *config.SIPProfile) *string { return &p.KeepAlive }, "off", "crlf", "options"),
			dur("keepAliveEvery", "f.keepaliveevery", func(p *config.SIPProfile) *config.Duration { return &p.KeepAliveEvery }),
			dur("sessionExpires", "f.sessionexpires", func(p *config.SIPProfile) *config.Duration { return &p.SessionExpires }),
			sel("prack", "f.prack", func(p *config.SIPProfile) *string { return &p.PRACK }, "off", "supported", "required"),
			list("codecs", "f.codecs", func(p *config.SIPProfile) *[]string { return &p.Codecs }),
			dur("ptime", "f.ptime", func(p *config.SIPProfile) *config.Duration { return &p.PTime }),
			sel("dtmf", "f.dtmf", func(p *config.SIPProfile) *string { return &p.DTMF }, "rfc4733", "info", "inband"),
			sel("flash", "f.flash", func(p *config.SIPProfile) *string { return &p.Flash }, "rfc4733", "info"),
			textField(x, f+".digitMap", "f.digitmap", str(func(p *config.SIPProfile) *string { return &p.DigitMap })),
			num("rtpPortMin", "f.rtpmin", func(p *config.SIPProfile) *int { return &p.RTPPortMin }),
			num("rtpPortMax", "f.rtpmax", func(p *config.SIPProfile) *int { return &p.RTPPortMax }),
		}})
	}
	return secs
}

func buildDialPlan(x *rx, c *config.Config) []section {
	d := func(name, label string, get func(*config.DialPlan) *config.Duration) *field {
		return durationField(x, "dialPlan."+name, label, func(c *config.Config) *config.Duration { return get(&c.DialPlan) })
	}
	return []section{{Title: x.T("sec.timers"), Fields: []*field{
		d("firstDigit", "f.firstdigit", func(p *config.DialPlan) *config.Duration { return &p.FirstDigit }),
		d("interDigit", "f.interdigit", func(p *config.DialPlan) *config.Duration { return &p.InterDigit }),
		d("offHookWarning", "f.offhookwarning", func(p *config.DialPlan) *config.Duration { return &p.OffHookWarning }),
		d("howlerTimeout", "f.howler", func(p *config.DialPlan) *config.Duration { return &p.HowlerTimeout }),
		d("flashMin", "f.flashmin", func(p *config.DialPlan) *config.Duration { return &p.FlashMin }),
		d("flashMax", "f.flashmax", func(p *config.DialPlan) *config.Duration { return &p.FlashMax }),
	}}}
}

// buildSetup is the quick set-up: the WAN, the country, the carrier's
// server, and a SIP account per port.
func buildSetup(x *rx, c *config.Config) []section {
	secs := []section{
		{Title: x.T("sec.wan"), Fields: wanFields(x, false)},
		{Title: x.T("sec.region"), Fields: []*field{countryField(x)}},
	}
	if len(c.SIP.Profiles) > 0 {
		at := profile(0)
		secs = append(secs, section{Title: x.T("sec.carrier"), Fields: []*field{
			listField(x, "sip.profiles[0].registrars", "f.registrars", func(c *config.Config) *[]string {
				if p := at(c); p != nil {
					return &p.Registrars
				}
				return nil
			}),
			textField(x, "sip.profiles[0].domain", "f.domain", func(c *config.Config) *string {
				if p := at(c); p != nil {
					return &p.Domain
				}
				return nil
			}),
		}})
	}
	for i, p := range c.Ports {
		secs = append(secs, section{Title: x.T("sec.account", p.Index, p.Extension), Fields: accountFields(x, c, i, false)})
	}
	return secs
}

// wanFields are the WAN settings; full adds the host name, VLAN and MTU.
func wanFields(x *rx, full bool) []*field {
	n := func(c *config.Config) *config.Network { return &c.Network }
	fs := []*field{
		selectField(x, "network.mode", "f.netmode", func(c *config.Config) *string { return &n(c).Mode },
			[]option{{Value: config.NetDHCP, Label: x.T("net.dhcp")}, {Value: config.NetStatic, Label: x.T("net.static")}}),
		textField(x, "network.address", "f.address", func(c *config.Config) *string { return &n(c).Address }),
		textField(x, "network.gateway", "f.gateway", func(c *config.Config) *string { return &n(c).Gateway }),
		listField(x, "network.dns", "f.dns", func(c *config.Config) *[]string { return &n(c).DNS }),
	}
	fs[1].Hint = x.T("hint.address")
	fs[3].Hint = x.T("hint.dns")
	if full {
		fs = append(fs,
			textField(x, "network.hostname", "f.hostname", func(c *config.Config) *string { return &n(c).Hostname }),
			numberField(x, "network.vlan", "f.vlan", func(c *config.Config) *int { return &n(c).VLAN }),
			numberField(x, "network.mtu", "f.mtu", func(c *config.Config) *int { return &n(c).MTU }),
		)
		fs[5].Hint, fs[6].Hint = x.T("hint.vlan"), x.T("hint.mtu")
	}
	return fs
}

func buildNetwork(x *rx, c *config.Config) []section {
	return []section{{Title: x.T("sec.wan"), Fields: wanFields(x, true)}}
}

func buildTime(x *rx, c *config.Config) []section {
	t := func(c *config.Config) *config.Time { return &c.Time }
	zone := textField(x, "time.zone", "f.zone", func(c *config.Config) *string { return &t(c).Zone })
	zone.Hint = x.T("hint.zone")
	return []section{{Title: x.T("sec.time"), Fields: []*field{
		listField(x, "time.ntpServers", "f.ntp", func(c *config.Config) *[]string { return &t(c).NTPServers }),
		zone,
	}}}
}

func buildSyslog(x *rx, c *config.Config) []section {
	s := func(c *config.Config) *config.Syslog { return &c.Syslog }
	server := textField(x, "syslog.server", "f.syslogserver", func(c *config.Config) *string { return &s(c).Server })
	server.Hint = x.T("hint.syslogserver")
	levels := []option{}
	for _, l := range []string{"debug", "info", "warn", "error"} {
		levels = append(levels, option{Value: l, Label: x.TV("level.", l)})
	}
	return []section{{Title: x.T("sec.syslog"), Fields: []*field{
		server,
		selectField(x, "syslog.protocol", "f.syslogproto", func(c *config.Config) *string { return &s(c).Protocol }, opts("udp", "tcp")),
		selectField(x, "syslog.level", "f.sysloglevel", func(c *config.Config) *string { return &s(c).Level }, levels),
	}}}
}

// timeField is a point in time as RFC 3339; empty is "not set".
func timeField(x *rx, name, label string, acc func(*config.Config) *time.Time) *field {
	f := newField(x, name, label, kindText, acc,
		func(v time.Time) string {
			if v.IsZero() {
				return ""
			}
			return v.Format(time.RFC3339)
		},
		func(s string, p *time.Time) error {
			s = strings.TrimSpace(s)
			if s == "" {
				*p = time.Time{}
				return nil
			}
			v, err := time.Parse(time.RFC3339, s)
			if err != nil || v.Year() < 1970 || v.Year() > 9999 {
				return errNotTime
			}
			*p = v
			return nil
		})
	f.Hint = x.T("hint.time")
	return f
}

func buildCWMP(x *rx, c *config.Config) []section {
	w := func(c *config.Config) *config.CWMP { return &c.CWMP }
	str := func(name, label string, get func(*config.CWMP) *string) *field {
		return textField(x, "cwmp."+name, label, func(c *config.Config) *string { return get(w(c)) })
	}
	pw := func(name, label string, get func(*config.CWMP) *string) *field {
		return passwordField(x, "cwmp."+name, label, func(c *config.Config) *string { return get(w(c)) })
	}
	dur := func(name, label string, get func(*config.CWMP) *config.Duration) *field {
		return durationField(x, "cwmp."+name, label, func(c *config.Config) *config.Duration { return get(w(c)) })
	}
	certs := str("caCerts", "f.cacerts", func(w *config.CWMP) *string { return &w.CACerts })
	certs.Kind, certs.Hint = kindTextArea, x.T("hint.cacerts")
	certs.set = func(c *config.Config, s string) error {
		if len(s) > config.MaxCACerts {
			return errTooLongPEM
		}
		w(c).CACerts = s
		return nil
	}
	return []section{
		{Title: x.T("sec.acs"), Fields: []*field{
			boolField(x, "cwmp.enabled", "f.cwmpenabled", func(c *config.Config) *bool { return &w(c).Enabled }),
			str("url", "f.acsurl", func(w *config.CWMP) *string { return &w.URL }),
			str("username", "f.acsuser", func(w *config.CWMP) *string { return &w.Username }),
			pw("password", "f.acspassword", func(w *config.CWMP) *string { return &w.Password }),
			selectField(x, "cwmp.dataModel", "f.datamodel", func(c *config.Config) *string { return &w(c).DataModel },
				[]option{{Value: config.DataModelTR104v2, Label: x.T("dm.tr104v2")}, {Value: config.DataModelTR104v1, Label: x.T("dm.tr104v1")}}),
			certs,
		}},
		{Title: x.T("sec.inform"), Fields: []*field{
			boolField(x, "cwmp.periodicEnabled", "f.periodic", func(c *config.Config) *bool { return &w(c).PeriodicEnabled }),
			dur("periodicInterval", "f.periodicinterval", func(w *config.CWMP) *config.Duration { return &w.PeriodicInterval }),
			timeField(x, "cwmp.periodicTime", "f.periodictime", func(c *config.Config) *time.Time { return &w(c).PeriodicTime }),
			dur("retryMinimumWait", "f.retrywait", func(w *config.CWMP) *config.Duration { return &w.RetryMinimumWait }),
			numberField(x, "cwmp.retryIntervalMultiplier", "f.retrymult", func(c *config.Config) *int { return &w(c).RetryIntervalMultiplier }),
		}},
		{Title: x.T("sec.connreq"), Fields: []*field{
			numberField(x, "cwmp.connectionRequestPort", "f.crport", func(c *config.Config) *int { return &w(c).ConnectionRequestPort }),
			str("connectionRequestUsername", "f.cruser", func(w *config.CWMP) *string { return &w.ConnectionRequestUsername }),
			pw("connectionRequestPassword", "f.crpassword", func(w *config.CWMP) *string { return &w.ConnectionRequestPassword }),
		}},
	}
}

// setupAlias shows a port's "profile has no server" refusal next to the
// set-up page's registrar field, where it is fixed.
func setupAlias(field string) string {
	if strings.HasPrefix(field, "ports[") && strings.HasSuffix(field, "].sip.profile") {
		return "sip.profiles[0].registrars"
	}
	return ""
}
