package g168

import (
	"context"
	"testing"

	"github.com/openiad/openiad/testrig/peers"
)

// TestARMCount checks the instruction counter on one short scenario: the
// canceller's instructions per sample are counted on both targets and are
// plausible (a few hundred to a few ten thousand).
func TestARMCount(t *testing.T) {
	peers.Require(t, QemuMissing())
	s := TableScenarios(benchTail)[0]
	s.Duration, s.TalkStart, s.TalkEnd = 2*s.Duration/12, 0, 0
	v, err := s.Build()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCounter(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Arch{ARMv7, ARM64} {
		n, err := c.Count(t.Context(), a, benchTail, []*Vectors{v})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.0f instructions per sample", a.Name, n[0])
		if n[0] < 100 || n[0] > 1e5 {
			t.Errorf("%s: %.0f instructions per sample: the count is broken", a.Name, n[0])
		}
	}
}
