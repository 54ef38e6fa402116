// Package delivery is the durable queue of messages going out through a
// channel the node does not hold a socket for: a messaging platform's send
// API (WhatsApp, Telegram, LINE, a generic webhook) or an SMTP relay.
//
// A pending delivery is recorded in the same bbolt transaction as the
// message it carries (node/session writes it beside the sync outbox), so a
// reply is never stored without its delivery, nor delivered without being
// stored. Workers send each item through the channel's Sender, retry with
// exponential backoff and jitter, and move an item that keeps failing (or
// fails permanently) to a dead-letter list the admin API shows and can
// retry. Each item carries an idempotency key (session id and seq) so a
// platform that supports one never shows a reply twice.
package delivery
