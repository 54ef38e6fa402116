package edgesync

import (
	"encoding/json"
	"time"
)

// Kinds of session events: an event's kind is the last token of its
// subject (edgedesk.sessions.<node>.<session>.<kind>).
const (
	KindMessage = "msg"    // Data is the message (JSON)
	KindNote    = "note"   // Data is the note (JSON)
	KindMeta    = "meta"   // Data is the session's metadata after a change (JSON)
	KindExpire  = "expire" // the session was deleted at the edge (Data empty)
)

// Event is one session event: what the publisher sends from an Outbox and
// what FetchHistory reads back from the stream. Data is opaque here: the
// node's session package encodes and decodes it.
//
// Its fields are laid out as the session store's outbox events are, so an
// Outbox converts one into the other by a plain type conversion, with no
// allocation.
type Event struct {
	// Key orders events within a shard of the outbox (Shard says which).
	Key   uint64 `json:"-"`
	Shard int    `json:"-"`
	// ID is unique per event and stable across retries: with the node's
	// name, the core's de-duplication key (Nats-Msg-Id).
	ID      string          `json:"id"`
	Session string          `json:"session"`
	Seq     uint64          `json:"seq,omitempty"` // a message's number in its session
	Kind    string          `json:"kind"`
	TS      time.Time       `json:"ts"` // committed at the edge
	Data    json.RawMessage `json:"data,omitempty"`
}
