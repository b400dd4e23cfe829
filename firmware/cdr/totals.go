package cdr

import (
	"slices"
	"time"
)

// Total is what the calls of one port (extension) came to: the figures
// an administrator charges calls by. Only outgoing calls cost money;
// internal calls are free and incoming ones are paid by the caller.
type Total struct {
	Port       int           `json:"port"`
	Extension  string        `json:"extension"` // the extension of its newest record
	Calls      int           `json:"calls"`     // attempts placed (out and internal) and received (in)
	Answered   int           `json:"answered"`
	OutCalls   int           `json:"outCalls"`   // answered calls to the carrier: the ones that cost
	OutTime    time.Duration `json:"outTime"`    // their billable time
	OutMinutes int           `json:"outMinutes"` // the same counted in started minutes, as carriers bill
	Internal   time.Duration `json:"internal"`   // time in answered internal calls it placed
	In         time.Duration `json:"in"`         // time in answered incoming calls
}

// Totals adds up records per port, in port order.
func Totals(recs []Record) []Total {
	by := map[int]*Total{}
	newest := map[int]uint64{}
	for _, r := range recs {
		t := by[r.Port]
		if t == nil {
			t = &Total{Port: r.Port}
			by[r.Port] = t
		}
		if r.Seq >= newest[r.Port] {
			newest[r.Port], t.Extension = r.Seq, r.Extension
		}
		t.Calls++
		if !r.Answered() {
			continue
		}
		t.Answered++
		switch r.Direction {
		case Out:
			t.OutCalls++
			t.OutTime += r.Duration
			t.OutMinutes += int((r.Duration + time.Minute - 1) / time.Minute)
		case Internal:
			t.Internal += r.Duration
		case In:
			t.In += r.Duration
		}
	}
	out := make([]Total, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Total) int { return a.Port - b.Port })
	return out
}
