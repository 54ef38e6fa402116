// Package relay routes chats across nodes: it implements routing.Remote
// over the requests between nodes (edgesync's relay subjects) and the
// presence bucket every node publishes its agent groups in.
//
// When routing hands a chat to node B, this node (A, the customer's)
// sends B the session (OpHandoff); B keeps a mirror of it
// (session.Store.Mirror) that its agents work on, and A pushes B every
// later message of the session (OpMsgs). What B's router writes to a
// mirror — an agent's reply (OpPost), a notice to the customer, typing
// (OpSignal), the routing decision or the chat's release (OpMeta) — goes
// to A through RouterStore, and A stores it (durably, with A's seqs)
// before B acknowledges the agent; B asks A for messages its mirror
// missed (OpHistory).
//
// Invariants:
//   - The customer's session keeps one owner, one sequence and one
//     outbox: the customer's node. A mirror is never synced by the node
//     that holds it.
//   - The customer's node takes OpPost, OpMeta, OpSignal and OpHistory
//     about a session only from the node its chat is handed to (checked
//     in one place, HandleRelay; after a restart the session's stored
//     route says which node that is). A mirror takes OpMsgs only from
//     its origin, and OpHandoff never replaces a session that is not a
//     mirror of the sender.
//   - Another node's presence counts for PresenceTTL after it arrived; a
//     snapshot not rebuilt for that long (the watch stopped) is not
//     trusted at all.
//
// It reaches NATS only through Transport (which *edgesync.Relay
// satisfies) and the node only through Options: the session store, the
// router, the node's name, a logger. node/corelink delivers other nodes'
// requests (HandleRelay) and presence (Update) and publishes Local.
//
// A Relay is safe for concurrent use: requests are answered each on its
// own goroutine.
package relay
