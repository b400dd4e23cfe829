package boards

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type fake struct {
	name string
	err  error
}

func (f fake) Name() string { return f.name }
func (f fake) Open(context.Context, Options) (*Board, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &Board{}, nil
}

func withDrivers(t *testing.T, ds ...Driver) {
	t.Helper()
	mu.Lock()
	saved := drivers
	drivers = nil
	mu.Unlock()
	t.Cleanup(func() { mu.Lock(); drivers = saved; mu.Unlock() })
	for _, d := range ds {
		Register(d)
	}
}

func TestOpenReportsEveryDriver(t *testing.T) {
	withDrivers(t,
		fake{name: "absent", err: fmt.Errorf("no SPI bus: %w", ErrSkip)},
		fake{name: "broken", err: errors.New("SLIC calibration timed out")},
		fake{name: "good"},
		fake{name: "later"},
	)
	b, report, err := Open(t.Context(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Name != "good" {
		t.Errorf("opened %q, want the first that loads (good)", b.Name)
	}
	want := []State{Skipped, Failed, Loaded, NotRun}
	for i, r := range report {
		if r.State != want[i] {
			t.Errorf("%s: %s, want %s", r.Name, r.State, want[i])
		}
	}
	if report[1].Err == nil || report[1].String() != "broken: failed (SLIC calibration timed out)" {
		t.Errorf("failure reason not reported: %q", report[1])
	}
}

func TestOpenByName(t *testing.T) {
	withDrivers(t, fake{name: "a"}, fake{name: "b"})
	b, _, err := Open(t.Context(), "b", Options{})
	if err != nil || b.Name != "b" {
		t.Fatalf("Open(b) = %v, %v", b, err)
	}
	_, _, err = Open(t.Context(), "c", Options{})
	if !errors.Is(err, ErrNoBoard) {
		t.Fatalf("Open(c) error %v, want ErrNoBoard", err)
	}
}

func TestNothingLoads(t *testing.T) {
	withDrivers(t, fake{name: "x", err: ErrSkip})
	if _, _, err := Open(t.Context(), "", Options{}); !errors.Is(err, ErrNoBoard) {
		t.Fatalf("error %v, want ErrNoBoard", err)
	}
}

func TestDuplicateNamePanics(t *testing.T) {
	withDrivers(t, fake{name: "x"})
	defer func() {
		if recover() == nil {
			t.Fatal("registering x twice did not panic")
		}
	}()
	Register(fake{name: "x"})
}
