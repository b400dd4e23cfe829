package update_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/openiad/openiad/firmware/update"
)

func TestInstallURL(t *testing.T) {
	b := newBox(t, "1.0.0")
	img := mkImage(t, b.priv, board, "1.1.0")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/img":
			if u, p, ok := r.BasicAuth(); !ok || u != "acs" || p != "secret" {
				http.Error(w, "who are you", http.StatusUnauthorized)
				return
			}
			w.Write(img)
		case "/endless": // no Content-Length, never ends
			w.Write(img[:len(img)/2])
			for i := 0; i < 1000; i++ {
				if _, err := w.Write(make([]byte, 64<<10)); err != nil {
					return
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	if _, err := b.u.InstallURL(t.Context(), srv.URL+"/img", update.URLOptions{}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without credentials: %v", err)
	}
	if _, err := b.u.InstallURL(t.Context(), srv.URL+"/nothing", update.URLOptions{}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing image: %v", err)
	}
	if _, err := b.u.InstallURL(t.Context(), "ftp://example.net/img", update.URLOptions{}); err == nil {
		t.Error("ftp:// accepted")
	}
	if _, err := b.u.InstallURL(t.Context(), srv.URL+"/img", update.URLOptions{MaxBytes: int64(len(img) - 1), Username: "acs", Password: "secret"}); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("than %d bytes", len(img)-1)) {
		t.Errorf("image over the bound: %v", err)
	}
	if _, err := b.u.InstallURL(t.Context(), srv.URL+"/endless", update.URLOptions{MaxBytes: int64(len(img) + 1000)}); err == nil {
		t.Error("an endless download was accepted")
	}
	// The two over the bound passed the manifest checks and were written,
	// then voided.
	if b.be.slotOpens != 2 {
		t.Errorf("%d slot writes", b.be.slotOpens)
	}
	if st := b.status(); st.Slots[update.SlotB].Valid {
		t.Errorf("slot B valid after failed downloads: %+v", st)
	}
	if _, err := b.u.InstallURL(t.Context(), srv.URL+"/img", update.URLOptions{Username: "acs", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	b.slotHolds(update.SlotB, "1.1.0")
}

// The web page's hook installs, answers, and reboots a moment later.
func TestWebUpgrade(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBox(t, "1.0.0")
		rebooted := make(chan time.Time, 1)
		hook := b.u.WebUpgrade(func(context.Context) error { rebooted <- time.Now(); return nil }, 2*time.Second)
		_, other := key(t, 5)
		if err := hook(t.Context(), bytes.NewReader(mkImage(t, other, board, "1.1.0"))); err == nil {
			t.Fatal("other key accepted")
		}
		start := time.Now()
		if err := hook(t.Context(), bytes.NewReader(mkImage(t, b.priv, board, "1.1.0"))); err != nil {
			t.Fatal(err)
		}
		if at := <-rebooted; at.Sub(start) != 2*time.Second {
			t.Errorf("rebooted %v after the install, want 2s", at.Sub(start))
		}
		select {
		case <-rebooted:
			t.Error("rebooted twice")
		default:
		}
	})
}
