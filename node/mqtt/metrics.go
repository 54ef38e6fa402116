package mqtt

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the MQTT bridge's Prometheus metrics.
type Metrics struct {
	FramesIn  *prometheus.CounterVec
	FramesOut prometheus.Counter
	Errors    *prometheus.CounterVec
	Dropped   *prometheus.CounterVec
	Receipt   prometheus.Histogram
}

// NewMetrics creates the bridge's metrics and registers them, with a gauge
// of the connections b serves once it is set, with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		FramesIn:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_mqtt_frames_in_total", Help: "Frames received from MQTT apps, by type (invalid: refused by the decoder)."}, []string{"type"}),
		FramesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_mqtt_frames_out_total", Help: "Frames published to MQTT apps (QoS 1, stored by the server)."}),
		Errors:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_mqtt_errors_total", Help: "Error frames sent to MQTT apps, by code."}, []string{"code"}),
		Dropped:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_mqtt_dropped_total", Help: "App connections the node forgot, by reason (left, slow, publish, closed)."}, []string{"reason"}),
		Receipt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_mqtt_receipt_seconds",
			Help:    "From an MQTT app's msg taken to its receipt queued (includes the durable commit).",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.FramesIn, m.FramesOut, m.Errors, m.Dropped, m.Receipt)
	}
	return m
}
