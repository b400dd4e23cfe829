package console

import (
	"os"

	"golang.org/x/sys/unix"
)

// rawTerminal turns off the tty's own line editing and echo on f so the
// console can edit lines itself. It keeps signals (Ctrl-C still stops the
// firmware under `make run`) and output processing. raw is false when f is
// not a terminal; restore puts the old settings back.
func rawTerminal(f *os.File) (restore func() error, raw bool, err error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, false, nil // not a terminal: a pipe or a file
	}
	t := *old
	t.Lflag &^= unix.ICANON | unix.ECHO | unix.ECHONL | unix.IEXTEN
	t.Iflag &^= unix.ICRNL | unix.INLCR | unix.IGNCR
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &t); err != nil {
		return nil, false, err
	}
	return func() error { return unix.IoctlSetTermios(fd, unix.TCSETS, old) }, true, nil
}
