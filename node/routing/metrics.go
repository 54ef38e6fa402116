package routing

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the router's Prometheus metrics.
type Metrics struct {
	decisions   *prometheus.CounterVec
	decide      prometheus.Histogram
	queued      *prometheus.GaugeVec
	agents      prometheus.Gauge
	assignments prometheus.Counter
	requeued    prometheus.Counter
	transfers   prometheus.Counter
	closed      prometheus.Counter
	// handoffFailures counts chats another node could not take.
	handoffFailures prometheus.Counter
	// pickedUp counts waiting chats (a message left) given to a group.
	pickedUp prometheus.Counter
	// firstResponseTimeouts counts chats taken from an agent who did not
	// answer within routing.first_response_timeout.
	firstResponseTimeouts prometheus.Counter
}

// NewMetrics registers the router's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_routing_decisions_total",
			Help: "Routing decisions by outcome (assigned, queued, message, relayed) and group.",
		}, []string{"outcome", "group"}),
		decide: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_routing_decide_seconds",
			Help:    "Time to take one routing decision.",
			Buckets: []float64{1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 1e-3},
		}),
		queued:          prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "edgedesk_routing_queue_length", Help: "Chats waiting for an agent, by group."}, []string{"group"}),
		agents:          prometheus.NewGauge(prometheus.GaugeOpts{Name: "edgedesk_agents_online", Help: "Agents connected to this node."}),
		assignments:     prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_assignments_total", Help: "Chats handed to an agent."}),
		requeued:        prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_requeued_total", Help: "Chats put back in the queue because their agent was lost."}),
		transfers:       prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_transfers_total", Help: "Chats transferred by agents."}),
		closed:          prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_closed_total", Help: "Chats closed by agents."}),
		handoffFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_handoff_failures_total", Help: "Chats handed to another node that it could not take (routed here instead)."}),
		pickedUp:        prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_picked_up_total", Help: "Waiting chats (the customer left a message) given to an agent or an open group's queue."}),
		firstResponseTimeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_routing_first_response_timeouts_total",
			Help: "Chats taken from an agent who did not answer within routing.first_response_timeout."}),
	}
	if reg != nil {
		reg.MustRegister(m.decisions, m.decide, m.queued, m.agents, m.assignments, m.requeued, m.transfers, m.closed, m.handoffFailures, m.pickedUp, m.firstResponseTimeouts)
	}
	return m
}
