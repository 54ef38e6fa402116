package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole node configuration. Zero values are never used
// directly: Default fills every field, and the file and environment override.
type Config struct {
	// Path is the file Load read ("" for none); SIGHUP reads it again.
	Path string `yaml:"-"`
	// Listen is the public address for widgets and the HTTP endpoints.
	Listen string `yaml:"listen"`
	// DataDir holds the bbolt session store (and, later, JetStream and models).
	DataDir string `yaml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
	// DebugListen serves Go's profiler (net/http/pprof) on this address,
	// for example 127.0.0.1:6060; empty (the default) serves nothing. Keep
	// it on loopback: profiles reveal internals.
	DebugListen string `yaml:"debug_listen"`
	// ShutdownTimeout bounds a graceful shutdown; past it the node exits anyway.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// Demo serves the demo shop at /demo, with the widget connected to this
	// node. The widget itself is always served at /widget.js.
	Demo bool `yaml:"demo"`

	Gateway Gateway `yaml:"gateway"`
	Auth    Auth    `yaml:"auth"`
	Store   Store   `yaml:"store"`
	Model   Model   `yaml:"model"`
	Bot     Bot     `yaml:"bot"`
	FAQ     FAQ     `yaml:"faq"`
	Routing Routing `yaml:"routing"`
	NATS    NATS    `yaml:"nats"`
	Files   Files   `yaml:"files"`
	TLS     TLS     `yaml:"tls"`

	Analytics Analytics `yaml:"analytics"`
	Audit     Audit     `yaml:"audit"`

	MQTT MQTT `yaml:"mqtt"`
	// Email is the email channel (issue 16).
	Email Email `yaml:"email"`
	// Channels are the messaging platforms' webhook channels (issue 16;
	// channels.go), Delivery the queue of answers going out through them.
	Channels  []Channel `yaml:"channels"`
	Delivery  Delivery  `yaml:"delivery"`
	Translate Translate `yaml:"translate"`
}

// Model configures the intent and language model served through ONNX
// Runtime.
type Model struct {
	// Enabled classifies every customer message (intent, language) before
	// it is stored. A relay-only node may turn it off.
	Enabled bool `yaml:"enabled"`
	// Path of a model trained by `edgedesk train`. Empty: the default model
	// built into the binary (e-commerce intents in English, Chinese, Spanish).
	Path string `yaml:"path"`
	// ORTLib is the ONNX Runtime 1.29 shared library. Empty: $EDGEDESK_ORT_LIB,
	// then .cache/ort/libonnxruntime.so.1 in the working directory or a
	// parent (scripts/fetch-ort.sh puts it there), then beside the binary.
	ORTLib string `yaml:"ort_lib"`
	// Languages restricts language detection to these BCP 47 languages;
	// empty allows every language the model knows.
	Languages []string `yaml:"languages"`
	// MaxBatch is the most messages classified in one ONNX Runtime call.
	MaxBatch int `yaml:"max_batch"`
	// BatchWindow is how long a batch that already has company waits for more.
	BatchWindow time.Duration `yaml:"batch_window"`
	// Timeout bounds classifying one message; past it the message is stored
	// without intent and language rather than delayed.
	Timeout time.Duration `yaml:"timeout"`
}

// Gateway configures the widget WebSocket endpoint (GET /v1/ws).
type Gateway struct {
	// MaxConnections caps concurrent widget connections; past it upgrades get 503.
	// One process may hold at most the RLIMIT_NOFILE hard limit of open files.
	MaxConnections int `yaml:"max_connections"`
	// MaxFrameBytes is the largest frame accepted; larger ones close with 1009.
	MaxFrameBytes int `yaml:"max_frame_bytes"`
	// ReadBufferBytes is the per-connection read buffer (frames may be larger).
	ReadBufferBytes int `yaml:"read_buffer_bytes"`
	// HelloTimeout is how long a new connection may take to send hello.
	HelloTimeout time.Duration `yaml:"hello_timeout"`
	// IdleTimeout closes a connection that sent nothing (not even a pong) for this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// PingInterval is how often the node pings a connection it has not written to.
	PingInterval time.Duration `yaml:"ping_interval"`
	// WriteTimeout bounds every write to a connection.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// RateLimit is the sustained customer messages per second per connection.
	RateLimit float64 `yaml:"rate_limit"`
	// RateBurst is the token bucket's size.
	RateBurst int `yaml:"rate_burst"`
	// SendQueue is the most frames queued to one slow connection before it is closed.
	SendQueue int `yaml:"send_queue"`
	// AllowedOrigins lists the Origin values browsers may connect from
	// (scheme://host[:port]); "*" or an empty list allows any.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// MaxConnectionsPerAddress caps the concurrent WebSocket connections
	// (widget and agent) from one client address (an IPv4 address or an
	// IPv6 /64); past it upgrades get 429. Offices and mobile carriers put
	// many customers behind one address: keep it well above one shop's
	// open tabs.
	MaxConnectionsPerAddress int `yaml:"max_connections_per_address"`
	// AddressUpgradeRate is the sustained WebSocket upgrades per second
	// one client address may make, AddressUpgradeBurst its bucket; past
	// it upgrades get 429 with Retry-After.
	AddressUpgradeRate  float64 `yaml:"address_upgrade_rate"`
	AddressUpgradeBurst int     `yaml:"address_upgrade_burst"`
	// SessionRateLimit is the sustained customer writes (msg, contact,
	// csat) per second into one session, shared by all its connections;
	// SessionRateBurst its bucket. RateLimit still applies per connection.
	SessionRateLimit float64 `yaml:"session_rate_limit"`
	SessionRateBurst int     `yaml:"session_rate_burst"`
	// TypingRate is the typing frames per second a connection may send,
	// TypingBurst its bucket; past it typing frames are dropped without an
	// answer (they fan out to every agent watching the session).
	TypingRate  float64 `yaml:"typing_rate"`
	TypingBurst int     `yaml:"typing_burst"`
	// AgentRateLimit is the sustained frames per second (all but
	// heartbeats) one agent connection may send, AgentRateBurst its
	// bucket; past it frames are refused with rate_limited (typing is
	// dropped unanswered), and a connection that keeps on is closed.
	AgentRateLimit float64 `yaml:"agent_rate_limit"`
	AgentRateBurst int     `yaml:"agent_rate_burst"`
	// MaxAgentConnections caps concurrent agent console connections
	// (GET /v1/agent/ws). They count toward MaxConnections too.
	MaxAgentConnections int `yaml:"max_agent_connections"`
}

// Auth configures widget and staff authentication.
type Auth struct {
	// WidgetSecret is the HS256 key of widget tokens. Empty means anonymous
	// widgets are accepted (a warning is logged at start).
	WidgetSecret string `yaml:"widget_secret" secret:"true"`
	// StaffSecret is the HS256 key of staff tokens (role agent, supervisor
	// or admin): sign-in cookies, the admin API (/v1/admin/…) and agents.
	// Set it when the merchant's SSO mints staff tokens, or to share one
	// key between nodes. Empty: the node generates a random key once into
	// <data_dir>/staff.key and uses it. It must differ from WidgetSecret.
	StaffSecret string `yaml:"staff_secret" secret:"true"`
	// ClockSkew is the leeway allowed on token expiry.
	ClockSkew time.Duration `yaml:"clock_skew"`
	// StaffSessionTTL is the life of the token a sign-in puts in the
	// cookie; a page in use gets a fresh one past half of it.
	StaffSessionTTL time.Duration `yaml:"staff_session_ttl"`
	// LoginMaxFailures is the most failed sign-ins for one account within
	// LoginWindow; further attempts get 429 until the window ends.
	LoginMaxFailures int `yaml:"login_max_failures"`
	// LoginMaxFailuresPerAddress is the same for one client address (an
	// IPv4 address or an IPv6 /64), over every account: higher, since an
	// office may sit behind one address.
	LoginMaxFailuresPerAddress int `yaml:"login_max_failures_per_address"`
	// LoginWindow is how long failed sign-ins count.
	LoginWindow time.Duration `yaml:"login_window"`
	// APIKeys are static keys for the admin API, for small sites and
	// scripts without an SSO minting staff tokens: "Authorization: Bearer
	// <key>" acts with the key's role. Only the file sets them.
	APIKeys []APIKey `yaml:"api_keys"`
}

// Store configures the bbolt session store.
type Store struct {
	// Retention expires sessions idle for longer than this.
	Retention time.Duration `yaml:"retention"`
	// ProfileRetention clears the customer's name and email from sessions
	// idle for longer than this (0: kept as long as the session).
	ProfileRetention time.Duration `yaml:"profile_retention"`
	// SweepInterval is how often the expiry sweeper runs.
	SweepInterval time.Duration `yaml:"sweep_interval"`
	// SweepBatch bounds the sessions deleted in one transaction.
	SweepBatch int `yaml:"sweep_batch"`
	// MaxBatch bounds the writes merged into one group commit.
	MaxBatch int `yaml:"max_batch"`
	// CommitLinger is how long a group commit keeps collecting writes
	// after the first arrives. Fewer, fuller commits cost far less CPU
	// (each has two fdatasyncs); the wait adds to receipt latency.
	CommitLinger time.Duration `yaml:"commit_linger"`
	// MaxSessionMessages and MaxSessionBytes cap what one session holds
	// (0: no cap); a message past either is answered with the error code
	// session_full and the customer starts a new session. Bytes count the
	// stored messages.
	MaxSessionMessages int   `yaml:"max_session_messages"`
	MaxSessionBytes    int64 `yaml:"max_session_bytes"`
	// Shards spreads sessions over this many bbolt files, each committed
	// by its own goroutine, so commits (and their fsyncs) run in parallel.
	// Fixed once data exists: the node refuses to open with another count.
	Shards int `yaml:"shards"`
	// EncryptionKeyFile holds the 32-byte key (64 hex digits or base64)
	// that seals message text, attachments, customer profiles and outbox
	// events in the store with AES-256-GCM, and encrypts the embedded
	// JetStream (empty: stored in plaintext). EncryptionKey is the same
	// key given in EDGEDESK_STORE_ENCRYPTION_KEY; it is refused in the
	// file, where it would sit beside the data it protects.
	EncryptionKeyFile string `yaml:"encryption_key_file"`
	EncryptionKey     string `yaml:"encryption_key,omitempty"`
	// EncryptionOldKeyFiles are keys replaced by a rotation: records they
	// sealed stay readable, and the sweeper re-seals them with the
	// current key. Drop a file once the node logs that no record uses it.
	EncryptionOldKeyFiles []string `yaml:"encryption_old_key_files"`
}

// Default returns the configuration of a complete node on 127.0.0.1:8080
// with its data under ./data.
func Default() *Config {
	return &Config{
		Listen:          "127.0.0.1:8080",
		DataDir:         "./data",
		LogLevel:        "info",
		LogFormat:       "text",
		ShutdownTimeout: 10 * time.Second,
		Gateway: Gateway{
			MaxConnections:  10000,
			MaxFrameBytes:   16 << 10,
			ReadBufferBytes: 1 << 10,
			HelloTimeout:    10 * time.Second,
			IdleTimeout:     75 * time.Second,
			PingInterval:    30 * time.Second,
			WriteTimeout:    10 * time.Second,
			RateLimit:       10,
			RateBurst:       20,
			SendQueue:       256,

			MaxConnectionsPerAddress: 200,
			AddressUpgradeRate:       5,
			AddressUpgradeBurst:      30,
			SessionRateLimit:         10,
			SessionRateBurst:         20,
			TypingRate:               2,
			TypingBurst:              5,
			AgentRateLimit:           10,
			AgentRateBurst:           30,
			MaxAgentConnections:      1000,
		},
		Auth: Auth{
			ClockSkew:                  30 * time.Second,
			StaffSessionTTL:            15 * time.Minute,
			LoginMaxFailures:           5,
			LoginMaxFailuresPerAddress: 20,
			LoginWindow:                15 * time.Minute,
		},
		Store: Store{
			Retention:     72 * time.Hour,
			SweepInterval: time.Minute,
			SweepBatch:    500,
			MaxBatch:      2000,
			CommitLinger:  time.Millisecond,
			Shards:        2,

			MaxSessionMessages: 10000,
			MaxSessionBytes:    8 << 20,
		},
		Model: Model{
			Enabled:     true,
			MaxBatch:    32,
			BatchWindow: 200 * time.Microsecond,
			Timeout:     50 * time.Millisecond,
		},
		Bot:     defaultBot(),
		FAQ:     FAQ{Seed: "demo"},
		Routing: defaultRouting(),
		NATS:    defaultNATS(),
		Files:   defaultFiles(),
		TLS:     defaultTLS(),

		Analytics: defaultAnalytics(),
		Audit:     defaultAudit(),

		MQTT:      defaultMQTT(),
		Email:     defaultEmail(),
		Delivery:  defaultDelivery(),
		Translate: defaultTranslate(),
	}
}

// EnvPrefix starts every environment variable edgedesk reads.
const EnvPrefix = "EDGEDESK_"

// Load builds the effective configuration: Default, then the YAML file at
// path (skipped when path is empty), then the environment (environ is
// os.Environ()-style "KEY=value" pairs), then Validate.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	c.Path = path
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := c.decodeYAML(f); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := c.applyEnv(environ); err != nil {
		return nil, err
	}
	if err := c.loadChannelSecrets(environ); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes YAML over Default, without the environment, and validates.
func Parse(data []byte) (*Config, error) {
	c := Default()
	if err := c.decodeYAML(bytes.NewReader(data)); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) decodeYAML(r io.Reader) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) { // empty file: all defaults
			return nil
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				if strings.Contains(m, "not found in type") {
					return fmt.Errorf("%w: %s", ErrUnknownKey, strings.Join(te.Errors, "; "))
				}
			}
			return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(te.Errors, "; "))
		}
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Store.EncryptionKey != "" {
		c.Store.EncryptionKey = ""
		return &FieldError{Key: "store.encryption_key", Value: "(redacted)",
			Reason: "a key is never read from the config file: use store.encryption_key_file or " + EnvPrefix + "STORE_ENCRYPTION_KEY"}
	}
	return nil
}

// Validate checks every field and returns all problems joined, each a
// *FieldError naming the key and value.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key string, v any, reason string) {
		errs = append(errs, &FieldError{Key: key, Value: v, Reason: reason})
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		bad("listen", c.Listen, "want host:port")
	}
	if c.DataDir == "" {
		bad("data_dir", c.DataDir, "must not be empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level", c.LogLevel, "want debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("log_format", c.LogFormat, "want text or json")
	}
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, d, "must be positive")
		}
	}
	positive("shutdown_timeout", c.ShutdownTimeout)
	if c.DebugListen != "" {
		if _, port, err := net.SplitHostPort(c.DebugListen); err != nil || port == "" {
			bad("debug_listen", c.DebugListen, "want host:port or empty")
		}
	}

	g := &c.Gateway
	if g.MaxConnections < 1 {
		bad("gateway.max_connections", g.MaxConnections, "must be at least 1")
	}
	if g.MaxFrameBytes < 512 || g.MaxFrameBytes > 16<<20 {
		bad("gateway.max_frame_bytes", g.MaxFrameBytes, "want 512 to 16777216")
	}
	if g.ReadBufferBytes < 256 || g.ReadBufferBytes > 1<<20 {
		bad("gateway.read_buffer_bytes", g.ReadBufferBytes, "want 256 to 1048576")
	}
	positive("gateway.hello_timeout", g.HelloTimeout)
	positive("gateway.idle_timeout", g.IdleTimeout)
	positive("gateway.ping_interval", g.PingInterval)
	positive("gateway.write_timeout", g.WriteTimeout)
	if g.PingInterval > 0 && g.IdleTimeout > 0 && g.PingInterval >= g.IdleTimeout {
		bad("gateway.ping_interval", g.PingInterval, "must be shorter than gateway.idle_timeout")
	}
	if !(g.RateLimit > 0) {
		bad("gateway.rate_limit", g.RateLimit, "must be positive")
	}
	if g.RateBurst < 1 {
		bad("gateway.rate_burst", g.RateBurst, "must be at least 1")
	}
	if g.MaxConnectionsPerAddress < 1 {
		bad("gateway.max_connections_per_address", g.MaxConnectionsPerAddress, "must be at least 1")
	}
	for _, r := range []struct {
		rateKey, burstKey string
		rate              float64
		burst             int
	}{
		{"gateway.address_upgrade_rate", "gateway.address_upgrade_burst", g.AddressUpgradeRate, g.AddressUpgradeBurst},
		{"gateway.session_rate_limit", "gateway.session_rate_burst", g.SessionRateLimit, g.SessionRateBurst},
		{"gateway.typing_rate", "gateway.typing_burst", g.TypingRate, g.TypingBurst},
		{"gateway.agent_rate_limit", "gateway.agent_rate_burst", g.AgentRateLimit, g.AgentRateBurst},
	} {
		if !(r.rate > 0) {
			bad(r.rateKey, r.rate, "must be positive")
		}
		if r.burst < 1 {
			bad(r.burstKey, r.burst, "must be at least 1")
		}
	}
	if g.MaxAgentConnections < 1 || g.MaxAgentConnections > g.MaxConnections {
		bad("gateway.max_agent_connections", g.MaxAgentConnections, "want 1 to gateway.max_connections")
	}
	if g.SendQueue < 128 {
		bad("gateway.send_queue", g.SendQueue, "must be at least 128 (twice the 64 unreceipted messages a connection may have)")
	}
	for i, o := range g.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad(fmt.Sprintf("gateway.allowed_origins[%d]", i), o, "want scheme://host[:port]")
		}
	}

	if c.Auth.WidgetSecret != "" && len(c.Auth.WidgetSecret) < 32 {
		bad("auth.widget_secret", "(redacted)", "must be at least 32 bytes for HS256")
	}
	if c.Auth.StaffSecret != "" && len(c.Auth.StaffSecret) < 32 {
		bad("auth.staff_secret", "(redacted)", "must be at least 32 bytes for HS256")
	}
	if c.Auth.StaffSecret != "" && c.Auth.StaffSecret == c.Auth.WidgetSecret {
		// The merchant's backend mints widget tokens: with one key, it
		// (or anyone holding that key) could mint a staff admin's.
		bad("auth.staff_secret", "(redacted)", "must differ from auth.widget_secret")
	}
	if c.Auth.ClockSkew < 0 || c.Auth.ClockSkew > 10*time.Minute {
		bad("auth.clock_skew", c.Auth.ClockSkew, "want 0 to 10m")
	}
	if c.Auth.StaffSessionTTL < 10*time.Second || c.Auth.StaffSessionTTL > 24*time.Hour {
		bad("auth.staff_session_ttl", c.Auth.StaffSessionTTL, "want 10s to 24h")
	}
	if c.Auth.LoginMaxFailures < 1 || c.Auth.LoginMaxFailures > 1000 {
		bad("auth.login_max_failures", c.Auth.LoginMaxFailures, "want 1 to 1000")
	}
	if c.Auth.LoginMaxFailuresPerAddress < c.Auth.LoginMaxFailures || c.Auth.LoginMaxFailuresPerAddress > 100000 {
		bad("auth.login_max_failures_per_address", c.Auth.LoginMaxFailuresPerAddress, "want auth.login_max_failures to 100000")
	}
	if c.Auth.LoginWindow < time.Second || c.Auth.LoginWindow > 24*time.Hour {
		bad("auth.login_window", c.Auth.LoginWindow, "want 1s to 24h")
	}

	s := &c.Store
	if s.Retention < time.Minute {
		bad("store.retention", s.Retention, "must be at least 1m")
	}
	if s.ProfileRetention != 0 && (s.ProfileRetention < time.Minute || s.ProfileRetention > s.Retention) {
		bad("store.profile_retention", s.ProfileRetention, "must be 0 (off) or between 1m and store.retention")
	}
	positive("store.sweep_interval", s.SweepInterval)
	if s.SweepBatch < 1 || s.SweepBatch > 100000 {
		bad("store.sweep_batch", s.SweepBatch, "want 1 to 100000")
	}
	if s.MaxBatch < 1 || s.MaxBatch > 100000 {
		bad("store.max_batch", s.MaxBatch, "want 1 to 100000")
	}
	if s.CommitLinger < 0 || s.CommitLinger > 50*time.Millisecond {
		bad("store.commit_linger", s.CommitLinger, "want 0 to 50ms")
	}
	if s.Shards < 1 || s.Shards > 64 {
		bad("store.shards", s.Shards, "want 1 to 64")
	}
	if s.MaxSessionMessages < 0 {
		bad("store.max_session_messages", s.MaxSessionMessages, "want 0 (no cap) or more")
	}
	if s.MaxSessionBytes != 0 && s.MaxSessionBytes < 64<<10 {
		bad("store.max_session_bytes", s.MaxSessionBytes, "want 0 (no cap) or at least 65536")
	}
	m := &c.Model
	if m.MaxBatch < 1 || m.MaxBatch > 1024 {
		bad("model.max_batch", m.MaxBatch, "want 1 to 1024")
	}
	if m.BatchWindow < 0 || m.BatchWindow > 100*time.Millisecond {
		bad("model.batch_window", m.BatchWindow, "want 0 to 100ms")
	}
	positive("model.timeout", m.Timeout)
	for i, l := range m.Languages {
		if len(l) < 2 || len(l) > 35 {
			bad(fmt.Sprintf("model.languages[%d]", i), l, "want a BCP 47 tag such as en or zh-CN")
		}
	}
	c.validateBot(bad)
	c.validateRouting(bad)
	c.validateNATS(bad)
	c.validateMQTT(bad)
	c.validateFiles(bad)
	c.validateTLS(bad)
	c.validateAPIKeys(bad)
	c.validateAnalytics(bad)
	c.validateAudit(bad)
	c.validateEncryption(bad)
	c.validateEmail(bad)
	c.validateChannels(bad)
	c.validateChannelSecrets(bad)
	c.validateDelivery(bad)
	c.validateTranslate(bad)
	return errors.Join(errs...)
}

// Redacted returns a copy with secrets replaced, for printing and logging.
func (c *Config) Redacted() *Config {
	r := *c
	r.Gateway.AllowedOrigins = append([]string(nil), c.Gateway.AllowedOrigins...)
	r.Model.Languages = append([]string(nil), c.Model.Languages...)
	if r.Auth.WidgetSecret != "" {
		r.Auth.WidgetSecret = "(redacted)"
	}
	if r.Auth.StaffSecret != "" {
		r.Auth.StaffSecret = "(redacted)"
	}
	if r.Store.EncryptionKey != "" {
		r.Store.EncryptionKey = "(redacted)"
	}
	r.Store.EncryptionOldKeyFiles = append([]string(nil), c.Store.EncryptionOldKeyFiles...)
	r.Auth.APIKeys = append([]APIKey(nil), c.Auth.APIKeys...)
	r.TLS.ACME.Domains = append([]string(nil), c.TLS.ACME.Domains...)
	r.Translate.Providers = append([]TranslateProvider(nil), c.Translate.Providers...)
	if r.NATS.Password != "" {
		r.NATS.Password = "(redacted)"
	}
	if r.NATS.Token != "" {
		r.NATS.Token = "(redacted)"
	}
	r.Email.Addresses = append([]string(nil), c.Email.Addresses...)
	if r.Email.Relay.Password != "" {
		r.Email.Relay.Password = "(redacted)"
	}
	return &r
}

// YAML renders the configuration (secrets redacted) as a YAML document.
func (c *Config) YAML() ([]byte, error) {
	return yaml.Marshal(c.Redacted())
}
