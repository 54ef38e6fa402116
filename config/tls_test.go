package config

import (
	"errors"
	"strings"
	"testing"
)

// TestTLSAndCredentialErrors: every tls:, nats credential and
// auth.api_keys mistake names its key.
func TestTLSAndCredentialErrors(t *testing.T) {
	const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	cases := []struct {
		name string
		yaml string
		env  []string
		want []string
	}{
		{"cert without key", "tls:\n  cert_file: /c.pem\n", nil, []string{"tls.cert_file", "set both"}},
		{"reload too often", "tls:\n  reload_interval: 10ms\n", nil, []string{"tls.reload_interval", "1s to 24h"}},
		{"negative hsts", "", []string{"EDGEDESK_TLS_HSTS_MAX_AGE=-1s"}, []string{"tls.hsts_max_age"}},
		{"acme and files", "tls:\n  cert_file: /c\n  key_file: /k\n  acme:\n    domains: [chat.shop.example]\n", nil, []string{"tls.acme.domains", "not both"}},
		{"acme ip", "tls:\n  acme:\n    domains: [203.0.113.7]\n", nil, []string{"tls.acme.domains[0]", "IP"}},
		{"acme wildcard", "tls:\n  acme:\n    domains: ['*.shop.example']\n", nil, []string{"tls.acme.domains[0]", "wildcard"}},
		{"acme bad name", "", []string{"EDGEDESK_TLS_ACME_DOMAINS=chat.shop.example,Shop_Example"}, []string{"tls.acme.domains[1]", "Shop_Example"}},
		{"acme single label", "tls:\n  acme:\n    domains: [localhost]\n", nil, []string{"tls.acme.domains[0]", "localhost"}},
		{"acme twice", "tls:\n  acme:\n    domains: [a.example, a.example]\n", nil, []string{"tls.acme.domains[1]", "twice"}},
		{"acme email", "tls:\n  acme:\n    domains: [a.example]\n    email: ops\n", nil, []string{"tls.acme.email", "ops"}},
		{"acme directory", "tls:\n  acme:\n    domains: [a.example]\n    directory_url: http://ca.example/dir\n", nil, []string{"tls.acme.directory_url", "https"}},
		{"acme email without domains", "tls:\n  acme:\n    email: ops@shop.example\n", nil, []string{"tls.acme.domains", "need tls.acme.domains"}},
		{"insecure skip verify", "nats:\n  url: tls://core:4222\n  tls:\n    insecure_skip_verify: true\n", nil, []string{"nats.tls.insecure_skip_verify", "refused", "ca_file"}},
		{"nats client cert without key", "nats:\n  url: tls://core:4222\n  tls:\n    cert_file: /c\n", nil, []string{"nats.tls.cert_file", "set both"}},
		{"nats tls without a core", "nats:\n  tls:\n    ca_file: /ca.pem\n", nil, []string{"nats.tls", "nats.url or nats.leaf"}},
		{"two ways to authenticate", "nats:\n  url: nats://core:4222\n  user: edge\n  token: t\n", nil, []string{"nats.token", "choose one way", "nats.user"}},
		{"password without user", "nats:\n  url: nats://core:4222\n", []string{"EDGEDESK_NATS_PASSWORD=secret"}, []string{"nats.password", "needs nats.user"}},
		{"credentials without a core", "nats:\n  nkey_seed_file: /edge.nk\n", nil, []string{"nats.nkey_seed_file", "nats.url or nats.leaf"}},
		{"api key without key", "auth:\n  api_keys:\n    - {name: ops, role: admin}\n", nil, []string{"auth.api_keys[0].key_sha256", "exactly one"}},
		{"api key both", "auth:\n  api_keys:\n    - {name: ops, role: admin, key_sha256: " + sum + ", key_file: /k}\n", nil, []string{"auth.api_keys[0].key_sha256", "exactly one"}},
		{"api key not a hash", "auth:\n  api_keys:\n    - {name: ops, role: admin, key_sha256: my-plain-key}\n", nil, []string{"auth.api_keys[0].key_sha256", "64 hex"}},
		{"api key role", "auth:\n  api_keys:\n    - {name: ops, role: root, key_sha256: " + sum + "}\n", nil, []string{"auth.api_keys[0].role", "root"}},
		{"api key names", "auth:\n  api_keys:\n    - {name: ops, role: admin, key_sha256: " + sum + "}\n    - {name: ops, role: agent, key_file: /k}\n    - {name: 'no spaces', role: agent, key_file: /k}\n", nil,
			[]string{"auth.api_keys[1].name", "twice", "auth.api_keys[2].name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Default()
			err := cfg.decodeYAML(strings.NewReader(c.yaml))
			if err == nil {
				err = cfg.applyEnv(c.env)
			}
			if err == nil {
				err = cfg.Validate()
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestTLSAndCredentialsAccepted(t *testing.T) {
	c, err := Parse([]byte(`
tls:
  acme:
    domains: [chat.shop.example, help.shop.example]
    email: ops@shop.example
nats:
  url: tls://core.example:4222
  user: edge
  password: a long password
  tls:
    ca_file: /etc/edgedesk/core-ca.pem
    cert_file: /etc/edgedesk/edge.pem
    key_file: /etc/edgedesk/edge.key
auth:
  api_keys:
    - {name: ops-script, key_sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, role: admin}
    - {name: wallboard, key_file: /run/secrets/wallboard.key, role: supervisor}
`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLS.Enabled() || !c.TLS.ACME.Enabled() || !c.NATS.TLS.Enabled() || len(c.Auth.APIKeys) != 2 {
		t.Fatalf("%+v %+v %+v", c.TLS, c.NATS.TLS, c.Auth.APIKeys)
	}
	if got := c.ACMECacheDir(); got != "data/acme" {
		t.Errorf("default ACME cache %q, want data_dir/acme", got)
	}
	y, _ := c.YAML()
	if strings.Contains(string(y), "a long password") {
		t.Error("YAML() shows nats.password")
	}
	if Default().TLS.Enabled() {
		t.Error("TLS on by default")
	}
}
