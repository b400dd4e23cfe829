package datamodel

import (
	"fmt"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// The voice service in the layout of TR-104 issue 2:
//
//	POTS.FXS.{port}            the analog ports (FXO and ISDN.PRI when the board has them)
//	SIP.Network.{profile}      sip.profiles[profile-1]: servers, timers
//	VoIPProfile.{profile}      the same profile: DTMF, RTP ports
//	CodecProfile.{1,2}         G.711 µ-law and A-law
//	SIP.Client.{port}          the port's carrier account (add / delete)
//	CallControl.Line.{port}    the account's number (add / delete, same account)
//	CallControl.Extension.{port}  the port's internal number
//	CallControl.NumberingPlan.1   the dial plan timers
//	CallLog.{seq}              the last call records, by record number

const (
	pFXS     = vs + "POTS.FXS.{i}"
	pClient  = vs + "SIP.Client.{i}"
	pNetwork = vs + "SIP.Network.{i}"
	pLine    = vs + "CallControl.Line.{i}"
	pExt     = vs + "CallControl.Extension.{i}"
	pPlan    = vs + "CallControl.NumberingPlan.{i}"
	pVoIP    = vs + "VoIPProfile.{i}"
	pCodecP  = vs + "CodecProfile.{i}"
	pCapC    = vs + "Capabilities.Codec.{i}"
	pCallLog = vs + "CallLog.{i}"
)

func first(ix []int) int { return ix[0] }

// hideAbsent hides FXO and ISDN on a board without them.
func hideAbsent(s *schema) {
	s.hideWhen(vs+"POTS.FXO.", func(e *env) bool { return e.m.o.Device.FXO == 0 })
	s.hideWhen(vs+"ISDN.", func(e *env) bool { return e.m.o.Device.E1 == 0 })
}

func voiceTables(m *Model, v1 bool, t map[string]*table) {
	if v1 {
		voice1Tables(t)
		return
	}
	t[vs+"POTS.FXO.{i}"] = &table{list: func(e *env, _ []int) []int { return upTo(e.m.o.Device.FXO) }}
	t[vs+"ISDN.PRI.{i}"] = &table{list: func(e *env, _ []int) []int { return upTo(e.m.o.Device.E1) }}
	callLogTables(t)
	t[pCapC] = &table{list: func(*env, []int) []int { return upTo(len(codecs)) }}
	t[pFXS] = &table{list: func(e *env, _ []int) []int { return fxsPorts(e.c) },
		path: func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d]", portPos(c, ix[0])) }}
	t[pNetwork] = profileTable()
	t[pVoIP] = profileTable()
	t[pCodecP] = &table{list: func(*env, []int) []int { return upTo(len(codecs)) }}
	t[pClient] = accountTable(first, nil)
	t[pLine] = accountTable(first, nil)
	t[pExt] = &table{list: func(e *env, _ []int) []int { return fxsPorts(e.c) },
		path: func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d]", portPos(c, ix[0])) }}
	t[pPlan] = one
}

// voice2Common are the capabilities and ports.
func voice2Common(m *Model) []*param {
	x := m.VendorPrefix()
	return []*param{
		ro(vs+"Capabilities.MaxLineCount", tInt, func(e *env, _ []int) string { return fmtInt(len(fxsPorts(e.c))) }),
		ro(vs+"Capabilities.MaxExtensionCount", tInt, func(e *env, _ []int) string { return fmtInt(len(fxsPorts(e.c))) }),
		konst(vs+"Capabilities.MaxSessionsPerLine", tInt, "1"),
		ro(vs+"Capabilities.MaxSessionCount", tInt, func(e *env, _ []int) string { return fmtInt(len(fxsPorts(e.c))) }),
		konst(vs+"Capabilities.MaxCallLogCount", tInt, fmtInt(maxCallLog)),
		konst(vs+"Capabilities.SIP.Client.Extensions", tString, "INVITE,ACK,BYE,CANCEL,OPTIONS,REGISTER,INFO,PRACK,UPDATE,REFER,NOTIFY"),
		konst(vs+"Capabilities.SIP.Client.URISchemes", tString, "sip"),
		konst(vs+"Capabilities.POTS.DialType", tString, "Tone"),
		konst(vs+"Capabilities.POTS.ClipGeneration", tBool, "true"),
		konst(vs+"Capabilities.POTS.ChargingPulse", tBool, "false"),
		count(vs+"Capabilities.CodecNumberOfEntries", pCapC),
		ro(pCapC+".Codec", tString, func(_ *env, ix []int) string { return codecs[ix[0]-1].tr }),
		ro(pCapC+".BitRate", tUint, func(_ *env, ix []int) string { return fmtInt(codecs[ix[0]-1].rate) }),
		konst(pCapC+".PacketizationPeriod", tString, "10,20,30"),
		konst(pCapC+".SilenceSuppression", tBool, "false"),
		konst(vs+"Capabilities.QualityIndicator.QIModelsSupported", tString, "G.107"),
		konst(vs+"Capabilities.QualityIndicator.MaxQIValues", tUint, "1"),
		konst(vs+"Capabilities.QualityIndicator.MaxWorstQIValues", tUint, "1"),

		count(vs+"ISDN.PRINumberOfEntries", vs+"ISDN.PRI.{i}"),
		ro(vs+"ISDN.PRI.{i}.Name", tString, func(_ *env, ix []int) string { return fmt.Sprintf("E1 %d", ix[0]) }),
		konst(vs+"ISDN.PRI.{i}.Status", tString, "Disabled"),
		count(vs+"POTS.FXONumberOfEntries", vs+"POTS.FXO.{i}"),
		count(vs+"POTS.FXSNumberOfEntries", pFXS),
		rw(vs+"POTS.Region", tString, fixed("device.country"),
			func(e *env, _ []int) string { return e.c.Device.Country },
			func(_ *env, c *config.Config, _ []int, v string) error {
				c.Device.Country = strings.ToUpper(v)
				return nil
			}),
		ro(vs+"POTS.FXO.{i}.Name", tString, func(_ *env, ix []int) string { return fmt.Sprintf("FXO %d", ix[0]) }),
		konst(vs+"POTS.FXO.{i}.Status", tString, "Disabled"),
		konst(vs+"POTS.FXO.{i}.Active", tBool, "false"),
		rw(pFXS+".Enable", tBool,
			func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d].enabled", portPos(c, ix[0])) },
			func(e *env, ix []int) string { return fmtBool(port(e.c, ix[0]).Enabled) },
			func(_ *env, c *config.Config, ix []int, v string) error {
				port(c, ix[0]).Enabled = v == "true"
				return nil
			}),
		ro(pFXS+".Status", tString, func(e *env, ix []int) string {
			switch {
			case !port(e.c, ix[0]).Enabled:
				return "Disabled"
			case e.m.diagRunning(ix[0]):
				return "Testing"
			}
			return "Up"
		}),
		ro(pFXS+".Name", tString, func(e *env, ix []int) string {
			if n := port(e.c, ix[0]).Name; n != "" {
				return n
			}
			return fmt.Sprintf("FXS %d", ix[0])
		}),
		only(pFXS+".DialType", tString, "Tone"),
		only(pFXS+".ClipGeneration", tBool, "true"),
		ro(pFXS+".Active", tBool, func(e *env, ix []int) string { return fmtBool(offHook(e, ix[0])) }),
		diagState(pFXS + ".DiagTests.DiagnosticsState"),
		diagSelector(pFXS + ".DiagTests.TestSelector"),
		ro(pFXS+".DiagTests.TestResult", tString, func(e *env, ix []int) string { return e.m.diagGet(ix[0]).result }),
		ro(pFXS+".DiagTests."+x+"Detail", tString, func(e *env, ix []int) string { return e.m.diagGet(ix[0]).detail }),
	}
}

func voice2Params(m *Model) []*param {
	x := m.VendorPrefix()
	ps := []*param{
		count(vs+"VoIPProfileNumberOfEntries", pVoIP),
		count(vs+"CodecProfileNumberOfEntries", pCodecP),
		count(vs+"CallLogNumberOfEntries", pCallLog),
	}
	ps[2].notify = notifyCanDeny
	ps = append(ps, voice2Common(m)...)
	ps = append(ps,
		count(vs+"SIP.NetworkNumberOfEntries", pNetwork),
		count(vs+"SIP.ClientNumberOfEntries", pClient),

		accountEnable(pClient+".Enable", first),
		ro(pClient+".Status", tString, func(e *env, ix []int) string { return regStatus(e, ix[0]) }),
		account(pClient+".AuthUserName", "authUser", func(a *config.PortSIP) *string { return &a.AuthUser }, first),
		secret(account(pClient+".AuthPassword", "password", func(a *config.PortSIP) *string { return &a.Password }, first)),
		rw(pClient+".Network", tString,
			func(c *config.Config, ix []int) string {
				return fmt.Sprintf("ports[%d].sip.profile", portPos(c, ix[0]))
			},
			func(e *env, ix []int) string { return ref(pNetwork, port(e.c, ix[0]).SIP.Profile+1) },
			func(_ *env, c *config.Config, ix []int, v string) error {
				k, ok := parseRef(pNetwork, v)
				if !ok || k > len(c.SIP.Profiles) {
					return fmt.Errorf("%q is not a SIP.Network of this box", v)
				}
				port(c, ix[0]).SIP.Profile = k - 1
				return nil
			}),
		registerURI(pClient+".RegisterURI", first),

		ro(pNetwork+".Status", tString, func(e *env, ix []int) string {
			p := prof(e.c, ix[0])
			if len(p.Registrars) == 0 && p.Domain == "" {
				return "Disabled"
			}
			return "Up"
		}),
		only(pNetwork+".Enable", tBool, "true"),
		server(pNetwork+".RegistrarServer", func(p *config.SIPProfile) *[]string { return &p.Registrars }, "registrars", false, first),
		server(pNetwork+".RegistrarServerPort", func(p *config.SIPProfile) *[]string { return &p.Registrars }, "registrars", true, first),
		transport(pNetwork+".RegistrarServerTransport", first),
		server(pNetwork+".OutboundProxy", func(p *config.SIPProfile) *[]string { return &p.OutboundProxies }, "outboundProxies", false, first),
		server(pNetwork+".OutboundProxyPort", func(p *config.SIPProfile) *[]string { return &p.OutboundProxies }, "outboundProxies", true, first),
		profString(pNetwork+".ServerDomain", "domain", func(p *config.SIPProfile) *string { return &p.Domain }, first),
		rw(pNetwork+".UserAgentPort", tUint, fixed("sip.port"),
			func(e *env, _ []int) string { return fmtInt(e.c.SIP.Port) },
			func(_ *env, c *config.Config, _ []int, v string) error { c.SIP.Port = atoi(v); return nil }),
		transport(pNetwork+".UserAgentTransport", first),
		profSeconds(pNetwork+".RegisterExpires", "registerExpires", func(p *config.SIPProfile) *config.Duration { return &p.RegisterExpires }, first),
		profSeconds(pNetwork+".RegisterRetryInterval", "retryMin", func(p *config.SIPProfile) *config.Duration { return &p.RetryMin }, first),
		rw(pNetwork+".VoIPProfile", tString, nil,
			func(_ *env, ix []int) string { return ref(pVoIP, ix[0]) },
			func(_ *env, _ *config.Config, ix []int, v string) error {
				if k, ok := parseRef(pVoIP, v); !ok || k != ix[0] {
					return fmt.Errorf("on this box SIP.Network.%d goes with VoIPProfile.%d", ix[0], ix[0])
				}
				return nil
			}),
		codecList(pNetwork+".CodecList", pCodecP, first),
		profString(pNetwork+"."+x+"DigitMap", "digitMap", func(p *config.SIPProfile) *string { return &p.DigitMap }, first),

		count(vs+"CallControl.LineNumberOfEntries", pLine),
		count(vs+"CallControl.ExtensionNumberOfEntries", pExt),
		count(vs+"CallControl.NumberingPlanNumberOfEntries", pPlan),
		accountEnable(pLine+".Enable", first),
		ro(pLine+".Status", tString, func(e *env, ix []int) string {
			switch regStatus(e, ix[0]) {
			case "Disabled":
				return "Disabled"
			case "Up":
				return "Up"
			}
			return "Error"
		}),
		ro(pLine+".CallStatus", tString, func(e *env, ix []int) string { return callStatus(e, ix[0]) }),
		account(pLine+".DirectoryNumber", "user", func(a *config.PortSIP) *string { return &a.User }, first),
		rw(pLine+".Provider", tString, nil,
			func(_ *env, ix []int) string { return ref(pClient, ix[0]) },
			func(_ *env, _ *config.Config, ix []int, v string) error {
				if k, ok := parseRef(pClient, v); !ok || k != ix[0] {
					return fmt.Errorf("on this box Line.%d is carried by SIP.Client.%d", ix[0], ix[0])
				}
				return nil
			}),
	)
	ps = append(ps, lineStats(pLine+".Stats.", first)...)
	ps = append(ps,
		rw(pExt+".Enable", tBool,
			func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d].enabled", portPos(c, ix[0])) },
			func(e *env, ix []int) string { return fmtBool(port(e.c, ix[0]).Enabled) },
			func(_ *env, c *config.Config, ix []int, v string) error {
				port(c, ix[0]).Enabled = v == "true"
				return nil
			}),
		ro(pExt+".Status", tString, func(e *env, ix []int) string {
			if !port(e.c, ix[0]).Enabled {
				return "Disabled"
			}
			return "Up"
		}),
		ro(pExt+".CallStatus", tString, func(e *env, ix []int) string { return callStatus(e, ix[0]) }),
		rw(pExt+".Name", tString,
			func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d].name", portPos(c, ix[0])) },
			func(e *env, ix []int) string { return port(e.c, ix[0]).Name },
			func(_ *env, c *config.Config, ix []int, v string) error { port(c, ix[0]).Name = v; return nil }),
		rw(pExt+".ExtensionNumber", tString,
			func(c *config.Config, ix []int) string { return fmt.Sprintf("ports[%d].extension", portPos(c, ix[0])) },
			func(e *env, ix []int) string { return port(e.c, ix[0]).Extension },
			func(_ *env, c *config.Config, ix []int, v string) error { port(c, ix[0]).Extension = v; return nil }),
		rw(pExt+".Provider", tString, nil,
			func(_ *env, ix []int) string { return ref(pFXS, ix[0]) },
			func(_ *env, _ *config.Config, ix []int, v string) error {
				if k, ok := parseRef(pFXS, v); !ok || k != ix[0] {
					return fmt.Errorf("on this box Extension.%d is the phone on POTS.FXS.%d", ix[0], ix[0])
				}
				return nil
			}),
		rw(pExt+".NumberingPlan", tString, nil,
			func(_ *env, _ []int) string { return ref(pPlan, 1) },
			func(_ *env, _ *config.Config, _ []int, v string) error {
				if k, ok := parseRef(pPlan, v); !ok || k != 1 {
					return fmt.Errorf("the box has one numbering plan, %s", ref(pPlan, 1))
				}
				return nil
			}),
		planTimer(pPlan+".InterDigitTimerStd", "dialPlan.interDigit", func(c *config.Config) *config.Duration { return &c.DialPlan.InterDigit }),
		planTimer(pPlan+"."+x+"FirstDigitTimer", "dialPlan.firstDigit", func(c *config.Config) *config.Duration { return &c.DialPlan.FirstDigit }),

		only(pVoIP+".Enable", tBool, "true"),
		profString(pVoIP+".Name", "name", func(p *config.SIPProfile) *string { return &p.Name }, first),
		dtmfParam(pVoIP+".DTMFMethod", first),
		profInt(pVoIP+".RTP.LocalPortMin", "rtpPortMin", func(p *config.SIPProfile) *int { return &p.RTPPortMin }, first),
		profInt(pVoIP+".RTP.LocalPortMax", "rtpPortMax", func(p *config.SIPProfile) *int { return &p.RTPPortMax }, first),

		ro(pCodecP+".Codec", tString, func(_ *env, ix []int) string { return ref(pCapC, ix[0]) }),
		rw(pCodecP+".Enable", tBool, nil,
			func(e *env, ix []int) string {
				for _, p := range e.c.SIP.Profiles {
					if codecIndex(firstOf(p.Codecs, codecs[ix[0]-1].cfg)) == ix[0] {
						return "true"
					}
				}
				return "false"
			},
			func(_ *env, c *config.Config, ix []int, v string) error {
				name := codecs[ix[0]-1].cfg
				for i := range c.SIP.Profiles {
					p := &c.SIP.Profiles[i]
					has := firstOf(p.Codecs, name) == name
					switch {
					case v == "true" && !has:
						p.Codecs = append(p.Codecs, name)
					case v == "false" && has:
						p.Codecs = deleteString(p.Codecs, name)
					}
				}
				return nil
			}),
		rw(pCodecP+".PacketizationPeriod", tString, fixed("sip.profiles"),
			func(e *env, _ []int) string { return fmtInt(int(prof(e.c, 1).PTime.D() / time.Millisecond)) },
			func(_ *env, c *config.Config, _ []int, v string) error {
				f, _, _ := strings.Cut(v, ",")
				ms := atoi(strings.TrimSpace(f))
				if ms != 10 && ms != 20 && ms != 30 {
					return fmt.Errorf("%q: the box sends packets of 10, 20 or 30 ms", v)
				}
				for i := range c.SIP.Profiles {
					c.SIP.Profiles[i].PTime = config.Duration(time.Duration(ms) * time.Millisecond)
				}
				return nil
			}),
		only(pCodecP+".SilenceSuppression", tBool, "false"),
	)
	ps = append(ps, callLogParams(pLine, pExt)...)
	return ps
}

func planTimer(name, path string, ptr func(c *config.Config) *config.Duration) *param {
	return rw(name, tUint, fixed(path),
		func(e *env, _ []int) string { return fmtInt(int(ptr(e.c).D() / time.Millisecond)) },
		func(_ *env, c *config.Config, _ []int, v string) error {
			*ptr(c) = config.Duration(time.Duration(atoi(v)) * time.Millisecond)
			return nil
		})
}

// firstOf returns name when list holds it, else "".
func firstOf(list []string, name string) string {
	for _, s := range list {
		if s == name {
			return s
		}
	}
	return ""
}

func deleteString(list []string, name string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != name {
			out = append(out, s)
		}
	}
	return out
}
