// Package webhook is the messaging platforms' channel: it takes their
// webhooks (POST /v1/channels/<name>/webhook, and WhatsApp's verification
// GET), verifies each request's signature over the raw body before
// parsing it, turns the payload into messages by the channel's mapping
// of JSON pointers (a preset per platform: WhatsApp Cloud API, Telegram
// Bot API, LINE Messaging API, a generic signed JSON), and stores them
// through the one way every channel does (session.Opener, Store.Submit),
// answering 200 only once they are durable. Answers go back out through
// the delivery queue (node/delivery) by this package's Senders.
//
// A platform retries a webhook it did not see answered: each message is
// stored under its platform message id (its cid), so a retry stores
// nothing twice and is still answered 200.
//
// A Channel is safe for concurrent use.
package webhook
