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
	// (default 20, at most 1000: the session's record names each; 413
	// past it).
	MaxFilesPerSession int `yaml:"max_files_per_session"`
	// MaxSessionBytes bounds the bytes of one session's files together
	// (default 50 MiB; 413 past it).
	MaxSessionBytes int `yaml:"max_session_bytes"`
	// UploadsPerMinute is how fast one session may upload (default 10, as
	// many at once; 429 past it).
	UploadsPerMinute int `yaml:"uploads_per_minute"`
	// IPFilesPerMinute and IPBytesPerHour are the upload budget of one
	// client network (an IPv4 address, an IPv6 /64; the address the
	// gateway takes for the client, see routing.trust_headers), whatever
	// its sessions: files a minute (default 30) and bytes an hour
	// (default 100 MiB), each with as much at once; 429 with Retry-After
	// past either. Sessions are free to open: without it one client
	// fills files.max_total_bytes from a few of them.
	IPFilesPerMinute int `yaml:"ip_files_per_minute"`
	IPBytesPerHour   int `yaml:"ip_bytes_per_hour"`
}

// MaxUploadBytes is the largest files.max_bytes: the HTTP server's body
// limit.
const MaxUploadBytes = 16 << 20

func defaultFiles() Files {
	return Files{Enabled: true, MaxBytes: 10 << 20, LinkTTL: 15 * time.Minute,
		MaxTotalBytes: 1 << 30, TTL: 72 * time.Hour, MaxFilesPerSession: 20, MaxSessionBytes: 50 << 20,
		UploadsPerMinute: 10, IPFilesPerMinute: 30, IPBytesPerHour: 100 << 20}
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
	if f.MaxFilesPerSession < 1 || f.MaxFilesPerSession > 1000 {
		bad("files.max_files_per_session", f.MaxFilesPerSession, "want 1 to 1000")
	}
	if f.MaxSessionBytes < f.MaxBytes {
		bad("files.max_session_bytes", f.MaxSessionBytes, "must hold at least one upload of files.max_bytes")
	}
	if f.UploadsPerMinute < 1 || f.UploadsPerMinute > 600 {
		bad("files.uploads_per_minute", f.UploadsPerMinute, "want 1 to 600")
	}
	if f.IPFilesPerMinute < 1 || f.IPFilesPerMinute > 6000 {
		bad("files.ip_files_per_minute", f.IPFilesPerMinute, "want 1 to 6000")
	}
	if f.IPBytesPerHour < f.MaxBytes {
		bad("files.ip_bytes_per_hour", f.IPBytesPerHour, "must allow at least one upload of files.max_bytes")
	}
}
