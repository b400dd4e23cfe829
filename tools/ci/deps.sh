#!/usr/bin/env bash
# Installs what `make test` needs on a bare Debian machine. Idempotent: it
# installs only what is missing, so a developer's machine is left alone.
set -euo pipefail

# Debian packages the tests start as real peers (grows with the issues).
debs=()
need_deb() { command -v "$1" >/dev/null 2>&1 || debs+=("$2"); }
need_deb git git
need_deb gcc gcc

if [ ${#debs[@]} -gt 0 ]; then
	echo "deps: installing Debian packages: ${debs[*]}"
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	$SUDO apt-get update -qq || echo "deps: apt-get update reported errors; trying with the indexes we have"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${debs[@]}"
fi

# Go tools, pinned.
GOBIN="$(go env GOPATH)/bin"
if [ ! -x "$GOBIN/staticcheck" ]; then
	echo "deps: installing staticcheck"
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
