package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgedesk/edgedesk/node/delivery"
)

// Pending deliveries (node/delivery) are written by the committer in the
// transaction of the message they carry, so a reply to a customer on a
// messaging platform or by email is never stored without its delivery, nor
// delivered without being stored. Options.Deliver decides, for each bot,
// agent and system message, whether it goes out and where; the store
// knows only the session's metadata, never a transport.
//
//	deliveries: sid 0x00 seq(8, big endian) → delivery.Item (JSON, sealed)
//	dead:       sid 0x00 seq(8, big endian) → delivery.Item (JSON, sealed)
//
// Keyed by session then seq, a session's pending items are in order, and
// the first of each session (its head) is found by seeking past the
// previous session's keys: the worker sends only heads, so a session's
// replies leave in order however long one of them is retried.
var (
	bucketDeliveries = []byte("deliveries")
	bucketDead       = []byte("dead")
)

const aadDelivery = 'd'

// ErrNoDelivery is returned for a delivery key the store does not hold.
var ErrNoDelivery = errors.New("session: no such delivery")

func deliveryKey(sid string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(sid), 0), seq)
}

// parseDeliveryKey splits an Item.Key ("<session>/<seq>").
func parseDeliveryKey(key string) (string, uint64, error) {
	i := strings.LastIndexByte(key, '/')
	if i < 1 {
		return "", 0, fmt.Errorf("%w: delivery key %q (want <session>/<seq>)", ErrInvalid, key)
	}
	seq, err := strconv.ParseUint(key[i+1:], 10, 64)
	if err != nil || !ValidID(key[:i]) {
		return "", 0, fmt.Errorf("%w: delivery key %q (want <session>/<seq>)", ErrInvalid, key)
	}
	return key[:i], seq, nil
}

// DeliveryKey is the idempotency key of message seq of session sid.
func DeliveryKey(sid string, seq uint64) string { return sid + "/" + strconv.FormatUint(seq, 10) }

// deliveryPut stages msg's delivery, if Options.Deliver wants one, in this
// transaction.
func (w *writer) deliveryPut(st *sessState, msg *Message) error {
	if w.s.opts.Deliver == nil || w.importing || msg.From == FromCustomer || st.meta.Origin != "" {
		return nil
	}
	it, ok := w.s.opts.Deliver(&st.meta, msg)
	if !ok {
		return nil
	}
	it.Key, it.SessionID, it.Seq = DeliveryKey(msg.Session, msg.Seq), msg.Session, msg.Seq
	if tr := msg.Translation; it.Text == "" && tr != nil && tr.Status == TranslationDone && tr.Text != "" {
		// An agent's reply translated into the customer's language: the
		// customer reads the translation there, as in the widget.
		it.Text, it.Lang = tr.Text, tr.To
	}
	if it.Text == "" {
		it.Text = msg.Text
	}
	if it.Lang == "" {
		it.Lang = msg.Lang
	}
	it.Created = w.now
	w.deliveriesAdded++
	return putItem(w.tx.Bucket(bucketDeliveries), w.s.opts.Keys, deliveryKey(msg.Session, msg.Seq), &it)
}

func putItem(b *bolt.Bucket, kr *Keyring, k []byte, it *delivery.Item) error {
	v, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return b.Put(k, kr.seal(nil, appendAAD(nil, aadDelivery, k), v))
}

func getItem(kr *Keyring, k, v []byte) (delivery.Item, error) {
	var it delivery.Item
	plain, err := kr.open(appendAAD(nil, aadDelivery, k), v)
	if err != nil {
		return it, fmt.Errorf("session: delivery %x: %w", k, err)
	}
	if err := json.Unmarshal(plain, &it); err != nil {
		return it, fmt.Errorf("session: corrupt delivery %x: %w", k, err)
	}
	return it, nil
}

// DeliveryReady is signalled (never blocking) after a commit added
// pending deliveries.
func (s *Store) DeliveryReady() <-chan struct{} { return s.deliveryReady }

// DeliveryHeads returns the first pending delivery of each session that
// has one, up to limit per shard: the items a worker may send now or
// later (their Next and NotBefore say when). A session's later items
// become heads once the earlier ones are done or dead.
func (s *Store) DeliveryHeads(limit int) ([]delivery.Item, error) {
	var out []delivery.Item
	for _, sh := range s.shards {
		err := sh.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketDeliveries)
			c := b.Cursor()
			n := 0
			for k, v := c.First(); k != nil && n < limit; n++ {
				it, err := getItem(sh.opts.Keys, k, v)
				if err != nil {
					return err
				}
				out = append(out, it)
				i := bytes.IndexByte(k, 0)
				if i < 0 {
					return fmt.Errorf("session: corrupt delivery key %x", k)
				}
				next := append(bytes.Clone(k[:i]), 1) // past this session's keys
				k, v = c.Seek(next)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Deliveries lists pending (dead false) or dead-lettered items in key
// order, up to limit of them after the key after ("" from the start):
// the admin API's pages.
func (s *Store) Deliveries(dead bool, after string, limit int) ([]delivery.Item, error) {
	bucket := bucketDeliveries
	if dead {
		bucket = bucketDead
	}
	var from []byte
	if after != "" {
		sid, seq, err := parseDeliveryKey(after)
		if err != nil {
			return nil, err
		}
		from = deliveryKey(sid, seq)
	}
	var out []delivery.Item
	for _, sh := range s.shards {
		err := sh.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			k, v := c.First()
			if from != nil {
				if k, v = c.Seek(from); k != nil && bytes.Equal(k, from) {
					k, v = c.Next()
				}
			}
			for n := 0; k != nil && n < limit; k, v = c.Next() {
				it, err := getItem(sh.opts.Keys, k, v)
				if err != nil {
					return err
				}
				out = append(out, it)
				n++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// Shards are merged by key, then cut to one page.
	sortItems(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortItems(items []delivery.Item) {
	less := func(a, b *delivery.Item) bool {
		if a.SessionID != b.SessionID {
			return a.SessionID < b.SessionID
		}
		return a.Seq < b.Seq
	}
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && less(&items[j], &items[j-1]); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// SessionDeliveries returns session id's pending and dead-lettered items
// (a customer's export).
func (s *Store) SessionDeliveries(id string) (pending, dead []delivery.Item, err error) {
	sh := s.pick(id)
	err = sh.db.View(func(tx *bolt.Tx) error {
		pending, dead, err = sessionDeliveriesTx(tx, sh.opts.Keys, id)
		return err
	})
	return pending, dead, err
}

// sessionDeliveriesTx reads session id's pending and dead items in tx (a
// store from before the queue has neither bucket).
func sessionDeliveriesTx(tx *bolt.Tx, kr *Keyring, id string) (pending, dead []delivery.Item, err error) {
	prefix := append([]byte(id), 0)
	for _, l := range []struct {
		b   []byte
		out *[]delivery.Item
	}{{bucketDeliveries, &pending}, {bucketDead, &dead}} {
		b := tx.Bucket(l.b)
		if b == nil {
			continue
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			it, err := getItem(kr, k, v)
			if err != nil {
				return nil, nil, err
			}
			*l.out = append(*l.out, it)
		}
	}
	return pending, dead, nil
}

// DeliveryCounts returns how many items are pending and dead-lettered.
func (s *Store) DeliveryCounts() (pending, dead int) {
	for _, sh := range s.shards {
		sh.db.View(func(tx *bolt.Tx) error {
			pending += tx.Bucket(bucketDeliveries).Stats().KeyN
			dead += tx.Bucket(bucketDead).Stats().KeyN
			return nil
		})
	}
	return pending, dead
}

// Delivery outcomes an opDelivery applies.
const (
	deliveryDone   = iota // delivered or skipped: delete
	deliveryRetry         // failed: keep it with it's attempts and next time
	deliveryDead          // failed for good: move it to the dead letters
	deliveryRevive        // a dead letter to be tried again: move it back
)

// DeliveryDone deletes a pending item: it was delivered or is no longer
// needed. An item already gone (erased with its session) is no error.
func (s *Store) DeliveryDone(ctx context.Context, key string) error {
	return s.deliveryOp(ctx, key, deliveryDone, delivery.Item{})
}

// DeliveryRetry records a failed attempt of a pending item: it.Attempts,
// it.LastError and it.Next as the worker set them.
func (s *Store) DeliveryRetry(ctx context.Context, it delivery.Item) error {
	return s.deliveryOp(ctx, it.Key, deliveryRetry, it)
}

// DeliveryDead moves a pending item to the dead letters, as it is given.
func (s *Store) DeliveryDead(ctx context.Context, it delivery.Item) error {
	return s.deliveryOp(ctx, it.Key, deliveryDead, it)
}

// DeliveryRevive moves a dead letter back to the pending items with its
// attempts reset, to be sent at once (in its session's order). It fails
// with ErrNoDelivery for a key that is not a dead letter.
func (s *Store) DeliveryRevive(ctx context.Context, key string) (delivery.Item, error) {
	sid, _, err := parseDeliveryKey(key)
	if err != nil {
		return delivery.Item{}, err
	}
	r := s.pick(sid).wait(ctx, &op{kind: opDelivery, stage: deliveryRevive, meta: Meta{ID: key}})
	if r.Err != nil {
		return delivery.Item{}, r.Err
	}
	return r.item, nil
}

func (s *Store) deliveryOp(ctx context.Context, key string, outcome int, it delivery.Item) error {
	sid, _, err := parseDeliveryKey(key)
	if err != nil {
		return err
	}
	r := s.pick(sid).wait(ctx, &op{kind: opDelivery, stage: outcome, meta: Meta{ID: key}, item: it})
	return r.Err
}

// deliveryApply is an opDelivery in the committer's transaction.
func (w *writer) deliveryApply(o *op) Result {
	sid, seq, err := parseDeliveryKey(o.meta.ID)
	if err != nil {
		return Result{Err: err}
	}
	k := deliveryKey(sid, seq)
	pb, db := w.tx.Bucket(bucketDeliveries), w.tx.Bucket(bucketDead)
	kr := w.s.opts.Keys
	switch o.stage {
	case deliveryDone:
		return Result{Err: pb.Delete(k)}
	case deliveryRetry, deliveryDead:
		if pb.Get(k) == nil {
			return Result{} // erased meanwhile: nothing to record
		}
		it := o.item
		if o.stage == deliveryRetry {
			return Result{Err: putItem(pb, kr, k, &it)}
		}
		if err := putItem(db, kr, k, &it); err != nil {
			return Result{Err: err}
		}
		return Result{Err: pb.Delete(k)}
	case deliveryRevive:
		v := db.Get(k)
		if v == nil {
			return Result{Err: fmt.Errorf("%w: %s is not a dead letter", ErrNoDelivery, o.meta.ID)}
		}
		it, err := getItem(kr, k, v)
		if err != nil {
			return Result{Err: err}
		}
		it.Attempts, it.Next, it.NotBefore = 0, time.Time{}, time.Time{}
		if err := putItem(pb, kr, k, &it); err != nil {
			return Result{Err: err}
		}
		w.deliveriesAdded++
		return Result{Err: db.Delete(k), item: it}
	}
	return Result{Err: fmt.Errorf("%w: delivery outcome %d", ErrInvalid, o.stage)}
}

// deliveriesForget deletes session id's pending and dead items (with the
// session: expiry, erasure).
func (w *writer) deliveriesForget(id string) error {
	prefix := append([]byte(id), 0)
	if err := deletePrefix(w.tx.Bucket(bucketDeliveries), prefix); err != nil {
		return err
	}
	return deletePrefix(w.tx.Bucket(bucketDead), prefix)
}
