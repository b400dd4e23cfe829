//go:build linux

package ntp

import (
	"time"

	"golang.org/x/sys/unix"
)

// setClock steps the system clock by offset.
func setClock(offset time.Duration) error {
	tv := unix.NsecToTimeval(time.Now().Add(offset).UnixNano())
	return unix.Settimeofday(&tv)
}
