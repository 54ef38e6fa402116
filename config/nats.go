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
	// Listen is the embedded server's client address (for the nats CLI or
	// other nodes); empty: in-process only.
	Listen string `yaml:"listen"`
	// SyncAlways makes the embedded server fsync every JetStream write
	// before acknowledging it. JetStream's default (fsync every 2 minutes)
	// loses acknowledged writes on power failure (Jepsen, NATS 2.12.1,
	// 2025); the outbox deletes an event once acknowledged, so the node
	// asks for always.
	SyncAlways bool `yaml:"sync_always"`
}

func defaultNATS() NATS { return NATS{Enabled: true, SyncAlways: true} }

var nodeRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

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
	if n.Listen != "" {
		if _, port, err := net.SplitHostPort(n.Listen); err != nil || port == "" {
			bad("nats.listen", n.Listen, "want host:port")
		}
	}
}
