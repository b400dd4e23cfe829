// Package ua is the SIP user agent of the box: every FXS port is a Line
// (an account registered at a softswitch) that places and receives calls.
// It is built on emiago/sipgo (parser, transactions, UDP and TCP transports) with
// its own registration, dialog, offer/answer (sip/sdp) and session-timer
// logic; it knows nothing of hardware or media streams.
//
// # Shape
//
// One UA serves one UDP socket and a TCP listener on the same port for
// all lines:
//
//	u, _ := ua.New(ua.Options{Listen: netip.MustParseAddrPort("0.0.0.0:5060"), Log: log})
//	l, _ := u.AddLine(1, account, profile, handler) // registration starts with Run
//	go u.Run(ctx)                                   // until ctx ends: then un-REGISTER, BYE, close
//
// A Line registers (digest MD5, SHA-256 or SHA-512-256, strongest offered
// first; credentials reused with a growing nonce count), refreshes before
// the binding ends, fails over from the primary registrar/outbound proxy to
// the next on a timeout, 408 or 5xx (DNS SRV and A/AAAA give further
// addresses), backs off exponentially with jitter when a whole round fails,
// probes the primary with OPTIONS while registered elsewhere and moves back
// when it answers, adds rport to every Via and registers the public address
// the registrar reports (Via received/rport) when it differs from ours, and
// keeps NAT bindings open with CRLF or OPTIONS. Line.Registration and
// Line.RegChanges show where it stands; a line with registrars but no valid
// binding refuses Line.Call with ErrNotRegistered (play congestion tone).
//
// A Call is one call of a line. Outgoing: Line.Call sends the INVITE with
// the SDP offer built from an sdp.Local, answers 401/407, PRACKs reliable
// provisional answers (RFC 3262), retries with a larger Session-Expires on
// 422, sends CANCEL on Hangup while it rings (ACK and BYE when a 200 crosses
// the CANCEL) and BYE once up. Incoming: the line's Handler gets the Call
// after 100 Trying, with the caller from P-Asserted-Identity,
// Remote-Party-ID or From, Privacy honoured; Ringing sends 180 (reliably
// when the caller requires 100rel), Answer the 200 with the SDP answer (or
// an offer, answered in the ACK), Reject a failure, and a CANCEL from the
// caller ends it. In the call: Hold and Resume re-INVITE (sendonly,
// sendrecv; glare retried after 491), re-INVITEs and UPDATEs of the far
// end are answered (hold, resume, new address, offer-less), session timers
// follow RFC 4028 (refresher negotiated, our refreshes at half the
// interval, BYE when the far end's refreshes stop or ours fail), INFO
// digits and hook-flashes come in as EvDTMF, and Flash sends a hook-flash
// INFO. What happens arrives as Events on the call's channel, the last one
// EvFailed (never came up) or EvEnded (was up), after which it is closed;
// Cause maps failures to the tone to play.
//
// # Goroutines
//
//   - New, AddLine, Line.Close, Line.Registration, Line.RegChanges and
//     every Call method may be called from any goroutine.
//   - Run is called once and blocks until its context ends.
//   - Line.Call and every Call method return at once: they queue a command
//     for the call's own goroutine (ErrCallEnded once the call is over, an
//     error when 32 commands are already queued). Only Line.Call may wait,
//     for DNS, bounded by its context, when the line does not register.
//     Line.Close waits for the un-REGISTER, bounded by Options.Unregister.
//   - Handler.Incoming runs on a sipgo goroutine and must not block: post
//     the call to the line's goroutine and return.
//   - Each line's registration and each call run on their own goroutine;
//     sipgo runs transactions and the socket reader on its own. A line's
//     goroutine selects on Call.Events and Line.RegChanges.
//
// # TCP
//
// A line whose Profile.Transport is "tcp" sends everything over TCP: Via
// SIP/2.0/TCP, Contact ;transport=tcp, DNS SRV _sip._tcp. The UA opens one
// connection per server, reuses it for every request of every line, and
// sipgo answers each incoming request on the connection it came on; a
// server may also connect to our listener (the Contact's port, the UDP
// one). Requests are sent once: Timer A/E retransmissions do not apply on
// a reliable transport (RFC 3261 §17.1.1.2). Keep-alive is a CRLFCRLF ping
// on the connection, whose pong must come within Timeout, at most 10 s
// (RFC 5626 §4.4.1), or OPTIONS. When the registrar's connection drops, the
// line registers again at once over a new one; when that fails (refused,
// no answer), or a ping goes unanswered, the server counts as dead: the
// next one is tried, as after a timeout. Every connection, accepted or
// opened, is handed to sipgo's TCP transport through a listener of ours
// and watched (tcp.go); sipgo never dials by itself. With Options.Conn and
// no Options.Listener the UA takes no TCP connections but still opens them.
// TLS is not done.
//
// # Robustness
//
// Requests sipgo cannot parse are answered statelessly from their raw text
// (400, 505, 416) and dropped, as RFC 4475 asks; requests with duplicate
// single headers, a CSeq that does not match, an unknown scheme or an
// extension we do not support are refused before any state is made. The
// torture messages of RFC 4475 are a table test; our own header handling
// is fuzzed (FuzzHeaders, FuzzDatagram). Because answers copy the
// request's headers, the package raises sipgo's UDP size limit (sip.UDPMTUSize)
// so that long valid requests are answered (IP fragmentation).
//
// Passwords are never logged: Account implements slog.LogValuer, and
// requests carry only digest responses.
//
// Not done: TLS, REFER and Replaces (transfer
// is left to the line), sending DTMF as INFO (RFC 4733 events are sip/media's),
// following 3xx redirects.
package ua
