package translate

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"
)

// Metrics are a Service's Prometheus series.
type Metrics struct {
	results *prometheus.CounterVec
	seconds prometheus.Histogram
}

// NewMetrics registers the translation series with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_translations_total",
			Help: "Translations by result: cached (from the cache), translated (by a provider), unavailable (providers failed, timed out or had their breaker open: delivered untranslated), unsupported (no provider has the pair).",
		}, []string{"result"}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_translation_seconds",
			Help:    "Time a message waited for its translation (the chain, the cache included).",
			Buckets: []float64{.0005, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.results, m.seconds)
	}
	return m
}

// registerBreakers exports each provider's breaker state (0 closed, 1
// half-open, 2 open: gobreaker's order).
func (s *Service) registerBreakers(reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	for _, p := range s.provs {
		cb := p.cb
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "edgedesk_translation_breaker_state",
			Help:        "A translation provider's circuit breaker: 0 closed, 1 half-open (probing), 2 open.",
			ConstLabels: prometheus.Labels{"provider": p.p.Name()},
		}, func() float64 {
			switch cb.State() {
			case gobreaker.StateHalfOpen:
				return 1
			case gobreaker.StateOpen:
				return 2
			}
			return 0
		}))
	}
}
