package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// TLS configures HTTPS (and WSS) on the public listener. Without a
// certificate or ACME the node serves plain HTTP, for a proxy in front of
// it that terminates TLS (or for `make run`).
type TLS struct {
	// CertFile and KeyFile are a PEM certificate chain and its private
	// key. The node reads them again when either file changes (checked
	// every ReloadInterval, and on SIGHUP): new connections get the new
	// certificate, open ones keep theirs. A pair that does not load keeps
	// the running one (logged).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ReloadInterval is how often the files' modification times are
	// checked.
	ReloadInterval time.Duration `yaml:"reload_interval"`
	// HSTSMaxAge is the max-age of the Strict-Transport-Security header
	// sent on every HTTPS answer (default one year); 0 sends none.
	HSTSMaxAge time.Duration `yaml:"hsts_max_age"`
	// ACME gets and renews certificates from an ACME CA (Let's Encrypt by
	// default) instead of CertFile and KeyFile.
	ACME ACME `yaml:"acme"`
}

// ACME configures certificates from an ACME certificate authority
// (golang.org/x/crypto/acme/autocert), answered with the TLS-ALPN-01
// challenge on the public listener itself: the CA must reach it on port
// 443 of every domain.
type ACME struct {
	// Domains are the host names to get certificates for; a connection
	// naming any other host (SNI) is refused. Empty: ACME is off.
	Domains []string `yaml:"domains"`
	// Email is the CA's contact for expiry and revocation notices.
	Email string `yaml:"email"`
	// CacheDir keeps the account key and certificates across restarts
	// (default data_dir/acme). Without it every start asks the CA anew and
	// soon meets its rate limits.
	CacheDir string `yaml:"cache_dir"`
	// DirectoryURL is the CA's ACME directory; empty: Let's Encrypt's
	// production directory. Point it at a staging directory to try a
	// setup.
	DirectoryURL string `yaml:"directory_url"`
}

// Enabled reports whether the public listener serves TLS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.ACME.Enabled() }

// Enabled reports whether certificates come from ACME.
func (a ACME) Enabled() bool { return len(a.Domains) > 0 }

// DefaultHSTSMaxAge is one year, what browsers' preload lists ask for.
const DefaultHSTSMaxAge = 365 * 24 * time.Hour

func defaultTLS() TLS {
	return TLS{ReloadInterval: time.Minute, HSTSMaxAge: DefaultHSTSMaxAge}
}

// ACMECacheDir is a.CacheDir, or dataDir/acme.
func (c *Config) ACMECacheDir() string {
	if c.TLS.ACME.CacheDir != "" {
		return c.TLS.ACME.CacheDir
	}
	return filepath.Join(c.DataDir, "acme")
}

// hostnameRE is a DNS name of at least two labels, as a public CA issues
// certificates for (no wildcard: TLS-ALPN-01 cannot prove one).
var hostnameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

func (c *Config) validateTLS(bad func(key string, v any, reason string)) {
	t := &c.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		bad("tls.cert_file", t.CertFile, "tls.cert_file and tls.key_file go together: set both or neither")
	}
	if t.ReloadInterval < time.Second || t.ReloadInterval > 24*time.Hour {
		bad("tls.reload_interval", t.ReloadInterval, "want 1s to 24h")
	}
	if t.HSTSMaxAge < 0 || t.HSTSMaxAge > 2*DefaultHSTSMaxAge {
		bad("tls.hsts_max_age", t.HSTSMaxAge, "want 0 (no header) to 17520h (two years)")
	}
	a := &t.ACME
	if !a.Enabled() {
		if a.Email != "" || a.CacheDir != "" || a.DirectoryURL != "" {
			bad("tls.acme.domains", "[]", "tls.acme.email, cache_dir and directory_url need tls.acme.domains")
		}
		return
	}
	if t.CertFile != "" {
		bad("tls.acme.domains", strings.Join(a.Domains, ","), "choose tls.cert_file/key_file or tls.acme, not both")
	}
	seen := map[string]bool{}
	for i, d := range a.Domains {
		key := fmt.Sprintf("tls.acme.domains[%d]", i)
		switch {
		case net.ParseIP(d) != nil:
			bad(key, d, "an ACME CA issues for host names, not IP addresses")
		case strings.HasPrefix(d, "*."):
			bad(key, d, "no wildcards: the TLS-ALPN-01 challenge proves one host name")
		case len(d) > 253 || !hostnameRE.MatchString(d):
			bad(key, d, "want a lower-case DNS name such as chat.shop.example")
		case seen[d]:
			bad(key, d, "listed twice")
		}
		seen[d] = true
	}
	if a.Email != "" {
		if at := strings.LastIndexByte(a.Email, '@'); at < 1 || at == len(a.Email)-1 || strings.ContainsAny(a.Email, " \t\r\n<>") {
			bad("tls.acme.email", a.Email, "want an address such as ops@shop.example")
		}
	}
	if a.DirectoryURL != "" {
		if u, err := url.Parse(a.DirectoryURL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("tls.acme.directory_url", a.DirectoryURL, "want an https:// ACME directory URL")
		}
	}
}
