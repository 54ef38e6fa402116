package config

import (
	"fmt"
	"time"
)

// Analytics configures the dashboard's figures (package node/analytics):
// counters and hourly buckets kept in data_dir/analytics.db, served at
// GET /v1/admin/stats and /v1/admin/stats/live, published to the core.
type Analytics struct {
	// Enabled keeps the figures (default true).
	Enabled bool `yaml:"enabled"`
	// Retention is how long hourly buckets are kept (default 35 days: the
	// staffing forecast reads the last four weeks). At least 1h.
	Retention time.Duration `yaml:"retention"`
	// LiveInterval is how often the live stream sends the figures (default
	// 1s; 100ms to 2s).
	LiveInterval time.Duration `yaml:"live_interval"`
	// FlushInterval is how often changed buckets are written to bbolt
	// (default 5s; 100ms to 1m). Close writes them too.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// MaxLiveStreams caps concurrent live streams (default 64); past it
	// the stream answers 503.
	MaxLiveStreams int `yaml:"max_live_streams"`
	// ServiceLevel is the staffing forecast's target: the share of chats
	// answered within AnswerWithin (default 0.8; above 0, below 1).
	ServiceLevel float64 `yaml:"service_level"`
	// AnswerWithin is the target's time to answer (default 60s).
	AnswerWithin time.Duration `yaml:"answer_within"`
	// Groups overrides the target per agent group, by group name.
	Groups map[string]ServiceTarget `yaml:"groups"`
}

// ServiceTarget is a group's own service level; a zero field keeps the
// analytics section's value.
type ServiceTarget struct {
	ServiceLevel float64       `yaml:"service_level"`
	AnswerWithin time.Duration `yaml:"answer_within"`
}

// Target returns group's service level and answer time, its override
// applied.
func (a *Analytics) Target(group string) (level float64, within time.Duration) {
	level, within = a.ServiceLevel, a.AnswerWithin
	if o, ok := a.Groups[group]; ok {
		if o.ServiceLevel != 0 {
			level = o.ServiceLevel
		}
		if o.AnswerWithin != 0 {
			within = o.AnswerWithin
		}
	}
	return level, within
}

func defaultAnalytics() Analytics {
	return Analytics{Enabled: true, Retention: 35 * 24 * time.Hour, LiveInterval: time.Second, FlushInterval: 5 * time.Second,
		MaxLiveStreams: 64, ServiceLevel: 0.8, AnswerWithin: 60 * time.Second}
}

func (c *Config) validateAnalytics(bad func(key string, v any, reason string)) {
	a := &c.Analytics
	if a.Retention < time.Hour {
		bad("analytics.retention", a.Retention, "must be at least 1h")
	}
	if a.LiveInterval < 100*time.Millisecond || a.LiveInterval > 2*time.Second {
		bad("analytics.live_interval", a.LiveInterval, "want 100ms to 2s")
	}
	if a.FlushInterval < 100*time.Millisecond || a.FlushInterval > time.Minute {
		bad("analytics.flush_interval", a.FlushInterval, "want 100ms to 1m")
	}
	if a.MaxLiveStreams < 1 || a.MaxLiveStreams > 10000 {
		bad("analytics.max_live_streams", a.MaxLiveStreams, "want 1 to 10000")
	}
	level := func(key string, v float64) {
		if !(v > 0 && v < 1) {
			bad(key, v, "want a share above 0 and below 1, such as 0.8")
		}
	}
	within := func(key string, d time.Duration) {
		if d < time.Second || d > time.Hour {
			bad(key, d, "want 1s to 1h")
		}
	}
	level("analytics.service_level", a.ServiceLevel)
	within("analytics.answer_within", a.AnswerWithin)
	for name, o := range a.Groups {
		known := false
		for _, g := range c.Routing.Groups {
			known = known || g.Name == name
		}
		if !known {
			bad(fmt.Sprintf("analytics.groups.%s", name), name, "no such group in routing.groups")
		}
		if o.ServiceLevel != 0 {
			level(fmt.Sprintf("analytics.groups.%s.service_level", name), o.ServiceLevel)
		}
		if o.AnswerWithin != 0 {
			within(fmt.Sprintf("analytics.groups.%s.answer_within", name), o.AnswerWithin)
		}
	}
}
