package translate

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketText     = []byte("translations") // key → 8-byte unix nanos + text
	bucketAge      = []byte("age")          // 8-byte unix nanos + key → nil, oldest first
	bucketGlossary = []byte("glossary")
	keyTerms       = []byte("terms")
	keySealedWith  = []byte("sealed_with") // in bucketGlossary: the sealing key's id, or absent
)

// Sealer seals values at rest (session.Keyring: AES-256-GCM, the store's
// key). Seal appends plain sealed under aad to dst; Open returns the
// plaintext of a value Seal made; ID names the sealing key.
type Sealer interface {
	Seal(dst, aad, plain []byte) []byte
	Open(aad, v []byte) ([]byte, error)
	CurrentID() uint32
}

// cache is the bbolt cache of translations and the glossary's home. The
// translations are disposable (written without fsync: a crash loses some,
// which are translated again); the glossary is synced on every change.
type cache struct {
	db         *bolt.DB
	maxEntries int
	maxAge     time.Duration
	n          atomic.Int64 // entries in bucketText
	// sealer seals each cached text (nil: plaintext). A cache written
	// under another key, or none, is emptied when opened: it is only a
	// cache, and a customer's words must not stay readable on disk.
	sealer Sealer
}

func openCache(path string, maxEntries int, maxAge time.Duration, timeout time.Duration, sealer Sealer) (*cache, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, NoSync: true, NoFreelistSync: true})
	if err != nil {
		return nil, fmt.Errorf("translate: cache %s: %w", path, err)
	}
	c := &cache{db: db, maxEntries: maxEntries, maxAge: maxAge, sealer: sealer}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketText, bucketAge, bucketGlossary} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		var want []byte
		if sealer != nil {
			want = binary.BigEndian.AppendUint32(nil, sealer.CurrentID())
		}
		gb := tx.Bucket(bucketGlossary)
		if !bytes.Equal(gb.Get(keySealedWith), want) {
			if err := c.clearTx(tx); err != nil {
				return err
			}
			if want == nil {
				return gb.Delete(keySealedWith)
			}
			if err := gb.Put(keySealedWith, want); err != nil {
				return err
			}
		}
		c.n.Store(int64(tx.Bucket(bucketText).Stats().KeyN))
		return nil
	})
	if err == nil {
		err = db.Sync()
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("translate: cache %s: %w", path, err)
	}
	return c, nil
}

// cacheKey is the key of a translation: every input that changes it.
func cacheKey(route, from, to, glossary, text string) []byte {
	h := sha256.New()
	for _, s := range []string{route, base(from), base(to), glossary, text} {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(s)))
		h.Write(l[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

// get returns a cached translation younger than maxAge.
func (c *cache) get(key []byte, now time.Time) (string, bool) {
	var out string
	var ok bool
	_ = c.db.View(func(tx *bolt.Tx) error { // a read of an open bucket cannot fail
		v := tx.Bucket(bucketText).Get(key)
		if len(v) < 8 {
			return nil
		}
		ts := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
		if c.maxAge > 0 && now.Sub(ts) > c.maxAge {
			return nil
		}
		text := v[8:]
		if c.sealer != nil {
			var err error
			if text, err = c.sealer.Open(key, text); err != nil {
				return nil // unreadable: a miss, translated again
			}
		}
		out, ok = string(text), true
		return nil
	})
	return out, ok
}

// put stores a translation and evicts what is past maxAge or over
// maxEntries, oldest first. An Update, not a Batch: without fsync a write
// is quick, and Batch would hold the message for its 10 ms window.
func (c *cache) put(key []byte, text string, now time.Time) error {
	return c.db.Update(func(tx *bolt.Tx) error {
		tb, ab := tx.Bucket(bucketText), tx.Bucket(bucketAge)
		if old := tb.Get(key); len(old) >= 8 {
			if err := ab.Delete(append(old[:8:8], key...)); err != nil {
				return err
			}
		} else {
			c.n.Add(1)
		}
		var ts [8]byte
		binary.BigEndian.PutUint64(ts[:], uint64(now.UnixNano()))
		var v []byte
		if c.sealer != nil {
			v = c.sealer.Seal(ts[:], key, []byte(text))
		} else {
			v = append(ts[:], text...)
		}
		if err := tb.Put(key, v); err != nil {
			return err
		}
		if err := ab.Put(append(ts[:], key...), nil); err != nil {
			return err
		}
		// Evict: everything too old, and enough of the oldest to leave a
		// tenth of room, so eviction runs once per many puts.
		over := int(c.n.Load()) - c.maxEntries
		if over > 0 {
			over += c.maxEntries / 10
		}
		cur := ab.Cursor()
		for k, _ := cur.First(); k != nil && len(k) > 8; k, _ = cur.First() {
			old := time.Unix(0, int64(binary.BigEndian.Uint64(k)))
			if over <= 0 && (c.maxAge <= 0 || now.Sub(old) <= c.maxAge) {
				break
			}
			if err := tb.Delete(k[8:]); err != nil {
				return err
			}
			if err := cur.Delete(); err != nil {
				return err
			}
			c.n.Add(-1)
			over--
		}
		return nil
	})
}

// clear drops every cached translation (the glossary changed).
func (c *cache) clearTx(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketText, bucketAge} {
		if err := tx.DeleteBucket(b); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(b); err != nil {
			return err
		}
	}
	c.n.Store(0)
	return nil
}

// glossary reads the stored terms.
func (c *cache) glossary() ([]Term, error) {
	var terms []Term
	err := c.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketGlossary).Get(keyTerms)
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &terms)
	})
	if err != nil {
		return nil, fmt.Errorf("translate: reading the glossary: %w", err)
	}
	return terms, nil
}

// setGlossary stores terms durably and empties the translation cache in
// the same transaction.
func (c *cache) setGlossary(terms []Term) error {
	data, err := json.Marshal(terms)
	if err != nil {
		return err
	}
	err = c.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketGlossary).Put(keyTerms, data); err != nil {
			return err
		}
		return c.clearTx(tx)
	})
	if err == nil {
		err = c.db.Sync()
	}
	if err != nil {
		return fmt.Errorf("translate: storing the glossary: %w", err)
	}
	return nil
}

func (c *cache) close() error { return c.db.Close() }
