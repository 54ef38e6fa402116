package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sweep deletes up to batch sessions idle since before cutoff, in one
// transaction, skipping sessions with a live subscriber. It returns how many
// it deleted; a caller loops while the result equals batch.
func (s *Store) Sweep(cutoff time.Time, batch int) (int, error) {
	if s.closing.Load() {
		return 0, ErrClosed
	}
	deleted := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		deleted = 0
		idle, sessions := tx.Bucket(bucketIdle), tx.Bucket(bucketSessions)
		c := idle.Cursor()
		var doomed [][]byte
		for k, _ := c.First(); k != nil && len(doomed) < batch; k, _ = c.Next() {
			// The index is coarse (idleGranularity): it finds candidates,
			// and each one's exact LastActive decides.
			if len(k) < 8 || time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).After(cutoff) {
				break
			}
			id := string(k[8:])
			if s.Connected(id) {
				continue
			}
			var m Meta
			if v := sessions.Get(metaKey(id)); v != nil {
				if err := json.Unmarshal(v, &m); err == nil && m.LastActive.After(cutoff) {
					continue
				}
			}
			doomed = append(doomed, bytes.Clone(k))
		}
		for _, k := range doomed {
			if err := idle.Delete(k); err != nil {
				return err
			}
			if err := deletePrefix(sessions, sidPrefix(string(k[8:]))); err != nil {
				return err
			}
			deleted++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if deleted > 0 {
		s.count.Add(-int64(deleted))
		if m := s.opts.Metrics; m != nil {
			m.Expired.Add(float64(deleted))
			m.Sessions.Set(float64(s.count.Load()))
		}
	}
	return deleted, nil
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
