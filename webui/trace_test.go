package webui

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
	"github.com/openiad/openiad/testrig/peers"
)

const testInvite = "INVITE sip:013800138000@carrier.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1\r\nCall-ID: trace-test-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
const testRegister = "REGISTER sip:carrier.example SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2\r\nCall-ID: trace-test-2\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"

// peer is a far-end SIP socket that the bench's tapped socket sends to.
func (b *bench) peer(t *testing.T) net.PacketConn {
	t.Helper()
	p, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// send sends a SIP message through the tapped socket (as the box's SIP
// stack would) to the peer.
func (b *bench) send(t *testing.T, to net.PacketConn, msg string) {
	t.Helper()
	if _, err := b.opts.Tap.WriteTo([]byte(msg), to.LocalAddr()); err != nil {
		t.Fatal(err)
	}
}

// server serves the bench's page over HTTP on 127.0.0.1 for streaming
// answers; client requests carry the session and same-origin headers.
func (b *bench) server(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(b.srv)
	t.Cleanup(ts.Close)
	return ts
}

func (b *bench) request(t *testing.T, ts *httptest.Server, method, path, sid, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	r.AddCookie(&http.Cookie{Name: CookieName, Value: sid})
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		r.Header.Set("Origin", ts.URL)
	}
	res, err := ts.Client().Do(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

// The live trace streams each SIP message as a Server-Sent Event the
// page's script shows; the JSON trace collects them for a while.
func TestSIPTraceStream(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	far := b.peer(t)
	ts := b.server(t)
	res := b.request(t, ts, "GET", "/diag/sip-trace/stream", sid, "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	rd := bufio.NewReader(res.Body)
	event := func() (string, string) {
		var name, data string
		for {
			l, err := rd.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v", err)
			}
			l = strings.TrimRight(l, "\n")
			switch {
			case l == "" && name != "":
				return name, data
			case strings.HasPrefix(l, "event: "):
				name = l[7:]
			case strings.HasPrefix(l, "data: "):
				data = l[6:]
			}
		}
	}
	if n, _ := event(); n != "ready" {
		t.Fatalf("first event %q", n)
	}
	b.send(t, far, testInvite)
	n, data := event()
	var m traceMsg
	if err := json.Unmarshal([]byte(data), &m); n != "sip" || err != nil {
		t.Fatalf("event %q %q: %v", n, data, err)
	}
	if !m.Sent || m.Head != "INVITE sip:013800138000@carrier.example SIP/2.0" || m.Remote != far.LocalAddr().String() ||
		m.Local != b.sip.LocalAddr().String() || m.Text != testInvite || m.Bytes != len(testInvite) {
		t.Errorf("trace message %+v", m)
	}

	// The diagnostics page has the trace's controls and script hooks, in
	// both languages.
	for lang, want := range map[string][]string{"en": {"Start trace", `data-running="Tracing…"`}, "zh": {"开始跟踪", `data-running="正在跟踪……"`}} {
		mustContain(t, b.do(req{method: "GET", path: "/diag", cookie: sid, lang: lang}).text(), append(want, `data-trace="/diag/sip-trace/stream"`)...)
	}

	// JSON: what passes in the next second.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				b.opts.Tap.WriteTo([]byte(testRegister), far.LocalAddr())
			}
		}
	})
	r := b.do(req{method: "GET", path: "/diag/sip-trace?seconds=1", cookie: sid, json: true})
	close(done)
	wg.Wait()
	var got struct{ Messages []traceMsg }
	if err := json.Unmarshal(r.Body.Bytes(), &got); err != nil || r.Code != 200 {
		t.Fatalf("%d %v %s", r.Code, err, r.text())
	}
	if len(got.Messages) == 0 || !strings.HasPrefix(got.Messages[0].Head, "REGISTER ") {
		t.Errorf("JSON trace %+v", got.Messages)
	}
	for _, bad := range []string{"0", "31", "x"} {
		if r := b.do(req{method: "GET", path: "/diag/sip-trace?seconds=" + bad, cookie: sid, json: true}); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("seconds=%s: %d", bad, r.Code)
		}
	}
	if r := b.do(req{method: "GET", path: "/diag/sip-trace/stream", json: true}); r.Code != http.StatusUnauthorized {
		t.Errorf("stream without a session: %d", r.Code)
	}
}

// pcapPacket is one record of a capture file, as an independent reader
// of the libpcap format sees it.
type pcapPacket struct {
	at       time.Time
	src, dst netip.AddrPort
	payload  []byte
}

// readPcap checks the file header and decodes raw-IP UDP records.
func readPcap(t *testing.T, b []byte) []pcapPacket {
	t.Helper()
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint16(b[4:]) != 2 ||
		binary.LittleEndian.Uint16(b[6:]) != 4 || binary.LittleEndian.Uint32(b[20:]) != 101 {
		t.Fatalf("pcap header % x", b[:min(24, len(b))])
	}
	var out []pcapPacket
	for p := b[24:]; len(p) > 0; {
		if len(p) < 16 {
			t.Fatalf("truncated record header")
		}
		sec, usec := binary.LittleEndian.Uint32(p), binary.LittleEndian.Uint32(p[4:])
		incl, orig := binary.LittleEndian.Uint32(p[8:]), binary.LittleEndian.Uint32(p[12:])
		if incl != orig || int(incl) > len(p)-16 {
			t.Fatalf("record lengths %d/%d of %d", incl, orig, len(p)-16)
		}
		pkt := p[16 : 16+incl]
		p = p[16+incl:]
		var src, dst netip.Addr
		var udp []byte
		switch pkt[0] >> 4 {
		case 4:
			ihl := int(pkt[0]&15) * 4
			if pkt[9] != 17 || int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt) {
				t.Fatalf("IPv4 header % x", pkt[:20])
			}
			var sum uint32
			for i := 0; i < ihl; i += 2 {
				sum += uint32(binary.BigEndian.Uint16(pkt[i:]))
			}
			for sum > 0xffff {
				sum = sum&0xffff + sum>>16
			}
			if sum != 0xffff {
				t.Fatalf("IPv4 header checksum wrong: % x", pkt[:20])
			}
			src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
			udp = pkt[ihl:]
		case 6:
			src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
			udp = pkt[40:]
		default:
			t.Fatalf("not IP: % x", pkt[:1])
		}
		if int(binary.BigEndian.Uint16(udp[4:])) != len(udp) {
			t.Fatalf("UDP length %d of %d", binary.BigEndian.Uint16(udp[4:]), len(udp))
		}
		out = append(out, pcapPacket{at: time.Unix(int64(sec), int64(usec)*1000),
			src: netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp)), dst: netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:])), payload: udp[8:]})
	}
	return out
}

// A capture downloads as a libpcap file with the SIP, RTP and RTCP that
// passed while it ran; tcpdump reads it and shows the INVITE.
func TestPacketCapture(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	far := b.peer(t)
	ts := b.server(t)
	res := b.request(t, ts, "POST", "/diag/capture", sid, form("seconds", "1", "limit", "64"))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/vnd.tcpdump.pcap" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `attachment; filename="openiad-20260501-120000.pcap"`) {
		t.Fatalf("capture: %d %v", res.StatusCode, res.Header)
	}
	head := make([]byte, 24)
	if _, err := io.ReadFull(res.Body, head); err != nil {
		t.Fatal(err) // the header comes at once: the capture runs
	}
	// While it runs: one more capture is refused.
	if r := b.do(req{method: "POST", path: "/diag/capture", cookie: sid, body: form("seconds", "1"), json: true}); r.Code != http.StatusConflict {
		t.Errorf("a second capture: %d %s", r.Code, r.text())
	}
	b.send(t, far, testInvite)
	local, remote := netip.MustParseAddrPort("127.0.0.1:16384"), netip.MustParseAddrPort("[2001:db8::7]:40000")
	rtp := []byte{0x80, 0x08, 0x00, 0x01, 0, 0, 0, 160, 0xde, 0xad, 0xbe, 0xef, 0xd5, 0xd5}
	b.opts.Tap.Media(true, false, local, netip.MustParseAddrPort("192.0.2.7:40000"), rtp)
	b.opts.Tap.Media(false, true, local, remote, []byte{0x81, 0xc9, 0, 1, 1, 2, 3, 4})
	rest, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	file := append(head, rest...)
	pkts := readPcap(t, file)
	if len(pkts) != 3 {
		t.Fatalf("%d packets", len(pkts))
	}
	boxSIP := netip.MustParseAddrPort(b.sip.LocalAddr().String())
	farSIP := netip.MustParseAddrPort(far.LocalAddr().String())
	if p := pkts[0]; p.src != boxSIP || p.dst != farSIP || string(p.payload) != testInvite {
		t.Errorf("SIP packet %v -> %v %q", p.src, p.dst, p.payload)
	}
	if p := pkts[1]; p.src != local || p.dst.String() != "192.0.2.7:40000" || string(p.payload) != string(rtp) {
		t.Errorf("RTP packet %v -> %v", p.src, p.dst)
	}
	if p := pkts[2]; p.dst.Addr().Unmap() != local.Addr() || p.src.Addr() != remote.Addr() || len(p.payload) != 8 {
		t.Errorf("RTCP packet %v -> %v (IPv6 from a v4 box: mapped)", p.src, p.dst)
	}

	// An independent reader: tcpdump opens the file and shows the INVITE.
	peers.Need(t, "tcpdump")
	path := filepath.Join(t.TempDir(), "capture.pcap")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tcpdump", "-nn", "-r", path, "-A").CombinedOutput()
	if err != nil {
		t.Fatalf("tcpdump: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{"INVITE sip:013800138000@carrier.example SIP/2.0", boxSIP.Addr().String() + "." + fmt.Sprint(boxSIP.Port()) + " > " +
		farSIP.Addr().String() + "." + fmt.Sprint(farSIP.Port()) + ": UDP", "127.0.0.1.16384 > 192.0.2.7.40000"} {
		if !strings.Contains(text, want) {
			t.Errorf("tcpdump lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "bad cksum") || strings.Contains(text, "truncated") {
		t.Errorf("tcpdump complains:\n%s", text)
	}
}

// Capture limits: duration and size bounds are refused with a message
// naming them; the size limit ends a capture early.
func TestCaptureLimits(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	for _, tc := range []struct{ seconds, limit, want string }{
		{"0", "", "seconds: a number from 1 to 120"},
		{"121", "", "seconds: a number from 1 to 120"},
		{"x", "", "seconds"},
		{"10", "0", "size limit"},
		{"10", "40000", "size limit"},
	} {
		for _, lang := range []string{"en", "zh"} {
			r := b.do(req{method: "POST", path: "/diag/capture", cookie: sid, lang: lang, body: form("seconds", tc.seconds, "limit", tc.limit)})
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("%+v: %d", tc, r.Code)
			}
			if lang == "en" {
				mustContain(t, r.text(), tc.want)
			}
			if markerRE.MatchString(r.text()) {
				t.Errorf("missing translation in %s", lang)
			}
		}
	}
	// 1 KiB: the second INVITE does not fit; the capture ends before its
	// time is up.
	far := b.peer(t)
	ts := b.server(t)
	res := b.request(t, ts, "POST", "/diag/capture", sid, form("seconds", "60", "limit", "1"))
	head := make([]byte, 24)
	if _, err := io.ReadFull(res.Body, head); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	big := testInvite + strings.Repeat("v=0 padding\r\n", 50) // 730 bytes: one fits in 1 KiB, two do not
	b.send(t, far, big)
	b.send(t, far, big)
	rest, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the size limit did not end the capture (%v)", d)
	}
	if pkts := readPcap(t, append(head, rest...)); len(pkts) != 1 || len(head)+len(rest) > 1024 {
		t.Errorf("%d packets, %d bytes with a 1 KiB limit", len(pkts), len(head)+len(rest))
	}
}

// The status page shows each call's quality; the records page lists the
// call records and downloads them as CSV.
func TestCallQualityAndRecords(t *testing.T) {
	b := newBench(t, nil)
	sid := b.admin(t)
	for lang, words := range map[string][]string{"en": {"outgoing", "in a call"}, "zh": {"呼出", "通话中"}} {
		body := b.do(req{method: "GET", path: "/", cookie: sid, lang: lang}).text()
		mustContain(t, body, append(words, `id="call-2"`, "PCMU/8000", "1.2 %", "4.2 ms", "31.4 dB", "4.12", "1m 30s", "013912345678")...)
	}
	m := b.do(req{method: "GET", path: "/", cookie: sid, json: true}).decode(t)
	c := m["calls"].([]any)[0].(map[string]any)
	if q := c["quality"].(map[string]any); q["codec"] != "PCMU/8000" || q["mos"] != 4.12 || c["direction"] != "out" {
		t.Errorf("JSON call %v", c)
	}

	body := b.do(req{method: "GET", path: "/calls", cookie: sid, lang: "zh"}).text()
	mustContain(t, body, "013800138000", "PCMA/8000", "0.2 %", "4.31", "2m 00s", "无人接听", "已接通", "呼入", `href="/calls.csv"`)
	body = b.do(req{method: "GET", path: "/calls?port=2", cookie: sid}).text()
	if strings.Contains(body, "013800138000") || !strings.Contains(body, "02150001111") {
		t.Error("the port filter does not filter")
	}
	mustContain(t, body, `href="/calls.csv?port=2"`)
	body = b.do(req{method: "GET", path: "/calls?from=2026-05-01&to=2026-05-01", cookie: sid}).text()
	if strings.Contains(body, "013800138000") || !strings.Contains(body, "02150001111") {
		t.Error("the day filter does not filter")
	}
	var jd struct{ Records []map[string]any }
	if err := json.Unmarshal(b.do(req{method: "GET", path: "/calls", cookie: sid, json: true}).Body.Bytes(), &jd); err != nil || len(jd.Records) != 2 {
		t.Errorf("JSON records %v %v", jd.Records, err)
	}
	r := b.do(req{method: "GET", path: "/calls.csv?port=1", cookie: sid})
	if r.Code != 200 || r.Header().Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(r.Header().Get("Content-Disposition"), "attachment") ||
		r.text() != "seq,port,caller,callee\n1,1,201,013800138000\n" {
		t.Errorf("CSV %d %v %q", r.Code, r.Header(), r.text())
	}
	for _, q := range []string{"port=x", "from=yesterday", "to=2026-13-01", "n=0", "n=5000"} {
		if r := b.do(req{method: "GET", path: "/calls?" + q, cookie: sid, json: true}); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", q, r.Code)
		}
	}
}

// The upgrade's refusal reasons and the restart notice are the page's
// language.
func TestUpgradeTexts(t *testing.T) {
	var reason error
	b := newBench(t, func(o *Options) {
		o.Upgrade = func(_ context.Context, r io.Reader) error {
			io.Copy(io.Discard, r)
			return reason
		}
	})
	sid := b.admin(t)
	body, ctype := multipartBody(t, "image", "fw.img", []byte("image bytes"))
	for _, tc := range []struct {
		err  error
		want map[string]string
	}{
		{fmt.Errorf("update: check: %w", image.ErrUntrusted), map[string]string{"en": "not signed by a key this box trusts", "zh": "信任的密钥签名"}},
		{fmt.Errorf("%w: image for acme-x, box is sim", update.ErrBoard), map[string]string{"en": "for another kind of board", "zh": "其他型号的主板"}},
		{fmt.Errorf("%w: 1.0.0 < 1.2.0", update.ErrDowngrade), map[string]string{"en": "older than the firmware running now", "zh": "低于当前运行的版本"}},
		{image.ErrFormat, map[string]string{"en": "not an OpenIAD firmware image", "zh": "不是 OpenIAD 固件"}},
		{errors.New("update: disk full"), map[string]string{"en": "update: disk full", "zh": "update: disk full"}},
		{nil, map[string]string{"en": "The box restarts into it now", "zh": "设备现在重启进入新固件"}},
	} {
		reason = tc.err
		for lang, want := range tc.want {
			r := b.do(req{method: "POST", path: "/system/upgrade", cookie: sid, lang: lang, body: body, ctype: ctype})
			if (tc.err == nil) != (r.Code == http.StatusAccepted) {
				t.Errorf("%v: %d", tc.err, r.Code)
			}
			mustContain(t, htmlUnescape(r.text()), want)
			if tc.err != nil {
				mustContain(t, htmlUnescape(r.text()), map[string]string{"en": "Refused, nothing was written", "zh": "已拒绝，未写入任何内容"}[lang])
			}
		}
	}
	mustContain(t, b.do(req{method: "GET", path: "/system", cookie: sid, lang: "zh"}).text(), `data-busy="正在上传并校验固件`)
}

// Whatever the records page's query holds, it answers the page or a
// refusal naming the parameter; never an error of the box.
func FuzzCallsQuery(f *testing.F) {
	b := newBench(f, nil)
	sid := b.admin(f)
	for _, q := range []string{"", "port=1", "port=2&from=2026-05-01&to=2026-05-01", "n=1000", "n=1001", "from=2026-02-30",
		"port=-1", "to=9999-12-31", "port=%00", "from=2026-01-01&from=x", "n=99999999999999999999", "seconds=5&port=1&n=2"} {
		f.Add(q, false)
		f.Add(q, true)
	}
	f.Fuzz(func(t *testing.T, q string, csv bool) {
		q = url.PathEscape(q) // a request target: keeps & and =, escapes spaces and controls
		path := "/calls?" + q
		if csv {
			path = "/calls.csv?" + q
		}
		r := b.do(req{method: "GET", path: path, cookie: sid, json: true})
		switch r.Code {
		case http.StatusOK:
		case http.StatusUnprocessableEntity:
			var e apiError
			if err := json.Unmarshal(r.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Errorf("%q: refusal %q", q, r.text())
			}
		case http.StatusBadRequest:
			// a query net/http itself cannot read
		default:
			t.Errorf("%q: %d %s", q, r.Code, r.text())
		}
	})
}
