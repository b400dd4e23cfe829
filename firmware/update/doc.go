// Package update installs signed firmware images into the inactive of two
// slots (A/B) and decides, with the bootloader, which slot boots.
//
// The one install path: the web page, the console's `upgrade <url>` and
// TR-069 Download all call [Updater.Install] with the image's bytes as a
// stream. Install checks the manifest's signature against the box's trusted
// public keys, the board and the version (no downgrade unless
// InstallOptions.AllowDowngrade) before it writes a byte to the slot; it then
// streams the parts into the inactive slot while image.Reader checks each
// part's size and SHA-256, and marks the slot for a trial boot. The caller
// reboots.
//
// # Boot control
//
// The slots and a small boot-control record ([Control]) live behind a
// [Backend]. The record is always replaced whole and atomically, and the
// order of writes keeps one bootable slot at every instant:
//
//  1. Install first marks the inactive slot invalid (the record still boots
//     the committed slot), then writes the parts, syncs them, and only then
//     writes a record with the slot valid and a trial pending (TriesLeft 1).
//  2. The bootloader calls [ChooseBoot]: a pending trial with tries left
//     boots the new slot and spends a try; a pending trial with none left
//     (the trial boot failed its health check, hung and was reset by the
//     watchdog, or lost power) is rolled back and the committed slot boots.
//  3. The firmware, booted into a trial, calls [Updater.Confirm] with its
//     health check (engine running, config loaded, SIP registered, bounded
//     by a wait). Success commits the slot; failure records the reason and
//     the caller reboots, so step 2 rolls back.
//
// [Updater.Status] tells the running slot and version, whether this boot is
// a trial, and the outcome of the last install (committed or rolled back,
// and why), which survives reboots so TR-069 can send TransferComplete.
//
// # Backends
//
// [FileBackend] keeps each slot's parts as files in a directory and the
// record in control.json, written with fsync and rename: for the sim and
// the host, where the "bootloader" is [Updater.Boot] at start-up.
// [BlockBackend] keeps them on a block device (a disk's partitions, a flash
// region) at fixed offsets: two copies of the record, each with a sequence
// number and CRC, written alternately, so a torn write leaves the other
// copy; for boards such as qemu-virt. [OpenDisk] lays one over a whole disk
// so that a bootloader (or a QEMU harness on the host, reading the disk
// image) and the firmware (flags -slot-disk /dev/vdX -running-slot B) share
// it; [Provision] fills a blank disk's first slot at the factory.
//
// Both survive a power cut at any write: the tests cut at every write of an
// install, its trial boot and its commit (updatetest.Device for the block
// device, configtest.FS for the files), under each policy for unsynced
// writes, and the next boot always finds one bootable slot whose parts
// match the record.
//
// # Health check
//
// [Health] says what a trial boot must show: Ready (media engine running,
// configuration loaded) within Wait, then SIP registered or Wait passed.
// A firmware linked with
// -X github.com/openiad/openiad/firmware/update.healthFault=reason fails
// every health check: the QEMU test installs such an image to see the box
// roll back by itself.
//
// # Trusted keys
//
// The firmware trusts the minisign public keys listed in
// firmware/update/keys/release.pub, embedded at build time ([ReleaseKeys]),
// which may be empty, plus keys the device owner adds: the firmware's -trust
// flag names a key file, and <state>/trusted.pub is read when it exists.
// Development keys are made by `make keys` into out/keys (never committed),
// so a fresh clone builds and runs without any key, and an image built with
// the development key installs on a sim started with -trust
// out/keys/openiad.pub. A release build puts its public key into
// release.pub. An image signed by no trusted key is refused.
//
// Why not embed the development key? A generated file that the build
// needs would break a fresh clone (go:embed of a missing file does not
// compile) or tempt someone to commit a key; and a key compiled into every
// developer's build would make their images install on each other's boxes.
// The embedded list is for the keys a vendor guards; the flag and the state
// file are for the bench.
//
// An Updater's methods are safe for concurrent use; one Install runs at a
// time.
package update
