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
	// Creds is a NATS credentials file (JWT and NKey) for URL.
	Creds string `yaml:"creds"`
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
}

func defaultNATS() NATS { return NATS{Enabled: true, SyncAlways: true} }

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
}
