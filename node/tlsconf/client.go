package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// ClientOptions configure TLS towards a server (the core's NATS).
type ClientOptions struct {
	// CAFile holds the PEM CA certificates to trust; empty: the system's.
	CAFile string
	// CertFile and KeyFile are the client certificate, if any.
	CertFile, KeyFile string
}

// ClientConfig is a client configuration that always verifies the server
// (TLS 1.2 or later). The server name is left empty: the NATS client and
// a leaf remote take it from the URL they dial.
func ClientConfig(o ClientOptions) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%w: CA file: %w", ErrCertificate, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: CA file %s: no PEM certificate in it", ErrCertificate, o.CAFile)
		}
		c.RootCAs = pool
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate %s and %s: %w", ErrCertificate, o.CertFile, o.KeyFile, err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
