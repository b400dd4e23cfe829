package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/firmware/version"
)

var (
	// ErrBoard: the image is for another board.
	ErrBoard = errors.New("update: image is for another board")
	// ErrDowngrade: the image is older than the running firmware.
	ErrDowngrade = errors.New("update: image is older than the running firmware")
	// ErrBusy: another install runs, or the running slot is still on trial.
	ErrBusy = errors.New("update: busy")
	// ErrHealth: the trial boot failed its health check.
	ErrHealth = errors.New("update: health check failed")

	errBadControl = errors.New("update: bad boot-control record")
	errTooBig     = errors.New("update: part too big")
)

// Options configure an [Updater].
type Options struct {
	Backend Backend
	// Board is this box's board name; images for others are refused.
	Board string
	// Keys are the trusted public keys.
	Keys []image.PublicKey
	// Now is the clock for outcome times; default time.Now.
	Now func() time.Time
}

// Updater installs images into the inactive slot and confirms trial boots.
type Updater struct {
	o  Options
	mu sync.Mutex // one Install or Confirm at a time
}

// New returns an Updater.
func New(o Options) (*Updater, error) {
	if o.Backend == nil || o.Board == "" {
		return nil, errors.New("update: Backend and Board are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Updater{o: o}, nil
}

// InstallOptions modify an install.
type InstallOptions struct {
	// AllowDowngrade installs an image older than the running firmware.
	AllowDowngrade bool
	// Progress, if set, is called with the bytes written so far and the
	// image's total, as the parts stream.
	Progress func(written, total int64)
	// Tag is kept with the outcome (Status().Last.Tag): TR-069 keeps the
	// Download's CommandKey there for TransferComplete after the reboot.
	Tag string
	// Accepted, if set, is called with the manifest once every check
	// before writing passed (signature, board, version).
	Accepted func(m image.Manifest, slot Slot)
}

// Install streams the image r into the inactive slot and marks it for a
// trial boot; the caller then reboots. The image is refused before a byte
// is written to the slot when its signature is not by a trusted key, it is
// for another board, or it is older than the running firmware. A part that
// fails its size or SHA-256 check leaves the slot invalid; the running
// slot is never touched. A running version that is not MAJOR.MINOR.PATCH
// (a development build stamped with `git describe`) is older than any
// image.
func (u *Updater) Install(ctx context.Context, r io.Reader, opt InstallOptions) (image.Manifest, error) {
	if !u.mu.TryLock() {
		return image.Manifest{}, fmt.Errorf("%w: another install is running", ErrBusy)
	}
	defer u.mu.Unlock()
	b := u.o.Backend
	c, err := b.ReadControl()
	if err != nil {
		return image.Manifest{}, err
	}
	running, err := b.Running()
	if err != nil {
		return image.Manifest{}, err
	}
	if c.TrialPending && c.Trial == running {
		return image.Manifest{}, fmt.Errorf("%w: the running firmware is on trial; install again once it is committed", ErrBusy)
	}
	ir, err := image.NewReader(ctxReader{ctx, r}, u.o.Keys)
	if err != nil {
		return image.Manifest{}, err
	}
	m := ir.Manifest()
	if m.Board != u.o.Board {
		return m, fmt.Errorf("%w: %q, this box is %q", ErrBoard, m.Board, u.o.Board)
	}
	from := c.Slots[running].Version
	if cmp, err := version.Compare(m.Version, from); err == nil && cmp < 0 && !opt.AllowDowngrade {
		return m, fmt.Errorf("%w: %s is older than %s", ErrDowngrade, m.Version, from)
	}

	// From here on the slot is written: first mark it invalid, so that a
	// power cut while it is half-written cannot boot it.
	target := running.Other()
	if opt.Accepted != nil {
		opt.Accepted(m, target)
	}
	c.Slots[target] = SlotInfo{}
	c.TrialPending, c.TriesLeft, c.HealthFailure = false, 0, ""
	c.Committed = running
	c.Last = Outcome{Result: ResultFailed, Version: m.Version, From: from, Reason: "install interrupted", Tag: opt.Tag, Started: u.o.Now()}
	if err := b.WriteControl(c); err != nil {
		return m, err
	}
	fail := func(err error) (image.Manifest, error) {
		c.Last.Reason, c.Last.Done = err.Error(), u.o.Now()
		if werr := b.WriteControl(c); werr != nil {
			return m, errors.Join(err, werr)
		}
		return m, err
	}
	sw, err := b.OpenSlot(target)
	if err != nil {
		return fail(err)
	}
	total, written := m.Size(), int64(0)
	for {
		p, pr, err := ir.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			sw.Close()
			return fail(err)
		}
		var src io.Reader = pr
		if opt.Progress != nil {
			src = &progress{r: pr, n: &written, total: total, f: opt.Progress}
		}
		if err := sw.WritePart(p, src); err != nil {
			sw.Close()
			return fail(err)
		}
	}
	if err := sw.Close(); err != nil {
		return fail(err)
	}
	c.Slots[target] = SlotInfo{Valid: true, Board: m.Board, Version: m.Version, Parts: m.Parts}
	c.Trial, c.TrialPending, c.TriesLeft = target, true, 1
	c.Last.Result, c.Last.Reason = ResultPending, ""
	if err := b.WriteControl(c); err != nil {
		return m, err
	}
	return m, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("update: %w", err)
	}
	return c.r.Read(p)
}

type progress struct {
	r     io.Reader
	n     *int64
	total int64
	f     func(int64, int64)
}

func (p *progress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	*p.n += int64(n)
	if n > 0 {
		p.f(*p.n, p.total)
	}
	return n, err
}

// ChooseBoot is the bootloader's decision: which slot boots, and the record
// to write before booting it. A pending trial with a try left boots the
// trial slot and spends the try; a pending trial with none left is rolled
// back (its slot invalidated, the outcome recorded with the health check's
// reason or "did not confirm"); otherwise the committed slot boots. It
// fails only when no slot is valid, which the write order of Install
// never leaves.
func ChooseBoot(c Control, now time.Time) (Slot, Control, error) {
	if c.TrialPending {
		if c.TriesLeft > 0 && c.Slots[c.Trial].Valid {
			c.TriesLeft--
			c.Booted, c.BootedTrial = c.Trial, true
			return c.Trial, c, nil
		}
		reason := c.HealthFailure
		if reason == "" {
			reason = "the trial boot did not confirm its health (hung, reset or lost power)"
		}
		c.Slots[c.Trial] = SlotInfo{}
		c.TrialPending, c.TriesLeft, c.HealthFailure = false, 0, ""
		c.Last.Result, c.Last.Reason, c.Last.Done = ResultRolledBack, reason, now
	}
	if !c.Slots[c.Committed].Valid {
		if !c.Slots[c.Committed.Other()].Valid {
			return 0, c, errNoSlot
		}
		c.Committed = c.Committed.Other()
	}
	c.Booted, c.BootedTrial = c.Committed, false
	return c.Committed, c, nil
}

// Boot runs the bootloader's decision on the backend where nothing else
// does (the sim, the host): ChooseBoot, then the record is written. It
// returns the slot to run. Call it once per boot, and only when no
// bootloader did: each call into a pending trial spends a try.
func (u *Updater) Boot() (Slot, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, err := u.o.Backend.ReadControl()
	if err != nil {
		return 0, err
	}
	s, next, err := ChooseBoot(c, u.o.Now())
	if err != nil {
		return 0, err
	}
	if !reflect.DeepEqual(next, c) {
		if err := u.o.Backend.WriteControl(next); err != nil {
			return 0, err
		}
	}
	return s, nil
}

// Status is what the Updater tells about the box's slots.
type Status struct {
	Running   Slot
	Version   string // of the running slot
	Board     string
	Trial     bool // this boot is a trial not yet committed
	Committed Slot
	Slots     [2]SlotInfo
	Last      Outcome // of the last install
}

// Status reads the record.
func (u *Updater) Status() (Status, error) {
	c, err := u.o.Backend.ReadControl()
	if err != nil {
		return Status{}, err
	}
	running, err := u.o.Backend.Running()
	if err != nil {
		return Status{}, err
	}
	return Status{
		Running: running, Version: c.Slots[running].Version, Board: u.o.Board,
		Trial:     c.TrialPending && c.Trial == running,
		Committed: c.Committed, Slots: c.Slots, Last: c.Last,
	}, nil
}
