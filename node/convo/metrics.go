package convo

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/node/session"
)

// Metrics are the bot's Prometheus metrics.
type Metrics struct {
	answers     *prometheus.CounterVec
	escalations *prometheus.CounterVec
	flows       *prometheus.CounterVec
	missing     prometheus.Counter
}

// NewMetrics registers the bot's metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_bot_replies_total",
			Help: "Bot replies by kind: faq (an answer), ask (asked for a value the answer needs), flow, fallback (not understood), unclassified (the model failed or timed out), handoff, flow_expired; held_for_human counts messages left for people.",
		}, []string{"kind"}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_bot_escalations_total",
			Help: "Conversations handed to people, by reason: requested, not_understood, negative, flow_abandoned.",
		}, []string{"reason"}),
		flows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "edgedesk_bot_flows_total",
			Help: "Flow events by flow and result: started, completed, cancelled, abandoned, expired, escalated.",
		}, []string{"flow", "result"}),
		missing: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "edgedesk_bot_faq_missing_total",
			Help: "Understood messages whose intent has no FAQ entry in any language of the customer's chain, or reserved texts missing from the FAQ.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.answers, m.escalations, m.flows, m.missing)
	}
	return m
}

func noteOf(kind string, attrs map[string]string) session.Note {
	return session.Note{Kind: kind, Attrs: attrs}
}
