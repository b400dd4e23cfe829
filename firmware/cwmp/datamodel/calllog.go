package datamodel

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
)

// CallLog.{seq}: the newest maxCallLog call detail records (firmware/cdr),
// numbered by their record number, which is never reused; each answered
// call with RTP has one Session with its RTP figures and its voice quality
// (VoIPQualityIndicator: the G.107 E-model rating R, 0-100). Line
// statistics are sums over the records kept.

const maxCallLog = 100

// records returns the newest records, newest first, once per request.
func records(e *env, n int) []cdr.Record {
	key := "cdr"
	if n == 0 {
		key = "cdr-all"
	}
	if r, ok := e.cache[key].([]cdr.Record); ok {
		return r
	}
	var r []cdr.Record
	if e.m.o.Status.Records != nil {
		r = e.m.o.Status.Records(n)
	}
	e.cache[key] = r
	return r
}

func record(e *env, seq int) cdr.Record {
	for _, r := range records(e, maxCallLog) {
		if int(r.Seq) == seq {
			return r
		}
	}
	return cdr.Record{}
}

func hasMedia(r cdr.Record) bool { return r.Answered() && r.Quality.Codec != "" }

func callLogTables(t map[string]*table) {
	t[pCallLog] = &table{list: func(e *env, _ []int) []int {
		var out []int
		for _, r := range records(e, maxCallLog) {
			if r.Seq <= math.MaxInt32 {
				out = append(out, int(r.Seq))
			}
		}
		slices.Sort(out)
		return out
	}}
	t[pCallLog+".Session.{i}"] = &table{list: func(e *env, ix []int) []int {
		if hasMedia(record(e, ix[0])) {
			return []int{1}
		}
		return nil
	}}
}

// terminationCause maps a record to TR-104's CallTerminationCause.
func terminationCause(r cdr.Record) string {
	local := r.Direction != cdr.In // the port placed the call
	pick := func(l, rem string) string {
		if local {
			return rem
		}
		return l
	}
	switch r.Cause {
	case cdr.CauseNormal:
		switch r.ReleasedBy {
		case cdr.ByCaller:
			return pick("RemoteDisconnect", "LocalDisconnect")
		case cdr.ByBox:
			return "LocalInternalError"
		}
		return pick("LocalDisconnect", "RemoteDisconnect")
	case cdr.CauseBusy:
		return pick("NoExtensionsAvailable", "RemoteBusy")
	case cdr.CauseNoAnswer:
		return pick("LocalTimeout", "RemoteTimeout")
	case cdr.CauseUnobtainable:
		return pick("NoExtensionsMapped", "RemoteNotFound")
	case cdr.CauseRejected:
		return pick("LocalReject", "RemoteReject")
	case cdr.CauseCongestion:
		if r.ReleasedBy == cdr.ByBox {
			return "LocalInternalError"
		}
		return pick("LocalInternalError", "RemoteNetworkFailure")
	}
	return "LocalInternalError"
}

func trCodec(q cdr.Quality) int {
	name, _, _ := strings.Cut(q.Codec, "/")
	return codecIndex(name)
}

func clamp32(n uint64) string { return fmtUint(min(n, math.MaxUint32)) }

func callLogParams(line, ext string) []*param {
	cl := pCallLog + "."
	src := cl + "Session.{i}.Source."
	get := func(f func(r cdr.Record) string) getter {
		return func(e *env, ix []int) string { return f(record(e, ix[0])) }
	}
	return []*param{
		ro(cl+"CallingPartyNumber", tString, get(func(r cdr.Record) string { return r.Caller })),
		ro(cl+"CalledPartyNumber", tString, get(func(r cdr.Record) string { return r.Callee })),
		ro(cl+"Source", tString, get(func(r cdr.Record) string {
			if r.Direction == cdr.In {
				return ref(line, r.Port)
			}
			return ref(ext, r.Port)
		})),
		ro(cl+"Destination", tString, get(func(r cdr.Record) string {
			if r.Direction == cdr.In {
				return ref(ext, r.Port)
			}
			if r.Direction == cdr.Out {
				return ref(line, r.Port)
			}
			return ""
		})),
		ro(cl+"UsedLine", tString, get(func(r cdr.Record) string {
			if r.Direction == cdr.Internal {
				return ""
			}
			return ref(line, r.Port)
		})),
		ro(cl+"UsedExtensions", tString, get(func(r cdr.Record) string { return ref(ext, r.Port) })),
		ro(cl+"Direction", tString, get(func(r cdr.Record) string {
			if r.Direction == cdr.In {
				return "Incoming"
			}
			return "Outgoing"
		})),
		ro(cl+"Start", tDateTime, get(func(r cdr.Record) string { return fmtTime(r.Start) })),
		ro(cl+"Duration", tUint, get(func(r cdr.Record) string { return seconds(r.Duration) })),
		ro(cl+"CallTerminationCause", tString, get(terminationCause)),
		ro(cl+"SessionNumberOfEntries", tUint, get(func(r cdr.Record) string {
			if hasMedia(r) {
				return "1"
			}
			return "0"
		})),
		konst(cl+"Session.{i}.StreamType", tString, "Audio"),
		ro(cl+"Session.{i}.Start", tDateTime, get(func(r cdr.Record) string { return fmtTime(r.Answer) })),
		ro(cl+"Session.{i}.Duration", tUint, get(func(r cdr.Record) string { return seconds(r.Duration) })),
		ro(src+"RTP.PacketsReceived", tULong, get(func(r cdr.Record) string { return fmtUint(r.Quality.PacketsReceived) })),
		ro(src+"RTP.PacketsSent", tULong, get(func(r cdr.Record) string { return fmtUint(r.Quality.PacketsSent) })),
		ro(src+"RTP.PacketsLost", tUint, get(func(r cdr.Record) string { return clamp32(uint64(max(r.Quality.PacketsLost, 0))) })),
		ro(src+"RTP.PacketsDiscarded", tUint, get(func(r cdr.Record) string { return clamp32(r.Quality.Discarded + r.Quality.Late) })),
		{name: src + "RTP.ReceivePacketLossRate", typ: tUint, notify: notifyCanDeny,
			get: get(func(r cdr.Record) string { return fmtUint(uint64(math.Round(r.Quality.LossPercent))) })},
		ro(src+"DSP.ReceiveCodec.Codec", tString, get(func(r cdr.Record) string {
			if i := trCodec(r.Quality); i > 0 {
				return ref(pCapC, i)
			}
			return ""
		})),
		ro(src+"DSP.TransmitCodec.Codec", tString, get(func(r cdr.Record) string {
			if i := trCodec(r.Quality); i > 0 {
				return ref(pCapC, i)
			}
			return ""
		})),
		ro(src+"VoiceQuality.VoIPQualityIndicator", tString, get(qi)),
		ro(src+"VoiceQuality.WorstVoIPQualityIndicatorsValues", tString, get(qi)),
	}
}

// qi is the call's E-model rating R (ITU-T G.107), "" when not measured.
func qi(r cdr.Record) string {
	if r.Quality.MOS == 0 {
		return ""
	}
	return fmtInt(int(math.Round(max(0, min(r.Quality.RFactor, 100)))))
}

// lineStat is the call counts of one port's account.
type lineStat struct {
	inRecv, inConn, inFail, inDrop, outTry, outConn, outFail, outDrop uint64
	inTime, outTime                                                   time.Duration
	pktRecv, pktSent, pktLost                                         uint64
}

func lineStats(prefix string, pi func(ix []int) int) []*param {
	stat := func(e *env, p int) lineStat {
		key := "stat" + fmtInt(p)
		if s, ok := e.cache[key].(lineStat); ok {
			return s
		}
		var s lineStat
		for _, r := range records(e, 0) {
			if r.Port != p || r.Direction == cdr.Internal {
				continue
			}
			dropped := r.Answered() && r.ReleasedBy == cdr.ByNetwork && r.Cause != cdr.CauseNormal
			if r.Direction == cdr.In {
				s.inRecv++
				if r.Answered() {
					s.inConn++
					s.inTime += r.Duration
				} else {
					s.inFail++
				}
				if dropped {
					s.inDrop++
				}
			} else {
				s.outTry++
				if r.Answered() {
					s.outConn++
					s.outTime += r.Duration
				} else {
					s.outFail++
				}
				if dropped {
					s.outDrop++
				}
			}
			s.pktRecv += r.Quality.PacketsReceived
			s.pktSent += r.Quality.PacketsSent
			s.pktLost += uint64(max(r.Quality.PacketsLost, 0))
		}
		e.cache[key] = s
		return s
	}
	n := func(name string, f func(s lineStat) uint64) *param {
		p := ro(prefix+name, tUint, func(e *env, ix []int) string { return clamp32(f(stat(e, pi(ix)))) })
		return p
	}
	deny := func(p *param) *param { p.notify = notifyCanDeny; return p }
	return []*param{
		n("IncomingCalls.CallsReceived", func(s lineStat) uint64 { return s.inRecv }),
		n("IncomingCalls.CallsConnected", func(s lineStat) uint64 { return s.inConn }),
		n("IncomingCalls.CallsFailed", func(s lineStat) uint64 { return s.inFail }),
		n("IncomingCalls.CallsDropped", func(s lineStat) uint64 { return s.inDrop }),
		deny(n("IncomingCalls.TotalCallTime", func(s lineStat) uint64 { return uint64(s.inTime / time.Second) })),
		n("OutgoingCalls.CallsAttempted", func(s lineStat) uint64 { return s.outTry }),
		n("OutgoingCalls.CallsConnected", func(s lineStat) uint64 { return s.outConn }),
		n("OutgoingCalls.CallsFailed", func(s lineStat) uint64 { return s.outFail }),
		n("OutgoingCalls.CallsDropped", func(s lineStat) uint64 { return s.outDrop }),
		deny(n("OutgoingCalls.TotalCallTime", func(s lineStat) uint64 { return uint64(s.outTime / time.Second) })),
		deny(n("RTP.PacketsReceived", func(s lineStat) uint64 { return s.pktRecv })),
		deny(n("RTP.PacketsSent", func(s lineStat) uint64 { return s.pktSent })),
		deny(n("RTP.PacketsLost", func(s lineStat) uint64 { return s.pktLost })),
	}
}
