package config

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"
)

// Email configures the email channel (package node/email): an SMTP
// listener for customers' mail, off by default, and the relay answers go
// out through. See docs/EMAIL.md.
type Email struct {
	// Listen is the SMTP listener's address (host:port, e.g. :25 or
	// 127.0.0.1:2525 behind the merchant's MX); empty: no inbound email.
	Listen string `yaml:"listen"`
	// Domain is the node's mail domain: the SMTP greeting, the accepted
	// recipients when Addresses is empty, and the Message-IDs of answers
	// (default: the domain of From).
	Domain string `yaml:"domain"`
	// Addresses are the recipients the listener accepts
	// (support@shop.example); empty accepts any address at Domain.
	Addresses []string `yaml:"addresses"`
	// MaxMessageBytes bounds one inbound mail (default 10 MiB, at most
	// 50 MiB): larger ones get 552 as they pass the limit.
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	// MaxRecipients bounds one mail's recipients (default 10); a mail to
	// more is refused whole (552, then 554).
	MaxRecipients int `yaml:"max_recipients"`
	// MaxConnections bounds concurrent SMTP connections (default 20): with
	// MaxMessageBytes, the most memory inbound mail takes (20 × 10 MiB).
	MaxConnections int `yaml:"max_connections"`
	// SenderPerMinute bounds the mails one From address may send a
	// minute (default 10); past it they get 451 and their server retries
	// later.
	SenderPerMinute int `yaml:"sender_per_minute"`
	// ReadTimeout and WriteTimeout bound each SMTP command and answer
	// (default 1m).
	ReadTimeout  time.Duration `yaml:"read_timeout"`
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// StartTLS offers STARTTLS on the listener with the node's
	// certificate (tls.cert_file or tls.acme; required).
	StartTLS bool `yaml:"starttls"`
	// From is the sender of answers ("Shop Support
	// <support@shop.example>"). Required with relay.host.
	From string `yaml:"from"`
	// Subject of an answer mailed in a session that has no mail thread
	// (a widget customer who left); answers in a thread are "Re: " and
	// its subject.
	Subject string `yaml:"subject"`
	// AwayGrace is how long a widget customer who left an address has to
	// see an agent's answer in the widget before it is mailed (default
	// 2m).
	AwayGrace time.Duration `yaml:"away_grace"`
	// Relay is the SMTP server answers are submitted to; empty host: no
	// outbound email.
	Relay EmailRelay `yaml:"relay"`
	// Verify configures the codes that prove a customer's address.
	Verify EmailVerify `yaml:"verify"`
}

// EmailRelay is the SMTP relay (submission server) answers go out through.
type EmailRelay struct {
	Host string `yaml:"host"`
	// Port (default 587).
	Port int `yaml:"port"`
	// TLS is starttls (default; port 587), tls (implicit, port 465) or
	// none (a relay on loopback).
	TLS string `yaml:"tls"`
	// User and Password authenticate (AUTH PLAIN, over TLS). Give the
	// password in EDGEDESK_EMAIL_RELAY_PASSWORD or PasswordFile rather
	// than in the file.
	User         string `yaml:"user"`
	Password     string `yaml:"password" secret:"true"`
	PasswordFile string `yaml:"password_file"`
	// Timeout bounds one submission (default 1m).
	Timeout time.Duration `yaml:"timeout"`
}

// EmailVerify configures the codes mailed to prove an address.
type EmailVerify struct {
	// CodeTTL is how long a code works (default 15m).
	CodeTTL time.Duration `yaml:"code_ttl"`
	// MaxAttempts is how many wrong codes end a code (default 5).
	MaxAttempts int `yaml:"max_attempts"`
}

// Enabled reports whether the SMTP listener runs.
func (e Email) Enabled() bool { return e.Listen != "" }

// Sends reports whether answers can go out by email.
func (e Email) Sends() bool { return e.Relay.Host != "" }

// RelayPassword is the relay's password: Password, or PasswordFile's
// content without its trailing newline.
func (e Email) RelayPassword() (string, error) {
	if e.Relay.PasswordFile == "" {
		return e.Relay.Password, nil
	}
	b, err := os.ReadFile(e.Relay.PasswordFile)
	if err != nil {
		return "", &FieldError{Key: "email.relay.password_file", Value: e.Relay.PasswordFile, Reason: err.Error()}
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// MailDomain is Domain, or From's domain.
func (e Email) MailDomain() string {
	if e.Domain != "" {
		return e.Domain
	}
	if a, err := mail.ParseAddress(e.From); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			return a.Address[i+1:]
		}
	}
	return ""
}

func defaultEmail() Email {
	return Email{MaxMessageBytes: 10 << 20, MaxRecipients: 10, MaxConnections: 20, SenderPerMinute: 10,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, Subject: "Your conversation with us",
		AwayGrace: 2 * time.Minute,
		Relay:     EmailRelay{Port: 587, TLS: "starttls", Timeout: time.Minute},
		Verify:    EmailVerify{CodeTTL: 15 * time.Minute, MaxAttempts: 5}}
}

func (c *Config) validateEmail(bad func(key string, v any, reason string)) {
	e := &c.Email
	if e.Listen != "" {
		if _, port, err := net.SplitHostPort(e.Listen); err != nil || port == "" {
			bad("email.listen", e.Listen, "want host:port or empty")
		}
		if e.MailDomain() == "" {
			bad("email.domain", e.Domain, "required with email.listen (or an email.from to take it from)")
		}
		if e.StartTLS && !c.TLS.Enabled() {
			bad("email.starttls", e.StartTLS, "needs the node's certificate (tls.cert_file or tls.acme)")
		}
	}
	for i, a := range e.Addresses {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a || p.Name != "" {
			bad(fmt.Sprintf("email.addresses[%d]", i), a, "want a bare address such as support@shop.example")
		}
	}
	if e.MaxMessageBytes < 1<<10 || e.MaxMessageBytes > 50<<20 {
		bad("email.max_message_bytes", e.MaxMessageBytes, "want 1024 to 52428800")
	}
	if e.MaxRecipients < 1 || e.MaxRecipients > 100 {
		bad("email.max_recipients", e.MaxRecipients, "want 1 to 100")
	}
	if e.MaxConnections < 1 {
		bad("email.max_connections", e.MaxConnections, "must be at least 1")
	}
	if e.SenderPerMinute < 1 || e.SenderPerMinute > 1000 {
		bad("email.sender_per_minute", e.SenderPerMinute, "want 1 to 1000")
	}
	if e.ReadTimeout < time.Second {
		bad("email.read_timeout", e.ReadTimeout, "must be at least 1s")
	}
	if e.WriteTimeout < time.Second {
		bad("email.write_timeout", e.WriteTimeout, "must be at least 1s")
	}
	if e.AwayGrace < 0 || e.AwayGrace > 24*time.Hour {
		bad("email.away_grace", e.AwayGrace, "want 0 to 24h")
	}
	if len(e.Subject) > 200 || strings.ContainsAny(e.Subject, "\r\n") {
		bad("email.subject", e.Subject, "want one line of at most 200 bytes")
	}
	r := &e.Relay
	if r.Host != "" {
		if a, err := mail.ParseAddress(e.From); err != nil || !strings.Contains(a.Address, "@") {
			bad("email.from", e.From, "required with email.relay.host: an address such as \"Shop Support <support@shop.example>\"")
		}
	}
	if r.Port < 1 || r.Port > 65535 {
		bad("email.relay.port", r.Port, "want 1 to 65535")
	}
	switch r.TLS {
	case "starttls", "tls", "none":
	default:
		bad("email.relay.tls", r.TLS, "want starttls, tls or none")
	}
	if r.Password != "" && r.PasswordFile != "" {
		bad("email.relay.password_file", r.PasswordFile, "set the password or the password file, not both")
	}
	if r.TLS == "none" && r.User != "" && !loopbackHost(r.Host) {
		bad("email.relay.tls", r.TLS, "would send the relay password in the clear: use starttls or tls (none only for a relay on loopback)")
	}
	if r.User == "" && (r.Password != "" || r.PasswordFile != "") {
		bad("email.relay.user", r.User, "a password needs a user")
	}
	if r.Timeout < time.Second {
		bad("email.relay.timeout", r.Timeout, "must be at least 1s")
	}
	if e.Verify.CodeTTL < time.Minute || e.Verify.CodeTTL > 24*time.Hour {
		bad("email.verify.code_ttl", e.Verify.CodeTTL, "want 1m to 24h")
	}
	if e.Verify.MaxAttempts < 1 || e.Verify.MaxAttempts > 20 {
		bad("email.verify.max_attempts", e.Verify.MaxAttempts, "want 1 to 20")
	}
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
