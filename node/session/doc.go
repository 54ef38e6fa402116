// Package session is the conversation core of an edgedesk node: the one
// internal message model every channel normalises into, the durable session
// store (bbolt), and the hub that pushes each durable message to whoever is
// connected to the session.
//
// It knows nothing of WebSockets or HTTP. The widget gateway, and later agent
// consoles, webhooks and MQTT bridges, sit beside each other on top of it:
// they create or resume sessions, Submit customer messages, Post node
// messages (bot, agent, system), and Subscribe to deliveries.
//
// Invariants:
//   - Every message of a session gets the next seq, starting at 1, with no
//     gaps: seqs are assigned inside the single committing goroutine, in the
//     same bbolt transaction that stores the message.
//   - A message is on disk (the transaction committed and fsynced) before any
//     Done callback, Subscriber or Observer sees it.
//   - A customer message whose cid the session already holds is not stored
//     again; its Result carries the original seq and Duplicate.
//   - Subscribers of a session receive its messages in seq order.
//
// Layout and write path. Sessions are spread over Options.Shards bbolt
// files by a stable hash of their id; each shard has one committing
// goroutine, its only writer. The committer group-commits: it takes every
// request queued while the previous transaction was fsyncing, lingering up
// to Options.Linger for more, so one transaction (two fdatasyncs) carries
// many messages. Messages are appended to the shard's log bucket under
// increasing LSNs — sequential keys, so a commit dirties about one page per
// dozen messages however many sessions it touches — and every commit also
// moves a few sessions' log entries into their clustered per-session key
// ranges (log.go), where replay and idempotence look them up. The committer
// caches each session's metadata (it is the only writer), so a message
// costs no metadata read and, mostly, no metadata write.
//
// Beside messages the store keeps two things for the routing layer and
// the customer: Meta.Waiting marks a conversation waiting for people (a
// message left for a closed team), indexed in a small bucket so that
// Store.Waiting lists those sessions without reading the others; and
// Meta.LastChat, the last chat an agent closed, which Store.Rate rates
// (CSAT) in one transaction with its outbox event (kind csat).
//
// Encryption at rest (seal.go, reseal.go). With Options.Keys, what a
// record says about a customer — messages, session metadata, outbox
// events — is sealed with AES-256-GCM where the store encodes it, under
// the keyring's current key; records of old keys and plaintext ones
// still read, and RunResealer re-seals them after a rotation. Keys and
// ids stay plaintext.
//
// All exported methods are safe for concurrent use.
package session
