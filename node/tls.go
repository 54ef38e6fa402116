package node

// HTTPS and WSS on the public listener (tls: section), and the
// Strict-Transport-Security header on its answers.
//
// The listener is wrapped with tls.NewListener rather than served with
// fasthttp's ServeTLS: ServeTLS loads the pair once into the server's
// tls.Config (no reload short of restarting Serve) and then does exactly
// this wrapping itself. Wrapping here keeps our GetCertificate (a reloaded
// pair, or autocert) and our ALPN list. The connections fasthttp hands to
// handlers are *tls.Conn: a WebSocket upgrade hijacks the *tls.Conn and
// reads and writes through it like a plain one, ctx.IsTLS() is true
// (Secure cookies, HSTS), and the handshake runs on the connection's own
// goroutine under fasthttp's read deadline, not in Accept.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/acme/autocert"

	"github.com/edgedesk/edgedesk/node/tlsconf"
)

// nodeTLS is the public listener's TLS, nil when it serves plain HTTP.
type nodeTLS struct {
	conf  *tls.Config
	certs *tlsconf.Reloader // tls.cert_file and key_file; nil with ACME
	acme  *autocert.Manager // tls.acme; nil with files
	hsts  string            // the Strict-Transport-Security value; "" sends none
}

// openTLS loads the certificate (or sets up ACME) so that a node whose
// pair does not load fails at New, before it listens.
func (n *Node) openTLS() error {
	t := n.cfg.TLS
	if !t.Enabled() {
		return nil
	}
	nt := &nodeTLS{}
	if t.HSTSMaxAge > 0 {
		nt.hsts = "max-age=" + strconv.FormatInt(int64(t.HSTSMaxAge/time.Second), 10)
	}
	if t.ACME.Enabled() {
		dir := n.cfg.ACMECacheDir()
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("node: tls.acme.cache_dir: %w", err)
		}
		nt.acme = tlsconf.NewACME(tlsconf.ACMEOptions{Domains: t.ACME.Domains, Email: t.ACME.Email, CacheDir: dir, DirectoryURL: t.ACME.DirectoryURL})
		nt.conf = tlsconf.ServerConfig(nt.acme.GetCertificate, true)
		if _, port, _ := net.SplitHostPort(n.cfg.Listen); port != "443" {
			n.log.Warn("tls.acme: the CA checks the TLS-ALPN-01 challenge on port 443 of each domain: forward 443 to listen", "listen", n.cfg.Listen, "domains", t.ACME.Domains)
		}
	} else {
		certs, err := tlsconf.NewReloader(t.CertFile, t.KeyFile, n.log.With("component", "tls"))
		if err != nil {
			return fmt.Errorf("node: tls.cert_file: %w", err)
		}
		nt.certs = certs
		nt.conf = tlsconf.ServerConfig(certs.GetCertificate, false)
	}
	n.tls = nt
	return nil
}

// listenTLS wraps ln with TLS when the node serves HTTPS.
func (n *Node) listenTLS(ln net.Listener) net.Listener {
	if n.tls == nil {
		return ln
	}
	return tls.NewListener(ln, n.tls.conf)
}

// ReloadTLS loads tls.cert_file and tls.key_file again (SIGHUP): new
// connections get the new pair, open ones keep theirs. On error the
// running certificate stays. Without a certificate file (plain HTTP,
// ACME) it does nothing.
func (n *Node) ReloadTLS() error {
	if n.tls == nil || n.tls.certs == nil {
		return nil
	}
	return n.tls.certs.Reload()
}

// runTLS watches the certificate files until ctx is done.
func (n *Node) runTLS(ctx context.Context) error {
	if n.tls == nil || n.tls.certs == nil {
		return nil
	}
	return n.tls.certs.Run(ctx, n.cfg.TLS.ReloadInterval)
}

// withHSTS sets Strict-Transport-Security on every answer over TLS. It is
// set after the handler, since ctx.Error resets the headers; fasthttp
// writes the response (a 101 included) only once the handler returned.
func (n *Node) withHSTS(h fasthttp.RequestHandler) fasthttp.RequestHandler {
	if n.tls == nil || n.tls.hsts == "" {
		return h
	}
	v := n.tls.hsts
	return func(ctx *fasthttp.RequestCtx) {
		h(ctx)
		if ctx.IsTLS() {
			ctx.Response.Header.Set("Strict-Transport-Security", v)
		}
	}
}
