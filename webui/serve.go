package webui

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Certificate files, under <state>/webui.
const (
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
	// CertLifetime is the validity of the box's own certificate.
	CertLifetime = 10 * 365 * 24 * time.Hour
)

// LoadCertificate returns the box's HTTPS certificate from dir, making a
// new self-signed one (ECDSA P-256) on first boot or when the files are
// missing or damaged. The certificate names localhost, hosts (names or
// addresses) and every address of the box's interfaces at the time it is
// made. Files are written with mode 0600, the key before the certificate,
// each atomically. created reports whether a new certificate was made.
func LoadCertificate(dir string, hosts []string) (cert tls.Certificate, created bool, err error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	cp, cerr := os.ReadFile(certPath)
	kp, kerr := os.ReadFile(keyPath)
	if cerr == nil && kerr == nil {
		c, err := tls.X509KeyPair(cp, kp)
		if err == nil {
			return c, false, nil
		}
	} else if !errors.Is(cerr, fs.ErrNotExist) && cerr != nil || !errors.Is(kerr, fs.ErrNotExist) && kerr != nil {
		return tls.Certificate{}, false, fmt.Errorf("webui: certificate: %w", errors.Join(cerr, kerr))
	}
	cp, kp, err = newCertificate(hosts, time.Now())
	if err != nil {
		return tls.Certificate{}, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, false, fmt.Errorf("webui: certificate: %w", err)
	}
	if err := writeFile(keyPath, kp); err != nil {
		return tls.Certificate{}, false, err
	}
	if err := writeFile(certPath, cp); err != nil {
		return tls.Certificate{}, false, err
	}
	c, err := tls.X509KeyPair(cp, kp)
	if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("webui: certificate: %w", err)
	}
	return c, true, nil
}

func newCertificate(hosts []string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("webui: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("webui: certificate serial: %w", err)
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "OpenIAD " + host, Organization: []string{"OpenIAD device certificate"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CertLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
				tmpl.IPAddresses = append(tmpl.IPAddresses, n.IP)
			}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("webui: certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("webui: certificate key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("webui: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("webui: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// Fingerprint is the SHA-256 of a certificate's DER form, as hex pairs
// separated by colons: what a browser shows, for the installer to compare
// with the console's.
func Fingerprint(c tls.Certificate) string {
	if len(c.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(c.Certificate[0])
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// ServeOptions say where the page is served.
type ServeOptions struct {
	// HTTPS is the address of the HTTPS listener (":443"); HTTPSListener,
	// when set, is used instead.
	HTTPS         string
	HTTPSListener net.Listener
	// HTTP is the address of the plain-HTTP listener (":80", "" for none);
	// HTTPListener, when set, is used instead. It redirects to HTTPS,
	// unless Lab.
	HTTP         string
	HTTPListener net.Listener
	// Lab serves the page itself over plain HTTP too (a lab bench without
	// certificates). Build the Server with Options.Lab as well.
	Lab bool
	// Certificate is the HTTPS certificate; when nil, LoadCertificate
	// reads or makes it in filepath.Join(StateDir, "webui").
	Certificate *tls.Certificate
	StateDir    string
	Hosts       []string // extra names for a new certificate
	Log         *slog.Logger
	// Ready, when set, is called with the listeners' addresses once they
	// accept connections (http is nil without a plain-HTTP listener).
	Ready func(https, http net.Addr)
}

// Serve serves h over HTTPS (and HTTP) until ctx is done, then shuts the
// servers down, giving requests in progress 5 seconds.
func Serve(ctx context.Context, h http.Handler, o ServeOptions) error {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var cert tls.Certificate
	if o.Certificate != nil {
		cert = *o.Certificate
	} else {
		c, created, err := LoadCertificate(filepath.Join(o.StateDir, "webui"), o.Hosts)
		if err != nil {
			return err
		}
		if created {
			log.Info("webui: made the device certificate", "sha256", Fingerprint(c))
		}
		cert = c
	}
	ln := o.HTTPSListener
	if ln == nil {
		l, err := net.Listen("tcp", o.HTTPS)
		if err != nil {
			return fmt.Errorf("webui: %w", err)
		}
		ln = l
	}
	plain := o.HTTPListener
	if plain == nil && o.HTTP != "" {
		l, err := net.Listen("tcp", o.HTTP)
		if err != nil {
			ln.Close()
			return fmt.Errorf("webui: %w", err)
		}
		plain = l
	}
	tcfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Minute, // a firmware image on a slow link
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    16 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
			BaseContext:       func(net.Listener) context.Context { return ctx },
		}
	}
	secure := newServer(h)
	secure.TLSConfig = tcfg
	servers := []*http.Server{secure}
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := secure.Serve(tls.NewListener(ln, tcfg)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("webui: https: %w", err)
		}
	}()
	var plainAddr net.Addr
	if plain != nil {
		plainAddr = plain.Addr()
		var ph http.Handler = redirect(ln.Addr())
		if o.Lab {
			ph = h
		}
		srv := newServer(ph)
		servers = append(servers, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(plain); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("webui: http: %w", err)
			}
		}()
	}
	log.Info("webui: serving", "https", ln.Addr().String(), "http", fmt.Sprint(plainAddr), "lab", o.Lab)
	if o.Ready != nil {
		o.Ready(ln.Addr(), plainAddr)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		srv.Shutdown(sctx)
	}
	wg.Wait()
	return err
}

// redirect sends plain-HTTP requests to the same path over HTTPS, on the
// HTTPS listener's port.
func redirect(httpsAddr net.Addr) http.Handler {
	_, port, _ := net.SplitHostPort(httpsAddr.String())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" || strings.ContainsAny(host, "/\\@ ") {
			host = "localhost"
		}
		if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
			host = "[" + host + "]"
		}
		target := "https://" + host
		if port != "443" {
			target += ":" + port
		}
		target += localPath(r.URL.Path)
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'")
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
}
