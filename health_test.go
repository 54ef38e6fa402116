package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// health runs "edgedesk health args" as main does, with EDGEDESK_CONFIG
// and EDGEDESK_LISTEN as env sets them.
func health(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("EDGEDESK_CONFIG", "")
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"health"}, args...), &out, &errOut)
	return out.String() + errOut.String(), err
}

// edgedesk health exits 0 against a running node, whether it is given
// the URL or reads the address from the node's configuration (a wildcard
// listen is asked on loopback), and fails with the reason on a closed
// port, a node that is not ready, and one that does not answer in time.
func TestHealthCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node process")
	}
	addr := freeAddr(t)
	startNode(t, t.TempDir(), addr)
	if out, err := health(t, nil, "-url", "http://"+addr+"/readyz"); err != nil || !strings.Contains(out, "ready: http://"+addr) {
		t.Fatalf("against a ready node: %q %v", out, err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if out, err := health(t, map[string]string{"EDGEDESK_LISTEN": "0.0.0.0:" + port}); err != nil || !strings.Contains(out, "ready: http://127.0.0.1:"+port+"/readyz") {
		t.Fatalf("the address from EDGEDESK_LISTEN: %q %v", out, err)
	}

	var ue usageError
	closed := freeAddr(t)
	_, err := health(t, nil, "-url", "http://"+closed+"/readyz")
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("a closed port: %v, want connection refused (exit 1)", err)
	}

	notReady := serveHTTP(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n"))
	}))
	_, err = health(t, nil, "-url", "http://"+notReady+"/readyz")
	if !errors.Is(err, errNotReady) || errors.As(err, &ue) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a node answering 503: %v", err)
	}

	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts (the kernel's backlog), never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	start := time.Now()
	_, err = health(t, nil, "-url", "http://"+silent.Addr().String()+"/readyz", "-timeout", "300ms")
	if err == nil || !strings.Contains(err.Error(), "no answer within 300ms") || time.Since(start) > 5*time.Second {
		t.Fatalf("a node that never answers: %v after %v", err, time.Since(start))
	}

	for _, args := range [][]string{{"-url", "ftp://x/readyz"}, {"-timeout", "0s"}, {"extra"}, {"-ca", filepath.Join(t.TempDir(), "none.pem")}} {
		if _, err := health(t, nil, args...); !errors.As(err, &ue) {
			t.Errorf("health %v: %v, want a usage error (exit 2)", args, err)
		}
	}
}

// With tls.cert_file configured, edgedesk health asks over HTTPS and
// trusts the node's own certificate (self-signed here, as a merchant's
// internal one may be), and no other.
func TestHealthCommandTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir, "shop.example")
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ready := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ready\n")) })
	addr := serveHTTP(t, &tls.Config{Certificates: []tls.Certificate{pair}}, ready)
	cfg := filepath.Join(dir, "edgedesk.yaml")
	yaml := "listen: " + addr + "\ndata_dir: " + dir + "\ntls:\n  cert_file: " + certFile + "\n  key_file: " + keyFile + "\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := health(t, nil, "-config", cfg); err != nil || !strings.Contains(out, "ready: https://"+addr) {
		t.Fatalf("a TLS node: %q %v", out, err)
	}
	// Another certificate on the node's port (not the configured one, not
	// from a CA the system trusts): refused.
	otherCert, otherKey := selfSigned(t, t.TempDir(), "shop.example")
	other, err := tls.LoadX509KeyPair(otherCert, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	impostor := serveHTTP(t, &tls.Config{Certificates: []tls.Certificate{other}}, ready)
	if _, err := health(t, map[string]string{"EDGEDESK_LISTEN": impostor}, "-config", cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("another certificate: %v, want a verification error", err)
	}
	// Plain HTTP to a TLS listener is not ready either.
	if _, err := health(t, nil, "-url", "http://"+addr+"/readyz"); err == nil {
		t.Fatal("plain HTTP to the TLS port counted as ready")
	}
	// -ca trusts a CA by hand, for -url; without it the same node fails.
	if _, err := health(t, nil, "-url", "https://"+impostor+"/readyz"); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("-url to a certificate nobody trusts: %v, want a verification error", err)
	}
	if out, err := health(t, nil, "-url", "https://"+impostor+"/readyz", "-ca", otherCert); err != nil {
		t.Fatalf("-url with -ca: %q %v", out, err)
	}
}

// serveHTTP serves h on a loopback port (TLS with tc) until the test ends
// and returns its address.
func serveHTTP(t *testing.T, tc *tls.Config, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	// The refused handshakes are the point: not logged.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// selfSigned writes a self-signed certificate for name and its key to
// dir and returns their paths.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
