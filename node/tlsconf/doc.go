// Package tlsconf builds the node's TLS configurations: the public
// listener's (a certificate and key reloaded from disk when they change,
// or certificates from an ACME CA through golang.org/x/crypto/acme/autocert)
// and the client side of the connection to the core's NATS.
//
// The public listener takes TLS 1.2 and 1.3 only, with Go's default cipher
// suites (AEAD with forward secrecy; no CBC or RSA key exchange by
// default since Go 1.22 and 1.23) and advertises HTTP/1.1 only (ALPN):
// fasthttp speaks nothing else, and a WebSocket upgrade needs HTTP/1.1.
//
// A Reloader is safe for concurrent use: handshakes read the certificate
// through an atomic pointer while a reload swaps it.
package tlsconf
