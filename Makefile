# OpenIAD — the two commands a newcomer needs are `make run` and `make test`.
GO       ?= go
GOBIN    := $(shell $(GO) env GOPATH)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X github.com/openiad/openiad/firmware/version.Version=$(VERSION)
OUT      ?= out
FUZZTIME ?= 5s

.PHONY: all run test test-long unit e2e deps lint cross bench fuzz clean keys image qemu

all: lint test

## run: start the firmware on the sim board, state under ./var
run:
	$(GO) run ./firmware -state ./var

## keys: development signing keys out/keys/openiad.{key,pub}, made once, never committed
keys: $(OUT)/keys/openiad.pub
$(OUT)/keys/openiad.pub:
	$(GO) run ./tools/iadsign keygen -dir $(OUT)/keys

## test: install what is missing, then lint, cross-build and run every test
## (every fuzz target runs its seed corpus from testdata/; `make fuzz` explores)
test: deps lint cross unit e2e

deps:
	./tools/ci/deps.sh

# Every package under the race detector, except the end-to-end scenarios.
unit:
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e /testrig/scenario -e /testrig/browser -e /testrig/qemu)

# The end-to-end scenarios, the browser test and the QEMU boots of the image run alone: those with real
# peers (Kamailio, baresip, sipp, Chromium) run in real time and need the CPU to themselves; the
# race detector's slowdown would distort real time.
e2e:
	$(GO) test -count=1 -p 1 -timeout 20m ./testrig/scenario ./testrig/browser ./testrig/qemu

## fuzz: explore every fuzz target for FUZZTIME (default 5s) each
fuzz:
	FUZZTIME=$(FUZZTIME) ./tools/ci/fuzz.sh

## test-long: the 30-minute espeak-ng talk-off runs of the fax and DTMF detectors
test-long:
	$(GO) test -count=1 -run 'TestNoFalseDetectionOnSpeech' ./dsp/fax -long
	$(GO) test -count=1 -timeout 30m -run 'TestTalkOffSpeechAndMusic' ./dsp/dtmf -long

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

## image: the signed firmware image $(OUT)/$(BOARD)/openiad-$(BOARD)-<version>.img (and, beside it,
## vmlinuz and initramfs.cpio.gz for booting without a bootloader); IMAGE_VERSION=1.2.3 to choose
BOARD         ?= qemu-virt
IMAGE_VERSION ?= 0.1.$(shell git rev-list --count HEAD 2>/dev/null || echo 0)
image: keys
	./tools/mkimage/kernel.sh $(OUT)/kernel/armmp
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '-s -w -X main.version=$(IMAGE_VERSION) -X github.com/openiad/openiad/firmware/version.Version=$(IMAGE_VERSION)' -o $(OUT)/$(BOARD)/init ./firmware
	$(GO) run ./tools/mkimage -board $(BOARD) -version $(IMAGE_VERSION) -init $(OUT)/$(BOARD)/init -kernel $(OUT)/kernel/armmp -key $(OUT)/keys/openiad.key -out $(OUT)/$(BOARD)

## qemu: boot the image in qemu-system-arm -M virt, console here (Ctrl-A X quits); web page
## https://127.0.0.1:8443/, phones on 127.0.0.1:7070, SIP on udp 127.0.0.1:5062; /data in $(OUT)/$(BOARD)/data.img
qemu: image
	$(GO) run ./testrig/qemu/cmd/qemu -dir $(OUT)/$(BOARD)

## bench: the performance tables (ours beside the C references Debian ships)
bench: deps
	@echo "== jitter buffer (ours vs speexdsp) and concealment quality"
	$(GO) test -count=1 -run 'TestCompareSpeex|TestConcealmentQuality' -v ./testrig/jbtrace | grep -v '^=== '
	@echo "== echo canceller (G.168, ours vs speexdsp; ARM instructions per sample under qemu-user)"
	$(GO) test -count=1 -run '^$$' -bench 'Table$$' -benchtime 1x ./testrig/g168 | grep -v -e '^goos' -e '^goarch' -e '^pkg' -e '^cpu'
	@echo "== caller ID: ours vs spandsp ADSI under noise"
	$(GO) test -count=1 -run 'TestNoiseMargin' -v ./testrig/spandsp | grep -v '^=== '
	@echo "== firmware image (qemu-virt): size without the kernel, RSS on the booted guest with every port in a call"
	$(GO) test -count=1 -run 'TestImageFigures' -v ./testrig/qemu -figures | grep -v -e '^=== ' -e '^--- ' -e '^PASS' -e '^ok '
	@echo "== Go benchmarks (ns/op, allocations)"
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(OUT)
