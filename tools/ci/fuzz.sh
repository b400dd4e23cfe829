#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 5s).
set -euo pipefail
t="${FUZZTIME:-5s}"
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($t)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" -fuzzminimizetime 2s "$pkg"
	done
done
