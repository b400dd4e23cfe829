//go:build !linux

package ntp

import (
	"errors"
	"time"
)

func setClock(time.Duration) error { return errors.New("ntp: setting the clock needs Linux") }
