package tlsconf

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/internal/testpki"
)

func serving(t *testing.T, r *Reloader) string {
	t.Helper()
	c, err := r.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	return c.Leaf.SerialNumber.String()
}

func TestReloaderSwapsOnChangeAndKeepsOnBadPair(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.New(t, "test CA")
	a := ca.Issue(t, time.Hour, "127.0.0.1")
	certFile, keyFile := a.Write(t, dir, "node")
	r, err := NewReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := serving(t, r); got != a.Cert.SerialNumber.String() {
		t.Fatalf("serving %s, want %s", got, a.Cert.SerialNumber)
	}
	if r.Check() {
		t.Fatal("Check reloaded files that did not change")
	}

	b := ca.Issue(t, time.Hour, "127.0.0.1")
	b.Write(t, dir, "node")
	if !r.Check() {
		t.Fatal("Check did not see the new pair")
	}
	if got := serving(t, r); got != b.Cert.SerialNumber.String() {
		t.Fatalf("after the swap serving %s, want %s", got, b.Cert.SerialNumber)
	}

	// A certificate whose key is another's (a half-done renewal): the
	// running pair stays.
	c := ca.Issue(t, time.Hour, "127.0.0.1")
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if r.Check() {
		t.Fatal("Check accepted a certificate with the wrong key")
	}
	if err := r.Reload(); !errors.Is(err, ErrCertificate) {
		t.Fatalf("Reload of a mismatched pair: %v, want ErrCertificate", err)
	}
	if got := serving(t, r); got != b.Cert.SerialNumber.String() {
		t.Fatalf("after a bad pair serving %s, want the running %s", got, b.Cert.SerialNumber)
	}
	// Its key arrives: the pair loads.
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if !r.Check() {
		t.Fatal("Check did not load the completed pair")
	}
	if got := serving(t, r); got != c.Cert.SerialNumber.String() {
		t.Fatalf("serving %s, want %s", got, c.Cert.SerialNumber)
	}
	// A removed file keeps the running pair too.
	os.Remove(keyFile)
	if r.Check() || serving(t, r) != c.Cert.SerialNumber.String() {
		t.Fatal("a missing key file replaced the running pair")
	}
}

func TestNewReloaderFailsOnBadFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := NewReloader(filepath.Join(dir, "none.crt"), filepath.Join(dir, "none.key"), nil)
	if !errors.Is(err, ErrCertificate) || !strings.Contains(err.Error(), "none.crt") {
		t.Fatalf("err = %v, want ErrCertificate naming the file", err)
	}
}

func TestClientConfig(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.New(t, "core CA")
	caFile := ca.WriteCA(t, dir)
	certFile, keyFile := ca.Issue(t, time.Hour, "edge").Write(t, dir, "edge")
	c, err := ClientConfig(ClientOptions{CAFile: caFile, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if c.InsecureSkipVerify || c.RootCAs == nil || len(c.Certificates) != 1 || c.MinVersion != tls.VersionTLS12 {
		t.Fatalf("config %+v", c)
	}
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a certificate"), 0o600)
	for _, o := range []ClientOptions{{CAFile: junk}, {CAFile: filepath.Join(dir, "missing.pem")}, {CertFile: certFile, KeyFile: caFile}} {
		if _, err := ClientConfig(o); !errors.Is(err, ErrCertificate) {
			t.Errorf("%+v: err = %v, want ErrCertificate", o, err)
		}
	}
}

func TestServerConfig(t *testing.T) {
	c := ServerConfig(nil, false)
	if c.MinVersion != tls.VersionTLS12 || len(c.NextProtos) != 1 || c.NextProtos[0] != HTTP1 {
		t.Fatalf("%+v", c)
	}
	if c := ServerConfig(nil, true); len(c.NextProtos) != 2 || c.NextProtos[1] != "acme-tls/1" {
		t.Fatalf("ACME protos %v", c.NextProtos)
	}
}
