package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestChannelsLoad(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "wa.secret")
	os.WriteFile(secretFile, []byte("app-secret\n"), 0o600)
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte(`channels:
  - name: whatsapp
    preset: whatsapp
    secret_file: `+secretFile+`
    phone_number_id: "106540352242922"
  - name: shop-app
    preset: generic
    send_url: https://app.example/edgedesk
    timestamp_window: 2m
    mapping:
      messages: /events/*
      text: [/body, /caption]
delivery:
  min_backoff: 50ms
`), 0o600)
	c, err := Load(path, []string{
		"EDGEDESK_CHANNELS_WHATSAPP_TOKEN=graph-token",
		"EDGEDESK_CHANNELS_WHATSAPP_VERIFY_TOKEN=verify-me",
		"EDGEDESK_CHANNELS_WHATSAPP_SECRET=loses-to-the-file",
		"EDGEDESK_CHANNELS_SHOP_APP_SECRET=0123456789abcdef0123",
		"EDGEDESK_DELIVERY_MAX_ATTEMPTS=7",
	})
	if err != nil {
		t.Fatal(err)
	}
	wa, app := c.Channels[0], c.Channels[1]
	if wa.Secret != "app-secret" || wa.Token != "graph-token" || wa.VerifyToken != "verify-me" {
		t.Errorf("whatsapp secrets %q %q %q: the file wins, the env fills the rest", wa.Secret, wa.Token, wa.VerifyToken)
	}
	if app.Secret != "0123456789abcdef0123" || app.TimestampWindow != 2*time.Minute || app.Mapping.Messages != "/events/*" || len(app.Mapping.Text) != 2 {
		t.Errorf("generic channel %+v", app)
	}
	if c.Delivery.MinBackoff != 50*time.Millisecond || c.Delivery.MaxAttempts != 7 || c.Delivery.MaxBackoff != Default().Delivery.MaxBackoff {
		t.Errorf("delivery %+v", c.Delivery)
	}
	// Secrets never reach the printed configuration.
	out, _ := c.YAML()
	for _, s := range []string{"app-secret", "graph-token", "verify-me", "0123456789abcdef0123"} {
		if strings.Contains(string(out), s) {
			t.Errorf("printed configuration shows %q", s)
		}
	}
	// Another channel's variable is still no setting of this node.
	if _, err := Load(path, []string{"EDGEDESK_CHANNELS_WHATSAPP_TOKEN=t", "EDGEDESK_CHANNELS_WHATSAPP_VERIFY_TOKEN=v",
		"EDGEDESK_CHANNELS_SHOP_APP_SECRET=0123456789abcdef0123", "EDGEDESK_CHANNELS_TELEGRAM_TOKEN=x"}); err == nil || !strings.Contains(err.Error(), "EDGEDESK_CHANNELS_TELEGRAM_TOKEN") {
		t.Errorf("unknown channel variable: %v", err)
	}
}

func TestChannelsInvalid(t *testing.T) {
	cases := []struct{ yaml, key string }{
		{"channels:\n  - {name: Web Shop, preset: generic, send_url: http://x}\n", "channels[0].name"},
		{"channels:\n  - {name: web, preset: generic, send_url: http://x}\n", "channels[0].name"},
		{"channels:\n  - {name: email, preset: generic, send_url: http://x}\n", "channels[0].name"},
		{"channels:\n  - {name: app, preset: generic, send_url: http://x}\n", "channels[0].name"},
		{"channels:\n  - {name: x, preset: generic, send_url: http://x, identity: email}\n", "channels[0].identity"},
		{"channels:\n  - {name: tg, preset: telegram}\n  - {name: tg, preset: telegram}\n", "channels[1].name"},
		{"channels:\n  - {name: x, preset: viber}\n", "channels[0].preset"},
		{"channels:\n  - {name: x, preset: generic}\n", "channels[0].send_url"},
		{"channels:\n  - {name: x, preset: generic, send_url: 'ftp://x'}\n", "channels[0].send_url"},
		{"channels:\n  - {name: wa, preset: whatsapp}\n", "channels[0].phone_number_id"},
		{"channels:\n  - {name: x, preset: line, max_body_bytes: 2000000}\n", "channels[0].max_body_bytes"},
		{"channels:\n  - {name: x, preset: generic, send_url: 'http://x', timestamp_window: 2h}\n", "channels[0].timestamp_window"},
		{"channels:\n  - {name: x, preset: generic, send_url: 'http://x', mapping: {messages: 'events'}}\n", "channels[0].mapping.messages"},
		{"channels:\n  - {name: tg, preset: telegram}\n", "channels[0].secret_file"},
		{"channels:\n  - {name: tg, preset: telegram}\n", "channels[0].token_file"},
		{"channels:\n  - {name: x, preset: generic, send_url: 'http://x', secret_file: /nonexistent/secret}\n", "channels[0].secret_file"},
		{"delivery:\n  max_backoff: 1ms\n", "delivery.max_backoff"},
		{"delivery:\n  concurrency: 0\n", "delivery.concurrency"},
	}
	for _, tc := range cases {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(tc.yaml), 0o600)
		_, err := Load(path, nil)
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%q: error %v, want one naming %s", tc.yaml, err, tc.key)
		}
	}
}
