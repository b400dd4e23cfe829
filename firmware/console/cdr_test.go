package console

import (
	"errors"
	"flag"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config/configtest"
)

type fakeCalls []cdr.Call

func (f fakeCalls) Calls() []cdr.Call { return f }

// cdrRecords are the records of a small office's morning.
func cdrRecords(t *testing.T, s *cdr.Store) {
	t0 := time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC)
	recs := []cdr.Record{
		{Port: 1, Extension: "201", Direction: cdr.Internal, Caller: "201", Callee: "202", CalleeSent: "202",
			Start: t0, Answer: t0.Add(6 * time.Second), End: t0.Add(2*time.Minute + 11*time.Second), Cause: cdr.CauseNormal, ReleasedBy: cdr.ByCallee},
		{Port: 2, Extension: "202", Direction: cdr.Out, Caller: "202", Callee: "075583761234", CalleeSent: "075583761234",
			Start: t0.Add(5 * time.Minute), Answer: t0.Add(5*time.Minute + 12*time.Second), End: t0.Add(1*time.Hour + 7*time.Minute),
			Cause: cdr.CauseNormal, ReleasedBy: cdr.ByCaller,
			Quality: cdr.Quality{Codec: "PCMA/8000", PacketsSent: 185900, PacketsReceived: 185120, PacketsLost: 780, LossPercent: 0.42,
				Jitter: 4 * time.Millisecond, Delay: 80 * time.Millisecond}},
		{Port: 1, Extension: "201", Direction: cdr.Out, Caller: "201", Callee: "13800138000", CalleeSent: "13800138000",
			Start: t0.Add(30 * time.Minute), End: t0.Add(30*time.Minute + 14*time.Second), Cause: cdr.CauseBusy, SIPStatus: 486, ReleasedBy: cdr.ByCallee},
		{Port: 2, Extension: "202", Direction: cdr.In, Caller: "01062345678", Callee: "202", CalleeSent: "202",
			Start: t0.Add(41 * time.Minute), End: t0.Add(41*time.Minute + 25*time.Second), Cause: cdr.CauseNoAnswer, ReleasedBy: cdr.ByCaller},
	}
	for _, r := range recs {
		r.Quality.Rate()
		if _, err := s.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

// The technician's view of the call records and the calls in progress,
// kept as a golden transcript (go test -run TestCDRCommands -update
// rewrites it).
func TestCDRCommands(t *testing.T) {
	defer func(l *time.Location) { time.Local = l }(time.Local)
	time.Local = time.UTC // the transcript shows local times
	synctest.Test(t, func(t *testing.T) {
		fsys := configtest.New()
		store, err := cdr.Open("cdr", cdr.Options{FS: fsys})
		if err != nil {
			t.Fatal(err)
		}
		cdrRecords(t, store)
		now := time.Now()
		live := cdr.Quality{Codec: "PCMU/8000", PacketsSent: 4750, PacketsReceived: 4702, PacketsLost: 48, LossPercent: 1.01,
			Jitter: 12 * time.Millisecond, Delay: 95 * time.Millisecond, EC: true, ERLE: 31.4}
		live.Rate()
		calls := fakeCalls{
			{Port: 1, Extension: "201", Direction: cdr.Out, Caller: "201", Callee: "075512345678", State: "connected",
				Start: now.Add(-100 * time.Second), Answer: now.Add(-95 * time.Second), Quality: live},
			{Port: 3, Extension: "203", Direction: cdr.Internal, Caller: "203", Callee: "204", State: "ringback", Start: now.Add(-4 * time.Second)},
			{Port: 4, Extension: "204", Direction: cdr.Internal, Caller: "203", Callee: "204", State: "alerting", Start: now.Add(-4 * time.Second)},
		}
		r := newRig(t, func(o *Options) { o.CDRs, o.Calls = store, calls })
		r.login()
		var transcript strings.Builder
		for _, cmd := range []string{"show cdr", "show cdr 2", "show cdr port 2", "show cdr port 9", "show cdr 0", "show cdr 3 port",
			"show calls", "cdr totals", "cdr verify", "tamper", "cdr verify"} {
			if cmd == "tamper" {
				// Someone shortens the hour-long call in the file.
				b, _ := fsys.ReadFile("cdr/cdr-00000001.jsonl")
				fsys.Put("cdr/cdr-00000001.jsonl", []byte(strings.Replace(string(b), `"duration":3708000000000`, `"duration":708000000000`, 1)))
				transcript.WriteString("(the duration of record 2 is changed in the file)\n")
				continue
			}
			out := r.step(cmd + "\r")
			for _, l := range strings.Split(out, "\n") {
				if len([]rune(l)) > 79 {
					t.Errorf("%s: line wider than 79 columns: %q", cmd, l)
				}
			}
			transcript.WriteString(strings.TrimSuffix(out, "OpenIAD>"))
		}
		goldenFile(t, "testdata/cdr_session.golden", transcript.String())
	})
}

// goldenFile compares got with the file at path, or rewrites it under
// -update (the flag the console's golden tests share).
func goldenFile(t *testing.T, path, got string) {
	t.Helper()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: run go test -run %s -update", path, t.Name())
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("the session differs from %s (go test -update rewrites it):\nwant:\n%s\ngot:\n%s", path, want, got)
	}
}
