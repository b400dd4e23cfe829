package cdr

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// CSVHeader is the first row WriteCSV writes: one column per field, times
// in RFC 3339 (UTC), durations in seconds, jitter, delay and round trip in
// milliseconds.
var CSVHeader = []string{
	"seq", "port", "extension", "direction", "caller", "callee", "callee_sent",
	"start", "answer", "end", "duration_s", "cause", "sip_status", "q850", "released_by",
	"codec", "packets_sent", "packets_received", "packets_lost", "loss_percent", "late", "discarded",
	"jitter_ms", "max_jitter_ms", "rtt_ms", "delay_ms", "r_factor", "mos", "erle_db", "hash",
}

// WriteCSV writes the records that match q, newest first, as CSV for a
// spreadsheet or a billing system.
func (s *Store) WriteCSV(w io.Writer, q Query) error {
	recs, err := s.Query(q)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	for _, r := range recs {
		if err := cw.Write(csvRow(r)); err != nil {
			return fmt.Errorf("cdr: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	return nil
}

func csvRow(r Record) []string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	q := r.Quality
	erle := ""
	if q.EC {
		erle = f(q.ERLE, 1)
	}
	mos, rf := "", ""
	if q.MOS > 0 {
		mos, rf = f(q.MOS, 2), f(q.RFactor, 1)
	}
	return []string{
		strconv.FormatUint(r.Seq, 10), strconv.Itoa(r.Port), safe(r.Extension), string(r.Direction), safe(r.Caller), safe(r.Callee), safe(r.CalleeSent),
		ts(r.Start), ts(r.Answer), ts(r.End), f(r.Duration.Seconds(), 3), r.Cause, strconv.Itoa(r.SIPStatus), strconv.Itoa(r.Q850), r.ReleasedBy,
		q.Codec, strconv.FormatUint(q.PacketsSent, 10), strconv.FormatUint(q.PacketsReceived, 10), strconv.FormatInt(q.PacketsLost, 10), f(q.LossPercent, 2),
		strconv.FormatUint(q.Late, 10), strconv.FormatUint(q.Discarded, 10),
		ms(q.Jitter), ms(q.MaxJitter), ms(q.RTT), ms(q.Delay), rf, mos, erle, r.Hash,
	}
}

// safe keeps a spreadsheet from reading a number or name from the network
// as a formula (CSV injection): such a cell gets a leading apostrophe.
func safe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '@' || s[0] == '\t' || s[0] == '\r' || (s[0] == '-' || s[0] == '+') && len(s) > 1 && !isDigits(s[1:])) {
		return "'" + s
	}
	return s
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
