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
	// MaxTotalBytes bounds all files together (default 1 GiB): the
	// object store's size. Past it uploads are refused (507) until files
	// expire.
	MaxTotalBytes int `yaml:"max_total_bytes"`
	// TTL is how long a file is kept after its upload (default 72h, as
	// store.retention). A file goes sooner when its session expires.
	TTL time.Duration `yaml:"ttl"`
	// MaxFilesPerSession bounds the files one session may upload
	// (default 20; 413 past it).
	MaxFilesPerSession int `yaml:"max_files_per_session"`
	// UploadsPerMinute is how fast one session may upload (default 10, as
	// many at once; 429 past it).
	UploadsPerMinute int `yaml:"uploads_per_minute"`
}

// MaxUploadBytes is the largest files.max_bytes: the HTTP server's body
// limit.
const MaxUploadBytes = 16 << 20

func defaultFiles() Files {
	return Files{Enabled: true, MaxBytes: 10 << 20, LinkTTL: 15 * time.Minute,
		MaxTotalBytes: 1 << 30, TTL: 72 * time.Hour, MaxFilesPerSession: 20, UploadsPerMinute: 10}
}

func (c *Config) validateFiles(bad func(key string, v any, reason string)) {
	f := &c.Files
	if f.MaxBytes < 1 || f.MaxBytes > MaxUploadBytes {
		bad("files.max_bytes", f.MaxBytes, "want 1 to 16777216 bytes")
	}
	if f.LinkTTL < time.Minute || f.LinkTTL > 24*time.Hour {
		bad("files.link_ttl", f.LinkTTL, "want 1m to 24h")
	}
	if f.MaxTotalBytes < f.MaxBytes {
		bad("files.max_total_bytes", f.MaxTotalBytes, "must hold at least one upload of files.max_bytes")
	}
	if f.TTL < time.Minute {
		bad("files.ttl", f.TTL, "must be at least 1m")
	}
	if f.MaxFilesPerSession < 1 || f.MaxFilesPerSession > 10000 {
		bad("files.max_files_per_session", f.MaxFilesPerSession, "want 1 to 10000")
	}
	if f.UploadsPerMinute < 1 || f.UploadsPerMinute > 600 {
		bad("files.uploads_per_minute", f.UploadsPerMinute, "want 1 to 600")
	}
}
