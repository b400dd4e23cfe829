//go:build !linux

package console

import "os"

// rawTerminal does nothing outside Linux: the terminal keeps its own line
// editing.
func rawTerminal(*os.File) (restore func() error, raw bool, err error) {
	return nil, false, nil
}
