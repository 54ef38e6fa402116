package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Channel is one messaging platform's webhook channel (package
// node/channels/webhook): POST /v1/channels/<name>/webhook takes its
// events, and answers to its customers go out through its send API by
// the delivery queue.
//
// Secrets are never in the configuration file: each is read from a file
// (secret_file, token_file, verify_token_file) or from the environment
// variables EDGEDESK_CHANNELS_<NAME>_SECRET, …_TOKEN and …_VERIFY_TOKEN
// (NAME in upper case, '-' and '.' as '_'), the file winning.
type Channel struct {
	// Name is the channel's name in the URL and in sessions (1 to 32 of
	// [a-z0-9_-]; "web" is the widget's).
	Name string `yaml:"name"`
	// Preset is whatsapp, telegram, line or generic: the signature check,
	// the default mapping and the sender.
	Preset string `yaml:"preset"`
	// SecretFile holds the webhook secret: WhatsApp's app secret, the
	// Telegram secret_token set with setWebhook, LINE's channel secret,
	// the generic channel's HMAC key (both ways).
	SecretFile string `yaml:"secret_file"`
	// TokenFile holds the send API's credential: WhatsApp's and LINE's
	// access token, the Telegram bot token. The generic channel signs
	// with its secret instead.
	TokenFile string `yaml:"token_file"`
	// VerifyTokenFile holds the token WhatsApp's verification GET must
	// present (hub.verify_token).
	VerifyTokenFile string `yaml:"verify_token_file"`
	// Secret, Token and VerifyToken are read from the files or the
	// environment by Load (never from YAML).
	Secret      string `yaml:"-"`
	Token       string `yaml:"-"`
	VerifyToken string `yaml:"-"`
	// SendURL is the send API's URL template: {token} and
	// {phone_number_id} are replaced. Presets default to the platform's
	// (WhatsApp https://graph.facebook.com/v21.0/{phone_number_id}/messages,
	// Telegram https://api.telegram.org/bot{token}/sendMessage, LINE
	// https://api.line.me/v2/bot/message/push); generic requires it.
	SendURL string `yaml:"send_url"`
	// PhoneNumberID is the WhatsApp business number's id, for SendURL.
	PhoneNumberID string `yaml:"phone_number_id"`
	// MaxBodyBytes bounds a webhook's body (default 256 KiB, at most 1
	// MiB): 413 past it.
	MaxBodyBytes int `yaml:"max_body_bytes"`
	// TimestampWindow is how far the generic channel's signed timestamp
	// may be from the node's clock (default 5m): a replayed request older
	// than that is refused. The platforms have their own protection
	// (message ids, which the channel de-duplicates on).
	TimestampWindow time.Duration `yaml:"timestamp_window"`
	// Identity is the kind of identity the channel's customer ids are
	// (default: phone for whatsapp, else the preset's name; generic: the
	// channel's name): a customer links across channels by it.
	Identity string `yaml:"identity"`
	// Mapping overrides the preset's JSON pointers (RFC 6901) into the
	// payload; see docs/CHANNELS.md.
	Mapping ChannelMapping `yaml:"mapping"`
}

// ChannelMapping turns a platform's payload into messages. Messages
// points at the events: a segment "*" walks every element of an array,
// so one request may carry many. The other pointers are relative to one
// event; one that starts with "^" is relative to the object holding the
// events' array (WhatsApp's contacts beside its messages). Each field
// may list alternatives: the first that is present wins.
type ChannelMapping struct {
	Messages    string   `yaml:"messages"`
	CustomerID  []string `yaml:"customer_id"`
	Name        []string `yaml:"name"`
	Text        []string `yaml:"text"`
	Attachments []string `yaml:"attachments"`
	Locale      []string `yaml:"locale"`
	MessageID   []string `yaml:"message_id"`
	// ReplyTo is the recipient for answers (default: CustomerID).
	ReplyTo []string `yaml:"reply_to"`
	// Type is the event's type; TextTypes the values that are customer
	// messages. Other events (statuses, reads, stickers, edits) are
	// recognised, counted and not stored. An event without a type (or a
	// mapping without Type) is a message when it has text or attachments.
	Type      []string `yaml:"type"`
	TextTypes []string `yaml:"text_types"`
}

// The channel presets.
const (
	PresetWhatsApp = "whatsapp"
	PresetTelegram = "telegram"
	PresetLINE     = "line"
	PresetGeneric  = "generic"
)

// MaxChannelBody is the largest channels[].max_body_bytes.
const MaxChannelBody = 1 << 20

var channelNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

func (c *Config) validateChannels(bad func(key string, v any, reason string)) {
	names := map[string]bool{}
	for i := range c.Channels {
		ch := &c.Channels[i]
		at := func(f string) string { return fmt.Sprintf("channels[%d].%s", i, f) }
		switch {
		case !channelNameRE.MatchString(ch.Name):
			bad(at("name"), ch.Name, "want 1 to 32 of [a-z0-9_-]")
		case ch.Name == "web" || ch.Name == "email" || ch.Name == "app":
			bad(at("name"), ch.Name, `"web", "email" and "app" are the widget's, the email channel's and MQTT apps' channels`)
		case names[ch.Name]:
			bad(at("name"), ch.Name, "listed twice")
		}
		names[ch.Name] = true
		switch ch.Preset {
		case PresetWhatsApp, PresetTelegram, PresetLINE, PresetGeneric:
		default:
			bad(at("preset"), ch.Preset, "want whatsapp, telegram, line or generic")
		}
		if ch.MaxBodyBytes < 0 || ch.MaxBodyBytes > MaxChannelBody {
			bad(at("max_body_bytes"), ch.MaxBodyBytes, "want 1 to 1048576 (0: 256 KiB)")
		}
		if ch.TimestampWindow < 0 || ch.TimestampWindow > time.Hour {
			bad(at("timestamp_window"), ch.TimestampWindow, "want up to 1h (0: 5m)")
		}
		if ch.SendURL != "" {
			u, err := url.Parse(strings.NewReplacer("{token}", "t", "{phone_number_id}", "1").Replace(ch.SendURL))
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad(at("send_url"), ch.SendURL, "want an http(s) URL")
			}
		}
		if ch.Preset == PresetGeneric && ch.SendURL == "" {
			bad(at("send_url"), ch.SendURL, "the generic preset needs the URL answers are posted to")
		}
		if ch.Preset == PresetWhatsApp && ch.PhoneNumberID == "" && (ch.SendURL == "" || strings.Contains(ch.SendURL, "{phone_number_id}")) {
			bad(at("phone_number_id"), ch.PhoneNumberID, "the WhatsApp send URL needs the business number's id")
		}
		switch {
		case ch.Identity != "" && !channelNameRE.MatchString(ch.Identity):
			bad(at("identity"), ch.Identity, "want 1 to 32 of [a-z0-9_-]")
		case ch.Identity == "email":
			// email: identities are proven by a mailed code only; a
			// platform's sender id must not pass for one.
			bad(at("identity"), ch.Identity, `"email" identities come from a mailed code only`)
		}
		if p := ch.Mapping.Messages; p != "" && p[0] != '/' {
			bad(at("mapping.messages"), p, "want a JSON pointer (starting with /)")
		}
	}
}

// ChannelEnv is the prefix of channel name's secret variables:
// EDGEDESK_CHANNELS_<NAME>_.
func ChannelEnv(name string) string {
	return EnvPrefix + "CHANNELS_" + strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name)) + "_"
}

// channelSecretSuffixes are the secret variables of a channel, after
// ChannelEnv(name).
var channelSecretSuffixes = []string{"SECRET", "TOKEN", "VERIFY_TOKEN"}

// isChannelSecretEnv says whether name is a configured channel's secret
// variable (read by loadChannelSecrets, not applyEnv); another channel's
// name is still "no such setting".
func (c *Config) isChannelSecretEnv(name string) bool {
	for _, ch := range c.Channels {
		for _, s := range channelSecretSuffixes {
			if name == ChannelEnv(ch.Name)+s {
				return true
			}
		}
	}
	return false
}

// loadChannelSecrets fills each channel's secrets from its files, else
// from the environment; a file that cannot be read is an error.
func (c *Config) loadChannelSecrets(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for i := range c.Channels {
		ch := &c.Channels[i]
		for _, s := range []struct {
			file, suffix, key string
			dst               *string
		}{
			{ch.SecretFile, "SECRET", "secret_file", &ch.Secret},
			{ch.TokenFile, "TOKEN", "token_file", &ch.Token},
			{ch.VerifyTokenFile, "VERIFY_TOKEN", "verify_token_file", &ch.VerifyToken},
		} {
			if s.file == "" {
				if v := env[ChannelEnv(ch.Name)+s.suffix]; v != "" {
					*s.dst = v
				}
				continue
			}
			b, err := os.ReadFile(s.file)
			if err != nil {
				return &FieldError{Key: fmt.Sprintf("channels[%d].%s", i, s.key), Value: s.file, Reason: err.Error()}
			}
			*s.dst = strings.TrimSpace(string(b))
		}
	}
	return nil
}

// validateChannelSecrets: a channel needs its webhook secret (nothing
// unsigned is taken) and, but for generic, its send token.
func (c *Config) validateChannelSecrets(bad func(key string, v any, reason string)) {
	for i, ch := range c.Channels {
		at := func(f string) string { return fmt.Sprintf("channels[%d].%s", i, f) }
		if ch.Secret == "" {
			bad(at("secret_file"), ch.SecretFile, "the channel needs its webhook secret: secret_file or "+ChannelEnv(ch.Name)+"SECRET")
		} else if ch.Preset == PresetGeneric && len(ch.Secret) < 16 {
			bad(at("secret_file"), ch.SecretFile, "the generic channel's secret must be at least 16 bytes")
		}
		if ch.Token == "" && ch.Preset != PresetGeneric {
			bad(at("token_file"), ch.TokenFile, "the channel needs its send API token: token_file or "+ChannelEnv(ch.Name)+"TOKEN")
		}
		if ch.Preset == PresetWhatsApp && ch.VerifyToken == "" {
			bad(at("verify_token_file"), ch.VerifyTokenFile, "WhatsApp's verification needs a verify token: verify_token_file or "+ChannelEnv(ch.Name)+"VERIFY_TOKEN")
		}
	}
}

// Delivery configures the durable queue of answers going out through
// channels (webhook channels' send APIs, the SMTP relay).
type Delivery struct {
	// Concurrency bounds the sends in flight, each of another session.
	Concurrency int `yaml:"concurrency"`
	// MinBackoff and MaxBackoff bound the wait before a failed send is
	// tried again (doubling, with jitter).
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// MaxAttempts and MaxAge move an item that keeps failing to the dead
	// letters (GET /v1/admin/deliveries?state=dead).
	MaxAttempts int           `yaml:"max_attempts"`
	MaxAge      time.Duration `yaml:"max_age"`
	// AttemptTimeout bounds one send.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
}

func defaultDelivery() Delivery {
	return Delivery{Concurrency: 16, MinBackoff: time.Second, MaxBackoff: 10 * time.Minute,
		MaxAttempts: 25, MaxAge: 48 * time.Hour, AttemptTimeout: 30 * time.Second}
}

func (c *Config) validateDelivery(bad func(key string, v any, reason string)) {
	d := &c.Delivery
	if d.Concurrency < 1 || d.Concurrency > 1024 {
		bad("delivery.concurrency", d.Concurrency, "want 1 to 1024")
	}
	if d.MinBackoff < time.Millisecond {
		bad("delivery.min_backoff", d.MinBackoff, "must be at least 1ms")
	}
	if d.MaxBackoff < d.MinBackoff {
		bad("delivery.max_backoff", d.MaxBackoff, "must be at least delivery.min_backoff")
	}
	if d.MaxAttempts < 1 {
		bad("delivery.max_attempts", d.MaxAttempts, "must be at least 1")
	}
	if d.MaxAge < time.Minute {
		bad("delivery.max_age", d.MaxAge, "must be at least 1m")
	}
	if d.AttemptTimeout < time.Second {
		bad("delivery.attempt_timeout", d.AttemptTimeout, "must be at least 1s")
	}
}
