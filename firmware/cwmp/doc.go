// Package cwmp is the box's TR-069 (CWMP) client: it keeps the carrier's
// ACS informed and lets it manage the parameter tree of
// firmware/cwmp/datamodel.
//
// The parts, one file each:
//
//   - soap.go, rpc.go: the SOAP envelope codec. Decode accepts any prefix
//     and every CWMP namespace (cwmp-1-0, 1-1, 1-2; protocol versions 1.3
//     and 1.4 share the 1-2 namespace), the cwmp:ID and HoldRequests
//     headers, and SOAP faults; Encode writes soap-env/soap-enc/cwmp
//     prefixes with soap-enc:arrayType on every array, as the Forum's
//     schemas want.
//   - events.go: the events of the next Inform, kept in a power-cut-safe
//     file until the ACS has acknowledged them, and the one table
//     (eventRules) that says which event survives a reboot.
//   - retry.go: the randomized exponential back-off of TR-069 3.2.1.1 and
//     the PeriodicInformTime phase.
//   - session.go: one session over HTTP(S): Inform, then TransferComplete,
//     then an empty POST, then the ACS's RPCs until HTTP 204; cookies,
//     keep-alive, digest or basic authentication, a configurable CA set.
//   - client.go: the loop that decides when to open a session (boot,
//     periodic, value change, connection request, ScheduleInform, retries).
//   - connreq.go: the Connection Request server (digest auth, rate limit).
//   - digest.go: HTTP digest authentication (RFC 7616, MD5, qop=auth),
//     both sides.
//
// Concurrency: Client.Run is the one goroutine that opens sessions; the
// other methods of Client may be called from any goroutine.
package cwmp
