// Package qemuvirt is the board "qemu-virt": QEMU's ARM virt machine
// (qemu-system-arm -M virt), the board the firmware image is booted on in
// CI and under `make qemu`.
//
// The machine has no SLIC hardware, so the board carries the sim board's
// chip models (boards/sim: the real Si321x driver against register-level
// chip models) and serves their virtual lines over the network on
// Options.Listen (":7070" under PID 1), where testrig phones on the host
// attach through QEMU's port forwarding (hostfwd=tcp::7070-:7070).
//
// What PID 1 needs before the board opens — the kernel modules of the
// machine, the /data disk, the network interface — is in Platform;
// tools/mkimage reads the module list from it too.
//
// # Boot
//
// The kernel and the initramfs are booted straight by QEMU (-kernel,
// -initrd; testrig/qemu has the command line). The armmp kernel has
// virtio-mmio, virtio-blk, virtio-net, ext4 (with crc32c) and softdog as
// modules only: the firmware, as PID 1, loads them itself (firmware/pid1).
// /data is the first virtio disk (/dev/vda, ext4), made with mke2fs on the
// host by the launcher when missing; a disk that does not mount leaves the
// box running on a tmpfs /data with a loud log line. The watchdog is the
// kernel's softdog (/dev/watchdog): the armmp kernel has no driver for a
// QEMU watchdog device.
//
// # A/B slots: the bootloader runs on the host
//
// The slots and the boot-control record live on a second virtio disk
// (/dev/vdb, Platform.SlotDevice) in firmware/update's OpenDisk layout.
// The bootloader is testrig/qemu.Boot, run on the host before each start
// of QEMU: QEMU's -kernel/-initrd loading is this machine's boot ROM, so
// the step that picks what to load belongs there. It reads the record,
// decides with update.ChooseBoot (a pending trial spends its try; a trial
// with none left rolls back), writes the record, extracts the chosen
// slot's kernel and initramfs (or takes the factory image for a slot
// without an installed image) and passes openiad.slot=A|B on the kernel
// command line; the firmware then runs with -slot-disk /dev/vdb
// -running-slot X and does not choose again. QEMU runs with -no-reboot,
// so every reboot of the guest goes back through the bootloader.
//
// Why not U-Boot: Debian's u-boot-qemu for qemu_arm (checked: it has
// saveenv, to QEMU's pflash, and fatwrite, but no ext4write) could count
// trial boots in its environment with a boot script, but that needs a
// pflash image per test and U-Boot reading the slots through its own
// virtio and file-system drivers and a FAT partition per slot: a second
// implementation of the record the firmware writes, for nothing a real
// board shares (a real board ports its own bootloader). Why not a stage in
// the initramfs: the armmp kernel has kexec_load but no kexec_file_load, so
// a stage would have to lay out kernel, initramfs and device tree in
// memory itself to change the kernel, and an update must be able to
// replace both. The host-side bootloader runs the very same ChooseBoot and
// record format a board's bootloader port would.
//
// Open skips unless the machine is a QEMU virt machine (its device tree says
// "linux,dummy-virt"). Every method may be called from any goroutine, as
// for boards/sim. The package registers boards driver "qemu-virt" at init.
package qemuvirt

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/openiad/openiad/boards"
	"github.com/openiad/openiad/boards/sim"
)

// Name is the board's name in the registry and in image manifests.
const Name = "qemu-virt"

// Platform is what PID 1 and the image builder need to know of the machine.
var Platform = struct {
	// Modules are the kernel modules the board needs, by name; the image
	// builder adds their dependencies and the load order. ext4 needs the
	// crc32c crypto driver at mount time (a soft dependency modinfo does
	// not list among its depends), hence crc32c_generic.
	Modules []string
	// DataDevice and DataFS are the /data partition.
	DataDevice, DataFS string
	// SlotDevice holds the A/B slots and the boot-control record
	// (firmware/update's OpenDisk layout), when the bootloader names a
	// slot (openiad.slot= on the kernel command line).
	SlotDevice string
	// Interface is the WAN interface.
	Interface string
	// Watchdog is the watchdog device.
	Watchdog string
	// Listen is where the virtual lines are served under PID 1.
	Listen string
	// Web and WebHTTP are where the web page listens under PID 1.
	Web, WebHTTP string
}{
	Modules:    []string{"virtio_mmio", "virtio_blk", "virtio_net", "crc32c_generic", "ext4", "softdog"},
	DataDevice: "/dev/vda",
	DataFS:     "ext4",
	SlotDevice: "/dev/vdb",
	Interface:  "eth0",
	Watchdog:   "/dev/watchdog",
	Listen:     ":7070",
	Web:        ":443",
	WebHTTP:    ":80",
}

// compatible is where Linux shows the machine's device-tree compatible
// strings; QEMU's virt machine has "linux,dummy-virt".
var compatible = "/proc/device-tree/compatible"

// Present reports whether this machine is a QEMU virt machine.
func Present() bool {
	b, err := os.ReadFile(compatible)
	return err == nil && bytes.Contains(b, []byte("linux,dummy-virt"))
}

type driver struct{}

func (driver) Name() string { return Name }

// Open builds the board: a sim board under this name, serving its lines on
// o.Listen (Platform.Listen when empty).
func (driver) Open(ctx context.Context, o boards.Options) (*boards.Board, error) {
	if !Present() {
		return nil, fmt.Errorf("%w: qemu-virt: %s does not name linux,dummy-virt", boards.ErrSkip, compatible)
	}
	return open(ctx, o)
}

func open(ctx context.Context, o boards.Options) (*boards.Board, error) {
	if o.Listen == "" {
		o.Listen = Platform.Listen
	}
	b, err := sim.New(sim.Options{FXS: o.FXS, FXO: o.FXO, E1: o.E1, Listen: o.Listen, Log: o.Log})
	if err != nil {
		return nil, fmt.Errorf("qemu-virt: %w", err)
	}
	if err := b.Start(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("qemu-virt: %w", err)
	}
	v := b.Boards()
	v.Name = Name
	v.Info["machine"] = "QEMU virt (ARM), lines from the sim board's chip models"
	v.Info["data"] = Platform.DataDevice + " (" + Platform.DataFS + ")"
	v.Info["watchdog"] = Platform.Watchdog + " (softdog)"
	return v, nil
}

func init() { boards.Register(driver{}) }
