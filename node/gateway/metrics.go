package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus metrics.
type Metrics struct {
	Connections prometheus.Gauge
	Accepted    prometheus.Counter
	Rejected    *prometheus.CounterVec
	FramesIn    *prometheus.CounterVec
	MessagesIn  prometheus.Counter
	MessagesOut *prometheus.CounterVec
	BytesIn     prometheus.Counter
	BytesOut    prometheus.Counter
	Errors      *prometheus.CounterVec
	Closes      *prometheus.CounterVec
	Receipt     prometheus.Histogram
	// TypingDropped counts typing frames past gateway.typing_rate.
	TypingDropped prometheus.Counter

	// Children of the vectors for every label value the gateway uses,
	// resolved once: read-only maps, so the hot path neither locks nor
	// hashes label values into the vectors.
	children map[*prometheus.CounterVec]map[string]prometheus.Counter
}

// NewMetrics creates the gateway's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Connections:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "edgedesk_ws_connections", Help: "Open widget WebSocket connections."}),
		Accepted:      prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_ws_connections_total", Help: "Widget WebSocket connections accepted."}),
		Rejected:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_ws_rejected_total", Help: "Upgrades refused, by reason."}, []string{"reason"}),
		FramesIn:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_ws_frames_in_total", Help: "Client frames received, by type."}, []string{"type"}),
		MessagesIn:    prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_messages_in_total", Help: "Customer messages stored (duplicates excluded)."}),
		MessagesOut:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_messages_out_total", Help: "Messages pushed to widgets, by author."}, []string{"from"}),
		BytesIn:       prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_ws_bytes_in_total", Help: "Payload bytes received from widgets."}),
		BytesOut:      prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_ws_bytes_out_total", Help: "Payload bytes sent to widgets."}),
		Errors:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_ws_errors_total", Help: "Error frames sent, by code."}, []string{"code"}),
		Closes:        prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_ws_closes_total", Help: "Connections closed by the node, by close code."}, []string{"code"}),
		TypingDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_ws_typing_dropped_total", Help: "Typing frames dropped past gateway.typing_rate."}),
		Receipt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_receipt_seconds",
			Help:    "From a customer message read to its receipt queued (includes the durable commit).",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1},
		}),
	}
	m.children = map[*prometheus.CounterVec]map[string]prometheus.Counter{}
	for vec, labels := range map[*prometheus.CounterVec][]string{
		m.Rejected:    {"origin", "handshake", "capacity", "address", "shutdown", "other"},
		m.FramesIn:    {"hello", "msg", "ack", "typing", "bye", "contact", "csat", "invalid"},
		m.MessagesOut: {"customer", "bot", "agent", "system"},
		m.Errors:      {CodeBadFrame, CodeUnknownType, CodeTooLarge, CodeUnauthorized, CodeRateLimited, CodeNoSession, CodeHelloTimeout, CodeUnsupported, CodeUnavailable, CodeNoChat, CodeAlreadyRated, CodeSessionFull},
		m.Closes:      {"1000", "1001", "1007", "1008", "1009", "1011"},
	} {
		m.children[vec] = map[string]prometheus.Counter{}
		for _, l := range labels {
			m.children[vec][l] = vec.WithLabelValues(l)
		}
	}
	reg.MustRegister(m.Connections, m.Accepted, m.Rejected, m.FramesIn, m.MessagesIn, m.MessagesOut, m.BytesIn, m.BytesOut, m.Errors, m.Closes, m.Receipt, m.TypingDropped)
	return m
}

// counter returns vec's child for label.
func (m *Metrics) counter(vec *prometheus.CounterVec, label string) prometheus.Counter {
	if c, ok := m.children[vec][label]; ok {
		return c
	}
	return vec.WithLabelValues(label)
}

func (m *Metrics) rejected(reason string) { m.counter(m.Rejected, reason).Inc() }
func (m *Metrics) frameIn(typ string)     { m.counter(m.FramesIn, typ).Inc() }
func (m *Metrics) msgOut(from string)     { m.counter(m.MessagesOut, from).Inc() }
func (m *Metrics) errorSent(code string)  { m.counter(m.Errors, code).Inc() }
func (m *Metrics) closed(code string)     { m.counter(m.Closes, code).Inc() }
