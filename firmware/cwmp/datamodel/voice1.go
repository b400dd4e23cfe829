package datamodel

import (
	"fmt"
	"strings"

	"github.com/openiad/openiad/dsp/tone"
	"github.com/openiad/openiad/firmware/config"
)

// The voice service in the layout of TR-104 issue 1, for ACSs that manage
// older gateways (config cwmp.dataModel "tr104v1"):
//
//	VoiceProfile.{profile}             sip.profiles[profile-1]
//	VoiceProfile.{profile}.Line.{port} the account of port, when it uses that profile
//	PhyInterface.{port}                the FXS ports

const (
	pVP    = vs + "VoiceProfile.{i}"
	pVLine = pVP + ".Line.{i}"
	pPhy   = vs + "PhyInterface.{i}"
	pCapC1 = vs + "Capabilities.Codecs.{i}"
)

func second(ix []int) int { return ix[1] }

func voice1Tables(t map[string]*table) {
	t[pVP] = profileTable()
	t[pVLine] = accountTable(second, func(e *env, ix []int, p int) bool { return port(e.c, p).SIP.Profile == ix[0]-1 })
	t[pPhy] = &table{list: func(e *env, _ []int) []int { return fxsPorts(e.c) }}
	t[pCapC1] = &table{list: func(*env, []int) []int { return upTo(len(codecs)) }}
}

// enableWord maps a boolean to issue 1's Enable enumeration.
func enableWord(name string, path pather, get func(e *env, ix []int) bool, set func(c *config.Config, ix []int, on bool)) *param {
	return rw(name, tString, path,
		func(e *env, ix []int) string {
			if get(e, ix) {
				return "Enabled"
			}
			return "Disabled"
		},
		func(_ *env, c *config.Config, ix []int, v string) error {
			switch v {
			case "Enabled":
				set(c, ix, true)
			case "Disabled":
				set(c, ix, false)
			default:
				return fmt.Errorf("%q: Enabled or Disabled", v)
			}
			return nil
		})
}

func voice1Params(m *Model) []*param {
	vp := pVP + "."
	deny := func(p *param) *param { p.notify = notifyCanDeny; return p }
	dc := func(name string, t xtype, v string) *param { return deny(konst(name, t, v)) }
	ps := []*param{
		count(vs+"VoiceProfileNumberOfEntries", pVP),
		dc(vs+"Capabilities.MaxProfileCount", tUint, "8"),
		deny(ro(vs+"Capabilities.MaxLineCount", tUint, func(e *env, _ []int) string { return fmtInt(len(fxsPorts(e.c))) })),
		dc(vs+"Capabilities.MaxSessionsPerLine", tUint, "1"),
		deny(ro(vs+"Capabilities.MaxSessionCount", tUint, func(e *env, _ []int) string { return fmtInt(len(fxsPorts(e.c))) })),
		dc(vs+"Capabilities.SignalingProtocols", tString, "SIP"),
		dc(vs+"Capabilities.Regions", tString, strings.Join(tone.Countries(), ",")),
		dc(vs+"Capabilities.RTCP", tBool, "true"),
		dc(vs+"Capabilities.SRTP", tBool, "false"),
		dc(vs+"Capabilities.FaxT38", tBool, "false"),
		dc(vs+"Capabilities.DigitMap", tBool, "true"),
		dc(vs+"Capabilities.VoicePortTests", tBool, "true"),
		deny(ro(pCapC1+".EntryID", tUint, func(_ *env, ix []int) string { return fmtInt(ix[0]) })),
		deny(ro(pCapC1+".Codec", tString, func(_ *env, ix []int) string { return codecs[ix[0]-1].tr })),
		deny(ro(pCapC1+".BitRate", tUint, func(_ *env, ix []int) string { return fmtInt(codecs[ix[0]-1].rate) })),
		deny(konst(pCapC1+".PacketizationPeriod", tString, "10,20,30")),
		deny(konst(pCapC1+".SilenceSuppression", tBool, "false")),

		only(vp+"Enable", tString, "Enabled"),
		ro(vp+"NumberOfLines", tUint, func(e *env, ix []int) string {
			return fmtInt(len(e.m.schemaFor(e.c).tables[pVLine].list(e, ix)))
		}),
		profString(vp+"Name", "name", func(p *config.SIPProfile) *string { return &p.Name }, first),
		only(vp+"SignalingProtocol", tString, "SIP"),
		rw(vp+"DTMFMethod", tString,
			func(_ *config.Config, ix []int) string { return fmt.Sprintf("sip.profiles[%d].dtmf", ix[0]-1) },
			func(e *env, ix []int) string {
				if v := dtmfNames[prof(e.c, ix[0]).DTMF]; v != "RFC4733" {
					return v
				}
				return "RFC2833"
			},
			dtmfParam("", first).set),
		rw(vp+"Region", tString, fixed("device.country"),
			func(e *env, _ []int) string { return e.c.Device.Country },
			func(_ *env, c *config.Config, _ []int, v string) error {
				c.Device.Country = strings.ToUpper(v)
				return nil
			}),
		profString(vp+"DigitMap", "digitMap", func(p *config.SIPProfile) *string { return &p.DigitMap }, first),
		only(vp+"DigitMapEnable", tBool, "true"),
		server(vp+"SIP.RegistrarServer", func(p *config.SIPProfile) *[]string { return &p.Registrars }, "registrars", false, first),
		server(vp+"SIP.RegistrarServerPort", func(p *config.SIPProfile) *[]string { return &p.Registrars }, "registrars", true, first),
		transport(vp+"SIP.RegistrarServerTransport", first),
		profString(vp+"SIP.UserAgentDomain", "domain", func(p *config.SIPProfile) *string { return &p.Domain }, first),
		rw(vp+"SIP.UserAgentPort", tUint, fixed("sip.port"),
			func(e *env, _ []int) string { return fmtInt(e.c.SIP.Port) },
			func(_ *env, c *config.Config, _ []int, v string) error { c.SIP.Port = atoi(v); return nil }),
		transport(vp+"SIP.UserAgentTransport", first),
		server(vp+"SIP.OutboundProxy", func(p *config.SIPProfile) *[]string { return &p.OutboundProxies }, "outboundProxies", false, first),
		server(vp+"SIP.OutboundProxyPort", func(p *config.SIPProfile) *[]string { return &p.OutboundProxies }, "outboundProxies", true, first),
		profSeconds(vp+"SIP.RegisterExpires", "registerExpires", func(p *config.SIPProfile) *config.Duration { return &p.RegisterExpires }, first),
		profSeconds(vp+"SIP.RegisterRetryInterval", "retryMin", func(p *config.SIPProfile) *config.Duration { return &p.RetryMin }, first),
		profInt(vp+"RTP.LocalPortMin", "rtpPortMin", func(p *config.SIPProfile) *int { return &p.RTPPortMin }, first),
		profInt(vp+"RTP.LocalPortMax", "rtpPortMax", func(p *config.SIPProfile) *int { return &p.RTPPortMax }, first),
		planTimer(vp+"NumberingPlan.InterDigitTimerStd", "dialPlan.interDigit", func(c *config.Config) *config.Duration { return &c.DialPlan.InterDigit }),
	}
	ln := pVLine + "."
	ps = append(ps,
		enableWord(ln+"Enable",
			func(c *config.Config, ix []int) string {
				return fmt.Sprintf("ports[%d].sip.enabled", portPos(c, ix[1]))
			},
			func(e *env, ix []int) bool { return port(e.c, ix[1]).SIP.Enabled },
			func(c *config.Config, ix []int, on bool) { port(c, ix[1]).SIP.Enabled = on }),
		account(ln+"DirectoryNumber", "user", func(a *config.PortSIP) *string { return &a.User }, second),
		ro(ln+"Status", tString, func(e *env, ix []int) string {
			switch regStatus(e, ix[1]) {
			case "Disabled":
				return "Disabled"
			case "Up":
				return "Up"
			case "Registering", "Initializing":
				return "Registering"
			case "Deregistering":
				return "Unregistering"
			}
			return "Error"
		}),
		deny(ro(ln+"CallState", tString, func(e *env, ix []int) string {
			switch callStatus(e, ix[1]) {
			case "Dialing":
				return "Calling"
			case "Delivered":
				return "Connecting"
			case "Alerting":
				return "Ringing"
			case "Connected":
				return "InCall"
			case "Disconnected":
				return "Disconnecting"
			}
			return "Idle"
		})),
		rw(ln+"PhyReferenceList", tString, nil,
			func(_ *env, ix []int) string { return fmtInt(ix[1]) },
			func(_ *env, _ *config.Config, ix []int, v string) error {
				if strings.TrimSpace(v) != fmtInt(ix[1]) {
					return fmt.Errorf("line %d rings the phone on PhyInterface %d on this box", ix[1], ix[1])
				}
				return nil
			}),
		account(ln+"SIP.AuthUserName", "authUser", func(a *config.PortSIP) *string { return &a.AuthUser }, second),
		secret(account(ln+"SIP.AuthPassword", "password", func(a *config.PortSIP) *string { return &a.Password }, second)),
		registerURI(ln+"SIP.URI", second),
	)
	// Issue 1 keeps the line statistics flat, every one canDeny.
	for _, s := range lineStats(ln+"Stats.", second) {
		s.notify = notifyCanDeny
		s.name = strings.NewReplacer("Stats.IncomingCalls.Calls", "Stats.IncomingCalls",
			"Stats.OutgoingCalls.Calls", "Stats.OutgoingCalls", "Stats.IncomingCalls.TotalCallTime", "Stats.TotalCallTime",
			"Stats.RTP.", "Stats.").Replace(s.name)
		switch {
		case strings.HasSuffix(s.name, "IncomingCallsDropped"), strings.HasSuffix(s.name, "OutgoingCallsDropped"),
			strings.HasSuffix(s.name, "OutgoingCalls.TotalCallTime"):
			continue // issue 1 counts dropped calls and call time once per line
		}
		ps = append(ps, s)
	}
	ps = append(ps,
		ro(pPhy+".PhyPort", tString, func(_ *env, ix []int) string { return fmt.Sprintf("FXS%d", ix[0]) }),
		ro(pPhy+".InterfaceID", tUint, func(_ *env, ix []int) string { return fmtInt(ix[0]) }),
		ro(pPhy+".Description", tString, func(e *env, ix []int) string {
			if n := port(e.c, ix[0]).Name; n != "" {
				return n
			}
			return fmt.Sprintf("FXS port %d", ix[0])
		}),
	)
	return ps
}
