package webui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadCertificate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "webui")
	c1, created, err := LoadCertificate(dir, []string{"iad.local", "192.0.2.1"})
	if err != nil || !created {
		t.Fatalf("first boot: %v created=%v", err, created)
	}
	for _, f := range []string{CertFile, KeyFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, err, st)
		}
	}
	leaf, err := x509.ParseCertificate(c1.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(leaf.DNSNames, "iad.local") || !slices.Contains(leaf.DNSNames, "localhost") ||
		!slices.ContainsFunc(leaf.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("192.0.2.1")) }) {
		t.Errorf("names %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if leaf.NotAfter.Before(time.Now().Add(9 * 365 * 24 * time.Hour)) {
		t.Errorf("expires %v", leaf.NotAfter)
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	// Next boot: the same certificate.
	c2, created, err := LoadCertificate(dir, nil)
	if err != nil || created || Fingerprint(c1) != Fingerprint(c2) {
		t.Errorf("second boot: %v created=%v", err, created)
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(Fingerprint(c1)) {
		t.Errorf("fingerprint %q", Fingerprint(c1))
	}
	// Damaged: a new one.
	os.WriteFile(filepath.Join(dir, CertFile), []byte("garbage"), 0o600)
	c3, created, err := LoadCertificate(dir, nil)
	if err != nil || !created || Fingerprint(c3) == Fingerprint(c1) {
		t.Errorf("damaged: %v created=%v", err, created)
	}
}

func serveBench(t *testing.T, lab bool) (https, plain string, pool *x509.CertPool) {
	t.Helper()
	b := newBench(t, func(o *Options) { o.Lab = lab })
	ctx, cancel := context.WithCancel(context.Background())
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	pl, _ := net.Listen("tcp", "127.0.0.1:0")
	state := t.TempDir()
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- Serve(ctx, b.srv, ServeOptions{HTTPSListener: ln, HTTPListener: pl, Lab: lab, StateDir: state,
			Ready: func(net.Addr, net.Addr) { close(ready) }})
	}()
	<-ready
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	cert, created, err := LoadCertificate(filepath.Join(state, "webui"), nil)
	if err != nil || created {
		t.Fatalf("Serve did not store its certificate: %v", err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool = x509.NewCertPool()
	pool.AddCert(leaf)
	return ln.Addr().String(), pl.Addr().String(), pool
}

func TestServe(t *testing.T) {
	https, plain, pool := serveBench(t, false)
	c := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "localhost"}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	r, err := c.Get("https://" + https + "/login")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 || r.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("https: %d %v", r.StatusCode, r.Header)
	}
	_, port, _ := net.SplitHostPort(https)
	r, err = c.Get("http://" + plain + "/settings/ports?x=1")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "https://127.0.0.1:"+port+"/settings/ports?x=1" {
		t.Errorf("http: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	// Not even the login page over plain HTTP.
	req, _ := http.NewRequest("POST", "http://"+plain+"/login", strings.NewReader("user=admin&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMovedPermanently {
		t.Errorf("POST over http: %d", r.StatusCode)
	}
}

func TestServeLab(t *testing.T) {
	_, plain, _ := serveBench(t, true)
	r, err := http.Get("http://" + plain + "/login")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("lab http: %d", r.StatusCode)
	}
}
