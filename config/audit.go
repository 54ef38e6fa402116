package config

import "time"

// Audit configures the audit log (package node/audit): every agent and
// admin action, kept in data_dir/audit.db, served at GET
// /v1/admin/audit, copied to the core's stream EDGEDESK_AUDIT.
type Audit struct {
	// Retention is how long entries are kept on the node (default 180
	// days, at least 1 day); the sweeper deletes older ones. The core's
	// copy follows its own stream's limits.
	Retention time.Duration `yaml:"retention"`
}

func defaultAudit() Audit { return Audit{Retention: 180 * 24 * time.Hour} }

func (c *Config) validateAudit(bad func(key string, v any, reason string)) {
	if c.Audit.Retention < 24*time.Hour {
		bad("audit.retention", c.Audit.Retention, "must be at least 24h (the log is the record of what staff did)")
	}
}
