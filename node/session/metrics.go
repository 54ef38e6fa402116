package session

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the store's Prometheus metrics.
type Metrics struct {
	CommitSeconds prometheus.Histogram
	BatchSize     prometheus.Histogram
	Sessions      prometheus.Gauge
	Expired       prometheus.Counter
	// CompactSeconds times moving log entries to the per-session layout.
	CompactSeconds prometheus.Histogram
	// CSAT counts customers' ratings by the rated chat's group and agent
	// and the score.
	CSAT *prometheus.CounterVec
	// Resealed counts records re-sealed with the current key after a
	// key rotation (or encryption switched on).
	Resealed prometheus.Counter
	// Fsyncs counts the fdatasyncs of the shards' commits: bbolt syncs
	// twice per read-write commit (the data pages, then the meta page),
	// and the committer is the only writer of a shard file. The load
	// script divides it by the messages answered (docs/LOAD.md).
	Fsyncs prometheus.Counter
}

// NewMetrics creates the store's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		CommitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_store_commit_seconds",
			Help:    "Time to commit (and fsync) one group of session writes.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .5},
		}),
		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_store_batch_size",
			Help:    "Writes merged into one commit.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 7),
		}),
		Sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edgedesk_sessions",
			Help: "Sessions in the store.",
		}),
		CompactSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_store_compact_seconds",
			Help:    "Time to move one chunk of the write log into the per-session layout.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25},
		}),
		Resealed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgedesk_store_resealed_total",
			Help: "Records re-sealed with the current encryption key (after a rotation, or encryption switched on).",
		}),
		Fsyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "edgedesk_fsyncs_total",
			Help:        "fsyncs and fdatasyncs issued, by layer (bbolt, jetstream) and file: bbolt's counted at each commit (two per commit), JetStream's per synced store or atomic batch (see docs/LOAD.md).",
			ConstLabels: prometheus.Labels{"layer": "bbolt", "file": "sessions"},
		}),
		Expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgedesk_sessions_expired_total",
			Help: "Sessions deleted by the retention sweeper.",
		}),
	}
	m.CSAT = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "edgedesk_csat_ratings_total",
		Help: "Customer satisfaction ratings (1-5) of chats agents closed, by the chat's last group and agent.",
	}, []string{"group", "agent", "score"})
	reg.MustRegister(m.CommitSeconds, m.BatchSize, m.Sessions, m.Expired, m.CompactSeconds, m.CSAT, m.Resealed, m.Fsyncs)
	return m
}
