package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestExampleFileMatchesDefault(t *testing.T) {
	// The documented example sets every key to its default value, so the
	// reference in the README cannot drift from the code.
	c, err := Load("edgedesk.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Default().YAML()
	got, _ := c.YAML()
	if string(got) != string(want) {
		t.Fatalf("example differs from Default:\n got:\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("listen: 0.0.0.0:9000\ngateway:\n  max_frame_bytes: 4096\n  allowed_origins: [https://shop.example]\n"), 0o600)
	c, err := Load(path, []string{"EDGEDESK_LISTEN=127.0.0.1:9001", "EDGEDESK_STORE_RETENTION=24h", "PATH=/bin", "EDGEDESK_ORT_LIB=/x.so", "EDGEDESK_FILES_TTL=24h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9001" {
		t.Errorf("env must override file: listen = %q", c.Listen)
	}
	if c.Gateway.MaxFrameBytes != 4096 {
		t.Errorf("file must override default: max_frame_bytes = %d", c.Gateway.MaxFrameBytes)
	}
	if c.Store.Retention != 24*time.Hour || c.Files.TTL != 24*time.Hour {
		t.Errorf("retention = %v, files.ttl = %v", c.Store.Retention, c.Files.TTL)
	}
	if c.Gateway.HelloTimeout != Default().Gateway.HelloTimeout {
		t.Errorf("unset key must keep default")
	}
	if len(c.Gateway.AllowedOrigins) != 1 {
		t.Errorf("origins = %v", c.Gateway.AllowedOrigins)
	}
}

func TestErrorsNameKeyAndValue(t *testing.T) {
	cases := []struct {
		name    string
		yaml    string
		env     []string
		wantErr error
		want    []string
	}{
		{"bad listen", "listen: nowhere\n", nil, ErrInvalid, []string{"listen", "nowhere"}},
		{"frame too small", "gateway:\n  max_frame_bytes: 10\n", nil, ErrInvalid, []string{"gateway.max_frame_bytes", "10"}},
		{"unknown key names line", "listen: 127.0.0.1:1\ngatway:\n  x: 1\n", nil, ErrUnknownKey, []string{"line 2", "gatway"}},
		{"wrong type", "gateway:\n  max_connections: lots\n", nil, ErrInvalid, []string{"lots"}},
		{"env bad int", "", []string{"EDGEDESK_GATEWAY_MAX_CONNECTIONS=many"}, ErrInvalid, []string{"EDGEDESK_GATEWAY_MAX_CONNECTIONS", "many", "integer"}},
		{"env typo", "", []string{"EDGEDESK_LISTN=x"}, ErrInvalid, []string{"EDGEDESK_LISTN", "no such setting"}},
		{"env bad duration", "", []string{"EDGEDESK_STORE_RETENTION=3 days"}, ErrInvalid, []string{"EDGEDESK_STORE_RETENTION", "duration"}},
		{"short secret", "auth:\n  widget_secret: short\n", nil, ErrInvalid, []string{"auth.widget_secret", "32 bytes"}},
		{"bad origin", "gateway:\n  allowed_origins: [shop.example]\n", nil, ErrInvalid, []string{"allowed_origins[0]", "shop.example"}},
		{"mqtt off loopback without TLS", "mqtt:\n  listen: 0.0.0.0:8883\n", nil, ErrInvalid, []string{"mqtt.listen", "needs TLS"}},
		{"mqtt with a core", "mqtt:\n  listen: 127.0.0.1:1883\nnats:\n  url: nats://core:4222\n", nil, ErrInvalid, []string{"mqtt.listen", "embedded nats-server"}},
		{"mqtt without nats", "mqtt:\n  listen: 127.0.0.1:1883\nnats:\n  enabled: false\n", nil, ErrInvalid, []string{"mqtt.listen", "nats.enabled"}},
		{"mqtt caps", "mqtt:\n  max_clients: 0\n  tls_cert: /c.pem\n", []string{"EDGEDESK_MQTT_MAX_CONNS_PER_KEY=0"}, ErrInvalid, []string{"mqtt.max_clients", "mqtt.max_conns_per_key", "mqtt.tls_key"}},
		{"ping vs idle", "gateway:\n  ping_interval: 2m\n  idle_timeout: 1m\n", nil, ErrInvalid, []string{"gateway.ping_interval"}},
		{"short staff secret", "auth:\n  staff_secret: short\n", nil, ErrInvalid, []string{"auth.staff_secret", "32 bytes"}},
		{"one secret for widgets and staff", "auth:\n  staff_secret: " + strings.Repeat("k", 32) + "\n  widget_secret: " + strings.Repeat("k", 32) + "\n", nil, ErrInvalid, []string{"auth.staff_secret", "differ from auth.widget_secret"}},
		{"sign-in limits", "auth:\n  staff_session_ttl: 1s\n  login_max_failures: 10\n  login_max_failures_per_address: 5\n", []string{"EDGEDESK_AUTH_LOGIN_WINDOW=0s"}, ErrInvalid,
			[]string{"auth.staff_session_ttl", "1s", "auth.login_max_failures_per_address", "5", "auth.login_window"}},
		{"bad step kind", "bot:\n  flows:\n    - name: f\n      intents: [x]\n      timeout: 5m\n      max_attempts: 2\n      steps:\n        - {slot: a, kind: number, prompt: {en: hi}}\n      done: {en: ok}\n", nil, ErrInvalid, []string{"bot.flows[0].steps[0].kind", "number"}},
		{"flow without default language", "bot:\n  default_language: sv\n", nil, ErrInvalid, []string{"bot.flows[0].steps[0].prompt", "(sv)", "bot.flows[0].done"}},
		{"duplicate flow intent", "bot:\n  flows:\n    - {name: a, intents: [x], timeout: 5m, max_attempts: 1, steps: [{slot: s, kind: text, prompt: {en: q}}], done: {en: d}}\n    - {name: b, intents: [x], timeout: 5m, max_attempts: 1, steps: [{slot: s, kind: text, prompt: {en: q}}], done: {en: d}}\n", nil, ErrInvalid, []string{"bot.flows[1].intents[0]", "already starts flow a"}},
		{"bad group zone", "routing:\n  groups:\n    - {name: a, languages: [en], tz: Mars/Olympus, capacity: 2}\n", nil, ErrInvalid, []string{"routing.groups[0].tz", "Mars/Olympus"}},
		{"unknown overflow and rule group", "routing:\n  groups:\n    - {name: a, languages: [en], tz: UTC, capacity: 2, overflow: b}\n  rules:\n    - {name: r, keywords: [x], group: c}\n", nil, ErrInvalid, []string{"routing.groups[0].overflow", "routing.rules[0].group"}},
		{"bad rule regexp", "routing:\n  groups:\n    - {name: a, languages: [en], tz: UTC, capacity: 2}\n  rules:\n    - {name: r, regexp: \"(\", group: a}\n", nil, ErrInvalid, []string{"routing.rules[0].regexp"}},
		{"first response timeout too short", "routing:\n  first_response_timeout: 5s\n", nil, ErrInvalid, []string{"routing.first_response_timeout", "5s", "10s"}},
		{"env first response timeout negative", "", []string{"EDGEDESK_ROUTING_FIRST_RESPONSE_TIMEOUT=-1m"}, ErrInvalid, []string{"routing.first_response_timeout", "-1m"}},
		{"bad trust header", "routing:\n  trust_headers: [x-forwarded-for]\n", nil, ErrInvalid, []string{"routing.trust_headers[0]"}},
		{"bad seed", "faq:\n  seed: faq.txt\n", nil, ErrInvalid, []string{"faq.seed"}},
		{"files quota", "files:\n  max_bytes: 1000\n  max_total_bytes: 999\n  ttl: 30s\n  max_files_per_session: 0\n", nil, ErrInvalid, []string{"files.max_total_bytes", "999", "files.ttl", "30s", "files.max_files_per_session"}},
		{"env files rate", "", []string{"EDGEDESK_FILES_UPLOADS_PER_MINUTE=0"}, ErrInvalid, []string{"files.uploads_per_minute", "0"}},
		{"files budgets", "files:\n  max_bytes: 1000\n  max_session_bytes: 999\n  ip_bytes_per_hour: 10\n  max_files_per_session: 1001\n", []string{"EDGEDESK_FILES_IP_FILES_PER_MINUTE=0"}, ErrInvalid,
			[]string{"files.max_session_bytes", "999", "files.ip_bytes_per_hour", "10", "files.max_files_per_session", "1001", "files.ip_files_per_minute", "0"}},
		{"profile retention past the sessions'", "store:\n  retention: 24h\n  profile_retention: 48h\n", nil, ErrInvalid, []string{"store.profile_retention", "48h"}},
		{"env profile retention too short", "", []string{"EDGEDESK_STORE_PROFILE_RETENTION=10s"}, ErrInvalid, []string{"store.profile_retention", "10s"}},
		{"hostile-client limits", "gateway:\n  max_connections_per_address: 0\n  typing_burst: 0\n  max_agent_connections: 20000\nstore:\n  max_session_bytes: 100\n", []string{"EDGEDESK_GATEWAY_SESSION_RATE_LIMIT=0"}, ErrInvalid,
			[]string{"gateway.max_connections_per_address", "gateway.typing_burst", "gateway.max_agent_connections", "20000", "store.max_session_bytes", "100", "gateway.session_rate_limit"}},
		{"nats listen without credentials", "nats:\n  listen: 127.0.0.1:4222\n", nil, ErrInvalid, []string{"nats.listen", "nats.listen_user"}},
		{"nats listen off loopback without TLS", "nats:\n  listen: 0.0.0.0:4222\n  listen_user: ops\n  listen_password: pw\n", nil, ErrInvalid, []string{"nats.listen", "0.0.0.0:4222", "TLS"}},
		{"nats listen nkey", "nats:\n  listen: 127.0.0.1:4222\n  listen_nkeys: [nope]\n", nil, ErrInvalid, []string{"nats.listen_nkeys[0]", "nope"}},
		{"nats replicas without a core", "nats:\n  replicas: 3\n", nil, ErrInvalid, []string{"nats.replicas", "3", "nats.url"}},
		{"env nats replicas out of range", "nats:\n  url: nats://core:4222\n", []string{"EDGEDESK_NATS_REPLICAS=7"}, ErrInvalid, []string{"nats.replicas", "7", "1 to 5"}},
		{"nats replicas zero", "nats:\n  url: nats://core:4222\n  replicas: 0\n", nil, ErrInvalid, []string{"nats.replicas", "0"}},
		{"all errors at once", "log_level: loud\nlog_format: xml\n", nil, ErrInvalid, []string{"log_level", "loud", "log_format", "xml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(tc.yaml), 0o600)
			_, err := Load(path, tc.env)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFieldErrorAs(t *testing.T) {
	_, err := Parse([]byte("gateway:\n  rate_burst: 0\n"))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Key != "gateway.rate_burst" {
		t.Fatalf("errors.As FieldError: %v", err)
	}
}

func TestRedacted(t *testing.T) {
	c := Default()
	c.Auth.WidgetSecret = strings.Repeat("s", 40)
	out, err := c.YAML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "ssss") {
		t.Fatal("secret printed")
	}
	if c.Auth.WidgetSecret == "(redacted)" {
		t.Fatal("Redacted modified the original")
	}
}

func TestEveryEnvNameMapsToAKey(t *testing.T) {
	names := EnvNames()
	if len(names) < 15 {
		t.Fatalf("only %d env names", len(names))
	}
	for _, n := range names {
		// Every key's type can be set from the environment: a value may be
		// invalid for its key, never of a type the reader cannot parse.
		if _, err := Load("", []string{n + "=" + "1"}); err != nil && (!errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "unsupported type")) {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("listen: 127.0.0.1:8080\n"))
	f.Add([]byte("gateway:\n  allowed_origins: [https://a.example]\n  rate_limit: 2.5\n"))
	f.Add([]byte("store:\n  retention: 72h\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted an invalid config: %v", verr)
			}
		}
	})
}

func TestParseRouting(t *testing.T) {
	r, err := ParseRouting([]byte("groups:\n  - {name: a, languages: [en], tz: Europe/London, hours: {mon: [\"09:00-17:00\"]}, capacity: 2}\nopens_soon: 10m\n"))
	if err != nil || len(r.Groups) != 1 || r.OpensSoon.Minutes() != 10 || r.HandleTime == 0 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := ParseRouting([]byte("groups:\n  - {name: a, languages: [en], tz: Nowhere/City, capacity: 2}\n")); err == nil || !strings.Contains(err.Error(), "routing.groups[0].tz") {
		t.Fatalf("bad zone: %v", err)
	}
	if _, err := ParseRouting([]byte("gropus: []\n")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestDemoFromEnv(t *testing.T) {
	if Default().Demo {
		t.Fatal("the demo shop must be off by default")
	}
	c, err := Load("", []string{"EDGEDESK_DEMO=true"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo {
		t.Fatal("EDGEDESK_DEMO=true did not turn the demo shop on")
	}
}

// make run's configuration: the demo shop and a group that speaks every
// language of the default model, open all week.
func TestDemoFile(t *testing.T) {
	c, err := Load("demo.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Demo || len(c.Routing.Groups) != 1 || c.Routing.Groups[0].Name != "support" || len(c.Routing.Groups[0].Languages) != 18 {
		t.Fatalf("demo.yaml: demo %v, groups %+v", c.Demo, c.Routing.Groups)
	}
}

func TestAnalytics(t *testing.T) {
	d := Default().Analytics
	if !d.Enabled || d.Retention != 35*24*time.Hour || d.LiveInterval != time.Second || d.ServiceLevel != 0.8 || d.AnswerWithin != time.Minute {
		t.Fatalf("defaults = %+v", d)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte("routing:\n  groups:\n    - {name: uk-en, languages: [en], tz: Europe/London, capacity: 2}\nanalytics:\n  live_interval: 500ms\n  groups:\n    uk-en: {service_level: 0.9}\n"), 0o600)
	c, err := Load(path, []string{"EDGEDESK_ANALYTICS_RETENTION=720h", "EDGEDESK_ANALYTICS_ENABLED=false"})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Analytics
	if a.Enabled || a.Retention != 720*time.Hour || a.LiveInterval != 500*time.Millisecond {
		t.Errorf("file and env not applied: %+v", a)
	}
	if l, w := a.Target("uk-en"); l != 0.9 || w != time.Minute {
		t.Errorf("uk-en target = %v, %v; want 0.9, 1m (override, then the section's)", l, w)
	}
	if l, w := a.Target("de"); l != 0.8 || w != time.Minute {
		t.Errorf("de target = %v, %v", l, w)
	}
	for _, tc := range []struct{ yaml, key string }{
		{"analytics:\n  live_interval: 3s\n", "analytics.live_interval"},
		{"analytics:\n  retention: 30m\n", "analytics.retention"},
		{"analytics:\n  service_level: 1\n", "analytics.service_level"},
		{"analytics:\n  answer_within: 0s\n", "analytics.answer_within"},
		{"analytics:\n  max_live_streams: 0\n", "analytics.max_live_streams"},
		{"routing:\n  groups:\n    - {name: uk-en, languages: [en], tz: Europe/London, capacity: 2}\nanalytics:\n  groups:\n    uk-en: {service_level: 1.5}\n", "analytics.groups.uk-en.service_level"},
		{"analytics:\n  groups:\n    uk-en: {service_level: 0.9}\n", "analytics.groups.uk-en"},
	} {
		_, err := Parse([]byte(tc.yaml))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Key != tc.key {
			t.Errorf("%q: err = %v, want a FieldError for %s", tc.yaml, err, tc.key)
		}
	}
}
