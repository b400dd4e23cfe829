#!/usr/bin/env bash
# Fetches the board's kernel for the image build: for qemu-virt, Debian's
# armhf linux-image-*-armmp package (apt-get download; no installation),
# unpacked into DEST as DEST/vmlinuz and DEST/modules (its lib/modules/<rel>).
# Idempotent: a DEST that already holds a kernel is left alone.
#
# `apt-get update` also fetches the security archive's armhf index, which can
# fail while a mirror is mid-sync although the main archive's index is fine:
# the fetch goes on with the indexes it has and fails, with a clear message,
# only when the package itself cannot be had.
set -euo pipefail

dest="${1:?usage: kernel.sh DEST}"
if [ -f "$dest/vmlinuz" ] && [ -d "$dest/modules" ]; then
	exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
apt=(apt-get -o DPkg::Lock::Timeout=600)

if ! dpkg --print-foreign-architectures | grep -qx armhf; then
	echo "kernel: adding the armhf architecture to dpkg"
	$SUDO dpkg --add-architecture armhf
	$SUDO "${apt[@]}" update -qq || echo "kernel: apt-get update reported errors; going on with the indexes we have"
fi
# The metapackage names the current kernel package.
pkg_of() { apt-cache depends linux-image-armmp:armhf 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
pkg="$(pkg_of || true)"
if [ -z "$pkg" ]; then
	$SUDO "${apt[@]}" update -qq || echo "kernel: apt-get update reported errors; going on with the indexes we have"
	pkg="$(pkg_of || true)"
fi
if [ -z "$pkg" ]; then
	echo "kernel: no armhf linux-image-armmp in the apt indexes: cannot fetch the qemu-virt kernel" >&2
	exit 1
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
if ! (cd "$tmp" && "${apt[@]}" download -q "$pkg" >/dev/null 2>"$tmp/err"); then
	# The index may be stale: refresh it once and try again.
	$SUDO "${apt[@]}" update -qq || echo "kernel: apt-get update reported errors; going on with the indexes we have"
	pkg="$(pkg_of || true)"
	if [ -z "$pkg" ] || ! (cd "$tmp" && "${apt[@]}" download -q "$pkg" >/dev/null 2>"$tmp/err"); then
		echo "kernel: cannot download ${pkg:-linux-image-*-armmp:armhf}:" >&2
		cat "$tmp/err" >&2
		exit 1
	fi
fi
dpkg-deb -x "$tmp"/*.deb "$tmp/x"
mkdir -p "$dest"
rm -rf "$dest/modules"
cp "$tmp"/x/boot/vmlinuz-* "$dest/vmlinuz"
mv "$tmp"/x/lib/modules/* "$dest/modules"
echo "$pkg" >"$dest/package"
echo "kernel: $pkg in $dest"
