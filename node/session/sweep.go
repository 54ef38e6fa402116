package session

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sweep deletes up to batch sessions idle since before cutoff, in one
// transaction of the committer (so it is ordered with writes), skipping
// sessions with a live subscriber. It returns how many it deleted; a caller
// loops while the result equals batch.
func (s *shard) Sweep(cutoff time.Time, batch int) (int, error) {
	r := s.wait(context.Background(), &op{kind: opSweep, cutoff: cutoff, limit: batch})
	return r.Count, r.Err
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}
