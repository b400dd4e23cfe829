package ua

import (
	"fmt"
	"slices"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// authCache keeps the digest challenges a dialog or registration has met,
// so later requests carry credentials at once (nonce count incremented), and
// tells a rejected password from a stale nonce. It belongs to one goroutine.
type authCache struct {
	entries []authEntry
}

type authEntry struct {
	proxy bool // Proxy-Authorization (407) rather than Authorization (401)
	chal  digest.Challenge
	nc    int
}

// algorithms we can answer, strongest first.
var digestAlgs = []string{"SHA-512-256", "SHA-256", "MD5", ""}

// apply adds credentials for every cached challenge to req and returns the
// nonces used.
func (a *authCache) apply(req *sip.Request, user, pass string) []string {
	req.RemoveHeader("Authorization")
	req.RemoveHeader("Proxy-Authorization")
	var used []string
	for i := range a.entries {
		e := &a.entries[i]
		e.nc++
		cred, err := digest.Digest(&e.chal, digest.Options{
			Method:   string(req.Method),
			URI:      req.Recipient.String(),
			Username: user,
			Password: pass,
			Count:    e.nc,
		})
		if err != nil {
			continue
		}
		name := "Authorization"
		if e.proxy {
			name = "Proxy-Authorization"
		}
		req.AppendHeader(sip.NewHeader(name, cred.String()))
		used = append(used, e.chal.Nonce)
	}
	return used
}

// update learns the challenges of a 401 or 407 answer to a request that
// used the nonces in used. fresh says those credentials answered a
// challenge met by this very request (not cached from an earlier one): a
// new challenge then means the password is wrong, unless the server says
// the nonce was merely stale. It also fails when the server offers nothing
// we can compute.
func (a *authCache) update(res *sip.Response, used []string, fresh bool) error {
	proxy := res.StatusCode == sip.StatusProxyAuthRequired
	name := "WWW-Authenticate"
	if proxy {
		name = "Proxy-Authenticate"
	}
	best := map[string]*digest.Challenge{} // by realm
	for _, h := range res.GetHeaders(name) {
		c, err := parseChallenge(h.Value())
		if err != nil {
			continue
		}
		if old, ok := best[c.Realm]; ok && algRank(old.Algorithm) <= algRank(c.Algorithm) {
			continue
		}
		best[c.Realm] = c
	}
	if len(best) == 0 {
		return fmt.Errorf("%w: %d without a usable %s challenge", errAuth, res.StatusCode, name)
	}
	for realm, c := range best {
		if (slices.Contains(used, c.Nonce) || (fresh && len(used) > 0)) && !c.Stale {
			return fmt.Errorf("%w: credentials rejected by realm %q (%d)", errAuth, realm, res.StatusCode)
		}
		a.put(proxy, *c)
	}
	return nil
}

func (a *authCache) put(proxy bool, c digest.Challenge) {
	for i := range a.entries {
		if a.entries[i].proxy == proxy && a.entries[i].chal.Realm == c.Realm {
			a.entries[i] = authEntry{proxy: proxy, chal: c}
			return
		}
	}
	a.entries = append(a.entries, authEntry{proxy: proxy, chal: c})
}

// algRank orders algorithms, lower is preferred; unknown ones rank last.
func algRank(alg string) int {
	if i := slices.Index(digestAlgs, alg); i >= 0 {
		return i
	}
	return len(digestAlgs)
}

// parseChallenge parses one Digest challenge and normalises it: algorithm
// upper-case, qop values trimmed. Challenges we cannot answer (another
// scheme, MD5-sess, auth-int only) are an error.
func parseChallenge(v string) (*digest.Challenge, error) {
	c, err := digest.ParseChallenge(strings.TrimSpace(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errAuth, err)
	}
	c.Algorithm = strings.ToUpper(strings.TrimSpace(c.Algorithm))
	for i := range c.QOP {
		c.QOP[i] = strings.TrimSpace(c.QOP[i])
	}
	if algRank(c.Algorithm) == len(digestAlgs) {
		return nil, fmt.Errorf("%w: algorithm %q not supported", errAuth, c.Algorithm)
	}
	if len(c.QOP) > 0 && !c.SupportsQOP("auth") {
		return nil, fmt.Errorf("%w: qop %q not supported", errAuth, strings.Join(c.QOP, ","))
	}
	if c.Nonce == "" {
		return nil, fmt.Errorf("%w: challenge without nonce", errAuth)
	}
	return c, nil
}
