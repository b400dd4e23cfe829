package cdr

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// Defaults of Options.
const (
	DefaultMaxFileBytes = 256 << 10
	DefaultMaxFiles     = 8
)

var (
	errBroken = errors.New("cdr: storage failing")
	// ErrTampered is wrapped by the error of Verify's Report when the
	// chain is broken.
	ErrTampered = errors.New("cdr: records altered or removed")
)

// Options tune a Store.
type Options struct {
	FS           config.FS // nil: the operating system's
	MaxFileBytes int       // a file is closed when it reaches this size; DefaultMaxFileBytes when 0
	MaxFiles     int       // files kept, the oldest dropped beyond; DefaultMaxFiles when 0 (at least 2)
	Log          *slog.Logger
}

// Store is the append-only record store of one folder.
type Store struct {
	fs  config.FS
	dir string
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	broken   error  // a write failed: reload from storage before the next append
	anchor   anchor // the point the chain starts from
	files    []span // the files kept, oldest first
	lastSeq  uint64 // the newest record (the anchor's when there is none)
	lastHash string
	curSize  int // bytes in the newest file
}

// span is one file: how many records it holds and the last of them. The
// records themselves stay on storage (a box has little memory); Query
// reads them back.
type span struct {
	index    int
	n        int
	lastSeq  uint64
	lastHash string
}

// anchor is where the kept chain begins: the first file kept and the
// last record dropped before it.
type anchor struct {
	File int    `json:"file"`
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// head is the newest record appended, written after each append.
type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
	File int    `json:"file"`
}

const (
	maxMissing = 64 // missing files in a row that scan looks past
	anchorName = "anchor.json"
	headName   = "head.json"
)

func fileName(i int) string { return fmt.Sprintf("cdr-%08d.jsonl", i) }

// Open opens (creating when needed) the store in dir. A record torn by a
// power cut at the end of the newest file is dropped; anything else that
// does not check out is left as found for Verify to report.
func Open(dir string, o Options) (*Store, error) {
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	o.MaxFiles = max(o.MaxFiles, 2)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.FS == nil {
		o.FS = config.OSFS{}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("cdr: %w", err)
		}
	}
	s := &Store{fs: o.FS, dir: dir, o: o, log: o.Log}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the store's state from storage, dropping a torn last record.
func (s *Store) load() error {
	sc, err := scan(s.fs, s.dir)
	if err != nil {
		return err
	}
	s.anchor, s.files, s.curSize = sc.anchor, sc.files, sc.lastSize
	s.lastSeq, s.lastHash = lastOf(sc)
	if sc.torn {
		// Rewrite the newest file with its good records only, so that the
		// next record starts on a line of its own.
		last := s.files[len(s.files)-1]
		s.log.Warn("cdr: dropping a record torn by a power cut", "file", fileName(last.index))
		if err := s.rewrite(last, sc.recs[len(sc.recs)-last.n:]); err != nil {
			return err
		}
	}
	// Files older than the anchor are left over from a rotation cut short.
	for i := sc.anchor.File - 1; i >= 1; i-- {
		if err := s.fs.Remove(s.path(fileName(i))); err != nil {
			break
		}
	}
	return nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// rewrite replaces file sp with the canonical lines of its records.
func (s *Store) rewrite(sp span, recs []Record) error {
	var buf bytes.Buffer
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("cdr: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if err := s.writeAtomic(fileName(sp.index), buf.Bytes()); err != nil {
		return err
	}
	s.curSize = buf.Len()
	return nil
}

// writeAtomic replaces name with data: a temporary file made durable,
// renamed over it, and the rename made durable.
func (s *Store) writeAtomic(name string, data []byte) error {
	if err := config.ReplaceFile(s.fs, s.dir, name, data); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	return nil
}

// hashOf is the SHA-256 of r's JSON with Hash empty (Prev included, which
// chains it to the record before).
func hashOf(r Record) (string, error) {
	r.Hash = ""
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("cdr: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Append adds r to the store and returns it as stored: with its sequence
// number, chain hashes, times in UTC and Duration and Q850 filled in when
// they were left zero. The record is durable when Append returns nil.
func (s *Store) Append(r Record) (Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken != nil {
		// A write failed earlier (a full or failing flash): start again
		// from what storage holds, which drops a half-written record.
		if err := s.load(); err != nil {
			return Record{}, fmt.Errorf("%w: %w", errBroken, err)
		}
		s.broken = nil
	}
	r.Seq, r.Prev = s.lastSeq+1, s.lastHash
	r.Start, r.Answer, r.End = utc(r.Start), utc(r.Answer), utc(r.End)
	if r.Duration == 0 && !r.Answer.IsZero() && r.End.After(r.Answer) {
		r.Duration = r.End.Sub(r.Answer)
	}
	if r.Q850 == 0 && r.Cause != "" {
		r.Q850 = Q850(r.Cause)
	}
	h, err := hashOf(r)
	if err != nil {
		return Record{}, err
	}
	r.Hash = h
	line, err := json.Marshal(r)
	if err != nil {
		return Record{}, fmt.Errorf("cdr: %w", err)
	}
	line = append(line, '\n')

	newFile := len(s.files) == 0 || s.curSize > 0 && s.curSize+len(line) > s.o.MaxFileBytes
	idx := s.anchor.File
	if idx == 0 {
		idx = 1
	}
	if len(s.files) > 0 {
		idx = s.files[len(s.files)-1].index
		if newFile {
			idx++
		}
	}
	created := newFile || s.files[len(s.files)-1].n == 0
	if err := s.appendLine(idx, line, created); err != nil {
		s.broken = err
		return Record{}, err
	}
	if newFile {
		s.files = append(s.files, span{index: idx})
		s.curSize = 0
	}
	cur := &s.files[len(s.files)-1]
	cur.n++
	cur.lastSeq, cur.lastHash = r.Seq, r.Hash
	s.curSize += len(line)
	s.lastSeq, s.lastHash = r.Seq, r.Hash
	hb, _ := json.Marshal(head{Seq: r.Seq, Hash: r.Hash, File: idx})
	if err := s.writeAtomic(headName, hb); err != nil {
		// The record is durable; only the head lags, which Open accepts.
		s.broken = err
		return r, nil
	}
	if len(s.files) > s.o.MaxFiles {
		if err := s.dropOldest(); err != nil {
			s.broken = err
		}
	}
	return r, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Round(0)
}

func (s *Store) appendLine(idx int, line []byte, created bool) error {
	f, err := s.fs.Append(s.path(fileName(idx)))
	if err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("cdr: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cdr: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	if created {
		if err := s.fs.SyncDir(s.dir); err != nil {
			return fmt.Errorf("cdr: %w", err)
		}
	}
	return nil
}

// dropOldest removes the oldest file after moving the anchor past it.
func (s *Store) dropOldest() error {
	old := s.files[0]
	a := anchor{File: s.files[1].index, Seq: s.anchor.Seq, Hash: s.anchor.Hash}
	if old.n > 0 {
		a.Seq, a.Hash = old.lastSeq, old.lastHash
	}
	b, _ := json.Marshal(a)
	if err := s.writeAtomic(anchorName, b); err != nil {
		return err
	}
	s.anchor = a
	s.files = s.files[1:]
	if err := s.fs.Remove(s.path(fileName(old.index))); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		return fmt.Errorf("cdr: %w", err)
	}
	s.log.Info("cdr: oldest records dropped", "file", fileName(old.index), "up to seq", a.Seq)
	return nil
}

// scanned is what scan found on storage.
type scanned struct {
	anchor   anchor
	head     head
	hasHead  bool
	files    []span
	recs     []Record
	lastSize int  // bytes of good records in the newest file
	torn     bool // the newest file ends with a torn or non-canonical tail
	problem  string
	firstBad uint64
}

// scan reads the anchor, the head and every file from the anchor on.
func scan(fsys config.FS, dir string) (*scanned, error) {
	sc := &scanned{anchor: anchor{File: 1}}
	if b, err := fsys.ReadFile(filepath.Join(dir, anchorName)); err == nil {
		if err := json.Unmarshal(b, &sc.anchor); err != nil || sc.anchor.File < 1 {
			sc.note(1, "the anchor file is unreadable")
			sc.anchor = anchor{File: 1}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cdr: %w", err)
	}
	if b, err := fsys.ReadFile(filepath.Join(dir, headName)); err == nil {
		if json.Unmarshal(b, &sc.head) == nil {
			sc.hasHead = true
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cdr: %w", err)
	}
	var datas [][]byte
	missing := 0
	for i := sc.anchor.File; ; i++ {
		b, err := fsys.ReadFile(filepath.Join(dir, fileName(i)))
		if errors.Is(err, fs.ErrNotExist) {
			// A file in the middle may be missing (the chain check says
			// which records went with it); a few, not a damaged head's
			// billion.
			if missing++; sc.hasHead && i < sc.head.File && missing <= maxMissing {
				continue
			}
			break
		}
		missing = 0
		if err != nil {
			return nil, fmt.Errorf("cdr: %w", err)
		}
		sc.files = append(sc.files, span{index: i})
		datas = append(datas, b)
	}
	prevSeq, prevHash := sc.anchor.Seq, sc.anchor.Hash
	for fi, data := range datas {
		newest := fi == len(datas)-1
		recs, good, bad := parseFile(data)
		if bad && newest {
			// Only the last line may be torn by a power cut: a bad line
			// before good ones is damage, not a cut.
			sc.torn = true
		} else if bad {
			sc.note(prevSeq+1, fmt.Sprintf("unreadable data in %s after record %d", fileName(sc.files[fi].index), prevSeq))
		}
		for _, r := range recs {
			sc.check(r, prevSeq, prevHash)
			prevSeq, prevHash = r.Seq, r.Hash
		}
		sc.files[fi].n = len(recs)
		if len(recs) > 0 {
			sc.files[fi].lastSeq, sc.files[fi].lastHash = recs[len(recs)-1].Seq, recs[len(recs)-1].Hash
		}
		sc.recs = append(sc.recs, recs...)
		if newest {
			sc.lastSize = good
			if good != len(data) {
				sc.torn = true
			}
		}
	}
	// The newest file may have been created just before a power cut and
	// hold nothing: keep it as the current one.
	if sc.hasHead && sc.head.Seq > prevSeq {
		sc.note(prevSeq+1, fmt.Sprintf("records %d to %d were removed from the end", prevSeq+1, sc.head.Seq))
	} else if sc.hasHead && sc.head.Seq != 0 {
		// The head names a record we hold (or the one before the newest,
		// when a power cut came between the record and the head): its
		// hash must match.
		for i := len(sc.recs) - 1; i >= 0 && i >= len(sc.recs)-2; i-- {
			if sc.recs[i].Seq == sc.head.Seq && sc.recs[i].Hash != sc.head.Hash {
				sc.note(sc.head.Seq, fmt.Sprintf("record %d was altered (the head file remembers another)", sc.head.Seq))
			}
		}
	}
	return sc, nil
}

// note keeps the first problem found.
func (sc *scanned) note(seq uint64, problem string) {
	if sc.problem == "" {
		sc.problem, sc.firstBad = problem, seq
	}
}

func (sc *scanned) check(r Record, prevSeq uint64, prevHash string) {
	h, err := hashOf(r)
	switch {
	case err != nil || h != r.Hash:
		sc.note(r.Seq, fmt.Sprintf("record %d was altered (its hash does not match its contents)", r.Seq))
	case r.Seq != prevSeq+1 && r.Seq > prevSeq+1:
		if prevSeq == sc.anchor.Seq && len(sc.recs) == 0 {
			sc.note(prevSeq+1, fmt.Sprintf("records %d to %d were removed from the start", prevSeq+1, r.Seq-1))
		} else {
			sc.note(prevSeq+1, fmt.Sprintf("records %d to %d were removed", prevSeq+1, r.Seq-1))
		}
	case r.Seq != prevSeq+1:
		sc.note(r.Seq, fmt.Sprintf("record %d is out of order (after record %d)", r.Seq, prevSeq))
	case r.Prev != prevHash:
		sc.note(r.Seq, fmt.Sprintf("record %d does not follow record %d (chain broken: a record was altered, removed or inserted)", r.Seq, prevSeq))
	}
}

// parseFile splits data into records. good is the length of the prefix
// made of well-formed lines, bad says that something did not parse.
// Parsing stops at the first bad line.
func parseFile(data []byte) (recs []Record, good int, bad bool) {
	rest := data
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return recs, good, true
		}
		var r Record
		if err := json.Unmarshal(rest[:i], &r); err != nil || r.Seq == 0 || r.Hash == "" {
			return recs, good, true
		}
		canon, err := json.Marshal(r)
		if err != nil || !bytes.Equal(canon, rest[:i]) {
			// Not as Append writes it: count it as damage.
			return recs, good, true
		}
		recs = append(recs, r)
		good += i + 1
		rest = rest[i+1:]
	}
	return recs, good, false
}

// Report is what Verify found.
type Report struct {
	OK       bool   `json:"ok"`
	Records  int    `json:"records"`  // records read back
	First    uint64 `json:"first"`    // their sequence numbers
	Last     uint64 `json:"last"`     //
	FirstBad uint64 `json:"firstBad"` // the first record altered or missing; 0 when OK
	Problem  string `json:"problem"`  // for people; "" when OK
}

// Err is nil when the chain holds, else an error wrapping ErrTampered.
func (r Report) Err() error {
	if r.OK {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrTampered, r.Problem)
}

// Verify reads every record back from storage and checks the chain from
// the anchor to the head.
func (s *Store) Verify() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := scan(s.fs, s.dir)
	if err != nil {
		return Report{Problem: err.Error()}
	}
	if sc.torn && sc.problem == "" {
		sc.note(lastSeq(sc)+1, fmt.Sprintf("unreadable data at the end, after record %d", lastSeq(sc)))
	}
	if last, _ := lastOf(sc); last < s.lastSeq && sc.problem == "" {
		sc.note(last+1, fmt.Sprintf("records %d to %d were removed from the end", last+1, s.lastSeq))
	}
	rep := Report{OK: sc.problem == "", Records: len(sc.recs), FirstBad: sc.firstBad, Problem: sc.problem}
	if len(sc.recs) > 0 {
		rep.First, rep.Last = sc.recs[0].Seq, sc.recs[len(sc.recs)-1].Seq
	}
	return rep
}

func lastSeq(sc *scanned) uint64 {
	seq, _ := lastOf(sc)
	return seq
}

// lastOf is the newest record scan found, or the anchor's.
func lastOf(sc *scanned) (uint64, string) {
	if n := len(sc.recs); n > 0 {
		return sc.recs[n-1].Seq, sc.recs[n-1].Hash
	}
	return sc.anchor.Seq, sc.anchor.Hash
}

// Query selects records, newest first.
type Query struct {
	From, To time.Time // Start in [From, To); zero: unbounded
	Port     int       // 0: every port
	Limit    int       // 0: all
}

func (q Query) match(r Record) bool {
	if q.Port != 0 && r.Port != q.Port {
		return false
	}
	if !q.From.IsZero() && r.Start.Before(q.From) {
		return false
	}
	if !q.To.IsZero() && !r.Start.Before(q.To) {
		return false
	}
	return true
}

// Query returns the records that match q, newest first. It reads them
// from storage, newest file first, until it has q.Limit of them.
func (s *Store) Query(q Query) ([]Record, error) {
	s.mu.Lock()
	files := slices.Clone(s.files)
	s.mu.Unlock()
	var out []Record
	for i := len(files) - 1; i >= 0; i-- {
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
		if files[i].n == 0 {
			continue
		}
		data, err := s.fs.ReadFile(s.path(fileName(files[i].index)))
		if errors.Is(err, fs.ErrNotExist) {
			continue // dropped by a rotation meanwhile
		}
		if err != nil {
			return out, fmt.Errorf("cdr: %w", err)
		}
		recs, _, _ := parseFile(data)
		// Records appended after the snapshot are left for the next query.
		recs = recs[:min(len(recs), files[i].n)]
		for k := len(recs) - 1; k >= 0; k-- {
			if q.Limit > 0 && len(out) >= q.Limit {
				break
			}
			if q.match(recs[k]) {
				out = append(out, recs[k])
			}
		}
	}
	return out, nil
}

// Last returns up to n of the newest records, newest first.
func (s *Store) Last(n int) []Record {
	out, _ := s.Query(Query{Limit: n})
	return out
}

// Len is the number of records kept.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.files {
		n += f.n
	}
	return n
}
