package delivery

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the queue's Prometheus metrics, by channel.
type Metrics struct {
	Delivered   *prometheus.CounterVec
	Retried     *prometheus.CounterVec
	Dead        *prometheus.CounterVec
	Skipped     *prometheus.CounterVec
	SendSeconds *prometheus.HistogramVec
	// Heads is how many sessions had items waiting at the last read.
	Heads prometheus.Gauge
}

// NewMetrics creates the queue's metrics and registers them with reg.
// counts, if set, reports the items pending and dead-lettered (read from
// the store at each scrape).
func NewMetrics(reg prometheus.Registerer, counts func() (pending, dead int)) *Metrics {
	m := &Metrics{
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_delivery_delivered_total",
			Help: "Items the channel accepted.",
		}, []string{"channel"}),
		Retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_delivery_retried_total",
			Help: "Failed attempts that will be tried again.",
		}, []string{"channel"}),
		Dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_delivery_dead_lettered_total",
			Help: "Items moved to the dead letters (permanent failure, too many attempts or too old).",
		}, []string{"channel"}),
		Skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_delivery_skipped_total",
			Help: "Items dropped as no longer needed (ErrSkip).",
		}, []string{"channel"}),
		SendSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "edgedesk_delivery_send_seconds",
			Help:    "Time of one send attempt.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel"}),
		Heads: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "edgedesk_delivery_sessions_waiting",
			Help: "Sessions with items waiting at the queue's last read.",
		}),
	}
	reg.MustRegister(m.Delivered, m.Retried, m.Dead, m.Skipped, m.SendSeconds, m.Heads)
	if counts != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgedesk_delivery_pending", Help: "Items waiting to be delivered."},
				func() float64 { p, _ := counts(); return float64(p) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgedesk_delivery_dead_letters", Help: "Items in the dead letters."},
				func() float64 { _, d := counts(); return float64(d) }),
		)
	}
	return m
}
