package line

import (
	"time"

	"github.com/openiad/openiad/dsp/callerid"
	"github.com/openiad/openiad/hal"
)

// CallerIDSender is what a Media may also do: send a caller-ID
// transmission on a channel's line output (nil stops one). The media
// engine does; without it lines ring without caller ID.
type CallerIDSender interface {
	SendCallerID(ch int, t *callerid.Transmission) error
}

// ringGuard is the quiet kept between the end of the caller-ID data and
// the next ring burst (EN 300 659-1: at least 200 ms).
const ringGuard = 200 * time.Millisecond

// cidState is the caller ID of the call ringing the line, an MDMF
// message with date and time, number and name or the reasons for their
// absence, in the country's modem (Bell 202 or V.23), sent one of two
// ways (callerid.AlertFor):
//
//   - between the rings (China, North America, Germany): FSK in the first
//     silent period of the ring cadence long enough for it, while the
//     SLIC is in on-hook transmission between the bursts;
//   - before the first ring (the UK, EN 300 659-1 with the dual-tone
//     alerting signal): the line reverses into on-hook transmission, the
//     DT-AS and the FSK follow, then the normal polarity and the ringing.
type cidState struct {
	tx       *callerid.Transmission // to send between the rings; nil when none is due
	at       int                    // the ring-off that starts its silent period (from 1)
	ringOffs int                    // ring-offs since the ringing started
	sending  bool                   // the engine may be sending it
	prior    *callerid.Transmission // sent before the first ring: ring when it is over (state timer)
	reversed bool                   // the line is reversed for it
}

// SetName gives the line the name its calls show as caller ID on the
// box's other lines.
func (l *Line) SetName(name string) { l.name.Store(&name) }

// Name is the line's name ("" for none).
func (l *Line) Name() string {
	if p := l.name.Load(); p != nil {
		return *p
	}
	return ""
}

// cidMessage is the caller-ID message for c, or an error if not even the
// reasons for absence can be sent.
func cidMessage(c CallerID, now time.Time) ([]byte, error) {
	m := callerid.Message{Type: callerid.MDMF, Time: callerid.At(now)}
	switch {
	case c.Private:
		m.NumberAbsent, m.NameAbsent = callerid.Private, callerid.Private
	case c.Unavailable || c.Number == "":
		m.NumberAbsent, m.NameAbsent = callerid.Unavailable, callerid.Unavailable
	default:
		m.Number, m.Name = c.Number, c.Name
		if m.Name == "" {
			m.NameAbsent = callerid.Unavailable
		}
	}
	b, err := m.MarshalBinary()
	if err != nil && m.Name != "" {
		// A name the format cannot carry: the number alone.
		m.Name, m.NameAbsent = "", callerid.Unavailable
		b, err = m.MarshalBinary()
	}
	if err != nil {
		// A number the format cannot carry either.
		m.Number, m.NumberAbsent = "", callerid.Unavailable
		b, err = m.MarshalBinary()
	}
	return b, err
}

// prepareCallerID readies the caller ID of the call that starts ringing.
func (l *Line) prepareCallerID(c CallerID) {
	l.cid = cidState{}
	if _, ok := l.media.(CallerIDSender); !ok {
		return
	}
	cfg := l.sw.cfg()
	b, err := cidMessage(c, time.Now())
	if err != nil {
		l.log.Warn("line: no caller ID", "err", err)
		return
	}
	modem := callerid.ForCountry(cfg.Plan.Country)
	if callerid.AlertFor(cfg.Plan.Country) == callerid.AlertDTAS {
		// The line reverses itself (alert), then the DT-AS after the
		// reversal lead; the transmission ends with the quiet before
		// the first ring.
		tx := callerid.PriorToRing(modem, callerid.AlertDTAS, b)
		tx.Reverse, tx.Lead = false, callerid.ReversalLead
		l.cid = cidState{prior: &tx}
		return
	}
	tx := callerid.OnHook(modem, b)
	tx.Lead = callerid.RingGap
	need := tx.Duration() + ringGuard
	p := cfg.Ring.Pattern
	for i, k := 1, 1; i < len(p); i, k = i+2, k+1 {
		if p[i] >= need {
			l.cid = cidState{tx: &tx, at: k}
			return
		}
	}
	l.log.Warn("line: no silent period of the ring cadence is long enough for caller ID", "need", need)
}

// alert starts alerting the line for a call from who: ringing, with
// caller ID between the rings, or first the caller ID before the first
// ring. It returns how long the state timer must run before the ringing
// starts (0: it rings now).
func (l *Line) alert(who CallerID) (time.Duration, error) {
	l.prepareCallerID(who)
	if tx := l.cid.prior; tx != nil {
		err := l.fxs.SetFeed(hal.FeedOnHookTxRev)
		if err == nil {
			l.cid.reversed = true
			err = l.media.(CallerIDSender).SendCallerID(l.ch, tx)
		}
		if err == nil {
			l.cid.sending = true
			return tx.Duration(), nil
		}
		l.log.Error("line: caller ID before the first ring", "err", err)
		l.stopCallerID()
	}
	return 0, l.fxs.Ring(l.sw.cfg().Ring)
}

// ringAfterCallerID: the caller ID before the first ring is over: normal
// polarity, and the ringing starts.
func (l *Line) ringAfterCallerID() {
	l.cid.prior, l.cid.sending = nil, false
	l.restoreFeed()
	if err := l.fxs.Ring(l.sw.cfg().Ring); err != nil {
		l.log.Error("line: cannot ring", "err", err)
	}
}

// restoreFeed ends the reversal of the caller ID before the first ring.
func (l *Line) restoreFeed() {
	if l.cid.reversed {
		l.cid.reversed = false
		if err := l.fxs.SetFeed(hal.FeedForward); err != nil {
			l.log.Error("line: feed", "err", err)
		}
	}
}

// ringOff: a ring burst ended; caller ID goes out in the silent period
// that follows if it is the one chosen.
func (l *Line) ringOff() {
	if l.cid.tx == nil || l.st != Alerting {
		return
	}
	if l.cid.ringOffs++; l.cid.ringOffs != l.cid.at {
		return
	}
	if err := l.media.(CallerIDSender).SendCallerID(l.ch, l.cid.tx); err != nil {
		l.log.Error("line: caller ID", "err", err)
	}
	l.cid.tx, l.cid.sending = nil, true
}

// stopCallerID stops caller ID that is due or being sent (the phone was
// lifted, the ringing stopped).
func (l *Line) stopCallerID() {
	l.cid.tx, l.cid.prior = nil, nil
	l.restoreFeed()
	if l.cid.sending {
		l.cid.sending = false
		if err := l.media.(CallerIDSender).SendCallerID(l.ch, nil); err != nil {
			l.log.Error("line: stop caller ID", "err", err)
		}
	}
}
