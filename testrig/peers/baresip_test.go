package peers_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openiad/openiad/testrig/peers"
	"github.com/openiad/openiad/testrig/signal"
)

// checkTone fails unless the middle of rec (skipping start-up and end) is
// dominated by freq at level ±1.5 dB, with nothing else above -35 dBm0.
func checkTone(t *testing.T, who string, rec []int16, freq, level float64) {
	t.Helper()
	const skip = 4000 // 0.5 s: jitter buffer fill, first packets
	if len(rec) < 2*skip+4000 {
		t.Fatalf("%s: recording of %d samples, want at least %d", who, len(rec), 2*skip+4000)
	}
	mid := rec[skip : len(rec)-skip]
	f, l := signal.Dominant(mid)
	t.Logf("%s: %.1f Hz at %.2f dBm0 over %d ms", who, f, l, len(mid)/8)
	if math.Abs(f-freq) > 3 || math.Abs(l-level) > 1.5 {
		t.Errorf("%s: dominant %.1f Hz at %.2f dBm0, want %.0f Hz at %.1f dBm0", who, f, l, freq, level)
	}
	if of, ol := signal.MaxOther(mid, []float64{freq}, 50); ol > -35 {
		t.Errorf("%s: also %.1f Hz at %.2f dBm0", who, of, ol)
	}
}

func TestBaresipRegistersAtKamailio(t *testing.T) {
	peers.Need(t, "kamailio", "baresip")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{"alice", "secret"}}})
	b := peers.NewBaresip(t, peers.BaresipOptions{User: "alice", Password: "secret", Registrar: k.Addr().String(), RegInterval: 30 * time.Second})
	cs, err := k.WaitRegistered(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	// Fact (baresip 1.0.0): the Contact user is the account user with a
	// suffix: sip:alice-0x55..@127.0.0.1:port.
	want := "@" + b.SIPAddr().String()
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Address, "sip:alice") || !strings.Contains(cs[0].Address, want) ||
		!strings.Contains(cs[0].UserAgent, "baresip") {
		t.Fatalf("contacts %+v, want one sip:alice...%s from baresip", cs, want)
	}
	if cs[0].Expires < 1 || cs[0].Expires > 30 {
		t.Fatalf("expires %d s, want at most the 30 s asked for", cs[0].Expires)
	}
	if err := b.WaitRegistered(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSippCallsBaresipThroughKamailio(t *testing.T) {
	peers.Need(t, "kamailio", "baresip", "sipp")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{"bob", "secret"}}})
	b := peers.NewBaresip(t, peers.BaresipOptions{User: "bob", Password: "secret", Registrar: k.Addr().String(), AutoAnswer: true})
	if _, err := k.WaitRegistered(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	const freq, level = 1004, -10
	r, err := peers.RunSipp(ctx, peers.SippOptions{
		Scenario: peers.UACScenario(peers.UAC{Audio: "tone.ul", Hold: 3 * time.Second}),
		Files:    map[string][]byte{"tone.ul": peers.G711File(0, peers.Tone(freq, level, 10*time.Second))},
		Target:   k.Addr().String(),
		Service:  "bob",
		Timeout:  20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil || r.Successful != 1 {
		t.Fatalf("sipp: %v, %d successful calls\n%s", err, r.Successful, r)
	}
	if !strings.Contains(r.Messages, "Record-Route:") {
		t.Errorf("no Record-Route in the call's messages: Kamailio did not record-route\n%s", r.Messages)
	}
	if _, err := b.Next(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	rec, err := b.ReadRecording(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := len(rec) / 8; d < 2500 || d > 3500 {
		t.Errorf("recording of %d ms, want about the 3 s of the call", d)
	}
	checkTone(t, "bob hears sipp", rec, freq, level)
}

func TestBaresipCallsBaresip(t *testing.T) {
	peers.Need(t, "kamailio", "baresip")
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	k := peers.NewKamailio(t, peers.KamailioOptions{Users: []peers.User{{"alice", "a-pw"}, {"bob", "b-pw"}}})
	alice := peers.NewBaresip(t, peers.BaresipOptions{User: "alice", Password: "a-pw", Registrar: k.Addr().String(),
		ToneFreq: 697, ToneLevel: -12, Codecs: []string{"PCMA"}})
	bob := peers.NewBaresip(t, peers.BaresipOptions{User: "bob", Password: "b-pw", Registrar: k.Addr().String(),
		ToneFreq: 1336, ToneLevel: -8})
	for _, u := range []string{"alice", "bob"} {
		if _, err := k.WaitRegistered(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.Dial(ctx, k.URI("bob")); err != nil {
		t.Fatal(err)
	}
	in, err := bob.Next(ctx, "CALL_INCOMING")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.PeerURI, "sip:alice@") || in.Direction != "incoming" {
		t.Errorf("incoming call event %s, want one from sip:alice@", in)
	}
	if err := bob.Answer(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peers.Baresip{alice, bob} {
		e, err := p.Next(ctx, "CALL_ESTABLISHED", "CALL_CLOSED")
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != "CALL_ESTABLISHED" {
			t.Fatalf("%s: %s", p.AOR(), e)
		}
	}
	// Let audio flow, then send digits; they must arrive once each, in
	// order.
	if _, err := alice.Next(ctx, "CALL_RTPESTAB"); err != nil {
		t.Fatal(err)
	}
	const digits = "159#*0"
	if err := alice.SendDigits(ctx, digits); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for got.Len() < len(digits) {
		e, err := bob.Next(ctx, "CALL_DTMF_START")
		if err != nil {
			t.Fatalf("digits so far %q: %v", got.String(), err)
		}
		got.WriteString(e.Param)
	}
	if got.String() != digits {
		t.Fatalf("bob received digits %q, want %q", got.String(), digits)
	}
	// Two more seconds of audio, then alice hangs up.
	hold, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	if e, err := alice.Next(hold, "CALL_CLOSED"); err == nil {
		t.Fatalf("call closed early: %s", e)
	}
	if err := alice.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Next(ctx, "CALL_CLOSED"); err != nil {
		t.Fatal(err)
	}
	for _, e := range bob.Events() {
		if e.Type == "CALL_DTMF_START" && !strings.Contains(digits, e.Param) {
			t.Errorf("bob: stray digit event %s", e)
		}
	}
	recA, err := alice.ReadRecording(ctx)
	if err != nil {
		t.Fatal(err)
	}
	recB, err := bob.ReadRecording(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkTone(t, "alice hears bob", recA, 1336, -8)
	checkTone(t, "bob hears alice", recB, 697, -12)
}

// TestBaresipDirect: a baresip that does not register calls a sipp UAS
// directly; the UAS plays a tone and hangs up.
func TestBaresipDirect(t *testing.T) {
	peers.Need(t, "baresip", "sipp")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uas := peers.NewSipp(t, peers.SippOptions{
		Scenario: peers.UASScenario(peers.UAS{Ring: 200 * time.Millisecond, Audio: "tone.al", PT: 8, Hold: 2500 * time.Millisecond}),
		Files:    map[string][]byte{"tone.al": peers.G711File(8, peers.Tone(2000, -15, 5*time.Second))},
		Timeout:  20 * time.Second,
	})
	b := peers.NewBaresip(t, peers.BaresipOptions{User: "carol", Codecs: []string{"PCMA"}})
	if got, want := b.AOR(), b.URI(); got != want {
		t.Errorf("AOR %s, want %s for a phone that does not register", got, want)
	}
	if err := b.Dial(ctx, "sip:uas@"+uas.Addr().String()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CALL_RINGING", "CALL_ESTABLISHED", "CALL_CLOSED"} {
		e, err := b.Next(ctx, "CALL_RINGING", "CALL_ESTABLISHED", "CALL_CLOSED")
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != want {
			t.Fatalf("event %s, want %s", e, want)
		}
	}
	r, err := uas.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Err(); err != nil || r.Successful != 1 {
		t.Fatalf("uas: %v, %d successful\n%s", err, r.Successful, r)
	}
	rec, err := b.ReadRecording(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkTone(t, "carol hears sipp", rec, 2000, -15)
}
