package tlsconf

import (
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACMEOptions configure certificates from an ACME CA.
type ACMEOptions struct {
	// Domains are the only host names certificates are asked for: a
	// handshake naming another (SNI) fails without reaching the CA.
	Domains []string
	// Email is the account's contact.
	Email string
	// CacheDir keeps the account key and the certificates.
	CacheDir string
	// DirectoryURL is the CA's directory; empty: Let's Encrypt.
	DirectoryURL string
}

// NewACME returns the manager whose GetCertificate the public listener
// uses. It accepts the CA's terms of service (the operator did, by
// configuring tls.acme). It never serves the HTTP-01 challenge (its
// HTTPHandler is not used), so the CA validates with TLS-ALPN-01 on the
// listener itself: no port 80 to open, and nothing served in plain HTTP.
func NewACME(o ACMEOptions) *autocert.Manager {
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(o.Domains...),
		Cache:      autocert.DirCache(o.CacheDir),
		Email:      o.Email,
	}
	if o.DirectoryURL != "" {
		m.Client = &acme.Client{DirectoryURL: o.DirectoryURL}
	}
	return m
}
