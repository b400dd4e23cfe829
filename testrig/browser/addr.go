package browser

import (
	"net/netip"
	"os"
)

func mustAddrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }
