package config

import "time"

// Files configures the photos and PDFs customers attach (POST /v1/files;
// package node/files). Files are kept in JetStream, so uploads need
// nats.enabled.
type Files struct {
	// Enabled takes uploads (with nats.enabled); widgets then get an
	// upload token in their welcome.
	Enabled bool `yaml:"enabled"`
	// MaxBytes bounds one upload (default 10 MB, at most 16 MB).
	MaxBytes int `yaml:"max_bytes"`
	// LinkTTL is how long a signed link to a file works; the node signs
	// links anew every time it sends a message.
	LinkTTL time.Duration `yaml:"link_ttl"`
}

// MaxUploadBytes is the largest files.max_bytes: the HTTP server's body
// limit.
const MaxUploadBytes = 16 << 20

func defaultFiles() Files {
	return Files{Enabled: true, MaxBytes: 10 << 20, LinkTTL: 15 * time.Minute}
}

func (c *Config) validateFiles(bad func(key string, v any, reason string)) {
	f := &c.Files
	if f.MaxBytes < 1 || f.MaxBytes > MaxUploadBytes {
		bad("files.max_bytes", f.MaxBytes, "want 1 to 16777216 bytes")
	}
	if f.LinkTTL < time.Minute || f.LinkTTL > 24*time.Hour {
		bad("files.link_ttl", f.LinkTTL, "want 1m to 24h")
	}
}
