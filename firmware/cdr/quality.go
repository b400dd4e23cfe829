package cdr

import "time"

// The E-model (ITU-T G.107) rates a call from its impairments:
//
//	R = R0 - Is - Id - Ie,eff + A
//
// With every parameter at its G.107 default (no extra noise, loudness as
// recommended, no advantage factor) R0 - Is = 93.2 and A = 0. What varies
// on the box is the delay and the packet loss, so the estimate keeps two
// terms:
//
// Id, the delay impairment, in the simplified form of Cole and Rosenbluth
// ("Voice over IP performance monitoring", ACM CCR 2001), fitted to G.107
// with default echo loss: with Ta the one-way mouth-to-ear delay in ms,
//
//	Id = 0.024·Ta + 0.11·(Ta - 177.3)·H(Ta - 177.3)    (H: 0 below 0, 1 from 0)
//
// Ie,eff, the equipment impairment under random packet loss (G.107
// equation 7-29, BurstR = 1), with Ppl the loss in percent:
//
//	Ie,eff = Ie + (95 - Ie) · Ppl / (Ppl + Bpl)
//
// For G.711 (PCMA, PCMU) G.113 Appendix I gives Ie = 0 and Bpl = 25.1 when
// the receiver conceals lost packets, as the box's jitter buffer does.
//
// R maps to a mean opinion score (G.107 Annex B):
//
//	MOS = 1                                         for R < 0
//	MOS = 1 + 0.035·R + R·(R - 60)·(100 - R)·7e-6   for 0 ≤ R ≤ 100
//	MOS = 4.5                                       for R > 100
//
// A perfect G.711 call rates R = 93.2 (MOS 4.41); 1 % loss gives R ≈ 89.6
// (MOS 4.33), 5 % about 78 (3.9); 200 ms one way costs 7.3 more.
const (
	r0      = 93.2 // R0 - Is with G.107 defaults
	ieG711  = 0.0
	bplG711 = 25.1 // G.711 with packet loss concealment, G.113 Appendix I
)

// Estimate returns the R-factor and MOS of a G.711 call with lossPercent
// (0..100) of its packets lost at random and delay one way.
func Estimate(lossPercent float64, delay time.Duration) (r, mos float64) {
	ta := float64(delay) / float64(time.Millisecond)
	if ta < 0 {
		ta = 0
	}
	id := 0.024 * ta
	if ta > 177.3 {
		id += 0.11 * (ta - 177.3)
	}
	ppl := min(max(lossPercent, 0), 100)
	ie := ieG711 + (95-ieG711)*ppl/(ppl+bplG711)
	r = r0 - id - ie
	return r, MOSFromR(r)
}

// MOSFromR is the G.107 Annex B mapping of an R-factor to a MOS.
func MOSFromR(r float64) float64 {
	switch {
	case r < 0:
		return 1
	case r > 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

// Rate fills in q.RFactor and q.MOS from its loss and delay, when it has
// media (packets received or lost); otherwise they stay zero.
func (q *Quality) Rate() {
	if q.PacketsReceived == 0 && q.PacketsLost <= 0 {
		q.RFactor, q.MOS = 0, 0
		return
	}
	q.RFactor, q.MOS = Estimate(q.LossPercent, q.Delay)
}
