module github.com/openiad/openiad

go 1.26.0

require (
	aead.dev/minisign v0.3.0
	github.com/beevik/ntp v1.6.0
	github.com/emiago/sipgo v1.7.2
	github.com/icholy/digest v1.2.0
	github.com/insomniacslk/dhcp v0.0.0-20260901064844-234b97448fae
	github.com/pion/rtcp v1.2.20
	github.com/pion/rtp v1.10.6
	github.com/vishvananda/netlink v1.3.1
	github.com/zaf/g711 v1.4.0
	go.bug.st/serial v1.8.0
	golang.org/x/net v0.59.0
	golang.org/x/sys v0.48.0
	periph.io/x/conn/v3 v3.7.3
)

require (
	github.com/gobwas/httphead v0.1.0 // indirect
	github.com/gobwas/pool v0.2.1 // indirect
	github.com/gobwas/ws v1.3.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/josharian/native v1.1.0 // indirect
	github.com/mdlayher/packet v1.1.2 // indirect
	github.com/mdlayher/socket v0.4.1 // indirect
	github.com/pierrec/lz4/v4 v4.1.14 // indirect
	github.com/pion/randutil v0.1.0 // indirect
	github.com/u-root/uio v0.0.0-20230220225925-ffce2a382923 // indirect
	github.com/vishvananda/netns v0.0.5 // indirect
	golang.org/x/crypto v0.57.0 // indirect
	golang.org/x/sync v0.16.0 // indirect
)
