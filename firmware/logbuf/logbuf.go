// Package logbuf keeps the firmware's recent log in memory: a slog.Handler
// that stores the last N records in a ring, filtered by level, and hands new
// records to live subscribers. The serial console's `log tail` reads it, and
// later the web page will.
//
// A Buffer is a slog.Handler; combine it with the handler that writes the
// log out (slog.NewMultiHandler). Records are flattened when they are
// handled: attributes become key=value strings, groups are joined with dots,
// so a stored Record is plain data that nothing else references.
//
// Concurrency: every method may be called from any goroutine. Handle never
// blocks on a subscriber: a subscriber whose channel is full loses the
// record and the loss is counted (Subscription.Dropped).
package logbuf

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultSize is the number of records kept when Options.Size is 0.
const DefaultSize = 1000

// Attr is one flattened attribute of a record.
type Attr struct {
	Key   string // group names and the key, joined with "."
	Value string
}

// Record is one stored log record.
type Record struct {
	Seq     uint64 // 1, 2, 3 ... in the order the buffer received the records
	Time    time.Time
	Level   slog.Level
	Message string
	Attrs   []Attr
}

// String formats r on one line: "15:04:05.000 INFO  message key=value".
// Values with spaces, quotes or control characters are quoted.
func (r Record) String() string {
	return string(r.AppendText(nil))
}

// AppendText appends the String form of r to dst.
func (r Record) AppendText(dst []byte) []byte {
	if r.Time.IsZero() {
		dst = append(dst, "--:--:--.---"...)
	} else {
		dst = r.Time.AppendFormat(dst, "15:04:05.000")
	}
	dst = append(dst, ' ')
	lv := r.Level.String()
	dst = append(dst, lv...)
	for i := len(lv); i < 5; i++ {
		dst = append(dst, ' ')
	}
	dst = append(dst, ' ')
	dst = appendValue(dst, r.Message, false)
	for _, a := range r.Attrs {
		dst = append(dst, ' ')
		dst = appendValue(dst, a.Key, false)
		dst = append(dst, '=')
		dst = appendValue(dst, a.Value, true)
	}
	return dst
}

// appendValue appends s, quoted when it would not read back as one word
// (values) or would hide control characters (messages and keys).
func appendValue(dst []byte, s string, word bool) []byte {
	needs := !utf8.ValidString(s)
	for _, r := range s {
		if !unicode.IsPrint(r) || word && (r == ' ' || r == '"' || r == '=') {
			needs = true
			break
		}
	}
	if word && s == "" {
		needs = true
	}
	if needs {
		return strconv.AppendQuote(dst, s)
	}
	return append(dst, s...)
}

// Options configure a Buffer.
type Options struct {
	// Size is the number of records kept (DefaultSize when 0).
	Size int
	// Level is the lowest level stored; nil means slog.LevelInfo. Pass a
	// *slog.LevelVar to change it while the firmware runs.
	Level slog.Leveler
}

// Buffer is the ring of recent records and a slog.Handler that fills it.
// Handlers derived with WithAttrs and WithGroup share the ring.
type Buffer struct {
	r      *ring
	attrs  []Attr // from WithAttrs, already prefixed
	prefix string // open groups, "a.b."
}

type ring struct {
	level slog.Leveler

	mu   sync.Mutex
	recs []Record // circular, len == capacity once full
	next int      // where the next record goes once full
	seq  uint64
	subs map[*Subscription]struct{}
}

// New returns an empty buffer.
func New(o Options) *Buffer {
	n := o.Size
	if n <= 0 {
		n = DefaultSize
	}
	lv := o.Level
	if lv == nil {
		lv = slog.LevelInfo
	}
	return &Buffer{r: &ring{
		level: lv,
		recs:  make([]Record, 0, n),
		subs:  map[*Subscription]struct{}{},
	}}
}

// Enabled reports whether records at level l are stored.
func (b *Buffer) Enabled(_ context.Context, l slog.Level) bool {
	return l >= b.r.level.Level()
}

// Handle stores rec and sends it to the subscribers that want its level.
func (b *Buffer) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level < b.r.level.Level() {
		return nil
	}
	out := Record{Time: rec.Time, Level: rec.Level, Message: rec.Message}
	out.Attrs = make([]Attr, len(b.attrs), len(b.attrs)+rec.NumAttrs())
	copy(out.Attrs, b.attrs)
	rec.Attrs(func(a slog.Attr) bool {
		out.Attrs = flatten(out.Attrs, b.prefix, a)
		return true
	})
	b.r.add(out)
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (b *Buffer) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return b
	}
	nb := *b
	nb.attrs = slices.Clip(slices.Clone(b.attrs))
	for _, a := range attrs {
		nb.attrs = flatten(nb.attrs, b.prefix, a)
	}
	return &nb
}

// WithGroup returns a handler that puts later attributes under name.
func (b *Buffer) WithGroup(name string) slog.Handler {
	if name == "" {
		return b
	}
	nb := *b
	nb.prefix = b.prefix + name + "."
	return &nb
}

// flatten appends a (resolved, groups expanded) to dst.
func flatten(dst []Attr, prefix string, a slog.Attr) []Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		g := v.Group()
		if len(g) == 0 {
			return dst
		}
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, ga := range g {
			dst = flatten(dst, p, ga)
		}
		return dst
	}
	if a.Key == "" && v.Any() == nil {
		return dst // the empty attribute is ignored, as slog's handlers do
	}
	var s string
	switch v.Kind() {
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = v.String()
		}
	default:
		s = v.String()
	}
	return append(dst, Attr{Key: prefix + a.Key, Value: s})
}

func (r *ring) add(rec Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	rec.Seq = r.seq
	if len(r.recs) < cap(r.recs) {
		r.recs = append(r.recs, rec)
	} else {
		r.recs[r.next] = rec
		r.next = (r.next + 1) % len(r.recs)
	}
	for s := range r.subs {
		if rec.Level < s.min {
			continue
		}
		select {
		case s.c <- rec:
		default:
			s.dropped.Add(1)
		}
	}
}

// snapshot returns the last n records at or above min, oldest first. r.mu
// is held.
func (r *ring) snapshot(min slog.Level, n int) []Record {
	var out []Record
	total := len(r.recs)
	for i := total - 1; i >= 0 && (n <= 0 || len(out) < n); i-- {
		rec := r.recs[(r.next+i)%total]
		if rec.Level >= min {
			out = append(out, rec)
		}
	}
	slices.Reverse(out)
	return out
}

// Records returns up to n of the most recent stored records at or above
// level min, oldest first (all of them when n <= 0).
func (b *Buffer) Records(min slog.Level, n int) []Record {
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	return b.r.snapshot(min, n)
}

// Len is the number of records stored; Cap the most it keeps.
func (b *Buffer) Len() int {
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	return len(b.r.recs)
}

// Cap is the number of records the buffer keeps.
func (b *Buffer) Cap() int { return cap(b.r.recs) }

// Subscription receives the records stored after it began.
type Subscription struct {
	r       *ring
	min     slog.Level
	c       chan Record
	dropped atomic.Uint64
	once    sync.Once
}

// C delivers the records. It is closed by Close.
func (s *Subscription) C() <-chan Record { return s.c }

// Dropped counts the records lost because C was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes C. It may be called more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.r.mu.Lock()
		delete(s.r.subs, s)
		close(s.c)
		s.r.mu.Unlock()
	})
}

// Subscribe returns a subscription to the records at or above min stored
// from now on; its channel holds up to buffer records (at least 1).
func (b *Buffer) Subscribe(min slog.Level, buffer int) *Subscription {
	_, s := b.Tail(min, 0, buffer)
	return s
}

// Tail returns the last n stored records at or above min (see Records;
// none when n is 0, all when n < 0) and a subscription to the ones that
// follow, taken together so that no record is missed or repeated.
func (b *Buffer) Tail(min slog.Level, n, buffer int) ([]Record, *Subscription) {
	s := &Subscription{r: b.r, min: min, c: make(chan Record, max(buffer, 1))}
	b.r.mu.Lock()
	defer b.r.mu.Unlock()
	var recs []Record
	if n != 0 {
		recs = b.r.snapshot(min, n)
	}
	b.r.subs[s] = struct{}{}
	return recs, s
}

// ParseLevel reads a level name as people type it: "debug", "info",
// "warn" or "warning", "error" (any case), or slog's "INFO+2" forms.
func ParseLevel(s string) (slog.Level, bool) {
	var l slog.Level
	if strings.EqualFold(s, "warning") {
		return slog.LevelWarn, true
	}
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, false
	}
	return l, true
}
