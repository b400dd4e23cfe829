package console

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
)

const noCDR = "call records are not kept on this build (no storage for them)"

// cmdShowCDR: show cdr [n] [port N], newest first.
func cmdShowCDR(x *exec) error {
	const hint = "type: show cdr [n] [port N], e.g. show cdr 20 or show cdr port 2"
	q := cdr.Query{Limit: 10}
	args := x.args
	if len(args) > 0 && args[0] != "port" {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > 1000 {
			return usagef(hint, "show cdr: %s is not a number of records from 1 to 1000", quoteWord(args[0]))
		}
		q.Limit, args = v, args[1:]
	}
	if len(args) > 0 {
		if args[0] != "port" || len(args) != 2 {
			return usagef(hint, "show cdr: %s is not understood", quoteWords(args))
		}
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 1 {
			return usagef(hint, "show cdr: %s is not a port number", quoteWord(args[1]))
		}
		q.Port = v
	}
	var recs []cdr.Record
	if x.o().CDRs != nil {
		var err error
		if recs, err = x.o().CDRs.Query(q); err != nil {
			return err
		}
	}
	if len(recs) == 0 {
		if q.Port != 0 {
			x.printf("no call records for port %d\n", q.Port)
		} else {
			x.printf("no call records yet\n")
		}
		return nil
	}
	var rows [][]string
	for _, r := range recs {
		mos := "-"
		if r.Quality.MOS > 0 {
			mos = fmt.Sprintf("%.1f", r.Quality.MOS)
		}
		dur := "-"
		if r.Answered() {
			dur = clock(r.Duration)
		}
		rows = append(rows, []string{strconv.FormatUint(r.Seq, 10), r.Start.Local().Format("01-02 15:04"), strconv.Itoa(r.Port),
			shortDir(r.Direction), clip(dash(r.Caller), 12), clip(dash(r.Callee), 14), dur, clip(r.Cause, 12), mos})
	}
	x.table([]string{"SEQ", "START", "PORT", "DIR", "FROM", "TO", "TIME", "RESULT", "MOS"}, rows)
	return nil
}

func shortDir(d cdr.Direction) string {
	if d == cdr.Internal {
		return "int"
	}
	return string(d)
}

// clock formats a call's length as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// cmdShowCalls: the calls in progress, with live quality when the box
// measures it.
func cmdShowCalls(x *exec) error {
	if c := x.o().Calls; c != nil {
		calls := c.Calls()
		if len(calls) == 0 {
			x.printf("no calls in progress\n")
			return nil
		}
		var rows [][]string
		for _, k := range calls {
			peer := k.Callee
			if k.Direction == cdr.In || k.Callee == k.Extension {
				peer = k.Caller
			}
			since := k.Start
			if !k.Answer.IsZero() {
				since = k.Answer
			}
			q := k.Quality
			codec, loss, jit, mos, erle := "-", "-", "-", "-", "-"
			if q.Codec != "" {
				codec = strings.SplitN(q.Codec, "/", 2)[0]
				loss = fmt.Sprintf("%.1f%%", q.LossPercent)
				jit = fmt.Sprintf("%.0fms", float64(q.Jitter)/float64(time.Millisecond))
			}
			if q.MOS > 0 {
				mos = fmt.Sprintf("%.1f", q.MOS)
			}
			if q.EC {
				erle = fmt.Sprintf("%.0fdB", q.ERLE)
			}
			rows = append(rows, []string{strconv.Itoa(k.Port), shortDir(k.Direction), clip(dash(peer), 14), k.State,
				clock(time.Since(since)), codec, loss, jit, mos, erle})
		}
		x.table([]string{"PORT", "DIR", "PEER", "STATE", "TIME", "CODEC", "LOSS", "JITTER", "MOS", "ERLE"}, rows)
		return nil
	}
	if x.o().Status == nil {
		return errors.New(noStatus)
	}
	var rows [][]string
	for _, p := range x.o().Status.Ports() {
		if inCall[p.State] {
			rows = append(rows, []string{strconv.Itoa(p.Port), dash(p.Extension), p.State})
		}
	}
	if len(rows) == 0 {
		x.printf("no calls in progress\n")
		return nil
	}
	x.table([]string{"PORT", "EXT", "STATE"}, rows)
	return nil
}

// cmdCDRVerify: check the hash chain of the call records.
func cmdCDRVerify(x *exec) error {
	if x.o().CDRs == nil {
		return errors.New(noCDR)
	}
	rep := x.o().CDRs.Verify()
	if rep.OK {
		if rep.Records == 0 {
			x.printf("no call records yet: nothing to check\n")
			return nil
		}
		x.wrapf("", "%d call records (%d to %d) checked: none altered or removed", rep.Records, rep.First, rep.Last)
		return nil
	}
	x.wrapf("", "ALTERED: %s", rep.Problem)
	if rep.FirstBad != 0 {
		x.wrapf("", "The first record that does not check out is %d. The records cannot be trusted for accounting from there on; keep this box's storage as evidence.", rep.FirstBad)
	}
	return nil
}

// cmdCDRTotals: calls and charged time per extension.
func cmdCDRTotals(x *exec) error {
	if x.o().CDRs == nil {
		return errors.New(noCDR)
	}
	recs, err := x.o().CDRs.Query(cdr.Query{})
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		x.printf("no call records yet\n")
		return nil
	}
	var rows [][]string
	for _, t := range cdr.Totals(recs) {
		rows = append(rows, []string{strconv.Itoa(t.Port), dash(t.Extension), strconv.Itoa(t.Calls), strconv.Itoa(t.Answered),
			strconv.Itoa(t.OutCalls), clock(t.OutTime), strconv.Itoa(t.OutMinutes), clock(t.Internal), clock(t.In)})
	}
	x.table([]string{"PORT", "EXT", "CALLS", "ANSWERED", "OUT", "OUT-TIME", "OUT-MIN", "INTERNAL", "IN"}, rows)
	first, last := recs[len(recs)-1].Start, recs[0].Start
	x.wrapf("", "%d records from %s to %s; OUT-MIN counts started minutes.", len(recs), first.Local().Format("2006-01-02 15:04"), last.Local().Format("2006-01-02 15:04"))
	return nil
}
