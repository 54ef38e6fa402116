package tlsconf

import (
	"crypto/tls"

	"golang.org/x/crypto/acme"
)

// HTTP1 is the one application protocol the public listener speaks.
const HTTP1 = "http/1.1"

// ServerConfig is the public listener's configuration: TLS 1.2 or later,
// certificates from getCert, HTTP/1.1 (and, with acmeALPN, the ACME
// TLS-ALPN-01 protocol, answered by getCert).
func ServerConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error), acmeALPN bool) *tls.Config {
	protos := []string{HTTP1}
	if acmeALPN {
		protos = append(protos, acme.ALPNProto)
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: getCert,
		NextProtos:     protos,
	}
}
