package cwmp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parseAuth splits the parameters of a Digest challenge or credentials.
func parseAuth(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 {
		s = strings.TrimLeft(s, " ,\t")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			break
		}
		key := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			val = b.String()
			s = s[min(i+1, len(s)):]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			val = strings.TrimSpace(s[:end])
			s = s[end:]
		}
		out[key] = val
	}
	return out
}

// digestClient answers Digest challenges of the ACS (MD5, qop auth).
type digestClient struct {
	user, pass string
	chal       map[string]string
	nc         int
}

func (d *digestClient) authorize(req *http.Request) {
	if d.chal == nil {
		return
	}
	d.nc++
	realm, nonce := d.chal["realm"], d.chal["nonce"]
	uri := req.URL.RequestURI()
	ha1 := md5hex(d.user + ":" + realm + ":" + d.pass)
	ha2 := md5hex(req.Method + ":" + uri)
	cnonce := randHex(8)
	nc := fmt.Sprintf("%08x", d.nc)
	var resp string
	qop := ""
	if strings.Contains(d.chal["qop"], "auth") {
		qop = "auth"
		resp = md5hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	} else {
		resp = md5hex(ha1 + ":" + nonce + ":" + ha2)
	}
	v := fmt.Sprintf(`Digest username=%q, realm=%q, nonce=%q, uri=%q, response=%q, algorithm=MD5`, d.user, realm, nonce, uri, resp)
	if op := d.chal["opaque"]; op != "" {
		v += fmt.Sprintf(`, opaque=%q`, op)
	}
	if qop != "" {
		v += fmt.Sprintf(`, qop=auth, nc=%s, cnonce=%q`, nc, cnonce)
	}
	req.Header.Set("Authorization", v)
}

// digestServer checks Digest credentials (RFC 7616 with MD5 and qop auth,
// as curl --digest and every ACS send them). Nonces are HMACs of their
// issue time, valid for five minutes; a nonce count must grow.
type digestServer struct {
	realm string
	creds func() (string, string)
	key   []byte
	mu    sync.Mutex
	seen  map[string]uint64 // nonce -> highest nc
	now   func() time.Time
}

func newDigestServer(realm string, creds func() (string, string)) *digestServer {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &digestServer{realm: realm, creds: creds, key: k, seen: map[string]uint64{}, now: time.Now}
}

func (s *digestServer) nonce() string {
	ts := strconv.FormatInt(s.now().Unix(), 16)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(ts))
	return ts + "." + hex.EncodeToString(m.Sum(nil))[:32]
}

func (s *digestServer) validNonce(n string) bool {
	ts, mac, ok := strings.Cut(n, ".")
	if !ok {
		return false
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(ts))
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(m.Sum(nil))[:32]), []byte(mac)) != 1 {
		return false
	}
	sec, err := strconv.ParseInt(ts, 16, 64)
	if err != nil {
		return false
	}
	age := s.now().Sub(time.Unix(sec, 0))
	return age >= -time.Minute && age < 5*time.Minute
}

func (s *digestServer) challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm=%q, qop="auth", nonce=%q, algorithm=MD5`, s.realm, s.nonce()))
	w.WriteHeader(http.StatusUnauthorized)
}

// check reports whether req carries valid credentials.
func (s *digestServer) check(req *http.Request) bool {
	h := req.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false
	}
	p := parseAuth(rest)
	user, pass := s.creds()
	if user == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(p["username"]), []byte(user)) != 1 || p["realm"] != s.realm || !s.validNonce(p["nonce"]) {
		return false
	}
	if p["uri"] != req.URL.RequestURI() {
		return false
	}
	ha1 := md5hex(user + ":" + s.realm + ":" + pass)
	ha2 := md5hex(req.Method + ":" + p["uri"])
	if p["qop"] != "auth" {
		want := md5hex(ha1 + ":" + p["nonce"] + ":" + ha2)
		return subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) == 1
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 64)
	if err != nil {
		return false
	}
	want := md5hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	if subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) != 1 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) > 1024 {
		clear(s.seen)
	}
	if nc <= s.seen[p["nonce"]] {
		return false // replayed
	}
	s.seen[p["nonce"]] = nc
	return true
}
