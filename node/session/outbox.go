package session

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgedesk/edgedesk/node/internal/jsonw"
)

// The outbox (Options.Outbox) holds every session event — a stored
// message, a note, a metadata change, an expiry — written in the same
// transaction as the change itself, until a publisher (the NATS sync) has
// had it acknowledged by the core and deletes it. So nothing is published
// that did not happen, and nothing that happened is lost however long the
// core is away: the outbox is bounded only by the disk.
//
//	outbox: oseq(8, big endian; the bucket's sequence) → len(sid) (1) sid OutboxEvent (JSON)
//
// The session id in front lets a batch skip a session's later events
// without decoding them.
var bucketOutbox = []byte("outbox")

// Kinds of outbox events.
const (
	OutboxMessage = "msg"    // Data is the Message
	OutboxNote    = "note"   // Data is the Note
	OutboxMeta    = "meta"   // Data is the Meta after a create or update
	OutboxExpire  = "expire" // the session was deleted (Data empty)
)

// OutboxEvent is one session event waiting to be published.
type OutboxEvent struct {
	// Key orders events within a shard (Shard says which).
	Key   uint64 `json:"-"`
	Shard int    `json:"-"`
	// ID is unique per event and stable across retries: the core's
	// de-duplication key (Nats-Msg-Id). Messages use "<session>.<seq>".
	ID      string          `json:"id"`
	Session string          `json:"session"`
	Seq     uint64          `json:"seq,omitempty"`
	Kind    string          `json:"kind"`
	TS      time.Time       `json:"ts"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// outboxPut stages an event in this transaction. raw is the event's data
// already encoded as JSON; when nil, data is encoded.
func (w *writer) outboxPut(kind, sid string, seq uint64, id string, raw []byte, data any) error {
	if !w.s.opts.Outbox || w.importing {
		return nil
	}
	b := w.tx.Bucket(bucketOutbox)
	k, err := b.NextSequence()
	if err != nil {
		return err
	}
	if id == "" {
		id = sid + "." + kind + "." + strconv.FormatUint(k, 10) + "." + strconv.Itoa(w.s.index)
	}
	if raw == nil && data != nil {
		if raw, err = json.Marshal(data); err != nil {
			return err
		}
	}
	// The value is built by hand (it is on every message's commit): the
	// session id in front, then the event as encoding/json would write it.
	v := make([]byte, 0, 96+2*len(sid)+len(id)+len(raw))
	v = append(append(v, byte(len(sid))), sid...)
	v = append(v, `{"id":`...)
	v = jsonw.String(v, id)
	v = append(v, `,"session":`...)
	v = jsonw.String(v, sid)
	if seq != 0 {
		v = append(v, `,"seq":`...)
		v = strconv.AppendUint(v, seq, 10)
	}
	v = append(v, `,"kind":`...)
	v = jsonw.String(v, kind)
	v = append(v, `,"ts":`...)
	v = jsonw.Time(v, w.now)
	if len(raw) > 0 {
		v = append(v, `,"data":`...)
		v = append(v, raw...)
	}
	v = append(v, '}')
	var key [8]byte
	binary.BigEndian.PutUint64(key[:], k)
	if err := b.Put(key[:], v); err != nil {
		return err
	}
	w.outboxAdded++
	return nil
}

// OutboxShards is the number of outboxes (one per shard).
func (s *Store) OutboxShards() int { return len(s.shards) }

// OutboxReady is signalled (never blocking) after a commit added events.
func (s *Store) OutboxReady() <-chan struct{} { return s.outboxReady }

// OutboxDepth is the number of events waiting in all outboxes.
func (s *Store) OutboxDepth() int64 {
	var n int64
	for _, sh := range s.shards {
		n += sh.outboxLen.Load()
	}
	return n
}

// OutboxOldest is the time of the oldest waiting event (zero when empty).
func (s *Store) OutboxOldest() time.Time {
	var oldest time.Time
	for _, sh := range s.shards {
		sh.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketOutbox)
			if b == nil {
				return nil
			}
			if _, v := b.Cursor().First(); v != nil {
				var ev OutboxEvent
				if _, j, ok := splitOutbox(v); ok && json.Unmarshal(j, &ev) == nil && (oldest.IsZero() || ev.TS.Before(oldest)) {
					oldest = ev.TS
				}
			}
			return nil
		})
	}
	return oldest
}

// OutboxBatch returns up to limit waiting events of shard, at most one per
// session: each session's oldest. A publisher that sends a batch and waits
// for all its acknowledgements before the next can therefore never store
// a session's events out of order, even when some sends of a batch fail
// and are retried (the others of the batch belong to other sessions).
// scan bounds the entries looked at.
func (s *Store) OutboxBatch(shard, limit, scan int) ([]OutboxEvent, error) {
	sh := s.shards[shard]
	var out []OutboxEvent
	err := sh.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return nil
		}
		seen := make(map[string]bool)
		c := b.Cursor()
		n := 0
		for k, v := c.First(); k != nil && len(out) < limit && n < scan; k, v = c.Next() {
			n++
			sid, j, ok := splitOutbox(v)
			if !ok {
				return fmt.Errorf("session: corrupt outbox entry %x", k)
			}
			if seen[string(sid)] {
				continue
			}
			seen[string(sid)] = true
			var ev OutboxEvent
			if err := json.Unmarshal(j, &ev); err != nil {
				return fmt.Errorf("session: corrupt outbox entry %x: %w", k, err)
			}
			ev.Key, ev.Shard = binary.BigEndian.Uint64(k), shard
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// OutboxDone deletes published events (their Keys, all of shard) through
// the shard's committer.
func (s *Store) OutboxDone(ctx context.Context, shard int, keys []uint64) error {
	if len(keys) == 0 {
		return nil
	}
	r := s.shards[shard].wait(ctx, &op{kind: opOutboxDone, keys: keys})
	return r.Err
}

// outboxDone deletes keys inside the committer's transaction.
func (w *writer) outboxDone(o *op) Result {
	b := w.tx.Bucket(bucketOutbox)
	if b == nil {
		return Result{}
	}
	var key [8]byte
	n := 0
	for _, k := range o.keys {
		binary.BigEndian.PutUint64(key[:], k)
		if b.Get(key[:]) == nil {
			continue
		}
		if err := b.Delete(key[:]); err != nil {
			return Result{Err: err}
		}
		n++
	}
	w.outboxRemoved += n
	return Result{Count: n}
}

// splitOutbox splits a stored outbox value into its session id and JSON.
func splitOutbox(v []byte) (sid, j []byte, ok bool) {
	if len(v) < 1 || len(v) < 1+int(v[0]) {
		return nil, nil, false
	}
	n := int(v[0])
	return v[1 : 1+n], v[1+n:], true
}
