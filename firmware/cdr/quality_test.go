package cdr_test

import (
	"math"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
)

// G.107's own reference points: the default connection rates R = 93.2,
// MOS 4.41; the MOS scale ends at 1 and 4.5; R = 50 is "nearly all users
// dissatisfied", MOS 2.6 (G.107 Annex B, Table B.1).
func TestEModelReferencePoints(t *testing.T) {
	r, mos := cdr.Estimate(0, 0)
	if math.Abs(r-93.2) > 0.01 || math.Abs(mos-4.41) > 0.005 {
		t.Errorf("a clean G.711 call rates R %.2f MOS %.3f, G.107 defaults give 93.2 and 4.41", r, mos)
	}
	if m := cdr.MOSFromR(50); math.Abs(m-2.58) > 0.01 {
		t.Errorf("R 50 → MOS %.2f, G.107 Table B.1 says 2.6", m)
	}
	if cdr.MOSFromR(-5) != 1 || cdr.MOSFromR(120) != 4.5 {
		t.Error("MOS outside 1..4.5")
	}
}

// Loss and delay lower the estimate, never raise it; a call users would
// call bad (10 % loss, 400 ms one way) rates below 3.
func TestEModelDegrades(t *testing.T) {
	prev := 5.0
	for _, loss := range []float64{0, 0.5, 1, 2, 5, 10, 20} {
		_, mos := cdr.Estimate(loss, 50*time.Millisecond)
		if mos >= prev {
			t.Errorf("%.1f %% loss: MOS %.2f, not below %.2f", loss, mos, prev)
		}
		prev = mos
	}
	prev = 5
	for _, d := range []time.Duration{0, 100, 150, 200, 300, 400} {
		_, mos := cdr.Estimate(1, d*time.Millisecond)
		if mos >= prev && d > 0 {
			t.Errorf("%d ms: MOS %.2f, not below %.2f", d, mos, prev)
		}
		prev = mos
	}
	if _, mos := cdr.Estimate(10, 400*time.Millisecond); mos >= 3 {
		t.Errorf("10 %% loss and 400 ms rate MOS %.2f", mos)
	}
	// Past 177.3 ms the delay costs more per millisecond (the knee).
	r0, _ := cdr.Estimate(0, 100*time.Millisecond)
	r1, _ := cdr.Estimate(0, 150*time.Millisecond)
	r2, _ := cdr.Estimate(0, 250*time.Millisecond)
	r3, _ := cdr.Estimate(0, 300*time.Millisecond)
	if !(r0-r1 < r2-r3) {
		t.Errorf("50 ms cost R %.2f below the knee and %.2f above it", r0-r1, r2-r3)
	}
}

func TestRateWithoutMedia(t *testing.T) {
	var q cdr.Quality
	q.Rate()
	if q.MOS != 0 || q.RFactor != 0 {
		t.Errorf("a call without packets rated MOS %.2f", q.MOS)
	}
}
