package qemu_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/update"
	fwimage "github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/testrig/qemu"
)

// The A/B update through the booted guest, over the web page: images
// signed with another key or made for another board are refused with the
// slot disk untouched; a newly signed image (version +1) installs into the
// other slot, the guest reboots into it and commits it; then an image
// whose firmware fails its health check installs, its trial boot fails,
// and the guest rolls back to the previous slot by itself.
func TestUpdateThroughWeb(t *testing.T) {
	dir := image(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	work := t.TempDir()

	// The images: version +1, one whose health check fails, and two that
	// must be refused.
	good, err := qemu.Build(ctx, root(t), mkdir(t, work, "good"), "qemu-virt", "1.0.1", keyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := qemu.Build(ctx, root(t), mkdir(t, work, "bad"), "qemu-virt", "1.0.2", keyPath,
		"-X github.com/openiad/openiad/firmware/update.healthFault=test-fault")
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ourKey, err := fwimage.LoadPrivateKey(keyPath, "")
	if err != nil {
		t.Fatal(err)
	}
	foreign := smallImage(t, work, "foreign.img", "qemu-virt", "1.0.3", otherKey)
	otherBoard := smallImage(t, work, "sim.img", "sim", "1.0.3", ourKey)

	iadctl := filepath.Join(work, "iadctl")
	build := exec.CommandContext(ctx, "go", "build", "-o", iadctl, "./tools/iadctl")
	build.Dir = root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("iadctl: %v: %s", err, out)
	}
	iadctlCmd := func(pw, stdin string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, iadctl, args...)
		cmd.Env = append(os.Environ(), "IADCTL_PASSWORD="+pw)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// The box trusts the test key (as a device owner would add it).
	seed := mkdir(t, work, "seed")
	pub, err := os.ReadFile(strings.TrimSuffix(keyPath, ".key") + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	mkdir(t, seed, "openiad")
	if err := os.WriteFile(filepath.Join(seed, "openiad", "trusted.pub"), pub, 0o644); err != nil {
		t.Fatal(err)
	}
	data, slots := filepath.Join(work, "data.img"), filepath.Join(work, "slots.img")
	if err := os.WriteFile(slots, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(slots, 64<<20); err != nil {
		t.Fatal(err)
	}
	log := &testLog{}
	defer func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("console:\n%s", log.String())
		}
	}()
	fwd := qemu.DefaultForwards()
	start := func() *qemu.VM {
		t.Helper()
		vm, err := qemu.Start(ctx, qemu.Options{
			Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initramfs.cpio.gz"),
			Data: data, DataSeed: seed, SlotDisk: slots, FactoryVersion: baseVersion,
			Forwards: fwd, Log: log,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { vm.Close() })
		fwd = vm.Forwards() // the same host ports on every boot
		return vm
	}
	// status logs in on the console and returns the firmware version.
	status := func(vm *qemu.VM, pw string) string {
		t.Helper()
		at := loginWith(ctx, t, vm.Console, ready(ctx, t, vm.Console, 0), pw)
		vm.Console.Type("status\r")
		m, _, err := vm.Console.Expect(ctx, at, regexp.MustCompile(`firmware (\S+)\s+board qemu-virt`))
		if err != nil {
			t.Fatal(err)
		}
		return m[1]
	}

	vm := start()
	m, _, err := vm.Console.Expect(ctx, 0, rePassword)
	if err != nil {
		t.Fatal(err)
	}
	first, pw := m[1], "Update-Test-7"
	ready(ctx, t, vm.Console, 0)
	url := "https://" + vm.Addr("web")
	if out, err := iadctlCmd(first, pw+"\n", "-k", "-url", url, "password"); err != nil {
		t.Fatalf("changing the password: %v: %s", err, out)
	}
	if v := status(vm, pw); v != baseVersion {
		t.Fatalf("the factory firmware says version %s, want %s", v, baseVersion)
	}

	// Refused before anything is written: the slot disk is byte for byte
	// the same.
	before := fileSum(t, slots)
	for _, img := range []string{foreign, otherBoard} {
		out, err := iadctlCmd(pw, "", "-k", "-url", url, "upgrade", img)
		if err == nil || !strings.Contains(out, "nothing was written") {
			t.Errorf("upgrade %s: %v: %s", filepath.Base(img), err, out)
		}
	}
	if fileSum(t, slots) != before {
		t.Error("a refused image changed the slot disk")
	}

	// Version +1: installs into slot B, the guest reboots into it and
	// commits it.
	if out, err := iadctlCmd(pw, "", "-k", "-url", url, "upgrade", good); err != nil {
		t.Fatalf("upgrade to 1.0.1: %v: %s", err, out)
	}
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("the guest did not reboot after the upgrade: %v", err)
	}
	vm.Close()
	vm = start()
	if _, _, err := vm.Console.Expect(ctx, 0, regexp.MustCompile(`trial boot healthy; slot committed" slot=B version=1.0.1`)); err != nil {
		t.Fatal(err)
	}
	if v := status(vm, pw); v != "1.0.1" {
		t.Errorf("after the upgrade the firmware says %s, want 1.0.1", v)
	}
	c, err := qemu.ReadControl(slots, "qemu-virt", baseVersion)
	if err != nil || c.Committed != update.SlotB || c.Last.Result != update.ResultCommitted {
		t.Errorf("boot control after the upgrade: committed %v, last %+v, %v", c.Committed, c.Last, err)
	}

	// A firmware that fails its health check: installed into slot A, its
	// trial boot fails, the guest reboots and the bootloader rolls back.
	if out, err := iadctlCmd(pw, "", "-k", "-url", url, "upgrade", bad); err != nil {
		t.Fatalf("upgrade to 1.0.2: %v: %s", err, out)
	}
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("the guest did not reboot after the second upgrade: %v", err)
	}
	vm.Close()
	vm = start() // the trial of 1.0.2
	if _, _, err := vm.Console.Expect(ctx, 0, regexp.MustCompile(`failed its health check; rebooting into the previous firmware`)); err != nil {
		t.Fatal(err)
	}
	if err := vm.Wait(ctx); err != nil {
		t.Fatalf("the failed trial did not reboot: %v", err)
	}
	vm.Close()
	vm = start() // rolled back
	if v := status(vm, pw); v != "1.0.1" {
		t.Errorf("after the failed trial the firmware says %s, want 1.0.1 (rolled back)", v)
	}
	c, err = qemu.ReadControl(slots, "qemu-virt", baseVersion)
	if err != nil || c.Committed != update.SlotB || c.Last.Result != update.ResultRolledBack || !strings.Contains(c.Last.Reason, "test-fault") {
		t.Errorf("boot control after the rollback: committed %v, last %+v, %v", c.Committed, c.Last, err)
	}
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	d := filepath.Join(parent, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// smallImage writes a well-formed image with tiny parts.
func smallImage(t *testing.T, dir, name, board, version string, key fwimage.PrivateKey) string {
	t.Helper()
	var b bytes.Buffer
	if _, err := fwimage.Write(&b, fwimage.Header{Board: board, Version: version}, fwimage.KeySigner(key, "test"),
		fwimage.BytesSource("kernel", []byte("kernel")), fwimage.BytesSource("initramfs", []byte("initramfs"))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
