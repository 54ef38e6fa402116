package delivery

import (
	"context"
	"errors"
	"time"
)

// Item is one message to deliver through a channel.
type Item struct {
	// Key is the idempotency key, stable across retries and restarts:
	// "<session id>/<seq>".
	Key string `json:"key"`
	// Channel is the configured channel name ("whatsapp", "email", …).
	Channel   string `json:"channel"`
	SessionID string `json:"session"`
	Seq       uint64 `json:"seq"`
	// To is the recipient on the channel: a phone number, a platform user
	// id, an email address.
	To   string `json:"to"`
	Text string `json:"text"`
	Lang string `json:"lang,omitempty"`
	// NotBefore delays the first attempt (an email sent only if the
	// customer has not read the answer in the widget by then).
	NotBefore time.Time `json:"not_before,omitzero"`
	Created   time.Time `json:"created"`
	// Next is when the queue tries a failed item again.
	Next      time.Time `json:"next,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
}

// Sender delivers items of one channel. Send returns nil once the channel
// accepted the item; an error wrapping ErrPermanent sends the item to the
// dead letters at once, ErrSkip drops it as no longer needed, and any
// other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, it Item) error
}

var (
	// ErrPermanent marks a failure that retrying cannot fix (a 4xx from
	// the platform other than 408/429, a recipient that does not exist).
	ErrPermanent = errors.New("delivery: permanent failure")
	// ErrSkip says the item need not be delivered any more (the customer
	// read the answer in the widget before the email went out).
	ErrSkip = errors.New("delivery: no longer needed")
)
