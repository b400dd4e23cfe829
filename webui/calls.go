package webui

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/cdr"
)

// Records are the call detail records; *cdr.Store implements it.
type Records interface {
	Query(q cdr.Query) ([]cdr.Record, error)
	WriteCSV(w io.Writer, q cdr.Query) error
}

// callStatus is a call in progress on the status page.
type callStatus struct {
	Port      int       `json:"port"`
	Extension string    `json:"extension"`
	State     string    `json:"state"`
	Direction string    `json:"direction,omitempty"`
	Caller    string    `json:"caller,omitempty"`
	Callee    string    `json:"callee,omitempty"`
	Start     time.Time `json:"start,omitzero"`
	Answer    time.Time `json:"answer,omitzero"`
	Duration  string    `json:"duration,omitempty"` // since answer (or start)
	// Quality: the live media figures (zero before media or for internal
	// calls); HasMedia says whether there are any.
	HasMedia bool        `json:"hasMedia"`
	Quality  cdr.Quality `json:"quality"`
}

// calls lists the calls in progress: from Options.Calls with their
// quality, else from the ports' states.
func (s *Server) calls(ports []portStatus) []callStatus {
	out := []callStatus{}
	if s.o.Calls == nil {
		for _, p := range ports {
			if p.InCall {
				out = append(out, callStatus{Port: p.Port, Extension: p.Extension, State: p.State})
			}
		}
		return out
	}
	now := s.now()
	for _, c := range s.o.Calls() {
		cs := callStatus{Port: c.Port, Extension: c.Extension, State: c.State, Direction: string(c.Direction),
			Caller: c.Caller, Callee: c.Callee, Start: c.Start, Answer: c.Answer, Quality: c.Quality,
			HasMedia: c.Quality.Codec != "" || c.Quality.PacketsReceived > 0 || c.Quality.EC}
		from := c.Answer
		if from.IsZero() {
			from = c.Start
		}
		if !from.IsZero() {
			cs.Duration = humanDuration(now.Sub(from))
		}
		out = append(out, cs)
	}
	return out
}

// callsData is the call records page.
type callsData struct {
	Records []cdr.Record `json:"records"`
	Port    int          `json:"port,omitempty"`
	From    string       `json:"from,omitempty"`
	To      string       `json:"to,omitempty"`
	Limit   int          `json:"limit"`
	Ports   []int        `json:"-"`
	Enabled bool         `json:"enabled"`
	CSV     string       `json:"csv"` // the same selection as CSV
}

// MaxCallRecords is the most records the records page shows at once (the
// CSV download has no limit).
const MaxCallRecords = 1000

// callQuery reads ?port=N&from=YYYY-MM-DD&to=YYYY-MM-DD&n=N; to is
// inclusive (the whole day). Dates are in the box's zone (time.zone).
func (s *Server) callQuery(x *rx) (cdr.Query, callsData, string) {
	v := x.r.URL.Query()
	d := callsData{Limit: 100, Records: []cdr.Record{}, Enabled: s.o.Records != nil}
	var q cdr.Query
	if p := strings.TrimSpace(v.Get("port")); p != "" && p != "0" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1024 {
			return q, d, x.T("calls.badport")
		}
		q.Port, d.Port = n, n
	}
	loc := time.UTC
	if z, err := time.LoadLocation(s.o.Config.Get().Time.Zone); err == nil {
		loc = z
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
		keep *string
		add  int
	}{{"from", &q.From, &d.From, 0}, {"to", &q.To, &d.To, 1}} {
		t := strings.TrimSpace(v.Get(f.name))
		if t == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", t, loc)
		if err != nil {
			return q, d, x.T("calls.baddate", f.name)
		}
		*f.dst, *f.keep = day.AddDate(0, 0, f.add), t
	}
	if n := strings.TrimSpace(v.Get("n")); n != "" {
		k, err := strconv.Atoi(n)
		if err != nil || k < 1 || k > MaxCallRecords {
			return q, d, x.T("calls.badcount", MaxCallRecords)
		}
		d.Limit = k
	}
	q.Limit = d.Limit
	csv := "/calls.csv?" + v.Encode()
	if len(v) == 0 {
		csv = "/calls.csv"
	}
	d.CSV = csv
	return q, d, ""
}

func (s *Server) callsPage(x *rx) {
	q, d, bad := s.callQuery(x)
	for _, p := range s.o.Config.Get().Ports {
		d.Ports = append(d.Ports, p.Index)
	}
	if bad != "" {
		x.fail(http.StatusUnprocessableEntity, "invalid", bad)
		return
	}
	if s.o.Records != nil {
		recs, err := s.o.Records.Query(q)
		if err != nil {
			x.fail(http.StatusInternalServerError, "internal", err.Error())
			return
		}
		d.Records = recs
	}
	x.page(http.StatusOK, "calls", "title.calls", "calls", d)
}

// callsCSV downloads the selected records (without the page's limit
// unless n is given) as CSV.
func (s *Server) callsCSV(x *rx) {
	q, _, bad := s.callQuery(x)
	if bad != "" {
		x.fail(http.StatusUnprocessableEntity, "invalid", bad)
		return
	}
	if x.r.URL.Query().Get("n") == "" {
		q.Limit = 0
	}
	if s.o.Records == nil {
		x.fail(http.StatusNotImplemented, "not_available", x.T("err.unavailable"))
		return
	}
	h := x.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="openiad-calls-%s.csv"`, s.now().UTC().Format("20060102-150405")))
	// Streamed: the whole store need not fit in memory at once.
	if err := s.o.Records.WriteCSV(x.w, q); err != nil {
		s.log.Error("webui: call records CSV", "err", err)
	}
}
