#!/usr/bin/env bash
# Installs what `make test` needs on a bare Debian machine. Idempotent: it
# installs only what is missing, so a developer's machine is left alone.
#
# Real peers started by the end-to-end tests (testrig/peers):
#   kamailio   SIP registrar/proxy            (Debian kamailio)
#   baresip    far-end phone, headless        (Debian baresip-core: the
#              `baresip` metapackage drags in a desktop)
#   sipp       scripted SIP scenarios         (Debian sip-tester)
#   sox        WAV inspection by hand         (Debian sox)
set -euo pipefail

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo

# Debian packages (grows with the issues). need_cmd CMD PKG: PKG is missing
# when CMD is not on the PATH.
debs=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || debs+=("$2"); }
need_cmd git git
need_cmd gcc gcc
need_cmd kamailio kamailio
need_cmd baresip baresip-core
need_cmd sipp sip-tester
need_cmd sox sox
need_cmd socat socat
need_cmd tcpdump tcpdump                                               # reads the web page's packet captures (webui tests)
need_cmd xmllint libxml2-utils                                         # TR-069 envelopes checked against the CWMP schemas (firmware/cwmp)
need_cmd curl curl                                                     # TR-069 Connection Request by curl --digest (testrig/acs)
need_cmd qemu-system-arm qemu-system-arm                               # boots the qemu-virt firmware image (testrig/qemu, make qemu)
[ -x /usr/sbin/mke2fs ] || need_cmd mke2fs e2fsprogs                   # the guest's ext4 /data disk (testrig/qemu)
need_cmd chromium chromium                                             # the browser test of the web page
need_cmd node nodejs
need_cmd npm npm
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || debs+=(fonts-noto-cjk)       # Chinese text in screenshots
need_cmd pkg-config pkg-config                                         # cgo finds speexdsp through it
need_cmd espeak-ng espeak-ng                                          # speech for concealment and DTMF talk-off tests
dpkg -s libspandsp-dev >/dev/null 2>&1 || debs+=(libspandsp-dev)     # spandsp ADSI caller-ID reference (testrig/spandsp)
need_cmd qemu-arm qemu-user                                            # ARM instruction counts of the echo canceller (make bench)
dpkg -s libspeexdsp-dev >/dev/null 2>&1 || debs+=(libspeexdsp-dev)   # the C reference for the jitter buffer and echo canceller
need_cmd minisign minisign                                             # firmware image signatures both ways (firmware/update/image)

if [ ${#debs[@]} -gt 0 ]; then
	echo "deps: installing Debian packages: ${debs[*]}"
	# A failing index (one mirror down, a stale proxy) must not stop us: the
	# indexes we already have may well hold the packages.
	# Wait for another apt run (a parallel job) rather than failing at once.
	apt=(apt-get -o DPkg::Lock::Timeout=600)
	$SUDO "${apt[@]}" update -qq || echo "deps: apt-get update reported errors; trying with the indexes we have"
	$SUDO env DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${debs[@]}"
fi

# Go tools, pinned.
GOBIN="$(go env GOPATH)/bin"
if [ ! -x "$GOBIN/staticcheck" ]; then
	echo "deps: installing staticcheck"
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

# npm packages of the browser test (playwright-core drives Debian's chromium).
top="$(cd "$(dirname "$0")/../.." && pwd)"
if [ ! -d "$top/testrig/browser/node_modules/playwright-core" ]; then
	echo "deps: installing the browser test's npm packages"
	(cd "$top/testrig/browser" && npm ci --no-audit --no-fund)
fi
