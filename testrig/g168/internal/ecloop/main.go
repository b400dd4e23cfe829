// Command ecloop runs dsp/ec's canceller over the vectors of a file, one
// fresh canceller per vector, the NLP off (as the table's timed pass), and
// makes a marker syscall before and after each run. testrig/g168 builds it
// for linux/arm (GOARM=7) and linux/arm64 and runs it under qemu-user with
// a plugin that counts guest instructions and prints the count at every
// marker: the difference is the canceller's cost, start-up excluded.
//
// The file is little-endian: uint32 vectors, then per vector uint32 n,
// n int16 far-end samples, n int16 near-end samples.
//
// Usage: ecloop -tail 128ms file
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/openiad/openiad/dsp/ec"
)

// The marker: a close(2) of a descriptor nobody has, with a second
// argument no real close carries, so the plugin cannot mistake it.
const (
	markA = 0x0ec0ffee
	markB = 0xf13f0011
)

func mark() { syscall.Syscall(syscall.SYS_CLOSE, markA, markB, 0) }

func main() {
	tail := flag.Duration("tail", 128*time.Millisecond, "echo canceller tail")
	flag.Parse()
	if err := run(flag.Arg(0), *tail); err != nil {
		fmt.Fprintln(os.Stderr, "ecloop:", err)
		os.Exit(1)
	}
}

func run(name string, tail time.Duration) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	rd := func(n int) ([]byte, error) {
		if len(b) < n {
			return nil, fmt.Errorf("%s: truncated", name)
		}
		p := b[:n]
		b = b[n:]
		return p, nil
	}
	h, err := rd(4)
	if err != nil {
		return err
	}
	type vec struct{ far, near, out []int16 }
	vecs := make([]vec, binary.LittleEndian.Uint32(h))
	for i := range vecs {
		h, err := rd(4)
		if err != nil {
			return err
		}
		n := int(binary.LittleEndian.Uint32(h))
		if n%ec.FrameLen != 0 {
			return fmt.Errorf("%s: vector %d: %d samples, not whole frames", name, i, n)
		}
		v := vec{far: make([]int16, n), near: make([]int16, n), out: make([]int16, n)}
		for _, dst := range [][]int16{v.far, v.near} {
			p, err := rd(2 * n)
			if err != nil {
				return err
			}
			for k := range dst {
				dst[k] = int16(binary.LittleEndian.Uint16(p[2*k:]))
			}
		}
		vecs[i] = v
	}
	// Nothing allocates between the markers; no collection may run there.
	debug.SetGCPercent(-1)
	for _, v := range vecs {
		c := ec.New(tail)
		c.SetNLP(false)
		runtime.GC()
		mark()
		c.Process(v.near, v.far, v.out)
		mark()
	}
	return nil
}
