package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Names of the files in the store directory.
const (
	FileName  = "config.json"
	PrevName  = FileName + ".prev"
	TempName  = FileName + ".tmp"
	AuditName = "audit.log"
)

var (
	errSource  = errors.New("config: unknown source")
	errRead    = errors.New("config: cannot read")
	errManaged = errors.New("is managed by the store")
)

// LockedError is returned by Update when a change touches a field the
// carrier locked and the change does not come from SourceCWMP.
type LockedError struct {
	Field string // the field the update tried to change
	Lock  string // the locked path that covers it ("locks" for the locks themselves)
	By    Source
	At    time.Time
}

func (e *LockedError) Error() string {
	if e.Lock == "locks" {
		return fmt.Sprintf("config: %s: carrier locks can only be changed by %s", e.Field, SourceCWMP)
	}
	var b strings.Builder
	b.WriteString("config: ")
	b.WriteString(e.Field)
	b.WriteString(" is locked")
	if e.Lock != e.Field {
		b.WriteString(" (lock on " + e.Lock + ")")
	}
	b.WriteString(" by " + string(e.By))
	if !e.At.IsZero() {
		b.WriteString(" since " + e.At.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Store keeps the configuration in effect, in memory and in a directory of
// an FS. See the package comment for the files and guarantees.
type Store struct {
	fsys FS
	dir  string
	log  *slog.Logger
	now  func() time.Time

	cur atomic.Pointer[Config] // the configuration in effect; never modified

	mu          sync.Mutex // serialises Update and Audit; guards the fields below
	rev         int64      // highest revision used, committed or not
	primaryGood bool       // config.json holds the configuration in effect
	auditTorn   bool       // audit.log may end in a torn line

	wmu      sync.Mutex
	watchers map[chan Config]struct{}
}

// Open loads the configuration from dir (which must exist) in fsys.
//
// It reads config.json; if that is missing or damaged (unreadable, not
// JSON, unknown fields, a newer schema, invalid) it logs the reason and uses
// config.json.prev. If neither is usable it writes def, recording it in the
// audit log with source "default". def must be valid; log may be nil.
//
// Open fails only when def is invalid: a box must come up. Failures to
// read the audit log or to write the defaults are logged; the store then
// runs on def in memory and writes on the next Update. When a file exists
// but cannot be read (an I/O error rather than bad content), the defaults
// are not written over it.
func Open(fsys FS, dir string, def Config, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	def = def.Clone()
	def.Revision = 0
	if err := def.Validate(); err != nil {
		return nil, fmt.Errorf("config: invalid defaults: %w", err)
	}
	s := &Store{
		fsys:     fsys,
		dir:      dir,
		log:      log,
		now:      time.Now,
		watchers: map[chan Config]struct{}{},
	}
	audit, err := readAudit(fsys, s.path(AuditName))
	if err != nil {
		// Keep the box configurable; new records go on a fresh line.
		log.Error("config: cannot read the audit log; revisions may repeat", "err", err)
		audit = auditLog{torn: true}
	}
	if audit.damaged > 0 {
		log.Warn("config: audit log has damaged lines (power cut while writing); skipped", "lines", audit.damaged)
	}
	s.auditTorn = audit.torn

	// A replacement that was being written when the power went is useless.
	if err := fsys.Remove(s.path(TempName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("config: cannot remove left-over temporary file", "err", err)
	}

	cfg, from, why, unreadable := s.load()
	if from == "" {
		cfg = def
	}
	s.rev = max(cfg.Revision, audit.maxRev)
	s.cur.Store(&cfg)

	if from == "" && unreadable {
		// A file that cannot be read now may be readable after a reboot:
		// do not replace it with the defaults behind the operator's back.
		log.Error("config: running on the defaults without storing them", "reason", why)
		return s, nil
	}
	if from == "" { // nothing usable on disk: write the factory defaults
		s.mu.Lock()
		err := s.writeDefaults(&cfg, why)
		s.mu.Unlock()
		if err != nil {
			log.Error("config: cannot store the defaults; running on them from memory", "err", err)
		}
		return s, nil
	}
	log.Info("config: loaded", "file", from, "revision", cfg.Revision)
	if len(audit.records) > 0 && audit.lastRev != cfg.Revision || len(audit.records) == 0 && cfg.Revision > 0 {
		note := fmt.Sprintf("revision %d loaded from %s", cfg.Revision, from)
		switch {
		case len(audit.records) == 0:
			note += "; the audit log has no records"
		case audit.lastRev > cfg.Revision:
			note += fmt.Sprintf("; revision %d and its records above never took effect", audit.lastRev)
		default:
			note += fmt.Sprintf("; the audit log has no records after revision %d", audit.lastRev)
		}
		if why != "" {
			note += " (" + why + ")"
		}
		old, _ := json.Marshal(audit.lastRev)
		rec := AuditRecord{Time: s.now(), Rev: cfg.Revision, Source: SourceSystem, Who: "config", Path: "revision",
			Old: old, New: json.RawMessage(fmt.Sprint(cfg.Revision)), Note: note}
		s.mu.Lock()
		err := s.appendAudit([]AuditRecord{rec})
		s.mu.Unlock()
		if err != nil {
			log.Error("config: cannot record the recovery in the audit log", "err", err)
		}
	}
	return s, nil
}

// load returns the configuration to use, the file it came from ("" for
// none), why the preferred files were not used, and whether a file could
// not be read at all (an I/O error, not a bad content).
func (s *Store) load() (cfg Config, from, why string, unreadable bool) {
	cfg, perr := s.readConfig(FileName)
	if perr == nil {
		s.primaryGood = true
		return cfg, FileName, "", false
	}
	prev, qerr := s.readConfig(PrevName)
	if qerr == nil {
		why := FileName + " missing (power cut during replace)"
		if !errors.Is(perr, fs.ErrNotExist) {
			why = FileName + " unusable: " + perr.Error()
		}
		s.log.Warn("config: falling back to the previous configuration", "file", PrevName, "reason", why)
		return prev, PrevName, why, false
	}
	if errors.Is(perr, fs.ErrNotExist) && errors.Is(qerr, fs.ErrNotExist) {
		return Config{}, "", "no configuration stored", false
	}
	why = FileName + ": " + perr.Error() + "; " + PrevName + ": " + qerr.Error()
	s.log.Error("config: no usable configuration, using the defaults", "reason", why)
	return Config{}, "", why, errors.Is(perr, errRead) || errors.Is(qerr, errRead)
}

func (s *Store) readConfig(name string) (Config, error) {
	data, err := s.fsys.ReadFile(s.path(name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("%w: %w", errRead, err)
	}
	if err != nil {
		return Config{}, err
	}
	return Parse(data)
}

// writeDefaults stores def as the first revision. s.mu is held.
func (s *Store) writeDefaults(def *Config, why string) error {
	d := def.Clone()
	s.rev++
	d.Revision = s.rev
	whole, err := json.Marshal(&d)
	if err != nil {
		return err
	}
	rec := AuditRecord{Time: s.now(), Rev: d.Revision, Source: SourceDefault, Who: "config", New: whole, Note: why}
	if err := s.commit(&d, []AuditRecord{rec}); err != nil {
		return err
	}
	s.cur.Store(&d)
	s.log.Info("config: stored the defaults", "revision", d.Revision, "reason", why)
	return nil
}

func (s *Store) path(name string) string { return filepath.Join(s.dir, name) }

// Get returns a deep copy of the configuration in effect.
func (s *Store) Get() Config { return s.cur.Load().Clone() }

// Update changes the configuration. fn gets a deep copy of the
// configuration in effect and edits it; an error from fn aborts the update.
// The result must Validate (else the errors.Join of *FieldError is
// returned); a change to a carrier-locked field from any source but
// SourceCWMP is refused with *LockedError. Then the change is recorded in
// the audit log (one record per changed field, with src and who), stored
// atomically, and sent to the watchers. Update returns the changes, or
// nil when fn changed nothing (nothing is written then).
func (s *Store) Update(src Source, who string, fn func(*Config) error) ([]Change, error) {
	if !src.Valid() || src == SourceDefault {
		return nil, fmt.Errorf("%w %q", errSource, src)
	}
	return s.update(src, who, "", src == SourceCWMP, fn)
}

// FactoryReset replaces the whole configuration with def, carrier locks
// included, through the same audited, power-cut-safe path as Update; its
// audit records carry the note "factory reset". def's schema and revision
// are ignored.
func (s *Store) FactoryReset(who string, def Config) ([]Change, error) {
	return s.update(SourceSystem, who, "factory reset", true, func(c *Config) error {
		schema, rev := c.Schema, c.Revision
		*c = def.Clone()
		c.Schema, c.Revision = schema, rev
		return nil
	})
}

func (s *Store) update(src Source, who, note string, overLocks bool, fn func(*Config) error) ([]Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	old := s.cur.Load()
	next := old.Clone()
	if err := fn(&next); err != nil {
		return nil, fmt.Errorf("config: update: %w", err)
	}
	next = next.Clone() // fn may have set nil slices or maps
	if next.Schema != old.Schema {
		return nil, &FieldError{Field: "schema", Reason: errManaged.Error()}
	}
	if next.Revision != old.Revision {
		return nil, &FieldError{Field: "revision", Reason: errManaged.Error()}
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	changes, err := Diff(old, &next)
	if err != nil {
		return nil, err
	}
	if len(changes) == 0 {
		return nil, nil
	}
	if !overLocks {
		if err := lockErrors(old.Locks, changes); err != nil {
			return nil, err
		}
	}

	s.rev++
	next.Revision = s.rev
	now := s.now()
	records := make([]AuditRecord, len(changes))
	for i, c := range changes {
		records[i] = AuditRecord{Time: now, Rev: next.Revision, Source: src, Who: who, Path: c.Path, Old: c.Old, New: c.New, Note: note}
	}
	if err := s.commit(&next, records); err != nil {
		return nil, err
	}
	s.cur.Store(&next)
	s.notify(&next)
	s.log.Info("config: updated", "revision", next.Revision, "source", src, "who", who, "changes", len(changes))
	return changes, nil
}

// lockErrors returns an errors.Join of *LockedError for the changes that
// touch locked fields or the locks.
func lockErrors(locks map[string]Lock, changes []Change) error {
	var errs []error
	keys := sortedKeys(locks)
	for _, c := range changes {
		if covers("locks", c.Path) {
			errs = append(errs, &LockedError{Field: c.Path, Lock: "locks", By: SourceCWMP})
			continue
		}
		for _, k := range keys {
			if covers(k, c.Path) {
				l := locks[k]
				errs = append(errs, &LockedError{Field: c.Path, Lock: k, By: l.By, At: l.At})
				break
			}
		}
	}
	return errors.Join(errs...)
}

// commit writes the audit records, then replaces config.json with c. On
// failure the configuration on disk is the one before (or, after a power
// cut, possibly c), and an audit record says that c.Revision was not
// committed. s.mu is held.
func (s *Store) commit(c *Config, records []AuditRecord) error {
	if err := s.appendAudit(records); err != nil {
		return fmt.Errorf("config: write audit log: %w", err)
	}
	if err := s.replace(c); err != nil {
		inEffect := s.cur.Load().Revision
		rec := AuditRecord{Time: s.now(), Rev: inEffect, Source: SourceSystem, Who: "config", Path: "revision",
			Old: json.RawMessage(fmt.Sprint(c.Revision)), New: json.RawMessage(fmt.Sprint(inEffect)),
			Note: fmt.Sprintf("revision %d was not committed: %v", c.Revision, err)}
		if aerr := s.appendAudit([]AuditRecord{rec}); aerr != nil {
			s.log.Error("config: cannot record the failed commit in the audit log", "err", aerr)
		}
		return fmt.Errorf("config: store revision %d: %w", c.Revision, err)
	}
	return nil
}

// appendAudit appends records to the audit log and syncs it. s.mu is held.
func (s *Store) appendAudit(records []AuditRecord) (err error) {
	data, err := encodeAudit(records, s.auditTorn)
	if err != nil {
		return err
	}
	f, err := s.fsys.Append(s.path(AuditName))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			s.auditTorn = true // we do not know how much reached the file
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	s.auditTorn = false
	return nil
}

// replace writes c to config.json atomically, moving the configuration in
// effect to config.json.prev. s.mu is held.
func (s *Store) replace(c *Config) error {
	data, err := Encode(c)
	if err != nil {
		return err
	}
	tmp := s.path(TempName)
	f, err := s.fsys.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Keep the configuration in effect as the previous one. When
	// config.json is missing or damaged, config.json.prev already is the
	// good one and must not be overwritten.
	if s.primaryGood {
		if err := s.fsys.Rename(s.path(FileName), s.path(PrevName)); err != nil {
			return err
		}
		s.primaryGood = false
	}
	if err := s.fsys.Rename(tmp, s.path(FileName)); err != nil {
		return err
	}
	s.primaryGood = true
	if err := s.fsys.SyncDir(s.dir); err != nil {
		// The new file is in place; only its durability is in doubt. A
		// power cut before the directory reaches the disk brings back
		// the previous revision, and Open records that.
		s.log.Warn("config: directory sync failed", "err", err)
	}
	return nil
}

// Audit returns the last n records of the audit log, oldest first (all of
// them when n <= 0). Lines torn by a power cut are skipped.
func (s *Store) Audit(n int) ([]AuditRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := readAudit(s.fsys, s.path(AuditName))
	if err != nil {
		return nil, fmt.Errorf("config: read audit log: %w", err)
	}
	r := a.records
	if n > 0 && len(r) > n {
		r = r[len(r)-n:]
	}
	return r, nil
}

// Watch returns a channel that holds the configuration in effect at once
// and after every committed Update. The channel has room for one value: a
// slow reader skips intermediate configurations and gets the latest. The
// returned function stops the watch and closes the channel.
func (s *Store) Watch() (<-chan Config, func()) {
	ch := make(chan Config, 1)
	s.wmu.Lock()
	s.watchers[ch] = struct{}{}
	ch <- s.cur.Load().Clone()
	s.wmu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.wmu.Lock()
			delete(s.watchers, ch)
			close(ch)
			s.wmu.Unlock()
		})
	}
}

func (s *Store) notify(c *Config) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for ch := range s.watchers {
		v := c.Clone()
		select {
		case ch <- v:
		default:
			select { // drop the stale value; we are the only sender
			case <-ch:
			default:
			}
			ch <- v
		}
	}
}
