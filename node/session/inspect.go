package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgedesk/edgedesk/node/delivery"
)

// ErrLocked is returned by Inspect when another process (a running node)
// holds the store's file.
var ErrLocked = errors.New("session: the store is in use by another process")

// Inspect reads session id from the store at path (with shards, as Open
// would lay them out) without opening it for writing: a tool's read of a
// stopped node's data. bbolt lets one process hold a file, so a running
// node's store answers ErrLocked after timeout; ask the node then. A
// session unknown to the store is ErrNoSession.
func Inspect(path string, shards int, keys *Keyring, id string, timeout time.Duration) (Meta, []Message, error) {
	if !ValidID(id) {
		return Meta{}, nil, fmt.Errorf("%w: session id %q", ErrInvalid, id)
	}
	if shards <= 0 {
		shards = 1
	}
	i := 0
	if shards > 1 {
		h := fnv.New64a()
		h.Write([]byte(id))
		i = int(h.Sum64() % uint64(shards))
	}
	file := shardPath(path, i, shards)
	if !fileExists(file) {
		return Meta{}, nil, fmt.Errorf("%w (no store at %s)", ErrNoSession, file)
	}
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return Meta{}, nil, fmt.Errorf("%w: %s", ErrLocked, file)
	}
	if err != nil {
		return Meta{}, nil, fmt.Errorf("session: open %s: %w", file, err)
	}
	defer db.Close()
	var meta Meta
	var msgs []Message
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		meta, msgs, err = inspectTx(tx, id, keys)
		return err
	})
	if err != nil {
		return Meta{}, nil, err
	}
	return meta, msgs, nil
}

// inspectTx reads session id, its messages in seq order, in tx.
func inspectTx(tx *bolt.Tx, id string, kr *Keyring) (Meta, []Message, error) {
	var meta Meta
	var msgs []Message
	err := func() error {
		b := tx.Bucket(bucketSessions)
		if b == nil {
			return ErrNoSession
		}
		var err error
		if meta, err = loadMeta(b, id, kr); err != nil {
			return err
		}
		bySeq := map[uint64]Message{}
		decode := func(k, v []byte) error {
			v, err := kr.open(appendAAD(nil, aadMsg, k), v)
			if err != nil {
				return fmt.Errorf("session: message %x: %w", k, err)
			}
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("session: corrupt message %x: %w", k, err)
			}
			bySeq[m.Seq] = m
			return nil
		}
		prefix := append(sidPrefix(id), tagMsg)
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if err := decode(k, v); err != nil {
				return err
			}
		}
		// Messages not yet compacted are in the log, which the running
		// store indexes in memory: scan it (compaction keeps it short).
		if lb := tx.Bucket(bucketLog); lb != nil {
			if err := lb.ForEach(func(k, v []byte) error {
				h, rec, err := parseLogEntry(v)
				if err != nil || h.Session != id {
					return nil
				}
				if _, ok := bySeq[h.Seq]; ok {
					return nil // compacted, not yet trimmed
				}
				return decode(msgKey(h.Session, h.Seq), rec)
			}); err != nil {
				return err
			}
		}
		msgs = make([]Message, 0, len(bySeq))
		for _, m := range bySeq {
			msgs = append(msgs, m)
			meta.LastSeq = max(meta.LastSeq, m.Seq)
		}
		sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
		return nil
	}()
	return meta, msgs, err
}

// Transcript is a session's metadata and its messages, and (read by
// InspectCustomer) its answers waiting to go out through a channel and
// its dead letters.
type Transcript struct {
	Meta           Meta
	Messages       []Message
	Deliveries     []delivery.Item
	DeadDeliveries []delivery.Item
}

// InspectCustomer reads, like Inspect, every session of customer cust
// (Meta.Customer.ID) from the store at path, sorted by id. A customer
// without sessions is no error: the answer is empty.
func InspectCustomer(path string, shards int, keys *Keyring, cust string, timeout time.Duration) ([]Transcript, error) {
	if cust == "" {
		return nil, fmt.Errorf("%w: empty customer id", ErrInvalid)
	}
	if shards <= 0 {
		shards = 1
	}
	var out []Transcript
	for i := range shards {
		file := shardPath(path, i, shards)
		if !fileExists(file) {
			continue
		}
		db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, file)
		}
		if err != nil {
			return nil, fmt.Errorf("session: open %s: %w", file, err)
		}
		err = db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketCustomers)
			ids, err := customerSessions(b, cust)
			if b == nil && tx.Bucket(bucketSessions) != nil {
				// A store from before the index, never opened since: look
				// at every session.
				ids, err = scanCustomer(tx, cust, keys)
			}
			if err != nil {
				return err
			}
			for _, id := range ids {
				meta, msgs, err := inspectTx(tx, id, keys)
				if errors.Is(err, ErrNoSession) {
					continue
				}
				if err != nil {
					return err
				}
				t := Transcript{Meta: meta, Messages: msgs}
				if t.Deliveries, t.DeadDeliveries, err = sessionDeliveriesTx(tx, keys, id); err != nil {
					return err
				}
				out = append(out, t)
			}
			return nil
		})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meta.ID < out[j].Meta.ID })
	return out, nil
}

// scanCustomer finds cust's sessions by reading every session's metadata.
func scanCustomer(tx *bolt.Tx, cust string, kr *Keyring) ([]string, error) {
	var ids []string
	sb := tx.Bucket(bucketSessions)
	idle := tx.Bucket(bucketIdle)
	if idle == nil {
		return nil, nil
	}
	err := idle.ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			return nil
		}
		if m, err := loadMeta(sb, string(k[8:]), kr); err == nil && m.Customer.ID == cust {
			ids = append(ids, m.ID)
		}
		return nil
	})
	return ids, err
}
