package config

import (
	"net"
	"time"
)

// MQTT configures the embedded nats-server's MQTT listener, which lets
// apps and devices chat with the widget protocol's frames as MQTT
// payloads (docs/MQTT.md). Off by default.
type MQTT struct {
	// Listen is the MQTT address (host:port; a bare ":1883" listens on
	// 127.0.0.1); empty: no MQTT. It needs the embedded server (nats.enabled,
	// nats.url empty) and, on any host but loopback, TLS (tls_cert,
	// tls_key): an app's CONNECT carries its widget token.
	Listen string `yaml:"listen"`
	// TLSCert and TLSKey are the listener's certificate and key (PEM files).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// MaxClients caps the app connections (topic pairs) the node serves at
	// once; a frame from one more is answered unavailable.
	MaxClients int `yaml:"max_clients"`
	// MaxConnsPerKey caps the connections of one key (one verified
	// customer, or one anonymous app install).
	MaxConnsPerKey int `yaml:"max_conns_per_key"`
	// SweepInterval is how often the node forgets the connections of apps
	// that left (no subscription on their out topic any more).
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

func defaultMQTT() MQTT {
	return MQTT{MaxClients: 10_000, MaxConnsPerKey: 8, SweepInterval: 5 * time.Second}
}

func (c *Config) validateMQTT(bad func(key string, v any, reason string)) {
	m := &c.MQTT
	if m.MaxClients < 1 {
		bad("mqtt.max_clients", m.MaxClients, "must be at least 1")
	}
	if m.MaxConnsPerKey < 1 {
		bad("mqtt.max_conns_per_key", m.MaxConnsPerKey, "must be at least 1")
	}
	if m.SweepInterval < 10*time.Millisecond {
		bad("mqtt.sweep_interval", m.SweepInterval, "must be at least 10ms")
	}
	if (m.TLSCert == "") != (m.TLSKey == "") {
		bad("mqtt.tls_key", m.TLSKey, "set both mqtt.tls_cert and mqtt.tls_key, or neither")
	}
	if m.Listen == "" {
		return
	}
	host, port, err := net.SplitHostPort(m.Listen)
	if err != nil || port == "" {
		bad("mqtt.listen", m.Listen, "want host:port")
	}
	if !c.NATS.Enabled || c.NATS.URL != "" {
		bad("mqtt.listen", m.Listen, "MQTT is a listener of the embedded nats-server: set nats.enabled and leave nats.url empty (a leaf node is fine)")
	}
	if ip := net.ParseIP(host); host != "" && host != "localhost" && (ip == nil || !ip.IsLoopback()) && m.TLSCert == "" {
		bad("mqtt.listen", m.Listen, "off loopback the MQTT port needs TLS: set mqtt.tls_cert and mqtt.tls_key")
	}
}
