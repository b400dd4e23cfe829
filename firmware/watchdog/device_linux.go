//go:build linux

package watchdog

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux watchdog ioctls (linux/watchdog.h).
const (
	wdiocKeepalive  = 0x80045705 // _IOR('W', 5, int)
	wdiocSetTimeout = 0xc0045706 // _IOWR('W', 6, int)
	wdiocGetTimeout = 0x80045707 // _IOR('W', 7, int)
)

// Device is a Linux watchdog device (/dev/watchdog). Opening it arms the
// watchdog; Close disarms it with the magic close, for a clean shutdown.
// Its methods are called from one goroutine (the Supervisor's).
type Device struct {
	f       *os.File
	timeout time.Duration
}

// Open arms the watchdog at path with timeout (whole seconds; 0 keeps the
// driver's).
func Open(path string, timeout time.Duration) (*Device, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	d := &Device{f: f}
	if timeout > 0 {
		secs := int32(timeout / time.Second)
		if err := ioctl(f, wdiocSetTimeout, &secs); err != nil {
			d.Close()
			return nil, fmt.Errorf("watchdog: %s: set timeout %v: %w", path, timeout, err)
		}
	}
	var secs int32
	if err := ioctl(f, wdiocGetTimeout, &secs); err != nil {
		d.Close()
		return nil, fmt.Errorf("watchdog: %s: get timeout: %w", path, err)
	}
	d.timeout = time.Duration(secs) * time.Second
	return d, nil
}

func ioctl(f *os.File, req uintptr, v *int32) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), req, uintptr(unsafe.Pointer(v)))
	if e != 0 {
		return e
	}
	return nil
}

// Pet restarts the watchdog's countdown.
func (d *Device) Pet() error {
	var dummy int32
	if err := ioctl(d.f, wdiocKeepalive, &dummy); err != nil {
		return fmt.Errorf("watchdog: keepalive: %w", err)
	}
	return nil
}

// Timeout is the watchdog's timeout.
func (d *Device) Timeout() time.Duration { return d.timeout }

// Close disarms the watchdog (magic close: "V" then close) and releases
// the device.
func (d *Device) Close() error {
	_, werr := d.f.Write([]byte("V"))
	cerr := d.f.Close()
	if werr != nil {
		return fmt.Errorf("watchdog: magic close: %w", werr)
	}
	if cerr != nil {
		return fmt.Errorf("watchdog: %w", cerr)
	}
	return nil
}
