package qemu_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/phone"
	"github.com/openiad/openiad/testrig/qemu"
	"github.com/openiad/openiad/testrig/scenario"
	"github.com/openiad/openiad/testrig/signal"
)

const (
	boxUser, boxPass = "1001", "box-secret-1001"
	farUser, farPass = "1002", "far-secret-1002"
	farTone          = 1004.0
	farLevel         = -10.0
)

// Through the booted image: a phone on the host attaches to port 1 of the
// guest (the sim lines through QEMU's port forward), the port registers at
// a Kamailio on the host and calls a baresip there; tones both ways.
func TestSIPCallThroughImage(t *testing.T) {
	peers.Need(t, "kamailio", "baresip")
	dir := image(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{Name: boxUser, Password: boxPass}, {Name: farUser, Password: farPass}}})
	far := peers.NewBaresip(t, peers.BaresipOptions{
		User: farUser, Password: farPass, Registrar: k.Addr().String(), Domain: k.Domain(),
		AutoAnswer: true, ToneFreq: farTone, ToneLevel: farLevel, Codecs: []string{"PCMA"},
	})
	if err := far.WaitRegistered(ctx); err != nil {
		t.Fatalf("baresip did not register: %v", err)
	}
	alg, err := qemu.NewALG(k.Addr(), 5060)
	if err != nil {
		t.Fatal(err)
	}
	defer alg.Close()
	sipTrace := &testLog{}
	alg.Trace = sipTrace
	const rtpPorts = 4
	rtp, err := qemu.FreeUDPRange(rtpPorts)
	if err != nil {
		t.Fatal(err)
	}
	fwd := []qemu.Forward{{Name: "lines", Proto: "tcp", GuestPort: 7070}}
	for i := range rtpPorts {
		fwd = append(fwd, qemu.Forward{Name: fmt.Sprintf("rtp%d", i), Proto: "udp", HostPort: rtp + i, GuestPort: rtp + i})
	}
	log := &testLog{}
	defer func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("console:\n%s\nkamailio:\n%s\nSIP through the ALG:\n%s", log.String(), k.Log(), sipTrace.String())
		}
	}()
	vm := bootWith(t, dir, filepath.Join(t.TempDir(), "data.img"), fwd, log)
	ready(ctx, t, vm.Console, 0)
	at, _ := login(ctx, t, vm.Console)
	for _, cmd := range []string{
		fmt.Sprintf(`config set sip.profiles[0].registrars "%s"`, alg.GuestAddr()),
		fmt.Sprintf(`config set sip.profiles[0].domain "%s"`, k.Addr()),
		`config set sip.profiles[0].digitMap "1xxx|[2-9]xxxxxxx"`,
		fmt.Sprintf(`config set sip.profiles[0].rtpPortMin %d`, rtp),
		fmt.Sprintf(`config set sip.profiles[0].rtpPortMax %d`, rtp+rtpPorts-1),
		`config set ports[0].sip.enabled true`,
		`config set ports[0].sip.user ` + boxUser,
		`config set ports[0].sip.password ` + boxPass,
		`config save`,
	} {
		vm.Console.Type(cmd + "\r")
		var err error
		if _, at, err = vm.Console.Expect(ctx, at, regexp.MustCompile(`> $|> `)); err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
	}
	if _, _, err := vm.Console.Expect(ctx, at, regexp.MustCompile(`(?i)regist\w* .*1001|1001.*regist`)); err != nil {
		t.Fatalf("port 1 did not register: %v", err)
	}

	conn, err := net.Dial("tcp", vm.Addr("lines"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := phone.Attach(conn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.OffHook(); err != nil {
		t.Fatal(err)
	}
	p.Record(500 * time.Millisecond)
	if err := p.Dial(farUser); err != nil {
		t.Fatal(err)
	}
	if _, err := far.Next(ctx, "CALL_ESTABLISHED"); err != nil {
		t.Fatalf("baresip never answered: %v", err)
	}
	p.Record(time.Second) // media settles
	p.Play(1500, -10)
	heard := p.Record(2 * time.Second)
	if f, l := signal.Dominant(heard); f < farTone-5 || f > farTone+5 {
		t.Errorf("the phone hears %.0f Hz at %.1f dBm0, baresip plays %.0f Hz", f, l, farTone)
	}
	scenario.ExpectClear(t, heard, farTone, farLevel, "baresip → guest → phone")
	p.Record(time.Second)
	if err := far.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := far.ReadRecording(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) < 8000 {
		t.Fatalf("baresip recorded %d samples", len(rec))
	}
	best := -99.0
	for i := 0; i+8000 <= len(rec); i += 4000 {
		best = max(best, signal.LevelAt(rec[i:i+8000], 1500))
	}
	if best < -11 || best > -9 {
		t.Errorf("phone → guest → baresip: 1500 Hz at %.2f dBm0, sent at -10", best)
	}
}
