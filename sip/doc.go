// Package sip is the SIP side of the box; the work is in its packages:
//
//   - sip/ua: the user agent on emiago/sipgo. Each FXS port is a Line that
//     registers (digest, refresh, fail-over and fail-back, NAT keep-alive)
//     and places and receives calls (offer/answer, PRACK, hold, session
//     timers, INFO digits), reporting what happens as events on a channel.
//   - sip/sdp: session descriptions and the offer/answer model.
//   - sip/media: RTP/RTCP streams on pion/rtp and pion/rtcp, RFC 4733 events.
//
// None of them knows of hardware: firmware/line connects a Line and its
// calls to a port and to the media engine.
package sip
