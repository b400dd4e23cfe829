package peers

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"
)

var errNoAnswer = errors.New("peers: no SIP answer")

// Ping sends one OPTIONS over UDP to addr and returns the status code of
// the response, waiting at most wait (and ctx): a liveness probe for any
// SIP server.
func Ping(ctx context.Context, addr netip.AddrPort, wait time.Duration) (int, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return 0, fmt.Errorf("peers: %w", err)
	}
	defer c.Close()
	dl := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	c.SetDeadline(dl)
	var r [8]byte
	rand.Read(r[:])
	tag := hex.EncodeToString(r[:])
	local := c.LocalAddr().(*net.UDPAddr)
	msg := fmt.Sprintf("OPTIONS sip:%s SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP %s;branch=z9hG4bK-%s;rport\r\n"+
		"Max-Forwards: 5\r\n"+
		"From: <sip:probe@127.0.0.1>;tag=%s\r\n"+
		"To: <sip:%s>\r\n"+
		"Call-ID: %s@127.0.0.1\r\n"+
		"CSeq: 1 OPTIONS\r\n"+
		"Content-Length: 0\r\n\r\n", addr, local, tag, tag, addr, tag)
	if _, err := c.WriteToUDPAddrPort([]byte(msg), addr); err != nil {
		return 0, fmt.Errorf("%w from %s: %w", errNoAnswer, addr, err)
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return 0, fmt.Errorf("%w from %s: %w", errNoAnswer, addr, err)
		}
		// "SIP/2.0 200 OK": take the code of a response to our request.
		line, _, _ := bytes.Cut(buf[:n], []byte("\r\n"))
		if !bytes.HasPrefix(line, []byte("SIP/2.0 ")) || !bytes.Contains(buf[:n], []byte(tag)) || len(line) < 11 {
			continue
		}
		code, err := strconv.Atoi(string(line[8:11]))
		if err != nil {
			continue
		}
		return code, nil
	}
}
