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
// Writes are group-committed: the committer takes every request queued while
// the previous transaction was being fsynced (up to MaxBatch) into the next
// transaction. Under load a commit carries hundreds of messages for the cost
// of one fsync; when idle a single message commits at once, without waiting
// for a timer (bbolt's own DB.Batch waits up to MaxBatchDelay, which would
// dominate receipt latency).
//
// All exported methods are safe for concurrent use.
package session
