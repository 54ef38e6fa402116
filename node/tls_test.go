package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/internal/testpki"
)

// tlsNode is a node serving HTTPS with a certificate of a test CA.
type tlsNode struct {
	n                 *Node
	base              string // https://127.0.0.1:port
	ca                *testpki.CA
	dir               string // the certificate's directory
	certFile, keyFile string
	client            *http.Client // trusts ca
}

// startTLSNode runs a node with tls.cert_file and key_file (a certificate
// for 127.0.0.1 issued by a fresh CA), checked for changes every second.
func startTLSNode(t *testing.T, opts ...func(*config.Config)) *tlsNode {
	t.Helper()
	tn := &tlsNode{ca: testpki.New(t, "edgedesk test CA"), dir: t.TempDir()}
	tn.certFile, tn.keyFile = tn.ca.Issue(t, time.Hour, "127.0.0.1", "localhost").Write(t, tn.dir, "node")
	tn.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tn.ca.Pool()}}, Timeout: 10 * time.Second}
	t.Cleanup(tn.client.CloseIdleConnections)
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Gateway.RateLimit, cfg.Gateway.RateBurst = 1000, 1000
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.ReloadInterval = tn.certFile, tn.keyFile, time.Second
	for _, o := range opts {
		o(cfg)
	}
	tn.n = runNode(t, cfg)
	tn.base = "https://" + tn.n.Addr().String()
	waitFor(t, "the node ready over HTTPS", func() bool {
		resp, err := tn.client.Get(tn.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return tn
}

// runNode builds, listens and runs a node until the test ends.
func runNode(t *testing.T, cfg *config.Config) *Node {
	t.Helper()
	n, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	})
	return n
}

// handshake dials the node with conf (RootCAs defaulting to the test CA)
// and returns the certificate it served.
func (tn *tlsNode) handshake(conf *tls.Config) (*x509.Certificate, error) {
	if conf.RootCAs == nil {
		conf.RootCAs = tn.ca.Pool()
	}
	c, err := tls.Dial("tcp", tn.n.Addr().String(), conf)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0], nil
}

func (tn *tlsNode) dialWSS(t *testing.T) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: tn.ca.Pool()}, HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.Dial("wss://"+tn.n.Addr().String()+"/v1/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); hsts == "" {
		t.Errorf("the WSS upgrade has no Strict-Transport-Security")
	}
	t.Cleanup(func() { ws.Close() })
	ws.WriteJSON(map[string]any{"type": "hello", "v": 1})
	var welcome struct{ Type, Session string }
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Type != "welcome" || welcome.Session == "" {
		t.Fatalf("welcome over WSS: %+v %v", welcome, err)
	}
	return ws
}

// TestHTTPSAndWSS: the node serves HTTPS and WSS with TLS 1.2 or later,
// HSTS on every answer (errors included), refuses TLS 1.1, and a chat
// works over WSS.
func TestHTTPSAndWSS(t *testing.T) {
	tn := startTLSNode(t, noBot)
	for _, path := range []string{"/healthz", "/no/such/page", "/v1/admin/faq"} { // 200, 404, 401 (ctx.Error resets headers)
		resp, err := tn.client.Get(tn.base + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s (%d): Strict-Transport-Security %q, want max-age=31536000", path, resp.StatusCode, got)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			t.Errorf("GET %s: TLS state %+v", path, resp.TLS)
		}
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		_, err := tn.handshake(&tls.Config{MinVersion: v, MaxVersion: v})
		if err == nil || !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("TLS %x: handshake err = %v, want a protocol version refusal", v, err)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if _, err := tn.handshake(&tls.Config{MinVersion: v, MaxVersion: v}); err != nil {
			t.Errorf("TLS %x refused: %v", v, err)
		}
	}
	// A browser offering HTTP/2 gets HTTP/1.1, the one protocol fasthttp
	// (and a WebSocket upgrade) speaks.
	c, err := tls.Dial("tcp", tn.n.Addr().String(), &tls.Config{RootCAs: tn.ca.Pool(), NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("ALPN chose %q, want http/1.1", p)
	}
	c.Close()
	// An old, weak suite is not offered.
	if _, err := tn.handshake(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}); err == nil {
		t.Error("TLS_RSA_WITH_AES_128_CBC_SHA was accepted")
	}
	ws := tn.dialWSS(t)
	if r, _ := ask(t, ws, "c1", "hello over wss", true); r.Seq == 0 {
		t.Fatal("no receipt over WSS")
	}

	// Plain HTTP sends no HSTS (a browser would ignore it anyway).
	_, base, _ := startNode(t, noBot)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("plain HTTP sent Strict-Transport-Security %q", h)
	}
}

// TestCertificateReloadKeepsConnections: a certificate replaced on disk
// is served to new connections within the check interval, while a
// WebSocket opened before keeps working; a pair that does not load (on
// disk or through SIGHUP's ReloadTLS) keeps the running one.
func TestCertificateReloadKeepsConnections(t *testing.T) {
	tn := startTLSNode(t, noBot)
	first, err := tn.handshake(&tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ws := tn.dialWSS(t)

	second := tn.ca.Issue(t, 2*time.Hour, "127.0.0.1")
	second.Write(t, tn.dir, "node")
	waitFor(t, "the new certificate served", func() bool {
		c, err := tn.handshake(&tls.Config{})
		return err == nil && c.SerialNumber.Cmp(second.Cert.SerialNumber) == 0
	})
	if first.SerialNumber.Cmp(second.Cert.SerialNumber) == 0 {
		t.Fatal("the test CA issued the same serial twice")
	}
	// The WebSocket opened under the first certificate is still served.
	if r, _ := ask(t, ws, "after", "after the swap", true); r.Seq == 0 {
		t.Fatal("no receipt on the old connection after the swap")
	}

	// A certificate without its key: ReloadTLS (SIGHUP) fails and says
	// so, the timer logs it, and the second pair stays.
	third := tn.ca.Issue(t, 3*time.Hour, "127.0.0.1")
	if err := os.WriteFile(tn.certFile, third.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tn.n.ReloadTLS(); err == nil || !strings.Contains(err.Error(), tn.certFile) {
		t.Fatalf("ReloadTLS of a mismatched pair: %v, want an error naming %s", err, tn.certFile)
	}
	if c, err := tn.handshake(&tls.Config{}); err != nil || c.SerialNumber.Cmp(second.Cert.SerialNumber) != 0 {
		t.Fatalf("after a bad pair: %v %v, want the running second certificate", c, err)
	}
	// Its key arrives; SIGHUP loads it at once.
	if err := os.WriteFile(tn.keyFile, third.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tn.n.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if c, err := tn.handshake(&tls.Config{}); err != nil || c.SerialNumber.Cmp(third.Cert.SerialNumber) != 0 {
		t.Fatalf("after ReloadTLS: %v %v, want the third certificate", c, err)
	}
}

// TestSecureCookieOverTLS: signing in over the node's own TLS sets a
// Secure cookie, which then authenticates /v1/auth/me over HTTPS.
func TestSecureCookieOverTLS(t *testing.T) {
	tn := startTLSNode(t, noBot, withStaff(t))
	b, _ := json.Marshal(map[string]string{"email": "ana@shop.example", "password": anaPassword})
	resp, err := tn.client.Post(tn.base+"/v1/auth/login", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			ck = c
		}
	}
	if resp.StatusCode != 200 || ck == nil || !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login over HTTPS: %d, cookie %+v: want a Secure, HttpOnly, SameSite=Strict cookie", resp.StatusCode, ck)
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("login answer without Strict-Transport-Security")
	}
	req, _ := http.NewRequest("GET", tn.base+"/v1/auth/me", nil)
	req.AddCookie(ck)
	me, err := tn.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	me.Body.Close()
	if me.StatusCode != 200 {
		t.Fatalf("/v1/auth/me with the cookie over HTTPS: %d", me.StatusCode)
	}
}

// TestACMEWiring: with tls.acme the listener's certificates come from
// autocert: a certificate in the cache directory (as autocert stores one
// it got from the CA) is served for its domain without asking any CA, a
// host name outside tls.acme.domains is refused in the handshake, and
// the listener offers the TLS-ALPN-01 protocol. No CA is reached: the
// issuance itself cannot be tested offline.
func TestACMEWiring(t *testing.T) {
	ca := testpki.New(t, "pretend ACME CA")
	const domain = "chat.shop.example"
	leaf := ca.Issue(t, 90*24*time.Hour, domain)
	cache := t.TempDir()
	// autocert's cache entry: the private key, then the chain, in PEM,
	// under the domain's name (ECDSA keys).
	block, _ := pem.Decode(leaf.KeyPEM)
	if _, err := x509.ParseECPrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, domain), append(append([]byte(nil), leaf.KeyPEM...), leaf.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.Bot.Enabled = "127.0.0.1:0", t.TempDir(), false
	cfg.TLS.ACME = config.ACME{Domains: []string{domain}, Email: "ops@shop.example", CacheDir: cache}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n := runNode(t, cfg)
	dial := func(name string, protos ...string) (*tls.ConnectionState, error) {
		c, err := tls.Dial("tcp", n.Addr().String(), &tls.Config{ServerName: name, RootCAs: ca.Pool(), NextProtos: protos})
		if err != nil {
			return nil, err
		}
		defer c.Close()
		st := c.ConnectionState()
		return &st, nil
	}
	st, err := dial(domain, "http/1.1")
	if err != nil {
		t.Fatalf("handshake for %s: %v", domain, err)
	}
	if got := st.PeerCertificates[0]; got.SerialNumber.Cmp(leaf.Cert.SerialNumber) != 0 {
		t.Fatalf("served serial %v, want the cached certificate's %v", got.SerialNumber, leaf.Cert.SerialNumber)
	}
	if _, ok := st.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey); !ok {
		t.Fatal("not the cached ECDSA certificate")
	}
	if _, err := dial("other.example"); err == nil {
		t.Fatal("a host name outside tls.acme.domains got a certificate")
	}
	// The TLS-ALPN-01 protocol is offered: autocert answers it (here with
	// an error, since no challenge is pending), instead of the handshake
	// failing on an unknown protocol.
	if _, err := dial(domain, "acme-tls/1"); err == nil || strings.Contains(err.Error(), "no application protocol") {
		t.Fatalf("acme-tls/1 with no challenge pending: %v, want autocert's refusal", err)
	}
}

// TestAPIKeys: static keys in auth.api_keys (as a SHA-256, or a key file)
// act on the admin API with their role; a wrong key, or a key sent as the
// sign-in cookie, is refused.
func TestAPIKeys(t *testing.T) {
	const adminKey = "adm-0123456789abcdef0123456789abcdef0123456789abcdef"
	const supKey = "sup-fedcba9876543210fedcba9876543210fedcba98765432"
	const agentKey = "agt-00112233445566778899aabbccddeeff0011223344556677"
	sum := func(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }
	keyFile := filepath.Join(t.TempDir(), "sup.key")
	if err := os.WriteFile(keyFile, []byte(supKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, base, _ := startNode(t, noBot, func(c *config.Config) {
		c.Auth.APIKeys = []config.APIKey{
			{Name: "ops-script", KeySHA256: sum(adminKey), Role: "admin"},
			{Name: "wallboard", KeyFile: keyFile, Role: "supervisor"},
			{Name: "helper", KeySHA256: sum(agentKey), Role: "agent"},
		}
	})
	cases := []struct {
		name, path, header string
		want               int
	}{
		{"admin key, admin endpoint", "/v1/admin/faq", "Authorization: Bearer " + adminKey, 200},
		{"admin key, supervisor endpoint", "/v1/admin/stats", "Authorization: Bearer " + adminKey, 200},
		{"supervisor key from a file", "/v1/admin/stats", "Authorization: Bearer " + supKey, 200},
		{"supervisor key, admin endpoint", "/v1/admin/faq", "Authorization: Bearer " + supKey, 403},
		{"agent key, supervisor endpoint", "/v1/admin/stats", "Authorization: Bearer " + agentKey, 403},
		{"wrong key", "/v1/admin/faq", "Authorization: Bearer " + adminKey[:len(adminKey)-1] + "x", 401},
		{"the hash is not the key", "/v1/admin/faq", "Authorization: Bearer " + sum(adminKey), 401},
		{"key as the cookie", "/v1/admin/faq", cookieHeader(adminKey), 401},
	}
	for _, c := range cases {
		if r := call(t, "GET", base+c.path, "", "", c.header); r.code != c.want {
			t.Errorf("%s: GET %s = %d, want %d", c.name, c.path, r.code, c.want)
		}
	}
	// An admin key changes state without an Origin (it is no cookie).
	r := call(t, "PUT", base+"/v1/admin/faq?format=jsonl", "application/x-ndjson",
		`{"intent":"greeting","lang":"en","answer":"Hi from the script"}`+"\n", "Authorization: Bearer "+adminKey)
	if r.code != 200 {
		t.Errorf("PUT /v1/admin/faq with the admin key: %d %v", r.code, r.body)
	}
}

// TestAPIKeyFileTooShort: a key file with a short key fails New, naming
// the key.
func TestAPIKeyFileTooShort(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "k")
	os.WriteFile(keyFile, []byte("short"), 0o600)
	cfg := config.Default()
	cfg.DataDir, cfg.Bot.Enabled, cfg.NATS.Enabled = t.TempDir(), false, false
	cfg.Auth.APIKeys = []config.APIKey{{Name: "tiny", KeyFile: keyFile, Role: "admin"}}
	n, err := New(cfg, nil)
	if err == nil {
		n.Close(context.Background())
		t.Fatal("New accepted a 5-byte key")
	}
	if !errors.Is(err, auth.ErrAPIKey) || !strings.Contains(err.Error(), "tiny") || !strings.Contains(err.Error(), "auth.api_keys") {
		t.Fatalf("err = %v", err)
	}
}

// TestTLSStartErrors: a certificate that does not load stops New before
// anything opens, naming the key and the file; hsts_max_age 0 sends no
// header.
func TestTLSStartErrors(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.TLS.CertFile, cfg.TLS.KeyFile = filepath.Join(cfg.DataDir, "missing.crt"), filepath.Join(cfg.DataDir, "missing.key")
	n, err := New(cfg, nil)
	if err == nil {
		n.Close(context.Background())
		t.Fatal("New started without its certificate")
	}
	if !strings.Contains(err.Error(), "tls.cert_file") || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("err = %v, want it to name tls.cert_file and the file", err)
	}
	if ents, _ := os.ReadDir(cfg.DataDir); len(ents) != 0 {
		t.Errorf("New created %v before the certificate failed", ents)
	}

	tn := startTLSNode(t, noBot, func(c *config.Config) { c.TLS.HSTSMaxAge = 0 })
	resp, err := tn.client.Get(tn.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Fatalf("hsts_max_age 0 sent %q", h)
	}
}
