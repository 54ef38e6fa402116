package analytics

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The bbolt buckets of analytics.db.
var (
	bucketHours       = []byte("hours")       // "yyyymmddhh/group" → Counts (JSON)
	bucketUnpublished = []byte("unpublished") // the same keys, not yet with the core
	bucketMeta        = []byte("meta")        // "since": the first hour recorded
)

var keySince = []byte("since")

// openDB opens analytics.db and reads every bucket of the retention back.
func openDB(path string) (*bolt.DB, map[key]*Counts, int64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("analytics: open %s: %w", path, err)
	}
	buckets := map[key]*Counts{}
	var since int64
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketHours, bucketUnpublished, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if v := tx.Bucket(bucketMeta).Get(keySince); len(v) > 0 {
			t, err := time.Parse(time.RFC3339, string(v))
			if err != nil {
				return fmt.Errorf("meta since %q: %w", v, err)
			}
			since = t.Unix()
		}
		return tx.Bucket(bucketHours).ForEach(func(k, v []byte) error {
			kk, ok := parseDBKey(k)
			if !ok {
				return fmt.Errorf("bad key %q", k)
			}
			c := &Counts{}
			if err := json.Unmarshal(v, c); err != nil {
				return fmt.Errorf("bucket %s: %w", k, err)
			}
			buckets[kk] = c
			return nil
		})
	})
	if err != nil {
		db.Close()
		return nil, nil, 0, fmt.Errorf("analytics: read %s: %w", path, err)
	}
	return db, buckets, since, nil
}

// write stores the given buckets and marks them unpublished, in one
// transaction; since is recorded once.
func write(db *bolt.DB, batch map[key][]byte, since int64, publish bool) error {
	return db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keySince) == nil && since != 0 {
			if err := meta.Put(keySince, []byte(time.Unix(since, 0).UTC().Format(time.RFC3339))); err != nil {
				return err
			}
		}
		hours, unpub := tx.Bucket(bucketHours), tx.Bucket(bucketUnpublished)
		for k, v := range batch {
			dk := k.dbKey()
			if err := hours.Put(dk, v); err != nil {
				return err
			}
			if publish {
				if err := unpub.Put(dk, nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// prune deletes the buckets of hours before cutoff (and their marks).
func prune(db *bolt.DB, cutoff int64) (int, error) {
	limit := []byte(hourID(cutoff))
	n := 0
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketHours, bucketUnpublished} {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.First(); k != nil && string(k[:min(len(k), 10)]) < string(limit); k, _ = c.First() {
				if err := c.Delete(); err != nil {
					return err
				}
				if name[0] == 'h' {
					n++
				}
			}
		}
		return nil
	})
	return n, err
}

// unpublished returns up to limit buckets not yet with the core, oldest
// first, with their JSON.
func unpublished(db *bolt.DB, limit int) (keys []key, data [][]byte, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		hours := tx.Bucket(bucketHours)
		c := tx.Bucket(bucketUnpublished).Cursor()
		for k, _ := c.First(); k != nil && len(keys) < limit; k, _ = c.Next() {
			kk, ok := parseDBKey(k)
			v := hours.Get(k)
			if !ok || v == nil {
				continue
			}
			keys = append(keys, kk)
			data = append(data, append([]byte(nil), v...))
		}
		return nil
	})
	return keys, data, err
}

// published clears the marks of buckets the core has, unless a write
// since changed the bucket again (its JSON differs from what was sent).
func published(db *bolt.DB, keys []key, sent [][]byte) error {
	return db.Update(func(tx *bolt.Tx) error {
		hours, unpub := tx.Bucket(bucketHours), tx.Bucket(bucketUnpublished)
		for i, k := range keys {
			dk := k.dbKey()
			if string(hours.Get(dk)) != string(sent[i]) {
				continue
			}
			if err := unpub.Delete(dk); err != nil {
				return err
			}
		}
		return nil
	})
}
