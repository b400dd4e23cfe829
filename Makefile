# OpenIAD — the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
GOBIN    := $(shell $(GO) env GOPATH)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
OUT      ?= out
FUZZTIME ?= 5s

.PHONY: all run test test-long unit e2e deps lint cross bench fuzz clean

all: lint test

## run: start the firmware on the sim board, state under ./var
run:
	$(GO) run ./firmware -state ./var

## test: install what is missing, then lint, cross-build and run every test
## (every fuzz target runs its seed corpus from testdata/; `make fuzz` explores)
test: deps lint cross unit e2e

deps:
	./tools/ci/deps.sh

# Every package under the race detector, except the end-to-end scenarios.
unit:
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e /testrig/scenario -e /testrig/browser)

# The end-to-end scenarios and the browser test run alone: those with real
# peers (Kamailio, baresip, sipp, Chromium) run in real time and need the CPU to themselves; the
# race detector's slowdown would distort real time.
e2e:
	$(GO) test -count=1 -p 1 -timeout 20m ./testrig/scenario ./testrig/browser

## fuzz: explore every fuzz target for FUZZTIME (default 5s) each
fuzz:
	FUZZTIME=$(FUZZTIME) ./tools/ci/fuzz.sh

## test-long: the 30-minute espeak-ng talk-off run of the fax detector
test-long:
	$(GO) test -count=1 -run 'TestNoFalseDetectionOnSpeech' ./dsp/fax -long

## lint: gofmt, go vet (host and ARM), staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=linux GOARCH=arm GOARM=7 $(GO) vet ./...
	GOOS=linux GOARCH=arm64 $(GO) vet ./...
	$(GOBIN)/staticcheck ./...

## cross: static ARM firmware binaries
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUT)/openiad-linux-armv7 ./firmware
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(OUT)/openiad-linux-arm64 ./firmware
	@file $(OUT)/openiad-linux-armv7 $(OUT)/openiad-linux-arm64 2>/dev/null || ls -l $(OUT)

## bench: the performance tables (ours beside the C references Debian ships)
bench: deps
	@echo "== jitter buffer (ours vs speexdsp) and concealment quality"
	$(GO) test -count=1 -run 'TestCompareSpeex|TestConcealmentQuality' -v ./testrig/jbtrace | grep -v '^=== '
	@echo "== caller ID: ours vs spandsp ADSI under noise"
	$(GO) test -count=1 -run 'TestNoiseMargin' -v ./testrig/spandsp | grep -v '^=== '
	@echo "== Go benchmarks (ns/op, allocations)"
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(OUT)
