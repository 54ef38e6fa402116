package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgedesk/edgedesk/config"
)

// The generic channel's signature headers, as Stripe's and Slack's: the
// timestamp is signed with the body, so an old request cannot be
// replayed past the window.
const (
	HeaderTimestamp = "X-Edgedesk-Timestamp" // unix seconds
	HeaderSignature = "X-Edgedesk-Signature" // "v1=" hex HMAC-SHA256(secret, timestamp "." body)
)

// The platforms' headers.
const (
	headerWhatsApp = "X-Hub-Signature-256"             // "sha256=" hex HMAC-SHA256(app secret, body)
	headerTelegram = "X-Telegram-Bot-Api-Secret-Token" // the secret_token given to setWebhook
	headerLINE     = "X-Line-Signature"                // base64 HMAC-SHA256(channel secret, body)
)

var (
	// errSignature: 401, nothing read.
	errSignature = errors.New("bad signature")
	// errStale: a generic request signed outside the window (401).
	errStale = errors.New("timestamp outside the window")
)

// headers reads request headers by name.
type headers func(name string) string

// verify checks a request's signature over its raw body in constant
// time, before anything parses the body.
func verify(preset string, secret []byte, window time.Duration, h headers, body []byte, now time.Time) error {
	switch preset {
	case config.PresetWhatsApp:
		sig, ok := strings.CutPrefix(h(headerWhatsApp), "sha256=")
		if !ok {
			return fmt.Errorf("%w: missing %s (sha256=…)", errSignature, headerWhatsApp)
		}
		return equalHex(sig, mac(secret, nil, body))
	case config.PresetTelegram:
		got := h(headerTelegram)
		if got == "" {
			return fmt.Errorf("%w: missing %s", errSignature, headerTelegram)
		}
		if subtle.ConstantTimeCompare([]byte(got), secret) != 1 {
			return fmt.Errorf("%w: %s does not match", errSignature, headerTelegram)
		}
		return nil
	case config.PresetLINE:
		got, err := base64.StdEncoding.DecodeString(h(headerLINE))
		if err != nil || len(got) != sha256.Size {
			return fmt.Errorf("%w: missing or malformed %s", errSignature, headerLINE)
		}
		if !hmac.Equal(got, mac(secret, nil, body)) {
			return fmt.Errorf("%w: %s does not match", errSignature, headerLINE)
		}
		return nil
	case config.PresetGeneric:
		ts := h(HeaderTimestamp)
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || len(ts) > 12 {
			return fmt.Errorf("%w: missing or malformed %s (unix seconds)", errSignature, HeaderTimestamp)
		}
		sig, ok := strings.CutPrefix(h(HeaderSignature), "v1=")
		if !ok {
			return fmt.Errorf("%w: missing %s (v1=…)", errSignature, HeaderSignature)
		}
		if err := equalHex(sig, mac(secret, []byte(ts+"."), body)); err != nil {
			return err
		}
		// Checked after the signature: only a signed time is trusted.
		if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
			return fmt.Errorf("%w: %s is %s from the node's clock (window %s)", errStale, HeaderTimestamp, d.Round(time.Second), window)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown preset %q", errSignature, preset)
}

func mac(secret, prefix, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(prefix)
	m.Write(body)
	return m.Sum(nil)
}

func equalHex(sig string, want []byte) error {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: not 64 hex digits", errSignature)
	}
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: does not match the body", errSignature)
	}
	return nil
}

// Sign returns the generic channel's headers for body at t: what a
// sender of webhooks to a generic channel computes, and what this node's
// generic sender sends.
func Sign(secret, body []byte, t time.Time) (timestamp, signature string) {
	ts := strconv.FormatInt(t.Unix(), 10)
	return ts, "v1=" + hex.EncodeToString(mac(secret, []byte(ts+"."), body))
}
