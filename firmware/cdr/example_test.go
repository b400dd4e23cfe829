package cdr_test

import (
	"fmt"
	"os"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
)

func Example() {
	dir, _ := os.MkdirTemp("", "cdr")
	defer os.RemoveAll(dir)
	store, err := cdr.Open(dir, cdr.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	r, _ := store.Append(cdr.Record{
		Port: 1, Extension: "201", Direction: cdr.Out, Caller: "201", Callee: "075512345678",
		Start: start, Answer: start.Add(8 * time.Second), End: start.Add(3 * time.Minute),
		Cause: cdr.CauseNormal, ReleasedBy: cdr.ByCaller,
	})
	fmt.Println(r.Seq, r.Duration, r.Q850)
	recs, _ := store.Query(cdr.Query{Port: 1, Limit: 10})
	fmt.Println(len(recs), recs[0].Callee)
	fmt.Println(store.Verify().OK)
	// Output:
	// 1 2m52s 16
	// 1 075512345678
	// true
}
