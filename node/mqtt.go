package node

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/auth"
	"github.com/edgedesk/edgedesk/node/mqtt"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// mqttServerOptions is the embedded server's MQTT listener (mqtt.listen),
// its CONNECTs checked against widget tokens as the widget's hello is.
func mqttServerOptions(cfg *config.Config) edgesync.MQTTOptions {
	if cfg.MQTT.Listen == "" {
		return edgesync.MQTTOptions{}
	}
	return edgesync.MQTTOptions{
		Listen: cfg.MQTT.Listen, TLSCert: cfg.MQTT.TLSCert, TLSKey: cfg.MQTT.TLSKey,
		Auth: mqtt.Authenticator(widgetVerifier(cfg)),
	}
}

// widgetVerifier checks widget tokens; nil when auth.widget_secret is
// empty (anonymous widgets and apps).
func widgetVerifier(cfg *config.Config) *auth.Verifier {
	if cfg.Auth.WidgetSecret == "" {
		return nil
	}
	return auth.NewVerifier(cfg.Auth.WidgetSecret, cfg.Auth.ClockSkew, nil)
}

// openMQTT bridges the MQTT listener's apps to the sessions (node/mqtt),
// through the opener the widget uses.
func (n *Node) openMQTT(verifier *auth.Verifier, opener *session.Opener, sign func(string) string) error {
	if n.cfg.MQTT.Listen == "" || n.link == nil || n.link.Server() == nil {
		return nil
	}
	acc := n.link.Server().GlobalAccount()
	b, err := mqtt.New(mqtt.Options{
		Conn: n.link.Conn(), Interest: acc.SubscriptionInterest, Store: n.store, Opener: opener, Verifier: verifier,
		Gateway: n.cfg.Gateway, MQTT: n.cfg.MQTT, Sign: sign, Logger: n.log.With("component", "mqtt"), Metrics: mqtt.NewMetrics(n.reg),
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "edgedesk_mqtt_connections", Help: "App connections served over MQTT."},
		func() float64 { return float64(b.Clients()) }))
	n.mqtt = b
	n.log.Info("serving apps over MQTT", "listen", n.cfg.MQTT.Listen, "topics", "edgedesk/mqtt/<key>/<conn>/{in,out}")
	return nil
}
