// Package dtmf detects and generates DTMF (touch-tone) digits on 8 kHz
// linear PCM, aiming at ITU-T Q.24 (and ETSI ES 201 235-3): tones within
// ±1.5 % are accepted and beyond ±3.5 % rejected, twist accepted from 4 dB
// with the high group louder to 8 dB with the low group louder, tones of
// 40 ms accepted and of 23 ms rejected, interruptions under 10 ms bridged,
// pauses of 40 ms separating, each tone accepted down to -25 dBm0.
//
// # How the detector works
//
// Every 2.5 ms step (20 samples) a Goertzel filter per DTMF frequency
// closes a sub-block; its complex result is referred to absolute time, so
// that the last six sub-blocks add up to the DFT of the last 120 samples
// (bins 66.7 Hz wide). Each step screens that window cheaply: both groups
// above -32 dBm0, the strongest tone of each group 6 dB above the others of
// its group, the two tones holding at least 60 % of the window's power, the
// twist roughly within limits. A step that passes is a hit for its digit.
//
// A digit goes down after 11 hits in a row (a 23 ms tone makes at most 9,
// a 40 ms tone at least 13, however it falls on the steps) and when the
// run passes validation, which measures the last 160 raw samples with a
// Blackman-Harris window: each tone's frequency from the phase advance
// between two overlapping halves (accepted within ±2 %: the middle ground
// Q.24 leaves free is kept narrow because voices and music with harmonics
// land there), each level at that frequency (at least -29 dBm0, twist
// within -4.5..+8.5 dB), and the two tones together at least 85 % of the
// power. The window's sidelobes are below -92 dB, so neither tone disturbs
// the measurement of the other. A key comes up after 12 steps (30 ms)
// without its digit, which bridges short interruptions and separates
// digits paused for 40 ms. Events carry the estimated start and end of the
// tone in samples, good to about 2 ms.
//
// Cost: eight Goertzel updates and one square per sample, plus some
// hundred operations per step and a validation per key press.
//
// A Detector or Generator belongs to one goroutine (the media engine's);
// after creation neither allocates.
package dtmf
