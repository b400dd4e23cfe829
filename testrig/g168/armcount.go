package g168

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Arch is an ARM target whose instructions the bench counts under
// qemu-user.
type Arch struct {
	Name string   // as the table shows it
	Env  []string // GOARCH and friends for go build
	Qemu string   // the qemu-user program
}

// The two targets of the table.
var (
	ARMv7 = Arch{Name: "ARMv7", Env: []string{"GOARCH=arm", "GOARM=7"}, Qemu: "qemu-arm"}
	ARM64 = Arch{Name: "ARM64", Env: []string{"GOARCH=arm64"}, Qemu: "qemu-aarch64"}
)

// ErrNoQemu reports that qemu-user or gcc is missing.
var ErrNoQemu = errors.New("g168: qemu-user or gcc not installed; install with `./tools/ci/deps.sh` or `apt-get install -y --no-install-recommends qemu-user gcc`")

// QemuMissing returns ErrNoQemu when the programs the instruction count
// needs are not on the PATH.
func QemuMissing() error {
	for _, p := range []string{"go", "gcc", ARMv7.Qemu, ARM64.Qemu} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Errorf("%w (%s)", ErrNoQemu, p)
		}
	}
	return nil
}

// Counter counts the canceller's instructions per sample on ARM: it builds
// internal/ecloop for each target and the instruction-counting plugin
// (testdata/insn.c) once, in a temporary directory.
type Counter struct {
	dir string
}

// pkgDir is this package's source directory (the bench runs from a
// checkout).
func pkgDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("g168: cannot locate the package source")
	}
	return filepath.Dir(file), nil
}

// NewCounter builds the plugin and the programs under dir.
func NewCounter(ctx context.Context, dir string) (*Counter, error) {
	if err := QemuMissing(); err != nil {
		return nil, err
	}
	src, err := pkgDir()
	if err != nil {
		return nil, err
	}
	c := &Counter{dir: dir}
	cmd := exec.CommandContext(ctx, "gcc", "-shared", "-fPIC", "-O2", "-o", filepath.Join(dir, "insn.so"), filepath.Join(src, "testdata", "insn.c"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("g168: building the qemu plugin: %w\n%s", err, out)
	}
	for _, a := range []Arch{ARMv7, ARM64} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "ecloop-"+a.Name), "./internal/ecloop")
		cmd.Dir = src
		cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux"), a.Env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("g168: building ecloop for %s: %w\n%s", a.Name, err, out)
		}
	}
	return c, nil
}

// Count runs dsp/ec with the tail over each of vecs (NLP off, a fresh
// canceller each) on the target and returns the instructions per sample
// of each.
func (c *Counter) Count(ctx context.Context, a Arch, tail time.Duration, vecs []*Vectors) ([]float64, error) {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint32(len(vecs)))
	for _, v := range vecs {
		n := len(v.Near) / 80 * 80
		binary.Write(&b, binary.LittleEndian, uint32(n))
		binary.Write(&b, binary.LittleEndian, v.Far[:n])
		binary.Write(&b, binary.LittleEndian, v.Near[:n])
	}
	in := filepath.Join(c.dir, "vectors")
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		return nil, err
	}
	log := filepath.Join(c.dir, "insn-"+a.Name+".log")
	cmd := exec.CommandContext(ctx, a.Qemu, "-plugin", filepath.Join(c.dir, "insn.so"), "-d", "plugin", "-D", log,
		filepath.Join(c.dir, "ecloop-"+a.Name), "-tail", tail.String(), in)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("g168: %s under %s: %w\n%s", a.Name, a.Qemu, err, out)
	}
	marks, err := readMarks(log)
	if err != nil {
		return nil, err
	}
	if len(marks) != 2*len(vecs) {
		return nil, fmt.Errorf("g168: %s: %d markers in %s, want %d", a.Name, len(marks), log, 2*len(vecs))
	}
	res := make([]float64, len(vecs))
	for i, v := range vecs {
		res[i] = float64(marks[2*i+1]-marks[2*i]) / float64(len(v.Near)/80*80)
	}
	return res, nil
}

func readMarks(name string) ([]uint64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var marks []uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "insn-mark "); ok {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("g168: %s: %w", name, err)
			}
			marks = append(marks, n)
		}
	}
	return marks, sc.Err()
}
