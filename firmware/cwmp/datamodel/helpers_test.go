package datamodel

import (
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
)

// newModel opens a configuration store with fxs ports on an in-memory
// file system and the model over it.
func newModel(t *testing.T, fxs int) (*Model, *config.Store, *configtest.FS) {
	t.Helper()
	fsys := configtest.New()
	st, err := config.Open(fsys, "config", config.Default(fxs), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Options{Config: st, FS: fsys, Dir: "cwmp",
		Device: Device{Manufacturer: "OpenIAD", ProductClass: "IAD", SerialNumber: "SN1", SoftwareVersion: "1.2.3", FXS: fxs}})
	if err != nil {
		t.Fatal(err)
	}
	return m, st, fsys
}

// withRecords gives the model two call records: an answered outgoing
// call on port 1 with media, and a busy incoming one on port 2.
func withRecords(m *Model) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	recs := []cdr.Record{
		{Seq: 8, Port: 2, Extension: "202", Direction: cdr.In, Caller: "01088886666", Callee: "202",
			Start: t0.Add(time.Hour), End: t0.Add(time.Hour + 5*time.Second), Cause: cdr.CauseBusy, ReleasedBy: cdr.ByCallee},
		{Seq: 7, Port: 1, Extension: "201", Direction: cdr.Out, Caller: "201", Callee: "13800138000",
			Start: t0, Answer: t0.Add(4 * time.Second), End: t0.Add(64 * time.Second), Duration: time.Minute,
			Cause: cdr.CauseNormal, ReleasedBy: cdr.ByCaller,
			Quality: cdr.Quality{Codec: "PCMA/8000", PacketsSent: 3000, PacketsReceived: 2990, PacketsLost: 10, LossPercent: 0.33, RFactor: 92.4, MOS: 4.4}},
	}
	m.o.Status.Records = func(n int) []cdr.Record {
		if n > 0 && n < len(recs) {
			return recs[:n]
		}
		return recs
	}
}
