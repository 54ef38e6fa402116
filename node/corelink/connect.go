package corelink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/tlsconf"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// clientAuth is the nats.go options of the connection to a core
// (nats.url): its TLS and one way to authenticate.
func clientAuth(c config.NATS) ([]nats.Option, error) {
	var opts []nats.Option
	if c.TLS.Enabled() {
		tc, err := natsTLS(c.TLS)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.Secure(tc))
	}
	switch {
	case c.Creds != "":
		opts = append(opts, nats.UserCredentials(c.Creds))
	case c.User != "":
		opts = append(opts, nats.UserInfo(c.User, c.Password))
	case c.Token != "":
		opts = append(opts, nats.Token(c.Token))
	case c.NKeySeedFile != "":
		o, err := nats.NkeyOptionFromSeed(c.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("corelink: nats.nkey_seed_file: %w", err)
		}
		opts = append(opts, o)
	}
	return opts, nil
}

// leafAuth sets the TLS and credentials of the embedded server's leaf
// connection to the core (nats.leaf).
func leafAuth(c config.NATS, so *edgesync.ServerOptions) error {
	if c.TLS.Enabled() {
		tc, err := natsTLS(c.TLS)
		if err != nil {
			return err
		}
		so.LeafTLS = tc
	}
	so.LeafCreds = c.Creds
	switch {
	case c.User != "":
		so.LeafUser = url.UserPassword(c.User, c.Password)
	case c.Token != "":
		so.LeafUser = url.User(c.Token) // the server sends a user-only URL's name as the token too
	case c.NKeySeedFile != "":
		b, err := os.ReadFile(c.NKeySeedFile)
		if err != nil {
			return fmt.Errorf("corelink: nats.nkey_seed_file: %w", err)
		}
		so.LeafNKeySeed = strings.TrimSpace(string(b))
	}
	return nil
}

func natsTLS(t config.NATSTLS) (*tls.Config, error) {
	tc, err := tlsconf.ClientConfig(tlsconf.ClientOptions{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile})
	if err != nil {
		return nil, fmt.Errorf("corelink: nats.tls: %w", err)
	}
	return tc, nil
}

// refused reports whether a failed connect was the core refusing the node
// (credentials, TLS), as opposed to a core out of reach.
func refused(err error) bool {
	var (
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		alert    tls.AlertError
		record   tls.RecordHeaderError
	)
	for _, e := range []error{nats.ErrAuthorization, nats.ErrAuthExpired, nats.ErrAuthRevoked, nats.ErrAccountAuthExpired,
		nats.ErrSecureConnRequired, nats.ErrSecureConnWanted, nats.ErrClientCertOrRootCAsRequired} {
		if errors.Is(err, e) {
			return true
		}
	}
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &alert) || errors.As(err, &record)
}

// connectCore connects to the core at url. The first attempt is made
// once: a core that answers and refuses the node fails New with
// ErrRefused. A core out of reach is retried for ever in the background
// (the outbox keeps every event meanwhile).
func connectCore(url string, opts []nats.Option, log *slog.Logger) (*nats.Conn, error) {
	var (
		mu   sync.Mutex
		last string
	)
	// Reconnects retry every 250ms: log an error once, not four times a
	// second, until another one comes.
	opts = append(opts, nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
		mu.Lock()
		defer mu.Unlock()
		if msg := err.Error(); msg != last {
			last = msg
			log.Warn("core NATS connection failed; retrying", "core", url, "err", err)
		}
	}), nats.ReconnectHandler(func(nc *nats.Conn) {
		mu.Lock()
		last = ""
		mu.Unlock()
		log.Info("core NATS connection back", "core", nc.ConnectedUrlRedacted())
	}))
	nc, err := nats.Connect(url, opts...)
	if err == nil {
		return nc, nil
	}
	if refused(err) {
		return nil, fmt.Errorf("%w: %s: %w (check nats.user, nats.password, nats.token, nats.creds, nats.nkey_seed_file and nats.tls)", ErrRefused, redact(url), err)
	}
	log.Warn("core NATS out of reach; retrying in the background (the outbox keeps every event)", "core", redact(url), "err", err)
	return nats.Connect(url, append(opts, nats.RetryOnFailedConnect(true))...)
}

// redact hides the password of URLs with user info (nats://u:p@host).
func redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}
