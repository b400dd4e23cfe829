package acs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/openiad/openiad/testrig/acs"
	"github.com/openiad/openiad/testrig/peers"
)

// TestSchemasAreTheForums: the carried schemas are those of
// ../shared/standards/cwmp, when the checkout sits next to it.
func TestSchemasAreTheForums(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "standards", "cwmp")
	for _, name := range []string{"cwmp-1-0.xsd", "cwmp-1-1.xsd", "cwmp-1-2.xsd", "cwmp-1-3.xsd", "cwmp-1-4.xsd"} {
		ours, err := os.ReadFile(filepath.Join(acs.SchemaDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		if theirs, err := os.ReadFile(filepath.Join(shared, name)); err == nil && !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from %s", name, filepath.Join(shared, name))
		}
	}
}

// TestCheckRejects: the schema check is real: a valid envelope passes, one
// with an element missing or misspelt fails.
func TestCheckRejects(t *testing.T) {
	peers.Need(t, "xmllint")
	good := []byte(`<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap-env:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap-env:Body></soap-env:Envelope>`)
	if err := acs.Check("cwmp-1-0.xsd", good); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{
		bytes.Replace(good, []byte("<MaxEnvelopes>1</MaxEnvelopes>"), nil, 1),
		bytes.ReplaceAll(good, []byte("InformResponse"), []byte("InformReply")),
		bytes.Replace(good, []byte("<MaxEnvelopes>1<"), []byte("<MaxEnvelopes>-1<"), 1),
	} {
		if err := acs.Check("cwmp-1-0.xsd", bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
