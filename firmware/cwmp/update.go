package cwmp

import (
	"context"
	"errors"
	"io"

	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
)

// Updater adapts the A/B update path (firmware/update) to Firmware: it is
// how a TR-069 Download of "1 Firmware Upgrade Image" installs.
type Updater struct{ U *update.Updater }

// Install implements Firmware; refusals become the TransferComplete fault
// codes of TR-069 A.5.1: a bad or untrusted signature 9019 (file
// authentication failure), a broken image 9018 (file corrupted), an image
// for another board, a downgrade or a busy updater 9010 (download failure),
// a transfer cut short 9017.
func (u Updater) Install(ctx context.Context, r io.Reader) error {
	_, err := u.U.Install(ctx, r, update.InstallOptions{})
	if err == nil {
		return nil
	}
	code := FaultDownload
	switch {
	case errors.Is(err, image.ErrSignature), errors.Is(err, image.ErrUntrusted):
		code = FaultAuthentication
	case errors.Is(err, image.ErrCorrupt), errors.Is(err, image.ErrFormat), errors.Is(err, image.ErrManifest):
		code = FaultCorrupted
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = FaultIncomplete
	}
	return &Fault{Code: code, String: err.Error()}
}

// Outcome implements Firmware from update.Status.
func (u Updater) Outcome() (done bool, fault int, reason string) {
	st, err := u.U.Status()
	if err != nil {
		return false, 0, ""
	}
	switch st.Last.Result {
	case update.ResultCommitted:
		return true, 0, ""
	case update.ResultPending:
		return false, 0, ""
	case update.ResultRolledBack:
		return true, FaultDownload, "rolled back to " + st.Version + ": " + st.Last.Reason
	case update.ResultFailed:
		return true, FaultDownload, st.Last.Reason
	}
	return true, FaultInternal, "the update path has no record of the install"
}
