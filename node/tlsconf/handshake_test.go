package tlsconf

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/edgedesk/edgedesk/node/internal/testpki"
)

// BenchmarkHandshake is one full TLS handshake (no resumption) against
// ServerConfig over loopback with a P-256 certificate: the cost a new
// widget connection adds over plain HTTP. TLS 1.3 and 1.2.
func BenchmarkHandshake(b *testing.B) {
	ca := testpki.New(b, "bench CA")
	leaf := ca.Issue(b, time.Hour, "127.0.0.1")
	cert := leaf.TLS(b)
	conf := ServerConfig(func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return &cert, nil }, false)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	for _, v := range []struct {
		name string
		ver  uint16
	}{{"TLS1.3", tls.VersionTLS13}, {"TLS1.2", tls.VersionTLS12}} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			cc := &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1", MinVersion: v.ver, MaxVersion: v.ver}
			for b.Loop() {
				raw, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				c := tls.Client(raw, cc)
				if err := c.Handshake(); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
