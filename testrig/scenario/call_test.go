package scenario

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/testrig/phone"
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// settle skips the first moments of a recording, while a state change
// travels through the firmware (hook debounce, engine tick).
const settle = 300 * time.Millisecond

func record(p *phone.Phone, d time.Duration) []int16 {
	p.Record(settle)
	return p.Record(d)
}

// Two phones on FXS 1 and 2: dial tone, dialling, ringing and ringback,
// answer, a tone each way, hang-up and busy tone.
func TestLocalCall(t *testing.T) {
	for _, country := range []string{"CN", "US"} {
		t.Run(country, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { localCall(t, country) })
		})
	}
}

func localCall(t *testing.T, country string) {
	b := Boot(t, country, 2)
	p1, p2 := b.Phones[0], b.Phones[1]

	must(t, p1.OffHook())
	ExpectTone(t, record(p1, time.Second), &b.Plan.Dial, "dial tone")

	must(t, p1.Dial(b.Extension(2)))
	cycle := period(&b.Plan.Ringback)
	ExpectTone(t, p1.Record(2*cycle+cycle/2), &b.Plan.Ringback, "ringback")
	if !p2.Ringing() && len(p2.RingLog()) == 0 {
		t.Fatal("FXS 2 does not ring")
	}
	ExpectRingCadence(t, p2.RingLog(), b.Plan.Ring.Pattern)

	must(t, p2.OffHook())
	p1.Play(1004, -10)
	p2.Play(1500, -10)
	r1, r2 := RecordBoth(p1, p2, settle+time.Second)
	ExpectClear(t, r2[samples(settle):], 1004, -10, "phone 1 → phone 2")
	ExpectClear(t, r1[samples(settle):], 1500, -10, "phone 2 → phone 1")
	p1.StopPlay()
	p2.StopPlay()

	must(t, p1.OnHook())
	// The hang-up is known once the flash window (800 ms) has passed.
	p2.Record(time.Second)
	ExpectTone(t, p2.Record(4*period(&b.Plan.Busy)), &b.Plan.Busy, "busy tone after the far end hung up")
}

func TestCallToBusyPort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := Boot(t, "CN", 3)
		must(t, b.Phones[1].OffHook()) // FXS 2 is in use
		must(t, b.Phones[0].OffHook())
		record(b.Phones[0], 0)
		must(t, b.Phones[0].Dial(b.Extension(2)))
		ExpectTone(t, record(b.Phones[0], 3*period(&b.Plan.Busy)), &b.Plan.Busy, "calling a busy port")
		if len(b.Phones[1].RingLog()) != 0 {
			t.Error("the busy port rang")
		}
		if len(b.Phones[2].RingLog()) != 0 {
			t.Error("an uninvolved port rang")
		}
	})
}

func TestCallToUnknownNumber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := Boot(t, "CN", 2)
		must(t, b.Phones[0].OffHook())
		record(b.Phones[0], 0)
		// 999 could still become an 8-digit number of the carrier's digit
		// map: the box waits out the inter-digit timer, in silence, then
		// gives number unobtainable.
		must(t, b.Phones[0].Dial("999"))
		wait := b.Sys.Config.Get().DialPlan.InterDigit.D()
		ExpectSilence(t, b.Phones[0].Record(wait-200*time.Millisecond), "while the number may go on")
		b.Phones[0].Record(400 * time.Millisecond)
		ExpectTone(t, b.Phones[0].Record(3*period(&b.Plan.Unobtainable)), &b.Plan.Unobtainable, "an unknown number")

		// A number no extension and no digit-map pattern starts with is
		// refused at once.
		must(t, b.Phones[1].OffHook())
		record(b.Phones[1], 0)
		must(t, b.Phones[1].Dial("00"))
		ExpectTone(t, record(b.Phones[1], 3*period(&b.Plan.Unobtainable)), &b.Plan.Unobtainable, "a number nobody has")
	})
}

func TestFlashVersusHangUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := Boot(t, "CN", 2)
		p1, p2 := b.Phones[0], b.Phones[1]
		connect(t, b)
		p1.Play(1004, -10)

		// A 300 ms flash keeps the call: phone 2 still hears phone 1.
		must(t, p1.Flash(300*time.Millisecond))
		ExpectClear(t, record(p2, time.Second), 1004, -10, "after a flash")

		// A 1.5 s on-hook is a hang-up: phone 2 gets busy tone, and
		// phone 1 lifting again gets a fresh dial tone.
		must(t, p1.OnHook())
		p1.StopPlay()
		p1.Record(1500 * time.Millisecond)
		must(t, p1.OffHook())
		ExpectTone(t, record(p1, time.Second), &b.Plan.Dial, "dial tone after hang-up")
		ExpectTone(t, p2.Record(3*period(&b.Plan.Busy)), &b.Plan.Busy, "busy after the far end hung up")
	})
}

// After the far end hangs up, the phone left off-hook hears busy tone, then
// howler after the off-hook warning time, then silence.
func TestOffHookTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := Boot(t, "CN", 2)
		p1, p2 := b.Phones[0], b.Phones[1]
		connect(t, b)
		must(t, p1.OnHook())
		cfg := b.Sys.Config.Get().DialPlan
		p2.Record(time.Second)
		ExpectTone(t, p2.Record(3*period(&b.Plan.Busy)), &b.Plan.Busy, "busy after far hang-up")
		// Busy started ~0.8 s after the on-hook; howler comes
		// OffHookWarning later.
		elapsed := time.Second + 3*period(&b.Plan.Busy)
		p2.Record(cfg.OffHookWarning.D() - elapsed + time.Second)
		ExpectTone(t, p2.Record(2*time.Second), &b.Plan.Howler, "howler")
		p2.Record(cfg.HowlerTimeout.D())
		ExpectSilence(t, p2.Record(time.Second), "after the howler timeout")
	})
}

// connect makes a call from FXS 1 to FXS 2 and answers it.
func connect(t *testing.T, b *Bench) {
	t.Helper()
	must(t, b.Phones[0].OffHook())
	record(b.Phones[0], 0)
	must(t, b.Phones[0].Dial(b.Extension(2)))
	if err := b.Phones[1].WaitRing(t.Context()); err != nil {
		t.Fatal(err)
	}
	must(t, b.Phones[1].OffHook())
	record(b.Phones[1], 0)
}
