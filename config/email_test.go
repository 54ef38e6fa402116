package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmailErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"listen without a domain", "email:\n  listen: :2525\n", []string{"email.domain"}},
		{"bad listen", "email:\n  listen: nowhere\n  domain: shop.example\n", []string{"email.listen", "nowhere"}},
		{"starttls without a certificate", "email:\n  listen: :2525\n  domain: shop.example\n  starttls: true\n", []string{"email.starttls", "certificate"}},
		{"relay without from", "email:\n  relay:\n    host: smtp.example\n", []string{"email.from"}},
		{"bad address and limits", "email:\n  addresses: [\"Shop <s@shop.example>\"]\n  max_recipients: 0\n  max_message_bytes: 10\n",
			[]string{"email.addresses[0]", "email.max_recipients", "email.max_message_bytes"}},
		{"relay tls and secrets", "email:\n  relay:\n    tls: ssl\n    password: x\n    password_file: /p\n", []string{"email.relay.tls", "ssl", "not both", "email.relay.user"}},
		{"password in the clear", "email:\n  from: s@shop.example\n  relay:\n    host: smtp.example\n    tls: none\n    user: u\n", []string{"email.relay.tls", "in the clear"}},
		{"verify", "email:\n  verify:\n    code_ttl: 1s\n    max_attempts: 0\n", []string{"email.verify.code_ttl", "email.verify.max_attempts"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestEmailRelayPassword(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load("", []string{"EDGEDESK_EMAIL_RELAY_HOST=smtp.example", "EDGEDESK_EMAIL_FROM=Shop <s@shop.example>",
		"EDGEDESK_EMAIL_RELAY_USER=u", "EDGEDESK_EMAIL_RELAY_PASSWORD_FILE=" + pw})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Email.RelayPassword(); err != nil || p != "s3cret" {
		t.Fatalf("password %q, %v", p, err)
	}
	if d := c.Email.MailDomain(); d != "shop.example" {
		t.Fatalf("domain %q", d)
	}
	c, err = Load("", []string{"EDGEDESK_EMAIL_RELAY_HOST=smtp.example", "EDGEDESK_EMAIL_FROM=s@shop.example",
		"EDGEDESK_EMAIL_RELAY_USER=u", "EDGEDESK_EMAIL_RELAY_PASSWORD=hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	if y, _ := c.YAML(); strings.Contains(string(y), "hunter2") {
		t.Fatal("the relay password is printed")
	}
}
