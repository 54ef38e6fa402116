package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/delivery"
)

// The platforms' send APIs, as their documentation gives them.
var defaultSendURL = map[string]string{
	config.PresetWhatsApp: "https://graph.facebook.com/v21.0/{phone_number_id}/messages",
	config.PresetTelegram: "https://api.telegram.org/bot{token}/sendMessage",
	config.PresetLINE:     "https://api.line.me/v2/bot/message/push",
}

// maxText is the longest text each platform takes in one message, in
// characters; longer answers are cut (with an ellipsis) rather than
// refused.
var maxText = map[string]int{
	config.PresetWhatsApp: 4096,
	config.PresetTelegram: 4096,
	config.PresetLINE:     5000,
}

// sender posts items to a channel's send API.
type sender struct {
	preset, url string
	token       string
	secret      []byte
	client      *http.Client
	now         func() time.Time
}

// maxResponse bounds the part of an answer the sender reads.
const maxResponse = 64 << 10

// Send posts one item. The idempotency key goes where the platform takes
// one (LINE's X-Line-Retry-Key, the generic Idempotency-Key); WhatsApp and
// Telegram have none, so an answer the platform accepted but whose
// acceptance the node never heard (a crash, a timeout) can be sent twice.
func (s *sender) Send(ctx context.Context, it delivery.Item) error {
	text := it.Text
	if n := maxText[s.preset]; n > 0 && utf8.RuneCountInString(text) > n {
		text = string([]rune(text)[:n-1]) + "…"
	}
	var payload any
	switch s.preset {
	case config.PresetWhatsApp:
		payload = map[string]any{"messaging_product": "whatsapp", "recipient_type": "individual", "to": it.To,
			"type": "text", "text": map[string]any{"preview_url": false, "body": text}}
	case config.PresetTelegram:
		payload = map[string]any{"chat_id": it.To, "text": text}
	case config.PresetLINE:
		payload = map[string]any{"to": it.To, "messages": []any{map[string]any{"type": "text", "text": text}}}
	default:
		payload = map[string]any{"key": it.Key, "session": it.SessionID, "seq": it.Seq, "to": it.To, "text": text, "lang": it.Lang, "created": it.Created}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("%w: %v", delivery.ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", delivery.ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "edgedesk")
	switch s.preset {
	case config.PresetWhatsApp:
		req.Header.Set("Authorization", "Bearer "+s.token)
	case config.PresetLINE:
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.Header.Set("X-Line-Retry-Key", retryKey(it.Channel, it.Key))
	case config.PresetGeneric:
		ts, sig := Sign(s.secret, body, s.now())
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		req.Header.Set("Idempotency-Key", it.Key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s send: %w", s.preset, redact(err, s.token))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	return s.classify(resp, answer)
}

// classify turns a send API's answer into the queue's outcome: nil,
// ErrPermanent (dead letter at once), or an error to retry (with the
// wait the platform asked for).
func (s *sender) classify(resp *http.Response, answer []byte) error {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		if s.preset == config.PresetTelegram { // Telegram says ok in the body too
			var r struct {
				OK bool `json:"ok"`
			}
			if json.Unmarshal(answer, &r) == nil && !r.OK {
				return fmt.Errorf("%w: telegram: %s", delivery.ErrPermanent, clip(string(answer), 200))
			}
		}
		return nil
	case code == http.StatusConflict && (s.preset == config.PresetLINE || s.preset == config.PresetGeneric):
		return nil // the retry key was accepted before: delivered
	}
	err := fmt.Errorf("%s send: status %d: %s", s.preset, code, clip(strings.TrimSpace(string(answer)), 300))
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		if d := retryAfter(resp, answer); d > 0 {
			return delivery.RetryAfter(err, d)
		}
		return err
	}
	// 401 and 403 are a token to fix (Telegram's 403: the user blocked
	// the bot, which no retry fixes); 408 and 5xx pass.
	if code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusUnauthorized &&
		(code != http.StatusForbidden || s.preset == config.PresetTelegram) {
		return fmt.Errorf("%w: %w", delivery.ErrPermanent, err)
	}
	return err
}

// retryAfter reads Retry-After (seconds) or Telegram's
// parameters.retry_after.
func retryAfter(resp *http.Response, answer []byte) time.Duration {
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	var r struct {
		Parameters struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if json.Unmarshal(answer, &r) == nil && r.Parameters.RetryAfter > 0 {
		return time.Duration(r.Parameters.RetryAfter) * time.Second
	}
	return 0
}

// retryKey is LINE's retry key for an item: a UUID (the form LINE
// requires) derived from the channel and the idempotency key, so every
// attempt of one item carries the same.
func retryKey(channel, key string) string {
	h := sha256.Sum256([]byte(channel + "\x00" + key))
	h[6] = h[6]&0x0f | 0x40 // version 4 layout (the bits LINE checks)
	h[8] = h[8]&0x3f | 0x80
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// redact keeps a token in the URL (Telegram's bot{token}) out of errors,
// which are logged and shown in the dead letters.
func redact(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "<token>"))
}
