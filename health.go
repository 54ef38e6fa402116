package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

const healthUsage = `usage: edgedesk health [-config FILE] [-url URL] [-timeout 2s] [-ca FILE]

Asks the node's /readyz and exits 0 when it answers 200, 1 otherwise
(not ready, no answer, a certificate that does not verify), saying why on
standard error. Without -url the address is the configured listen (as
serve reads it: -config or $EDGEDESK_CONFIG, then EDGEDESK_* variables),
on loopback when it is a wildcard, over HTTPS when the node serves TLS.
The container's HEALTHCHECK runs it: the image has no curl, and its
/bin/sh (dash) has no /dev/tcp.`

// errNotReady is the node answering /readyz with anything but 200.
var errNotReady = errors.New("not ready")

// healthCommand is "edgedesk health": the node's readiness, as an exit
// code for container health checks and service managers.
func healthCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, healthUsage); fs.PrintDefaults() }
	path := fs.String("config", os.Getenv("EDGEDESK_CONFIG"), "YAML config `file` the node runs with (its listen and tls)")
	rawURL := fs.String("url", "", "the readiness `URL` to ask (default: from the configuration)")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	caFile := fs.String("ca", "", "PEM `file` of a CA to trust for the node's certificate, beside the system's")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("health: unexpected argument %q", fs.Arg(0))}
	}
	if *timeout <= 0 {
		return usageError{fmt.Errorf("health: -timeout %v: want a positive duration", *timeout)}
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if *caFile != "" {
		if err := addPEM(roots, *caFile); err != nil {
			return usageError{fmt.Errorf("health: -ca: %w", err)}
		}
	}
	target, serverName := *rawURL, ""
	if target == "" {
		cfg, err := config.Load(*path, os.Environ())
		if err != nil {
			return usageError{fmt.Errorf("health: %w", err)}
		}
		if target, serverName, err = readyURL(cfg, roots); err != nil {
			return usageError{fmt.Errorf("health: %w", err)}
		}
	} else if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("health: -url %q: want http://host:port/readyz or https://…", target)}
	}
	if err := probe(ctx, target, serverName, roots, *timeout); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	fmt.Fprintln(stdout, "ready:", target)
	return nil
}

// readyURL is the /readyz URL of the node cfg configures, seen from this
// machine, and the name its certificate is checked against. With a
// certificate file its certificates join roots: the node is trusted to
// present the certificate it was given, whoever signed it.
func readyURL(cfg *config.Config, roots *x509.CertPool) (target, serverName string, err error) {
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "", "", fmt.Errorf("listen %q: %w", cfg.Listen, err)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	scheme := "http"
	switch {
	case cfg.TLS.ACME.Enabled():
		scheme, serverName = "https", cfg.TLS.ACME.Domains[0]
	case cfg.TLS.CertFile != "":
		scheme = "https"
		if serverName, err = certName(cfg.TLS.CertFile, roots); err != nil {
			return "", "", fmt.Errorf("tls.cert_file: %w", err)
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/readyz", serverName, nil
}

// certName adds the certificates of PEM file name to roots and returns
// a name its first (the node's own) is valid for.
func certName(name string, roots *x509.CertPool) (string, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	var leaf *x509.Certificate
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		roots.AddCert(c)
		if leaf == nil {
			leaf = c
		}
	}
	switch {
	case leaf == nil:
		return "", fmt.Errorf("%s: no PEM certificate", name)
	case len(leaf.DNSNames) > 0:
		return strings.Replace(leaf.DNSNames[0], "*", "health", 1), nil
	case len(leaf.IPAddresses) > 0:
		return leaf.IPAddresses[0].String(), nil
	}
	return "", fmt.Errorf("%s: the certificate names no host (no DNS or IP subject alternative name)", name)
}

func addPEM(pool *x509.CertPool, name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if !pool.AppendCertsFromPEM(b) {
		return fmt.Errorf("%s: no PEM certificate", name)
	}
	return nil
}

// probe asks target once and returns nil on a 200. The connection goes
// to target's host; serverName, if set, is what the certificate must be
// valid for (the node's public name, when target is its loopback side).
func probe(ctx context.Context, target, serverName string, roots *x509.CertPool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tr := &http.Transport{
		Proxy:             nil, // the node is on this machine, never behind $HTTPS_PROXY
		TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "edgedesk-health")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: no answer within %v: %w", target, timeout, err)
		}
		return err // *url.Error names the method, the URL and the cause
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %w: %s %s", target, errNotReady, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
