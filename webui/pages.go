package webui

import (
	"fmt"
	"strconv"
	"strings"

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
	pageSetup  = &formPage{name: "setup", path: "/setup", title: "title.setup", nav: "setup", build: buildSetup, alias: setupAlias}

	settingsPages = []*formPage{pageDevice, pagePorts, pageAccts, pageSIP, pageDial}
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

// buildSetup is the quick set-up: country, the carrier's server, and a
// SIP account per port.
func buildSetup(x *rx, c *config.Config) []section {
	secs := []section{{Title: x.T("sec.region"), Fields: []*field{countryField(x)}}}
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

// setupAlias shows a port's "profile has no server" refusal next to the
// set-up page's registrar field, where it is fixed.
func setupAlias(field string) string {
	if strings.HasPrefix(field, "ports[") && strings.HasSuffix(field, "].sip.profile") {
		return "sip.profiles[0].registrars"
	}
	return ""
}
