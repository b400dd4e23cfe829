package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/openiad/openiad/firmware/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenDefault pins the on-disk form of Default(4).
func TestGoldenDefault(t *testing.T) {
	c := config.Default(4)
	got, err := config.Encode(&c)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "default.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("Encode(Default(4)) differs from %s (go test -update to accept):\n%s", golden, got)
	}
	back, err := config.Parse(want)
	if err != nil {
		t.Fatalf("Parse(%s): %v", golden, err)
	}
	if again, _ := config.Encode(&back); string(again) != string(want) {
		t.Errorf("Parse/Encode round trip changed the file:\n%s", again)
	}
}
