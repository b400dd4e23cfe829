package qemuvirt

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/openiad/openiad/boards"
	"github.com/openiad/openiad/testrig/phone"
)

// On a machine that is not QEMU's virt machine the board is skipped, so
// the registry goes on to the next board.
func TestSkipsElsewhere(t *testing.T) {
	compatible = filepath.Join(t.TempDir(), "compatible")
	if err := os.WriteFile(compatible, []byte("raspberrypi,4-model-b\x00brcm,bcm2711\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := driver{}.Open(context.Background(), boards.Options{})
	if !errors.Is(err, boards.ErrSkip) {
		t.Fatalf("Open on another machine: %v, want ErrSkip", err)
	}
}

// On the virt machine it serves the sim lines over TCP: a phone attaches
// to port 1 and gets dial tone feed.
func TestServesLines(t *testing.T) {
	compatible = filepath.Join(t.TempDir(), "compatible")
	if err := os.WriteFile(compatible, []byte("linux,dummy-virt\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := driver{}.Open(context.Background(), boards.Options{FXS: 2, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Name != Name || len(b.FXS) != 2 || b.Info["listen"] == "" {
		t.Fatalf("board %q with %d FXS, info %v", b.Name, len(b.FXS), b.Info)
	}
	c, err := net.Dial("tcp", b.Info["listen"])
	if err != nil {
		t.Fatal(err)
	}
	p, err := phone.Attach(c, 1)
	if err != nil {
		t.Fatalf("a phone cannot attach to port 1: %v", err)
	}
	p.Close()
}
