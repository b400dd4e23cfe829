package update

import (
	"errors"
	"io"
	"time"

	"github.com/openiad/openiad/firmware/update/image"
)

// Slot names one of the two firmware slots.
type Slot int

// The two slots.
const (
	SlotA Slot = 0
	SlotB Slot = 1
)

// Other returns the other slot.
func (s Slot) Other() Slot { return 1 - s }

// String returns "A" or "B".
func (s Slot) String() string {
	if s == SlotB {
		return "B"
	}
	return "A"
}

// Backend is where the slots and the boot-control record live: a directory
// of files on the host and the sim ([FileBackend]), partitions of a disk or
// flash on a board ([BlockBackend]). A Backend is used by one Updater (or the
// bootloader) at a time.
type Backend interface {
	// Running reports the slot the box booted from (as the bootloader chose
	// it: [Control.Booted] or, on a board, the kernel command line).
	Running() (Slot, error)
	// ReadControl returns the boot-control record. When none was ever
	// written it returns [FactoryControl] with no error.
	ReadControl() (Control, error)
	// WriteControl replaces the boot-control record atomically and durably:
	// when it returns nil the record survives a power cut; when the power
	// fails during the call, ReadControl afterwards returns the old record
	// or the new one, never a mix or nothing.
	WriteControl(Control) error
	// OpenSlot starts rewriting slot s; what s held before is lost. The
	// Updater never opens the running slot.
	OpenSlot(s Slot) (SlotWriter, error)
	// OpenPart reads part name of slot s as last written (for the
	// bootloader and for checks).
	OpenPart(s Slot, name string) (io.ReadCloser, error)
}

// SlotWriter writes the parts of one slot, in order.
type SlotWriter interface {
	// WritePart copies the part p from r. r ends with io.EOF only when the
	// bytes are the ones the manifest names; any error voids the slot.
	WritePart(p image.Part, r io.Reader) error
	// Close makes everything written durable (fsync). After Close returns
	// nil the slot's parts survive a power cut.
	Close() error
}

// Control is the boot-control record, the one piece of state the
// bootloader and the firmware share. It is small (well under 4 KiB as
// JSON) and always replaced whole.
type Control struct {
	// Seq counts the writes of the record.
	Seq uint64 `json:"seq"`
	// Committed is the known-good slot: it boots when no trial is pending.
	Committed Slot `json:"committed"`
	// Trial is the slot a pending trial boot is for; TrialPending tells
	// whether one is pending, TriesLeft how many boots into it remain
	// before the bootloader falls back to Committed.
	Trial        Slot `json:"trial"`
	TrialPending bool `json:"trialPending"`
	TriesLeft    int  `json:"triesLeft"`
	// Booted is the slot the bootloader chose for the current boot;
	// BootedTrial tells whether that boot is a trial.
	Booted      Slot `json:"booted"`
	BootedTrial bool `json:"bootedTrial"`
	// Slots holds what each slot contains; a slot is bootable only when
	// Valid.
	Slots [2]SlotInfo `json:"slots"`
	// Last is the outcome of the last install, kept across reboots so
	// TR-069 can report TransferComplete.
	Last Outcome `json:"last"`
	// HealthFailure is why the running trial failed its health check, if
	// it did: the bootloader moves it into Last.Reason when it rolls back.
	HealthFailure string `json:"healthFailure,omitempty"`
}

// SlotInfo is what the boot-control record knows of a slot.
type SlotInfo struct {
	Valid   bool         `json:"valid"`
	Board   string       `json:"board,omitempty"`
	Version string       `json:"version,omitempty"`
	Parts   []image.Part `json:"parts,omitempty"`
}

// Result of an install, as Status reports it.
type Result string

// Install results.
const (
	ResultNone       Result = ""           // no install yet
	ResultPending    Result = "pending"    // written, the trial boot has not finished
	ResultCommitted  Result = "committed"  // the new slot passed its health check
	ResultRolledBack Result = "rolledBack" // the trial failed; the old slot runs again
	ResultFailed     Result = "failed"     // refused or broken off while writing
)

// Outcome is the result of the last install.
type Outcome struct {
	Result  Result    `json:"result"`
	Version string    `json:"version,omitempty"` // the version installed
	From    string    `json:"from,omitempty"`    // the version that ran before
	Reason  string    `json:"reason,omitempty"`  // why it failed or rolled back
	Tag     string    `json:"tag,omitempty"`     // InstallOptions.Tag (TR-069: the Download's CommandKey)
	Started time.Time `json:"started,omitzero"`
	Done    time.Time `json:"done,omitzero"`
}

// FactoryControl is the record of a box that never installed an update:
// slot A is committed and holds the running firmware.
func FactoryControl(board, version string) Control {
	c := Control{Committed: SlotA, Booted: SlotA}
	c.Slots[SlotA] = SlotInfo{Valid: true, Board: board, Version: version}
	return c
}

var errNoSlot = errors.New("update: no bootable slot")
