package speexjb

import (
	"fmt"
	"github.com/openiad/openiad/testrig/peers"
	"testing"
)

// open makes a buffer or, when libspeexdsp is missing, fails under CI=true
// and says how to install it otherwise.
func open(t *testing.T, step int) *JB {
	t.Helper()
	j, err := Open(step)
	if err == nil {
		return j
	}
	peers.Require(t, fmt.Errorf("%w; install libspeexdsp-dev (tools/ci/deps.sh does) to run this test", err))
	return nil
}

// TestInOrder checks the binding (and the packet layout it declares)
// against a trivially clean stream: every packet comes back, in order,
// with its timestamp and user data.
func TestInOrder(t *testing.T) {
	j := open(t, 160)
	defer j.Close()
	var ts0 uint32 = 4294967000 // wraps
	for i := range 50 {
		j.Put(ts0+uint32(i*160), 160, uint16(65530+i), uint32(1000+i))
		st, ts, span, user, _ := j.Get(160)
		j.Tick()
		if st != OK || ts != ts0+uint32(i*160) || span != 160 || user != uint32(1000+i) {
			t.Fatalf("packet %d: status %d ts %d span %d user %d", i, st, ts, span, user)
		}
	}
	if p := j.Pointer(); p != ts0+50*160 {
		t.Errorf("Pointer = %d, want %d", p, ts0+50*160)
	}
	st, _, span, _, _ := j.Get(160)
	if st == OK || span == 0 {
		t.Errorf("empty buffer gave status %d span %d", st, span)
	}
	j.SetMaxLateRate(1)
	j.SetMargin(80)
	j.SetLateCost(0)
}
