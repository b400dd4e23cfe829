package cdr_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config/configtest"
)

const dir = "state/cdr"

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// call makes the i-th test call: ports 1-4 in turn, a minute apart,
// every third one unanswered.
func call(i int) cdr.Record {
	r := cdr.Record{
		Port: 1 + i%4, Extension: fmt.Sprint(201 + i%4), Direction: cdr.Out,
		Caller: fmt.Sprint(201 + i%4), Callee: fmt.Sprint("0755", 1000+i), CalleeSent: fmt.Sprint("0755", 1000+i),
		Start: t0.Add(time.Duration(i) * time.Minute), End: t0.Add(time.Duration(i)*time.Minute + 40*time.Second),
		Cause: cdr.CauseNormal, ReleasedBy: cdr.ByCaller,
		Quality: cdr.Quality{Codec: "PCMA/8000", PacketsSent: 1500, PacketsReceived: 1490, PacketsLost: 10, LossPercent: 10.0 / 15},
	}
	if i%3 == 2 {
		r.Cause, r.ReleasedBy, r.Quality = cdr.CauseNoAnswer, cdr.ByCaller, cdr.Quality{}
	} else {
		r.Answer = r.Start.Add(5 * time.Second)
	}
	return r
}

func open(t *testing.T, fsys *configtest.FS, o cdr.Options) *cdr.Store {
	t.Helper()
	o.FS = fsys
	s, err := cdr.Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAppendQueryReopen(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys, cdr.Options{})
	for i := range 12 {
		r, err := s.Append(call(i))
		if err != nil {
			t.Fatal(err)
		}
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d got seq %d", i, r.Seq)
		}
		if r.Answered() && r.Duration != 35*time.Second {
			t.Errorf("record %d: duration %v, want the 35 s from answer to end", r.Seq, r.Duration)
		}
		if r.Q850 == 0 {
			t.Errorf("record %d: no Q.850 cause", r.Seq)
		}
	}
	s = open(t, fsys.Reboot(configtest.LoseUnsynced), cdr.Options{})
	if rep := s.Verify(); !rep.OK || rep.Records != 12 {
		t.Fatalf("after reopening: %+v", rep)
	}
	last := s.Last(3)
	if len(last) != 3 || last[0].Seq != 12 || last[2].Seq != 10 {
		t.Fatalf("Last(3) = %v, want records 12, 11, 10", seqs(last))
	}
	port2, _ := s.Query(cdr.Query{Port: 2})
	if got := seqs(port2); fmt.Sprint(got) != "[10 6 2]" {
		t.Errorf("port 2's records: %v, want [10 6 2]", got)
	}
	win, _ := s.Query(cdr.Query{From: t0.Add(3 * time.Minute), To: t0.Add(6 * time.Minute)})
	if got := seqs(win); fmt.Sprint(got) != "[6 5 4]" {
		t.Errorf("calls started 09:03-09:06: %v, want [6 5 4]", got)
	}
	lim, _ := s.Query(cdr.Query{Port: 1, Limit: 2})
	if got := seqs(lim); fmt.Sprint(got) != "[9 5]" {
		t.Errorf("the last 2 of port 1: %v, want [9 5]", got)
	}
}

func seqs(rs []cdr.Record) []uint64 {
	var out []uint64
	for _, r := range rs {
		out = append(out, r.Seq)
	}
	return out
}

func TestCSV(t *testing.T) {
	s := open(t, configtest.New(), cdr.Options{})
	r := call(0)
	r.Caller = "=HYPERLINK(\"http://x\")"
	if _, err := s.Append(r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(call(2)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.WriteCSV(&buf, cdr.Query{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(rows[0]) != len(cdr.CSVHeader) {
		t.Fatalf("%d rows of %d columns", len(rows), len(rows[0]))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["seq"]] != "2" || rows[1][col["cause"]] != "no answer" || rows[1][col["answer"]] != "" {
		t.Errorf("newest row: %v", rows[1])
	}
	if got := rows[2][col["caller"]]; !strings.HasPrefix(got, "'=") {
		t.Errorf("a caller number that looks like a formula is written %q: a spreadsheet would run it", got)
	}
	if rows[2][col["duration_s"]] != "35.000" || rows[2][col["codec"]] != "PCMA/8000" {
		t.Errorf("oldest row: %v", rows[2])
	}
}

// TestRotation: the store stays within its bound, the oldest records go
// first and the chain still verifies from the anchor.
func TestRotation(t *testing.T) {
	fsys := configtest.New()
	o := cdr.Options{MaxFileBytes: 2048, MaxFiles: 3}
	s := open(t, fsys, o)
	for i := range 40 {
		if _, err := s.Append(call(i)); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, n := range fsys.Names() {
		if strings.HasPrefix(path.Base(n), "cdr-") {
			b, _ := fsys.ReadFile(n)
			total += len(b)
		}
	}
	if total > 3*2048 {
		t.Errorf("the records take %d bytes, more than 3 files of 2048", total)
	}
	s = open(t, fsys.Reboot(configtest.LoseUnsynced), o)
	rep := s.Verify()
	if !rep.OK || rep.Last != 40 || rep.First <= 1 {
		t.Fatalf("after rotation: %+v", rep)
	}
	if rep.Records != s.Len() || s.Len() < 6 {
		t.Errorf("%d records kept (%d read back)", s.Len(), rep.Records)
	}
	r, err := s.Append(call(40))
	if err != nil || r.Seq != 41 {
		t.Fatalf("append after reopening: seq %d, %v", r.Seq, err)
	}
	if rep := s.Verify(); !rep.OK {
		t.Fatal(rep.Problem)
	}
}

// TestPowerCut cuts the power at every mutating operation of a run of
// appends (rotation included) under every survival policy: reopening
// finds every record whose Append returned, in order and unaltered, at
// most the one being written besides, and a chain that verifies.
func TestPowerCut(t *testing.T) {
	o := cdr.Options{MaxFileBytes: 1500, MaxFiles: 2}
	const calls = 8
	// The reference run: what the store holds after each append.
	ref := configtest.New()
	rs := open(t, ref, o)
	var want []cdr.Record
	firstAfter := make([]uint64, calls+1) // oldest seq kept after i appends
	for i := range calls {
		r, err := rs.Append(call(i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
		firstAfter[i+1] = rs.Last(1000)[rs.Len()-1].Seq
	}
	total := ref.Ops()
	for n := 1; n <= total; n++ {
		for _, sv := range configtest.Survivals {
			t.Run(fmt.Sprintf("op%d/%s", n, sv), func(t *testing.T) {
				fsys := configtest.New()
				s := open(t, fsys, o)
				fsys.CutAt(n)
				acked := 0
				for i := range calls {
					if _, err := s.Append(call(i)); err != nil {
						break
					}
					acked++
				}
				s2 := open(t, fsys.Reboot(sv), o)
				rep := s2.Verify()
				if !rep.OK {
					t.Fatalf("after the cut: %s", rep.Problem)
				}
				got := s2.Last(1000)
				if acked > 0 && len(got) == 0 {
					t.Fatalf("%d records acknowledged, none found", acked)
				}
				for k := range got {
					r := got[len(got)-1-k] // oldest first
					w := want[r.Seq-1]
					if r.Hash != w.Hash || r.Callee != w.Callee {
						t.Fatalf("record %d read back differs from the one written", r.Seq)
					}
					if k > 0 && r.Seq != got[len(got)-k].Seq+1 {
						t.Fatalf("records not contiguous: %v", seqs(got))
					}
				}
				last := uint64(0)
				if len(got) > 0 {
					last = got[0].Seq
				}
				if last != uint64(acked) && last != uint64(acked+1) {
					t.Fatalf("%d records acknowledged, the newest found is %d", acked, last)
				}
				if len(got) > 0 && got[len(got)-1].Seq > firstAfter[acked] && acked > 0 {
					t.Fatalf("records before %d lost (rotation keeps from %d)", got[len(got)-1].Seq, firstAfter[acked])
				}
				// The store goes on from there.
				r, err := s2.Append(call(99))
				if err != nil || r.Seq != last+1 {
					t.Fatalf("append after the cut: seq %d, %v", r.Seq, err)
				}
				if rep := s2.Verify(); !rep.OK {
					t.Fatalf("after appending again: %s", rep.Problem)
				}
			})
		}
	}
}

// TestWriteFailure: a write that fails (a full or failing flash) loses
// that record only; the store goes on once storage works again.
func TestWriteFailure(t *testing.T) {
	fsys := configtest.New()
	s := open(t, fsys, cdr.Options{})
	for i := range 3 {
		if _, err := s.Append(call(i)); err != nil {
			t.Fatal(err)
		}
	}
	fsys.FailAt(2, errors.New("no space left on device")) // the record's write
	if _, err := s.Append(call(3)); err == nil {
		t.Fatal("append succeeded on a failing write")
	}
	r, err := s.Append(call(4))
	if err != nil || r.Seq != 4 {
		t.Fatalf("append after the failure: seq %d, %v", r.Seq, err)
	}
	if rep := s.Verify(); !rep.OK || rep.Records != 4 {
		t.Fatalf("after a failed write: %+v", rep)
	}
}

// TestTotals: per extension, only answered outgoing calls are charged,
// in started minutes.
func TestTotals(t *testing.T) {
	s := open(t, configtest.New(), cdr.Options{})
	for i := range 12 {
		if _, err := s.Append(call(i)); err != nil {
			t.Fatal(err)
		}
	}
	in := call(1)
	in.Direction, in.Caller, in.Callee = cdr.In, "01062345678", "202"
	in.Start, in.Answer, in.End = t0.Add(time.Hour), t0.Add(time.Hour+2*time.Second), t0.Add(time.Hour+62*time.Second)
	if _, err := s.Append(in); err != nil {
		t.Fatal(err)
	}
	tot := cdr.Totals(s.Last(0))
	if len(tot) != 4 {
		t.Fatalf("%d ports in the totals", len(tot))
	}
	// Port 2 (202) placed calls 1, 5, 9 (i%3 == 2 is unanswered: call 5)
	// and took one incoming minute.
	p2 := tot[1]
	if p2.Port != 2 || p2.Extension != "202" || p2.Calls != 4 || p2.Answered != 3 || p2.OutCalls != 2 {
		t.Fatalf("port 2: %+v", p2)
	}
	if p2.OutTime != 70*time.Second || p2.OutMinutes != 2 || p2.In != time.Minute {
		t.Errorf("port 2: %v out in %d started minutes, %v in; want 70 s in 2, 1 min in", p2.OutTime, p2.OutMinutes, p2.In)
	}
}
