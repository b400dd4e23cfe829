// Package peers starts the real SIP programs the end-to-end tests talk to,
// on 127.0.0.1 with free ports: Kamailio as registrar and proxy, baresip as
// the far-end phone, and sipp for scripted scenarios. Each launcher writes
// the program's configuration into a private directory, starts it, waits
// until it answers (bounded by the caller's context), keeps its output for
// the test log, and stops it gracefully, then by force.
//
// The programs come from Debian (tools/ci/deps.sh installs them):
//
//	kamailio   package kamailio
//	baresip    package baresip-core (the baresip metapackage pulls in a desktop)
//	sipp       package sip-tester
//
// A test that needs one calls [Need] first: when a program is missing the
// test fails under CI=true and is skipped otherwise, with the install hint.
// The New* functions ([NewKamailio], [NewBaresip]) do that, bound the
// start-up in time, stop the program in t.Cleanup and print its log when the
// test failed; the Start* functions are the same without a testing.TB.
//
// Stop order matters: stop baresip before the Kamailio it registered at,
// or baresip waits about 30 s for its un-REGISTER to time out. t.Cleanup
// runs in reverse order, so starting Kamailio first is enough.
//
// Concurrency: every handle is safe for use by several goroutines. The
// processes are started from a goroutine locked to its OS thread for the
// life of the process, so that the parent-death signal (SIGKILL to the
// child when the test binary dies) is not fired early by the Go runtime
// retiring a thread.
//
// Facts about the Debian versions this was written against (Kamailio
// 5.6.3, baresip 1.0.0, sipp 3.6.1), found by running them:
//
//   - Kamailio: -A defines are not substituted inside quoted strings, so
//     the script is written with every value in place. Users live in an
//     htable filled by event_route[htable:mod-init]; pv_www_authenticate /
//     pv_proxy_authenticate check plain passwords, and with
//     modparam("auth", "algorithm", "SHA-256") both the challenge and the
//     check use SHA-256 (RFC 7616), verified by a digest computed in the
//     tests. The test talks to it over jsonrpcs on a Unix datagram socket
//     (modparam "transport" 4, "dgram_socket"): ul.lookup answers error
//     500 "AOR not found" for a user without bindings, htable.seti/sets
//     change the script's behaviour at run time. It accepts SIGTERM and
//     exits at once.
//   - baresip: the Contact it registers is sip:USER-0x<hex>@127.0.0.1:port,
//     not sip:USER@...; sndfile names recordings dump-<YYYY-MM-DD-hh-mm-ss>-
//     dec.wav (received) and -enc.wav (sent), 8 kHz mono 16-bit for G.711,
//     and rewrites the RIFF sizes when it closes the file at the end of the
//     call; ctrl_tcp events include CALL_INCOMING, CALL_RINGING,
//     CALL_ESTABLISHED, CALL_RTPESTAB, CALL_DTMF_START (Param: the digit),
//     CALL_DTMF_END, CALL_CLOSED (Param: the reason); the menu module
//     provides the commands (dial, accept, hangup, sndcode, reginfo) and
//     needs statmode_default off to keep its status line out of the log.
//   - sipp: rtp_stream sends a file byte for byte, a WAV header included,
//     so give it raw G.711 ([G711File]); a scenario variable that is set but
//     never used is a fatal error; without -nd an unexpected response makes
//     sipp send a BYE even in a REGISTER scenario; the statistics file
//     (-trace_stat) is ';'-separated with a header row; -timeout needs
//     -timeout_error to stop sipp; exit 0 means every call succeeded.
package peers
