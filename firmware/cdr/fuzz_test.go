package cdr_test

import (
	"testing"

	"github.com/openiad/openiad/firmware/cdr"
	"github.com/openiad/openiad/firmware/config/configtest"
)

// FuzzOpen feeds arbitrary bytes to the store as its newest file (and as
// its anchor and head files): opening and verifying never panic, every
// record read back verifies or is reported, and appending still works.
func FuzzOpen(f *testing.F) {
	fsys := configtest.New()
	s, err := cdr.Open(dir, cdr.Options{FS: fsys})
	if err != nil {
		f.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Append(call(i)); err != nil {
			f.Fatal(err)
		}
	}
	good, _ := fsys.ReadFile(dir + "/cdr-00000001.jsonl")
	f.Add(good, []byte(`{"file":1,"seq":0,"hash":""}`), []byte(`{"seq":3,"hash":"x","file":1}`))
	f.Add(good[:len(good)-30], []byte{}, []byte{})
	f.Add([]byte("{\"seq\":1}\n\x00\x00\x00"), []byte(`{"file":0}`), []byte(`{"seq":99,"file":7}`))
	// More seeds, from a rotated store, torn and zeroed, in testdata/fuzz/FuzzOpen.
	f.Fuzz(func(t *testing.T, data, anchor, head []byte) {
		fsys := configtest.New()
		fsys.Put(dir+"/cdr-00000001.jsonl", data)
		if len(anchor) > 0 {
			fsys.Put(dir+"/anchor.json", anchor)
		}
		if len(head) > 0 {
			fsys.Put(dir+"/head.json", head)
		}
		s, err := cdr.Open(dir, cdr.Options{FS: fsys})
		if err != nil {
			return // a clear error is fine
		}
		rep := s.Verify()
		if rep.OK && rep.Records != s.Len() {
			t.Fatalf("verified %d records, the store holds %d", rep.Records, s.Len())
		}
		if _, err := s.Append(call(5)); err != nil {
			t.Fatalf("append: %v", err)
		}
		if rep.OK {
			if r2 := s.Verify(); !r2.OK {
				t.Fatalf("a sound store broke by appending: %s", r2.Problem)
			}
		}
	})
}
