package webui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/voip"
)

// Limits of the live SIP trace and the packet capture.
const (
	// TraceStreamMax ends a live trace (Server-Sent Events); the page
	// offers to start it again.
	TraceStreamMax = 10 * time.Minute
	// TracePollMax is the longest JSON trace (GET /diag/sip-trace).
	TracePollMax = 30 * time.Second
	// TracePollMessages is the most messages one JSON trace returns.
	TracePollMessages = 200
	// CaptureMin, CaptureMax and CaptureDefault bound a packet capture's
	// duration; CaptureLimitMax and CaptureLimitDefault its size in KiB.
	CaptureMin          = 1 * time.Second
	CaptureMax          = 120 * time.Second
	CaptureDefault      = 30 * time.Second
	CaptureLimitMax     = 32 << 10 // KiB
	CaptureLimitDefault = 4 << 10  // KiB
	traceBuffer         = 256
	maxTraceText        = 8 << 10 // bytes of one message shown in a trace
)

// traceMsg is one SIP message of a trace as the page and the JSON API
// see it.
type traceMsg struct {
	At     time.Time `json:"at"`
	Sent   bool      `json:"sent"`
	Local  string    `json:"local"`
	Remote string    `json:"remote"`
	Bytes  int       `json:"bytes"`
	Text   string    `json:"text"`
	// Head is the first line ("INVITE sip:... SIP/2.0").
	Head string `json:"head"`
}

func toTrace(m voip.Message) traceMsg {
	text := string(m.Data)
	if len(text) > maxTraceText {
		text = text[:maxTraceText] + "\n..."
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	head, _, _ := strings.Cut(text, "\n")
	return traceMsg{At: m.At, Sent: m.Sent, Local: unmap(m.Local).String(), Remote: unmap(m.Remote).String(), Bytes: len(m.Data),
		Text: text, Head: strings.TrimRight(head, "\r")}
}

// unmap shows an IPv4-mapped IPv6 address as IPv4.
func unmap(a netip.AddrPort) netip.AddrPort { return netip.AddrPortFrom(a.Addr().Unmap(), a.Port()) }

// sipTrace answers GET /diag/sip-trace: with ?seconds=N (1 to 30, default
// 10) the SIP messages seen in the next N seconds, as JSON or as a page.
func (s *Server) sipTrace(x *rx) {
	if s.o.Tap == nil {
		x.fail(http.StatusNotImplemented, "not_available", x.T("err.unavailable"))
		return
	}
	wait := 10 * time.Second
	if v := x.r.URL.Query().Get("seconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || time.Duration(n)*time.Second > TracePollMax {
			x.fail(http.StatusUnprocessableEntity, "invalid", x.T("trace.badseconds", int(TracePollMax/time.Second)))
			return
		}
		wait = time.Duration(n) * time.Second
	}
	ch, stop := s.o.Tap.Subscribe(traceBuffer)
	defer stop()
	t := time.NewTimer(wait)
	defer t.Stop()
	out := []traceMsg{}
loop:
	for len(out) < TracePollMessages {
		select {
		case <-x.r.Context().Done():
			return
		case <-t.C:
			break loop
		case m := <-ch:
			out = append(out, toTrace(m))
		}
	}
	x.writeJSON(http.StatusOK, map[string]any{"messages": out, "seconds": int(wait / time.Second)})
}

// sipTraceStream answers GET /diag/sip-trace/stream with Server-Sent
// Events: one "sip" event per SIP message (JSON of traceMsg), ": ping"
// comments every 15 s, and an "end" event after TraceStreamMax.
func (s *Server) sipTraceStream(x *rx) {
	if s.o.Tap == nil {
		x.fail(http.StatusNotImplemented, "not_available", x.T("err.unavailable"))
		return
	}
	rc := http.NewResponseController(x.w)
	ch, stop := s.o.Tap.Subscribe(traceBuffer)
	defer stop()
	h := x.w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no")
	x.w.WriteHeader(http.StatusOK)
	w := bufio.NewWriter(x.w)
	fmt.Fprintf(w, "retry: 3000\nevent: ready\ndata: {}\n\n")
	w.Flush()
	rc.Flush()
	end := time.NewTimer(TraceStreamMax)
	defer end.Stop()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-x.r.Context().Done():
			return
		case <-end.C:
			fmt.Fprintf(w, "event: end\ndata: {}\n\n")
			w.Flush()
			rc.Flush()
			return
		case <-ping.C:
			w.WriteString(": ping\n\n")
		case m := <-ch:
			b, err := json.Marshal(toTrace(m))
			if err != nil {
				continue
			}
			w.WriteString("event: sip\ndata: ")
			w.Write(b) // JSON has no raw newlines
			w.WriteString("\n\n")
		}
		if err := w.Flush(); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// capture answers POST /diag/capture (fields seconds and limit, in KiB):
// a libpcap file of the VoIP traffic (SIP, RTP, RTCP) for that long or
// until the file reaches the limit, streamed as it is captured.
func (s *Server) capture(x *rx) {
	d := s.diagData()
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	if s.o.Tap == nil {
		d.Error = x.T("err.unavailable")
		s.diagResult(x, http.StatusNotImplemented, d)
		return
	}
	dur := CaptureDefault
	if t := strings.TrimSpace(v["seconds"]); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || time.Duration(n)*time.Second < CaptureMin || time.Duration(n)*time.Second > CaptureMax {
			d.Error = x.T("capture.badseconds", int(CaptureMin/time.Second), int(CaptureMax/time.Second))
			s.diagResult(x, http.StatusUnprocessableEntity, d)
			return
		}
		dur = time.Duration(n) * time.Second
	}
	limit := int64(CaptureLimitDefault)
	if t := strings.TrimSpace(v["limit"]); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n < 1 || n > CaptureLimitMax {
			d.Error = x.T("capture.badlimit", CaptureLimitMax)
			s.diagResult(x, http.StatusUnprocessableEntity, d)
			return
		}
		limit = n
	}
	limit <<= 10
	if !s.capturing.CompareAndSwap(false, true) {
		d.Error = x.T("capture.busy")
		s.diagResult(x, http.StatusConflict, d)
		return
	}
	defer s.capturing.Store(false)
	ch, stop := s.o.Tap.SubscribeAll(4 * traceBuffer)
	defer stop()
	name := fmt.Sprintf("openiad-%s.pcap", s.now().UTC().Format("20060102-150405"))
	h := x.w.Header()
	h.Set("Content-Type", "application/vnd.tcpdump.pcap")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	x.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(x.w)
	w := bufio.NewWriterSize(x.w, 32<<10)
	pw, err := newPcapWriter(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = rc.Flush()
	}
	if err != nil {
		return
	}
	s.log.Info("webui: packet capture started", "user", x.sess.user, "seconds", int(dur/time.Second), "limitBytes", limit)
	ctx, cancel := context.WithTimeout(x.r.Context(), dur)
	defer cancel()
	flush := time.NewTicker(time.Second)
	defer flush.Stop()
	why := "time"
loop:
	for {
		select {
		case <-ctx.Done():
			if x.r.Context().Err() != nil {
				why = "client gone"
			}
			break loop
		case <-flush.C:
			if w.Flush() != nil || rc.Flush() != nil {
				why = "client gone"
				break loop
			}
		case m := <-ch:
			src, dst := m.Remote, m.Local
			if m.Sent {
				src, dst = m.Local, m.Remote
			}
			if !src.IsValid() {
				src = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
			}
			if !dst.IsValid() {
				dst = netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
			}
			if pw.n+pcapSize(src, dst, len(m.Data)) > limit {
				why = "size limit"
				break loop
			}
			if err := pw.write(m.At, src, dst, m.Data); err != nil {
				why = "client gone"
				break loop
			}
		}
	}
	w.Flush()
	s.log.Info("webui: packet capture ended", "user", x.sess.user, "packets", pw.packets, "bytes", pw.n, "why", why)
}
