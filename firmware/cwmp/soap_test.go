package cwmp

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func seeds(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "envelopes", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed envelopes: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestDecodeSeeds(t *testing.T) {
	want := map[string]struct {
		ns, id, method string
	}{
		"gpv-soap-env-1-0.xml":    {NS10, "1234", "GetParameterValues"},
		"spv-soapenv-1-1.xml":     {NS11, "ab-1", "SetParameterValues"},
		"inform-SOAP-ENV-1-2.xml": {NS12, "7", "Inform"},
		"fault-spv.xml":           {NS12, "", "Fault"},
		"download-1-0.xml":        {NS10, "d", "Download"},
		"misc-1-2.xml":            {NS12, "", "SetParameterAttributes"},
		"unknown-1-1.xml":         {NS11, "", "GetQueuedTransfers"},
	}
	for name, b := range seeds(t) {
		env, err := Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		w, ok := want[name]
		if !ok {
			continue
		}
		if env.NS != w.ns || env.ID != w.id || env.Body.Method() != w.method {
			t.Errorf("%s: got ns %s id %q method %s, want %s %q %s", name, env.NS, env.ID, env.Body.Method(), w.ns, w.id, w.method)
		}
	}
	env, _ := Decode(bytes.NewReader(seeds(t)["spv-soapenv-1-1.xml"]))
	spv := env.Body.(*SetParameterValues)
	if len(spv.ParameterList) != 2 || spv.ParameterList[1].Type != "xsd:unsignedInt" || spv.ParameterList[1].Value != "300" || spv.ParameterKey != "k1" {
		t.Errorf("SetParameterValues decoded as %+v", spv)
	}
	env, _ = Decode(bytes.NewReader(seeds(t)["fault-spv.xml"]))
	f := env.Body.(*SOAPFault)
	if f.FaultCode != 9003 || len(f.Params) != 1 || f.Params[0].Code != 9005 {
		t.Errorf("fault decoded as %+v", f)
	}
}

func roundTrip(t *testing.T, b []byte) {
	env, err := Decode(bytes.NewReader(b))
	if err != nil {
		return
	}
	out := env.Encode()
	env2, err := Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("re-decoding our own envelope: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(env, env2) {
		t.Fatalf("round trip changed the envelope:\n%#v\n%#v\n%s", env, env2, out)
	}
	if out2 := env2.Encode(); !bytes.Equal(out, out2) {
		t.Fatalf("encoding is not stable:\n%s\n%s", out, out2)
	}
}

func TestRoundTripSeeds(t *testing.T) {
	for name, b := range seeds(t) {
		t.Run(name, func(t *testing.T) { roundTrip(t, b) })
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { roundTrip(t, b) })
}
