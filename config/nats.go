package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// NATS configures the sync to the core over NATS JetStream.
type NATS struct {
	// Enabled keeps every session event in a bbolt outbox and ships it
	// over NATS JetStream. false: a standalone node, no outbox, no NATS.
	Enabled bool `yaml:"enabled"`
	// URL of the core's NATS cluster (nats://host:4222, comma-separated
	// for several). Empty: the node runs an embedded nats-server with
	// JetStream under data_dir/nats, and publishes there.
	URL string `yaml:"url"`
	// Creds is a NATS credentials file (user JWT and NKey seed) for URL
	// or Leaf.
	Creds string `yaml:"creds"`
	// User and Password authenticate to URL or Leaf with a user name and
	// password; Token with a token; NKeySeedFile with the NKey whose seed
	// (SU…) the file holds. At most one of Creds, User, Token and
	// NKeySeedFile. Prefer the environment (EDGEDESK_NATS_PASSWORD,
	// EDGEDESK_NATS_TOKEN) to the file for the secrets.
	User         string `yaml:"user"`
	Password     string `yaml:"password" secret:"true"`
	Token        string `yaml:"token" secret:"true"`
	NKeySeedFile string `yaml:"nkey_seed_file"`
	// TLS secures the connection to URL or Leaf.
	TLS NATSTLS `yaml:"tls"`
	// Node names this node in subjects (edgedesk.sessions.<node>.…).
	// Empty: the host name.
	Node string `yaml:"node"`
	// Leaf is the core's leaf-node URL (nats-leaf://core:7422): the
	// embedded server joins the core as a leaf node with its own
	// JetStream domain, so the edge keeps its stream while the link is
	// down and the core sources from it when the link returns.
	Leaf string `yaml:"leaf"`
	// Domain is the embedded JetStream's domain (default edge-<node>).
	Domain string `yaml:"domain"`
	// Listen is the embedded server's client address (for the nats CLI or
	// other nodes); empty: in-process only. A bare ":4222" listens on
	// 127.0.0.1. It requires ListenUser and ListenPassword or ListenNKeys,
	// and TLS (ListenTLSCert, ListenTLSKey) on any host but loopback.
	Listen string `yaml:"listen"`
	// ListenUser and ListenPassword are a user of the client port.
	ListenUser     string `yaml:"listen_user"`
	ListenPassword string `yaml:"listen_password" secret:"true"`
	// ListenNKeys are public NKeys (U…) of users of the client port.
	ListenNKeys []string `yaml:"listen_nkeys"`
	// ListenTLSCert and ListenTLSKey are the client port's certificate
	// and key (PEM files).
	ListenTLSCert string `yaml:"listen_tls_cert"`
	ListenTLSKey  string `yaml:"listen_tls_key"`
	// SyncAlways makes the embedded server fsync every JetStream write
	// before acknowledging it. JetStream's default (fsync every 2 minutes)
	// loses acknowledged writes on power failure (Jepsen, NATS 2.12.1,
	// 2025); the outbox deletes an event once acknowledged, so the node
	// asks for always.
	SyncAlways bool `yaml:"sync_always"`
	// CoreDomain is the core's JetStream domain, for a leaf node: where
	// the presence bucket of every node's agent groups lives. A client of
	// a core (url) uses the core's JetStream directly. Empty on a leaf:
	// this node routes to its own agents only.
	CoreDomain string `yaml:"core_domain"`
	// Replicas is how many servers of the core's cluster keep each
	// stream and bucket the node creates there: with nats.url the session
	// events, the uploads, the audit log, the presence, the figures and
	// the files from the core; on a leaf with nats.core_domain the
	// presence, the figures and the audit log (the leaf's own streams
	// are on its one server). 3 on a cluster of three survives one
	// server down; 1 (the default) is all a single server has. Every
	// node of one core sets the same value: each creates or updates the
	// streams to its own.
	Replicas int `yaml:"replicas"`
}

// NATSTLS configures TLS on the connection to the core (nats.url) or to
// its leaf-node port (nats.leaf). Any of its keys turns TLS on; so does a
// tls:// URL, or a server that requires it (then against the system's
// roots).
type NATSTLS struct {
	// CAFile holds the PEM certificates of the CA that signed the core's
	// certificate; empty: the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are this node's client certificate, for a core
	// that verifies clients (verify, or verify_and_map).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify exists only to be refused: a connection that does
	// not check the core's certificate is open to anyone on the path. Give
	// ca_file the CA instead.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// Enabled reports whether any TLS setting is made.
func (t NATSTLS) Enabled() bool { return t.CAFile != "" || t.CertFile != "" }

func defaultNATS() NATS { return NATS{Enabled: true, SyncAlways: true, Replicas: 1} }

// MaxReplicas is the most replicas JetStream keeps of a stream.
const MaxReplicas = 5

var nodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// JSDomain is the embedded JetStream's domain: n.Domain, else
// edge-<node> when the node is a leaf, else none.
func (n NATS) JSDomain() string {
	if n.Domain != "" {
		return n.Domain
	}
	if n.Leaf != "" {
		return "edge-" + n.NodeName()
	}
	return ""
}

// LocalReplicas is the replicas of the streams in the node's own
// JetStream: n.Replicas for a client of a core (nats.url), whose
// JetStream is the core's; 1 for the embedded server, leaf or not.
func (n NATS) LocalReplicas() int {
	if n.URL != "" {
		return n.Replicas
	}
	return 1
}

// NodeName is n.Node, or a subject-safe form of the host name.
func (n NATS) NodeName() string {
	if n.Node != "" {
		return n.Node
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "edge"
	}
	h = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, h)
	return h[:min(len(h), 64)]
}

func (c *Config) validateNATS(bad func(key string, v any, reason string)) {
	n := &c.NATS
	for i, u := range strings.Split(n.URL, ",") {
		if n.URL == "" {
			break
		}
		p, err := url.Parse(strings.TrimSpace(u))
		if err != nil || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") || p.Host == "" {
			bad(fmt.Sprintf("nats.url[%d]", i), u, "want nats://host:port (or tls://, ws://, wss://)")
		}
	}
	if n.Node != "" && !nodeRE.MatchString(n.Node) {
		bad("nats.node", n.Node, "want 1 to 64 of [A-Za-z0-9_-] (a subject token)")
	}
	if n.Leaf != "" {
		if n.URL != "" {
			bad("nats.leaf", n.Leaf, "a leaf node is the embedded server: leave nats.url empty")
		}
		p, err := url.Parse(n.Leaf)
		if err != nil || (p.Scheme != "nats-leaf" && p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			bad("nats.leaf", n.Leaf, "want nats-leaf://host:port")
		}
	}
	if n.Domain != "" && !nodeRE.MatchString(n.Domain) {
		bad("nats.domain", n.Domain, "want 1 to 64 of [A-Za-z0-9_-]")
	}
	if n.CoreDomain != "" && !nodeRE.MatchString(n.CoreDomain) {
		bad("nats.core_domain", n.CoreDomain, "want 1 to 64 of [A-Za-z0-9_-]")
	}
	switch {
	case n.Replicas < 1 || n.Replicas > MaxReplicas:
		bad("nats.replicas", n.Replicas, fmt.Sprintf("want 1 to %d (servers of the core's cluster that keep each stream)", MaxReplicas))
	case n.Replicas > 1 && n.URL == "" && (n.Leaf == "" || n.CoreDomain == ""):
		bad("nats.replicas", n.Replicas, "replicas are kept by a core's cluster: set nats.url, or nats.leaf and nats.core_domain (the embedded server alone is one server: 1)")
	}
	if n.Listen != "" {
		host, port, err := net.SplitHostPort(n.Listen)
		if err != nil || port == "" {
			bad("nats.listen", n.Listen, "want host:port")
		}
		if (n.ListenUser == "" || n.ListenPassword == "") && len(n.ListenNKeys) == 0 {
			bad("nats.listen", n.Listen, "the client port serves every session: set nats.listen_user and nats.listen_password, or nats.listen_nkeys")
		}
		if ip := net.ParseIP(host); host != "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) && n.ListenTLSCert == "" {
			bad("nats.listen", n.Listen, "off loopback the client port needs TLS: set nats.listen_tls_cert and nats.listen_tls_key")
		}
	}
	if (n.ListenTLSCert == "") != (n.ListenTLSKey == "") {
		bad("nats.listen_tls_key", n.ListenTLSKey, "set both nats.listen_tls_cert and nats.listen_tls_key, or neither")
	}
	for i, k := range n.ListenNKeys {
		if len(k) != 56 || k[0] != 'U' {
			bad(fmt.Sprintf("nats.listen_nkeys[%d]", i), k, "want a user's public NKey (56 characters starting with U)")
		}
	}
	c.validateNATSAuth(bad)
}

// validateNATSAuth checks the credentials and TLS of the connection to the
// core: one way to authenticate, and only where there is a core.
func (c *Config) validateNATSAuth(bad func(key string, v any, reason string)) {
	n := &c.NATS
	remote := n.URL != "" || n.Leaf != ""
	var ways []string
	for _, w := range []struct{ key, v string }{{"nats.creds", n.Creds}, {"nats.user", n.User}, {"nats.token", n.Token}, {"nats.nkey_seed_file", n.NKeySeedFile}} {
		if w.v != "" {
			ways = append(ways, w.key)
		}
	}
	if len(ways) > 1 {
		bad(ways[1], "(set)", "choose one way to authenticate: "+strings.Join(ways, ", ")+" are all set")
	}
	if n.Password != "" && n.User == "" {
		bad("nats.password", "(redacted)", "needs nats.user")
	}
	if len(ways) > 0 && !remote {
		bad(ways[0], "(set)", "credentials are for a core: set nats.url or nats.leaf (the embedded server alone needs none)")
	}
	t := &n.TLS
	if t.InsecureSkipVerify {
		bad("nats.tls.insecure_skip_verify", true, "refused: the core's certificate is always verified; give nats.tls.ca_file the CA that signed it")
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		bad("nats.tls.cert_file", t.CertFile, "nats.tls.cert_file and nats.tls.key_file go together: set both or neither")
	}
	if t.Enabled() && !remote {
		bad("nats.tls", "(set)", "TLS is for the connection to a core: set nats.url or nats.leaf")
	}
}
