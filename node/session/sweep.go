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
func (s *Store) Sweep(cutoff time.Time, batch int) (int, error) {
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

// RunSweeper expires sessions idle longer than retention every interval,
// at most batch per transaction, until ctx is done.
func (s *Store) RunSweeper(ctx context.Context, retention, interval time.Duration, batch int) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cutoff := s.opts.Now().Add(-retention)
		for {
			n, err := s.Sweep(cutoff, batch)
			if err != nil {
				if ctx.Err() != nil || s.closing.Load() {
					return nil
				}
				s.log.Error("session sweep failed", "err", err)
				break
			}
			if n > 0 {
				s.log.Info("expired idle sessions", "count", n, "idle_since_before", cutoff)
			}
			if n < batch || ctx.Err() != nil {
				break
			}
		}
	}
}
