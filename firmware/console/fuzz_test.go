package console

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/console/auth"
	"github.com/openiad/openiad/firmware/logbuf"
)

// watchedStore records which command was running when the configuration
// was changed.
type watchedStore struct {
	*config.Store
	s       **session
	updates []string
}

func (w *watchedStore) Update(src config.Source, who string, fn func(*config.Config) error) ([]config.Change, error) {
	w.updates = append(w.updates, (*w.s).lastCmd)
	return w.Store.Update(src, who, fn)
}

type noNet struct{}

func (noNet) Lookup(context.Context, string) (netip.Addr, error) {
	return netip.Addr{}, errors.New("no network in the fuzz test")
}
func (noNet) ICMP(bool) (Prober, error) { return nil, errors.New("no network in the fuzz test") }

var fuzzUsers *auth.Store

// FuzzParse types arbitrary input at a logged-in console: the key decoder,
// the editor, the parser and every command see it. Nothing may panic, and
// the configuration may change only through config save.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"show ports\r",
		"config set device.name \"Main office\"\rconfig diff\rconfig save\r",
		"config set ports[0].extension 299\rconfig revert\rconfig save\r",
		"config set ports[0].sip.password\rs3cret\r",
		"config set sip.profiles[0].codecs \"PCMU, PCMA\"\r",
		"conf se dialPlan.interDigit 4s\x1b[D\x1b[D\x7f\r",
		"sh\t\tpo\t\r\x10\x10\r",
		"log tail debug\rsip trace on\r\x03\x03help config\r",
		"logout\radmin\rwrong\radmin\rx\radmin\ry\r",
		"config set 'ports[1].name' \"a\\\"b\"\r\x04",
		"factory-reset\ryes\rreboot\rpassword\rping x\rtraceroute y\rline test 1\rcall 1 2\rupgrade http://x\r",
		"config set locks[\"device.name\"].by web\rconfig save\r",
		"\x1b[3~\x1bOH\x01\x05\x0b\x15\x17\x0c\xc3\xa9\xff\r",
	} {
		f.Add(s)
	}
	if fuzzUsers == nil {
		u, _, err := auth.Open(f.TempDir(), &auth.Options{Iterations: 1})
		if err != nil {
			f.Fatal(err)
		}
		fuzzUsers = u
	}
	f.Fuzz(func(t *testing.T, input string) {
		if len(input) > 4096 {
			return
		}
		// Pure parsing first.
		for line := range strings.SplitSeq(input, "\r") {
			p, err := parse(commands(), line)
			var ue *usageError
			if err != nil && (!errors.As(err, &ue) || p != nil) {
				t.Fatalf("parse(%q): %v (a %T)", line, err, err)
			}
		}

		updates, changed := typeAtConsole(t, input)
		for _, cmd := range updates {
			if cmd != "config save" {
				t.Fatalf("the configuration was updated by %q", cmd)
			}
		}
		if changed && len(updates) == 0 {
			t.Fatal("the configuration changed without an update")
		}
	})
}

// typeAtConsole types input at a logged-in session with a configuration in
// memory and reports the commands that updated it and whether it changed.
func typeAtConsole(t *testing.T, input string) (updates []string, changed bool) {
	store, err := config.Open(configtest.New(), "config", config.Default(4), nil)
	if err != nil {
		t.Fatal(err)
	}
	var s *session
	ws := &watchedStore{Store: store, s: &s}
	st := newFakeStatus()
	logs := logbuf.New(logbuf.Options{Size: 10})
	con, err := New(Options{Device: "fuzz", Users: fuzzUsers, Status: st, DSP: st, Config: ws, Logs: logs, Net: noNet{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s = newSession(ctx, con, NewScreen(io.Discard, true, 80), "fuzz")
	s.state, s.who, s.idle = stShell, "admin@fuzz", nil
	s.ed.reset(true)
	before := store.Get().Revision
	for i := 0; i < len(input); i++ {
		k, ok := s.dec.feed(input[i])
		if !ok {
			continue
		}
		s.key(k)
		for s.run != nil { // let an async command finish; refuse its questions
			select {
			case err := <-s.run.done:
				s.finished(err)
			case req := <-s.asks:
				close(req.reply)
			}
		}
		if s.state == stLocked { // nothing more gets through
			break
		}
	}
	s.end()
	return ws.updates, store.Get().Revision != before
}

// The fuzz property can fail: a save does update, and the harness sees it.
func TestTypeAtConsole(t *testing.T) {
	if fuzzUsers == nil {
		u, _, err := auth.Open(t.TempDir(), &auth.Options{Iterations: 1})
		if err != nil {
			t.Fatal(err)
		}
		fuzzUsers = u
	}
	tests := []struct {
		input   string
		updates string
		changed bool
	}{
		{"config set device.name X\rconfig save\r", "config save", true},
		{"config set device.name X\rconfig revert\rconfig save\r", "", false},
		{"config set device.name X\r", "", false},
		{"config set device.name X\rlogout\radmin\r\rconfig save\r", "", false},
		{"config set ports[0].extension 202\rconfig save\r", "config save", false}, // refused by validation
	}
	for _, tc := range tests {
		updates, changed := typeAtConsole(t, tc.input)
		if strings.Join(updates, ",") != tc.updates || changed != tc.changed {
			t.Errorf("%q: updates %q, changed %v", tc.input, updates, changed)
		}
	}
}
