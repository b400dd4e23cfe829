package cwmp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// Event codes (TR-069 3.7.1.5).
const (
	EventBootstrap      = "0 BOOTSTRAP"
	EventBoot           = "1 BOOT"
	EventPeriodic       = "2 PERIODIC"
	EventScheduled      = "3 SCHEDULED"
	EventValueChange    = "4 VALUE CHANGE"
	EventConnReq        = "6 CONNECTION REQUEST"
	EventTransfer       = "7 TRANSFER COMPLETE"
	EventDiagnostics    = "8 DIAGNOSTICS COMPLETE"
	EventMReboot        = "M Reboot"
	EventMDownload      = "M Download"
	EventMScheduleInfrm = "M ScheduleInform"
)

// eventRule says how one event code lives: whether several may be pending
// (one per CommandKey), whether it survives a reboot, and what
// acknowledges it. This is the one table of the rules; everything else
// asks it (our reading of TR-069 Table 7 "Event code behaviour").
type eventRule struct {
	multiple bool // one per CommandKey; otherwise a second Add is a no-op
	reboot   bool // kept across a reboot (else discarded at boot)
	// byTransfer: acknowledged by TransferCompleteResponse, not by
	// InformResponse; it is sent again in every Inform until then.
	byTransfer bool
}

var eventRules = map[string]eventRule{
	EventBootstrap:      {reboot: true},                   // until an Inform with it is answered
	EventBoot:           {},                               // a new one is made at every boot
	EventPeriodic:       {},                               // the next period makes a new one
	EventScheduled:      {multiple: true, reboot: true},   // with M ScheduleInform
	EventValueChange:    {},                               // values are read again after a boot
	EventConnReq:        {},                               // the ACS asked this boot's box
	EventTransfer:       {reboot: true, byTransfer: true}, // the transfer's outcome must reach the ACS
	EventDiagnostics:    {},                               // results do not survive a reboot
	EventMReboot:        {multiple: true, reboot: true},   // sent after the reboot it asked for
	EventMDownload:      {multiple: true, reboot: true, byTransfer: true},
	EventMScheduleInfrm: {multiple: true, reboot: true},
}

// PendingDownload is a Download the ACS asked for that has not reached its
// TransferComplete: InstallDone is set once a firmware image was written
// and the box rebooted to try it.
type PendingDownload struct {
	CommandKey     string    `json:"commandKey"`
	FileType       string    `json:"fileType"`
	URL            string    `json:"url"`
	Username       string    `json:"username,omitempty"`
	Password       string    `json:"password,omitempty"`
	FileSize       uint32    `json:"fileSize,omitempty"`
	Due            time.Time `json:"due"`
	Started        time.Time `json:"started,omitzero"`
	Completed      time.Time `json:"completed,omitzero"`
	AwaitingReboot bool      `json:"awaitingReboot,omitempty"`
}

// eventState is the content of the events file.
type eventState struct {
	ACSURL   string             `json:"acsURL"` // the ACS last bootstrapped with ("" = never)
	Events   []EventStruct      `json:"events"`
	Transfer *TransferComplete  `json:"transfer,omitempty"` // to be sent
	Download []*PendingDownload `json:"downloads,omitempty"`
}

type eventFile struct {
	State eventState `json:"state"`
	Sum   string     `json:"sha256"`
}

// Events are the events of the next Inform, kept on flash until the ACS
// has acknowledged them. Methods may be called from any goroutine.
type Events struct {
	fs  config.FS
	dir string
	mu  sync.Mutex
	st  eventState
}

const eventsName = "events.json"

var errEventsDamaged = errors.New("cwmp: events file damaged")

// OpenEvents reads the events file of a box that has just booted: events
// whose rule says they do not survive a reboot are dropped. A missing or
// damaged file means a first boot (BOOTSTRAP follows).
func OpenEvents(fsys config.FS, dir string) (*Events, error) {
	if fsys == nil {
		fsys = config.OSFS{}
	}
	e := &Events{fs: fsys, dir: dir}
	b, err := fsys.ReadFile(filepath.Join(dir, eventsName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("cwmp: events: %w", err)
	default:
		if st, err := parseEvents(b); err == nil {
			e.st = st
		} // else: damaged, start afresh (BOOTSTRAP)
	}
	kept := e.st.Events[:0]
	for _, ev := range e.st.Events {
		if rule, ok := eventRules[ev.EventCode]; ok && rule.reboot {
			kept = append(kept, ev)
		}
	}
	e.st.Events = kept
	return e, nil
}

func parseEvents(b []byte) (eventState, error) {
	var f eventFile
	if err := json.Unmarshal(b, &f); err != nil {
		return eventState{}, fmt.Errorf("%w: %w", errEventsDamaged, err)
	}
	if sum(f.State) != f.Sum {
		return eventState{}, fmt.Errorf("%w: checksum", errEventsDamaged)
	}
	return f.State, nil
}

func sum(st eventState) string {
	b, _ := json.Marshal(st)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// save replaces the events file atomically: a power cut at any write
// leaves the old or the new file.
func (e *Events) save() error {
	b, err := json.Marshal(eventFile{State: e.st, Sum: sum(e.st)})
	if err != nil {
		return fmt.Errorf("cwmp: events: %w", err)
	}
	err = config.ReplaceFile(e.fs, e.dir, eventsName, b)
	if err != nil {
		return fmt.Errorf("cwmp: events: %w", err)
	}
	return nil
}

func (e *Events) update(fn func(st *eventState)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	old, _ := json.Marshal(e.st)
	fn(&e.st)
	now, _ := json.Marshal(e.st)
	if bytes.Equal(old, now) {
		return nil
	}
	return e.save()
}

// Add records an event for the next Inform.
func (e *Events) Add(code, key string) error {
	return e.update(func(st *eventState) { st.add(code, key) })
}

func (st *eventState) add(code, key string) {
	rule := eventRules[code]
	for _, ev := range st.Events {
		if ev.EventCode == code && (!rule.multiple || ev.CommandKey == key) {
			return
		}
	}
	st.Events = append(st.Events, EventStruct{EventCode: code, CommandKey: key})
}

// Pending returns the events of the next Inform.
func (e *Events) Pending() []EventStruct {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.st.Events)
}

// Has reports whether an event with code is pending.
func (e *Events) Has(code string) bool {
	return slices.ContainsFunc(e.Pending(), func(ev EventStruct) bool { return ev.EventCode == code })
}

// Informed drops the events of sent that an InformResponse acknowledges;
// with url, the box counts as bootstrapped with that ACS.
func (e *Events) Informed(sent []EventStruct, url string) error {
	return e.update(func(st *eventState) {
		st.Events = slices.DeleteFunc(st.Events, func(ev EventStruct) bool {
			return !eventRules[ev.EventCode].byTransfer && slices.Contains(sent, ev)
		})
		if slices.ContainsFunc(sent, func(ev EventStruct) bool { return ev.EventCode == EventBootstrap }) {
			st.ACSURL = url
		}
	})
}

// Bootstrapped reports the ACS URL the box last bootstrapped with.
func (e *Events) Bootstrapped() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.ACSURL
}

// NewACS is called when the ACS URL is not the one bootstrapped with: every
// pending event but BOOT (this boot was not reported yet) is discarded and
// BOOTSTRAP is queued (TR-069 3.7.1.5).
func (e *Events) NewACS() error {
	return e.update(func(st *eventState) {
		st.Events = slices.DeleteFunc(st.Events, func(ev EventStruct) bool { return ev.EventCode != EventBoot })
		st.Transfer = nil
		st.Events = slices.Insert(st.Events, 0, EventStruct{EventCode: EventBootstrap})
	})
}

// Reset forgets everything (factory reset).
func (e *Events) Reset() error {
	return e.update(func(st *eventState) { *st = eventState{Events: []EventStruct{}} })
}

// Transfer returns the TransferComplete waiting to be sent, or nil.
func (e *Events) Transfer() *TransferComplete {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Transfer == nil {
		return nil
	}
	tc := *e.st.Transfer
	return &tc
}

// Completed records the outcome of a download: its TransferComplete and
// events 7 and M Download, and forgets the pending download.
func (e *Events) Completed(tc TransferComplete) error {
	return e.update(func(st *eventState) {
		st.Transfer = &tc
		st.Download = slices.DeleteFunc(st.Download, func(d *PendingDownload) bool { return d.CommandKey == tc.CommandKey })
		st.add(EventTransfer, "")
		st.add(EventMDownload, tc.CommandKey)
	})
}

// TransferAcked drops the TransferComplete and its events once the ACS
// answered it.
func (e *Events) TransferAcked() error {
	return e.update(func(st *eventState) {
		st.Transfer = nil
		st.Events = slices.DeleteFunc(st.Events, func(ev EventStruct) bool { return eventRules[ev.EventCode].byTransfer })
	})
}

// Downloads returns the downloads not yet completed.
func (e *Events) Downloads() []PendingDownload {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []PendingDownload
	for _, d := range e.st.Download {
		out = append(out, *d)
	}
	return out
}

// SaveDownload adds or replaces (by CommandKey) a pending download.
func (e *Events) SaveDownload(d PendingDownload) error {
	return e.update(func(st *eventState) {
		for i, p := range st.Download {
			if p.CommandKey == d.CommandKey {
				st.Download[i] = &d
				return
			}
		}
		st.Download = append(st.Download, &d)
	})
}
