package webui

import (
	"encoding/binary"
	"io"
	"net/netip"
	"time"
)

// The classic libpcap file format (what tcpdump -w writes): a 24-byte
// file header, then per packet a 16-byte record header and the packet.
// Packets are written as raw IP (LINKTYPE_RAW, 101): an IPv4 or IPv6
// header and a UDP header made up from the datagram's two ends, then the
// datagram as it was sent or received.
const (
	pcapMagic    = 0xa1b2c3d4 // microsecond timestamps
	pcapSnapLen  = 65535
	linkTypeRaw  = 101
	pcapFileHdr  = 24
	pcapRecHdr   = 16
	maxDatagram  = 65535 - 8 - 40
	ipProtoUDP   = 17
	ipv4HdrLen   = 20
	ipv6HdrLen   = 40
	udpHdrLen    = 8
	defaultTTL   = 64
	ipv4DontFrag = 0x4000
)

// pcapWriter writes a capture file; it counts what it wrote.
type pcapWriter struct {
	w       io.Writer
	buf     []byte
	n       int64 // bytes written
	packets int
	id      uint16
}

func newPcapWriter(w io.Writer) (*pcapWriter, error) {
	p := &pcapWriter{w: w, buf: make([]byte, 0, 2048)}
	h := make([]byte, pcapFileHdr)
	binary.LittleEndian.PutUint32(h[0:], pcapMagic)
	binary.LittleEndian.PutUint16(h[4:], 2) // version 2.4
	binary.LittleEndian.PutUint16(h[6:], 4)
	// thiszone and sigfigs: 0
	binary.LittleEndian.PutUint32(h[16:], pcapSnapLen)
	binary.LittleEndian.PutUint32(h[20:], linkTypeRaw)
	n, err := w.Write(h)
	p.n += int64(n)
	return p, err
}

// size is the number of bytes write adds for a datagram of n bytes.
func pcapSize(src, dst netip.AddrPort, n int) int64 {
	ip := ipv4HdrLen
	if !bothIPv4(src, dst) {
		ip = ipv6HdrLen
	}
	return int64(pcapRecHdr + ip + udpHdrLen + min(n, maxDatagram))
}

func bothIPv4(a, b netip.AddrPort) bool { return a.Addr().Unmap().Is4() && b.Addr().Unmap().Is4() }

// write adds one UDP datagram from src to dst seen at t.
func (p *pcapWriter) write(t time.Time, src, dst netip.AddrPort, data []byte) error {
	if len(data) > maxDatagram {
		data = data[:maxDatagram]
	}
	b := p.buf[:0]
	b = append(b, make([]byte, pcapRecHdr)...)
	udpLen := udpHdrLen + len(data)
	v4 := bothIPv4(src, dst)
	p.id++
	if v4 {
		s, d := src.Addr().Unmap().As4(), dst.Addr().Unmap().As4()
		ip := make([]byte, ipv4HdrLen)
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(ipv4HdrLen+udpLen))
		binary.BigEndian.PutUint16(ip[4:], p.id)
		binary.BigEndian.PutUint16(ip[6:], ipv4DontFrag)
		ip[8], ip[9] = defaultTTL, ipProtoUDP
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		binary.BigEndian.PutUint16(ip[10:], ^fold(sum16(0, ip)))
		b = append(b, ip...)
	} else {
		s, d := src.Addr().As16(), dst.Addr().As16()
		ip := make([]byte, ipv6HdrLen)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(udpLen))
		ip[6], ip[7] = ipProtoUDP, defaultTTL
		copy(ip[8:], s[:])
		copy(ip[24:], d[:])
		b = append(b, ip...)
	}
	udp := make([]byte, udpHdrLen)
	binary.BigEndian.PutUint16(udp[0:], src.Port())
	binary.BigEndian.PutUint16(udp[2:], dst.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))
	// The UDP checksum over the pseudo-header (RFC 768, RFC 8200 8.1):
	// optional with IPv4, required with IPv6; written for both.
	var acc uint32
	if v4 {
		s, d := src.Addr().Unmap().As4(), dst.Addr().Unmap().As4()
		acc = sum16(acc, s[:])
		acc = sum16(acc, d[:])
	} else {
		s, d := src.Addr().As16(), dst.Addr().As16()
		acc = sum16(acc, s[:])
		acc = sum16(acc, d[:])
	}
	acc += ipProtoUDP + uint32(udpLen)
	acc = sum16(acc, udp)
	acc = sum16(acc, data)
	ck := ^fold(acc)
	if ck == 0 {
		ck = 0xffff
	}
	binary.BigEndian.PutUint16(udp[6:], ck)
	b = append(b, udp...)
	b = append(b, data...)
	rec := b[:pcapRecHdr]
	us := t.UnixMicro()
	binary.LittleEndian.PutUint32(rec[0:], uint32(us/1e6))
	binary.LittleEndian.PutUint32(rec[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(b)-pcapRecHdr))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(b)-pcapRecHdr))
	n, err := p.w.Write(b)
	p.n += int64(n)
	p.buf = b[:0]
	if err == nil {
		p.packets++
	}
	return err
}

// sum16 adds b as big-endian 16-bit words (odd length padded with 0).
func sum16(acc uint32, b []byte) uint32 {
	for len(b) >= 2 {
		acc += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc&0xffff + acc>>16
	}
	return uint16(acc)
}
