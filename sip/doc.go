// Package sip will be the user agent of the box on emiago/sipgo: per-line
// registration with fail-over, dialogs, SDP offer/answer, RTP/RTCP on
// pion/rtp and pion/rtcp, RFC 4733 events. It knows nothing of hardware.
// It is built by the SIP-lines work (issue 3); nothing here yet.
package sip
