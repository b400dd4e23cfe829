package voip

import "slices"

// Fax tells the trunk that the media engine heard a fax or modem signal on
// engine channel ch (engine.Fax): the SIP call whose media is on that
// channel is moved to plain G.711 with a re-INVITE (PCMU/PCMA only, the
// codec in use first; no telephone-event, no comfort noise), once per
// call. The engine has already turned the channel to pass-through. Any
// goroutine; it does not wait for the far end.
func (t *Trunk) Fax(ch int) {
	t.mu.Lock()
	var g *leg
	for _, a := range t.lines {
		if a.ch == ch {
			g = a.live.Load()
		}
	}
	t.mu.Unlock()
	if g != nil {
		g.fax()
	}
}

// faxCodecs is plain G.711 with the codec in use first.
func faxCodecs(inUse string) []string {
	cs := []string{"PCMA", "PCMU"}
	if inUse == "PCMU" {
		cs = []string{"PCMU", "PCMA"}
	}
	return cs
}

func (g *leg) fax() {
	g.mu.Lock()
	if g.faxed || !g.flowing || g.released {
		g.mu.Unlock()
		return
	}
	g.faxed = true
	l := g.local
	l.Codecs = faxCodecs(g.neg.Codec.Name)
	l.DTMF = false
	changed := !slices.Equal(g.local.Codecs, l.Codecs) || g.local.DTMF
	g.local = l
	g.mu.Unlock()
	g.t.log.Info("voip: fax or modem on the line: re-INVITE to plain G.711", "port", g.a.port, "codecs", l.Codecs)
	if !changed {
		// Already plain G.711 as offered: nothing to renegotiate.
		return
	}
	if err := g.call.Reoffer(l); err != nil {
		g.t.log.Warn("voip: fax re-INVITE", "port", g.a.port, "err", err)
	}
}
