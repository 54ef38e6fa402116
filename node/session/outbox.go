package session

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The outbox (Options.Outbox) holds every session event — a stored
// message, a note, a metadata change, an expiry — written in the same
// transaction as the change itself, until a publisher (the NATS sync) has
// had it acknowledged by the core and deletes it. So nothing is published
// that did not happen, and nothing that happened is lost however long the
// core is away: the outbox is bounded only by the disk.
//
//	outbox: oseq(8, big endian; the bucket's sequence) → 0x00 event
//	event:  len(sid) (1) sid · uvarint(seq) · len(kind) (1) kind ·
//	        ts (8, unix nanoseconds, big endian) · uvarint(len(id)) id · data
//
// A binary layout: a draining publisher reads tens of thousands of events
// a second, and decoding JSON was most of its cost. Values that start
// with a non-zero byte are the earlier layout, len(sid) sid followed by
// the event as JSON, and are still read.
var bucketOutbox = []byte("outbox")

// Kinds of outbox events.
const (
	OutboxMessage = "msg"    // Data is the Message
	OutboxNote    = "note"   // Data is the Note
	OutboxMeta    = "meta"   // Data is the Meta after a create or update
	OutboxExpire  = "expire" // the session was deleted (Data empty)
	OutboxCSAT    = "csat"   // Data is the CSAT rating of a chat
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
	if st := w.s.states[sid]; st != nil && st.meta.Origin != "" {
		return nil // a mirror: the node serving its customer syncs it
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
	if len(sid) > 255 || len(kind) > 255 {
		return fmt.Errorf("session: outbox: session id or kind too long")
	}
	v := make([]byte, 0, 3+len(sid)+binary.MaxVarintLen64+len(kind)+8+binary.MaxVarintLen64+len(id)+len(raw)+sealOverhead)
	v = append(v, 0, byte(len(sid)))
	v = append(v, sid...)
	v = binary.AppendUvarint(v, seq)
	v = append(v, byte(len(kind)))
	v = append(v, kind...)
	v = binary.BigEndian.AppendUint64(v, uint64(w.now.UnixNano()))
	v = binary.AppendUvarint(v, uint64(len(id)))
	v = append(v, id...)
	v = w.s.opts.Keys.seal(v, appendAAD(nil, aadOutbox, []byte(id)), raw)
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
				if decodeOutbox(v, &ev, sh.opts.Keys) == nil && (oldest.IsZero() || ev.TS.Before(oldest)) {
					oldest = ev.TS
				}
			}
			return nil
		})
	}
	return oldest
}

// OutboxBatch returns the oldest limit waiting events of shard with a key
// above after, in the order they were committed (so each session's events
// are in order). A
// publisher that stores a batch atomically and waits for it before the
// next can never store a session's events out of order or with gaps.
func (s *Store) OutboxBatch(shard int, after uint64, limit int) ([]OutboxEvent, error) {
	sh := s.shards[shard]
	var out []OutboxEvent
	err := sh.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox)
		if b == nil {
			return nil
		}
		var from [8]byte
		binary.BigEndian.PutUint64(from[:], after+1)
		c := b.Cursor()
		for k, v := c.Seek(from[:]); k != nil && len(out) < limit; k, v = c.Next() {
			var ev OutboxEvent
			if err := decodeOutbox(v, &ev, sh.opts.Keys); err != nil {
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

var errCorruptOutbox = errors.New("truncated or malformed")

// decodeOutbox decodes a stored outbox value (either layout). Data is
// copied: bbolt's memory is only valid inside the transaction.
func decodeOutbox(v []byte, ev *OutboxEvent, kr *Keyring) error {
	p, err := outboxHeader(v, ev)
	if err != nil || p == nil {
		return err
	}
	ev.Data = nil
	if isSealed(p) {
		plain, err := kr.open(appendAAD(nil, aadOutbox, []byte(ev.ID)), p)
		if err != nil {
			return err
		}
		ev.Data = plain
	} else if len(p) > 0 {
		ev.Data = append(json.RawMessage(nil), p...)
	}
	return nil
}

// outboxHeader decodes all but the data of a stored outbox value and
// returns the data as stored (sealed or not); a value of the earlier
// layout is decoded whole, and its data is nil.
func outboxHeader(v []byte, ev *OutboxEvent) ([]byte, error) {
	if len(v) == 0 {
		return nil, errCorruptOutbox
	}
	if v[0] != 0 { // the earlier layout: len(sid) sid JSON
		n := int(v[0])
		if len(v) < 1+n {
			return nil, errCorruptOutbox
		}
		return nil, json.Unmarshal(v[1+n:], ev)
	}
	p := v[1:]
	str := func(n int) (string, bool) {
		if n < 0 || len(p) < n {
			return "", false
		}
		s := string(p[:n])
		p = p[n:]
		return s, true
	}
	var ok bool
	if len(p) < 1 {
		return nil, errCorruptOutbox
	}
	n := int(p[0])
	p = p[1:]
	if ev.Session, ok = str(n); !ok {
		return nil, errCorruptOutbox
	}
	seq, m := binary.Uvarint(p)
	if m <= 0 {
		return nil, errCorruptOutbox
	}
	ev.Seq, p = seq, p[m:]
	if len(p) < 1 {
		return nil, errCorruptOutbox
	}
	n = int(p[0])
	p = p[1:]
	if ev.Kind, ok = str(n); !ok || len(p) < 8 {
		return nil, errCorruptOutbox
	}
	ev.TS = time.Unix(0, int64(binary.BigEndian.Uint64(p))).UTC()
	p = p[8:]
	idLen, m := binary.Uvarint(p)
	if m <= 0 || idLen > uint64(len(p)) {
		return nil, errCorruptOutbox
	}
	p = p[m:]
	if ev.ID, ok = str(int(idLen)); !ok {
		return nil, errCorruptOutbox
	}
	return p, nil
}
