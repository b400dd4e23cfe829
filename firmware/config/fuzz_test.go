package config_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
)

// FuzzLoad feeds arbitrary bytes as config.json. Parse must return a
// configuration that validates and survives a round trip, or an error
// prefixed "config:"; Open must never fail or panic and must fall back to
// the good config.json.prev when the bytes are not a valid configuration.
func FuzzLoad(f *testing.F) {
	def, err := os.ReadFile("testdata/default.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(def)
	f.Add([]byte(""))
	f.Add([]byte("null"))
	f.Add([]byte("[]"))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":2,"device":{}}`))
	f.Add(def[:len(def)/2])
	f.Add(bytes.Repeat([]byte{0}, 64))
	f.Add([]byte(strings.Replace(string(def), `"10s"`, `"-10s"`, 1)))
	f.Add([]byte(strings.Replace(string(def), `"locks": {}`, `"locks": {"device.country": {"by": "cwmp", "at": "2025-01-01T00:00:00Z"}}`, 1)))
	f.Add(append(def, "{}"...))

	prev := config.Default(2)
	prev.Revision = 3
	prev.Device.Name = "previous"
	prevJSON, err := config.Encode(&prev)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		c, perr := config.Parse(data)
		if perr == nil {
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse accepted an invalid config: %v", err)
			}
			enc, err := config.Encode(&c)
			if err != nil {
				t.Fatal(err)
			}
			back, err := config.Parse(enc)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", enc, err)
			}
			if enc2, _ := config.Encode(&back); !bytes.Equal(enc, enc2) {
				t.Fatalf("round trip changed %s into %s", enc, enc2)
			}
		} else if !strings.HasPrefix(perr.Error(), "config: ") {
			t.Fatalf("error without the package prefix: %v", perr)
		}

		fsys := configtest.New()
		fsys.Put(dir+"/config.json", data)
		fsys.Put(dir+"/config.json.prev", prevJSON)
		s, err := config.Open(fsys, dir, config.Default(4), nil)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		got := s.Get()
		want := prev
		if perr == nil {
			want = c
		}
		if g, w := encode(t, got), encode(t, want); g != w {
			t.Fatalf("Open loaded %s, want %s", g, w)
		}
	})
}
