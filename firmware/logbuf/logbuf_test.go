package logbuf

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 5, 1, 12, 30, 45, 123_000_000, time.UTC)

func messages(recs []Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, r.Message)
	}
	return strings.Join(s, ",")
}

func TestRing(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		logs  int
		min   slog.Level
		n     int
		want  string
		wantN int
	}{
		{"empty", 3, 0, slog.LevelInfo, 0, "", 0},
		{"not full", 3, 2, slog.LevelInfo, 0, "m0,m1", 2},
		{"full", 3, 3, slog.LevelInfo, 0, "m0,m1,m2", 3},
		{"wrapped", 3, 7, slog.LevelInfo, 0, "m4,m5,m6", 3},
		{"last two", 3, 7, slog.LevelInfo, 2, "m5,m6", 3},
		{"more than kept", 3, 7, slog.LevelInfo, 10, "m4,m5,m6", 3},
		{"warn and up", 5, 5, slog.LevelWarn, 0, "m1,m3", 5},
		{"warn last one", 5, 5, slog.LevelWarn, 1, "m3", 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{Size: tc.size})
			log := slog.New(b)
			for i := range tc.logs {
				lv := slog.LevelInfo
				if i%2 == 1 {
					lv = slog.LevelWarn
				}
				log.Log(context.Background(), lv, fmt.Sprintf("m%d", i))
			}
			if got := messages(b.Records(tc.min, tc.n)); got != tc.want {
				t.Errorf("Records(%v, %d) = %q, want %q", tc.min, tc.n, got, tc.want)
			}
			if b.Len() != tc.wantN || b.Cap() != tc.size {
				t.Errorf("Len %d Cap %d, want %d %d", b.Len(), b.Cap(), tc.wantN, tc.size)
			}
		})
	}
}

func TestLevelFilter(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	b := New(Options{Level: &lv})
	log := slog.New(b)
	log.Info("dropped")
	log.Warn("kept")
	lv.Set(slog.LevelDebug)
	log.Debug("debug kept")
	if got := messages(b.Records(slog.LevelDebug, 0)); got != "kept,debug kept" {
		t.Fatalf("stored %q", got)
	}
	if b.Enabled(context.Background(), slog.LevelDebug-1) {
		t.Error("enabled below the level")
	}
	if New(Options{}).Enabled(context.Background(), slog.LevelDebug) {
		t.Error("default level stores debug")
	}
}

func TestSeqAndFields(t *testing.T) {
	b := New(Options{Size: 2})
	h := b.WithAttrs([]slog.Attr{slog.String("sub", "line")}).WithGroup("port")
	rec := slog.NewRecord(t0, slog.LevelWarn, "state", 0)
	rec.AddAttrs(slog.Int("n", 1), slog.Group("g", slog.Bool("ok", true)), slog.Any("err", errors.New("boom")),
		slog.Attr{}, slog.Group("empty"), slog.Time("at", t0))
	if err := h.Handle(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	got := b.Records(slog.LevelDebug, 0)
	if len(got) != 1 {
		t.Fatalf("%d records", len(got))
	}
	r := got[0]
	want := []Attr{{"sub", "line"}, {"port.n", "1"}, {"port.g.ok", "true"}, {"port.err", "boom"}, {"port.at", "2026-05-01T12:30:45.123Z"}}
	if fmt.Sprint(r.Attrs) != fmt.Sprint(want) {
		t.Errorf("attrs %v, want %v", r.Attrs, want)
	}
	if r.Seq != 1 || !r.Time.Equal(t0) || r.Level != slog.LevelWarn {
		t.Errorf("record %+v", r)
	}
	if b.WithAttrs(nil) != slog.Handler(b) || b.WithGroup("") != slog.Handler(b) {
		t.Error("empty WithAttrs/WithGroup should return the handler itself")
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		rec  Record
		want string
	}{
		{Record{Time: t0, Level: slog.LevelInfo, Message: "config: updated", Attrs: []Attr{{"revision", "3"}, {"who", "admin@ttyS0"}}},
			`12:30:45.123 INFO  config: updated revision=3 who=admin@ttyS0`},
		{Record{Time: t0, Level: slog.LevelError, Message: "x", Attrs: []Attr{{"err", `bad "thing" here`}, {"empty", ""}}},
			`12:30:45.123 ERROR x err="bad \"thing\" here" empty=""`},
		{Record{Level: slog.LevelDebug, Message: "a\nb"}, `--:--:--.--- DEBUG "a\nb"`},
		{Record{Time: t0, Level: slog.LevelWarn + 2, Message: "m", Attrs: []Attr{{"k", "a=b"}}}, `12:30:45.123 WARN+2 m k="a=b"`},
	}
	for _, tc := range tests {
		if got := tc.rec.String(); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestSubscribe(t *testing.T) {
	b := New(Options{Size: 10, Level: slog.LevelDebug})
	log := slog.New(b)
	log.Info("before")
	warn := b.Subscribe(slog.LevelWarn, 2)
	all := b.Subscribe(slog.LevelDebug, 10)
	log.Debug("d")
	log.Warn("w1")
	log.Error("e1")
	log.Warn("w2") // warn's channel is full: dropped
	var got []string
	for range 2 {
		got = append(got, (<-warn.C()).Message)
	}
	if strings.Join(got, ",") != "w1,e1" || warn.Dropped() != 1 {
		t.Errorf("warn subscriber got %v, dropped %d", got, warn.Dropped())
	}
	if len(all.C()) != 4 || all.Dropped() != 0 {
		t.Errorf("all subscriber holds %d, dropped %d", len(all.C()), all.Dropped())
	}
	warn.Close()
	warn.Close()
	if _, ok := <-warn.C(); ok {
		t.Error("closed subscription still delivers")
	}
	log.Warn("after close") // must not panic on the closed channel
	all.Close()
}

// Tail must neither miss nor repeat a record while other goroutines log.
func TestTailNoGap(t *testing.T) {
	b := New(Options{Size: 10000})
	log := slog.New(b)
	const writers, each = 4, 500
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range each {
				log.Info("m", "w", w, "i", i)
			}
		})
	}
	close(start)
	recs, sub := b.Tail(slog.LevelInfo, -1, writers*each)
	wg.Wait()
	sub.Close()
	seen := map[uint64]bool{}
	for _, r := range recs {
		seen[r.Seq] = true
	}
	for r := range sub.C() {
		if seen[r.Seq] {
			t.Fatalf("record %d delivered twice", r.Seq)
		}
		seen[r.Seq] = true
	}
	if len(seen) != writers*each {
		t.Fatalf("saw %d records, want %d", len(seen), writers*each)
	}
	for i := uint64(1); i <= writers*each; i++ {
		if !seen[i] {
			t.Fatalf("record %d missed", i)
		}
	}
	if r, s := b.Tail(slog.LevelInfo, 0, 0); r != nil || cap(s.c) != 1 {
		t.Errorf("Tail(n=0) = %d records, buffer %d", len(r), cap(s.c))
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want slog.Level
		ok   bool
	}{
		{"debug", slog.LevelDebug, true},
		{"INFO", slog.LevelInfo, true},
		{"warn", slog.LevelWarn, true},
		{"Warning", slog.LevelWarn, true},
		{"error", slog.LevelError, true},
		{"info+2", slog.LevelInfo + 2, true},
		{"loud", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := ParseLevel(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func ExampleBuffer() {
	logs := New(Options{Size: 100})
	// In the firmware the buffer sits beside the text log:
	// slog.New(slog.NewMultiHandler(slog.NewTextHandler(os.Stdout, nil), logs))
	log := slog.New(logs)
	log.Info("line: state", "port", 1, "to", "dialtone")
	log.Warn("sim: phone left", "port", 2)
	for _, r := range logs.Records(slog.LevelWarn, 10) {
		fmt.Println(r.Message, r.Attrs)
	}
	// Output: sim: phone left [{port 2}]
}
