package cdr

import (
	"time"
)

// Direction says which way a call went, seen from the box.
type Direction string

const (
	Out      Direction = "out"      // from a port to the carrier
	In       Direction = "in"       // from the carrier to a port
	Internal Direction = "internal" // port to port inside the box
)

// Causes of Record.Cause.
const (
	CauseNormal       = "normal"       // answered, then cleared
	CauseNoAnswer     = "no answer"    // rang, given up by the caller or a timer
	CauseBusy         = "busy"         // the called party was busy
	CauseUnobtainable = "unobtainable" // no such number
	CauseRejected     = "rejected"     // the called party declined
	CauseCongestion   = "congestion"   // the network or the box could not place it
)

// Who released the call (Record.ReleasedBy).
const (
	ByCaller  = "caller"  // the calling party hung up
	ByCallee  = "callee"  // the called party hung up or refused
	ByNetwork = "network" // the carrier ended or refused it (SIP error, timeout)
	ByTimeout = "timeout" // the box gave up waiting (no answer timer)
	ByBox     = "box"     // the box could not place it (no account, not registered) or shut down
)

// Q850 is the ITU-T Q.850 cause value for a cause: 16 normal clearing,
// 17 user busy, 19 no answer from user (user alerted), 1 unallocated
// number, 21 call rejected, 34 no circuit/channel available.
func Q850(cause string) int {
	switch cause {
	case CauseNormal:
		return 16
	case CauseBusy:
		return 17
	case CauseNoAnswer:
		return 19
	case CauseUnobtainable:
		return 1
	case CauseRejected:
		return 21
	case CauseCongestion:
		return 34
	}
	return 31 // normal, unspecified
}

// Quality are the media figures of one call. They are zero for a call
// that never had media over RTP (an internal call has no packets; its
// ERLE is still measured when the echo canceller runs).
type Quality struct {
	Codec           string        `json:"codec"`           // "PCMA/8000", "PCMU/8000"; "" without RTP
	PacketsSent     uint64        `json:"packetsSent"`     // RTP packets sent
	PacketsReceived uint64        `json:"packetsReceived"` // RTP packets received from the far end
	PacketsLost     int64         `json:"packetsLost"`     // RFC 3550 cumulative number of packets lost
	LossPercent     float64       `json:"lossPercent"`     // lost / expected, 0..100
	Late            uint64        `json:"late"`            // arrived after their playout time
	Discarded       uint64        `json:"discarded"`       // duplicates, strays, overflows, malformed
	Concealed       time.Duration `json:"concealed"`       // audio made up by loss concealment
	Jitter          time.Duration `json:"jitter"`          // RFC 3550 interarrival jitter at the end (or now)
	MaxJitter       time.Duration `json:"maxJitter"`       // the largest jitter seen during the call
	RTT             time.Duration `json:"rtt"`             // round trip from RTCP (LSR/DLSR); 0 = unknown
	Delay           time.Duration `json:"delay"`           // one-way mouth-to-ear delay estimate used for the MOS
	RFactor         float64       `json:"rFactor"`         // E-model transmission rating, see Estimate
	MOS             float64       `json:"mos"`             // 1..4.5; 0 = not measured
	EC              bool          `json:"ec"`              // the echo canceller ran: ERLE is valid
	ERLE            float64       `json:"erle"`            // echo return loss enhancement, dB
}

// Record is one call attempt.
type Record struct {
	Seq        uint64        `json:"seq"`        // 1, 2, …: never reused, continues across rotation
	Port       int           `json:"port"`       // the port (from 1) that owns the call: the caller's for internal calls
	Extension  string        `json:"extension"`  // that port's extension: the one to charge
	Direction  Direction     `json:"direction"`  // out, in, internal
	Caller     string        `json:"caller"`     // number of the calling party ("" unknown / withheld)
	Callee     string        `json:"callee"`     // number as dialled; for incoming calls the port's extension
	CalleeSent string        `json:"calleeSent"` // number as sent to the far end, or the extension reached
	Start      time.Time     `json:"start"`      // off-hook (out, internal) or the INVITE's arrival (in)
	Answer     time.Time     `json:"answer"`     // zero when never answered
	End        time.Time     `json:"end"`        // when the call was released
	Duration   time.Duration `json:"duration"`   // End - Answer: the billable time; 0 when unanswered
	Cause      string        `json:"cause"`      // CauseNormal, CauseBusy …
	SIPStatus  int           `json:"sipStatus"`  // the final SIP status of a failed SIP attempt (486, 404 …), else 0
	Q850       int           `json:"q850"`       // Q.850 cause value
	ReleasedBy string        `json:"releasedBy"` // ByCaller, ByCallee …
	Quality    Quality       `json:"quality"`
	Prev       string        `json:"prev"` // SHA-256 (hex) of the record before, "" for the very first
	Hash       string        `json:"hash"` // SHA-256 (hex) of this record with Hash empty
}

// Answered says whether the call was answered.
func (r Record) Answered() bool { return !r.Answer.IsZero() }

// Call is a call in progress on one port, as the status page and the
// console show it.
type Call struct {
	Port      int       `json:"port"`
	Extension string    `json:"extension"`
	Direction Direction `json:"direction"`
	Caller    string    `json:"caller"`
	Callee    string    `json:"callee"`
	State     string    `json:"state"` // the line's state: "routing", "ringback", "alerting", "connected"
	Start     time.Time `json:"start"`
	Answer    time.Time `json:"answer"` // zero until answered
	Quality   Quality   `json:"quality"`
}
