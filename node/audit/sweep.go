package audit

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// sweepBatch is the most entries one sweep transaction deletes: a large
// backlog goes in several short transactions, never one that holds the
// writer lock for long.
const sweepBatch = 1000

// Sweep deletes the entries older than the retention and returns how
// many. It is the only deletion of the log (Run calls it every
// SweepInterval). Entries still unsent go too: the retention is the
// merchant's promise, and the core keeps its own.
func (l *Log) Sweep() (int, error) {
	cut := timeKey(l.o.Now().Add(-l.o.Retention))
	total := 0
	for {
		n, err := l.sweepOnce(cut)
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}

func (l *Log) sweepOnce(cut []byte) (int, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return 0, ErrClosed
	}
	n := 0
	err := l.db.Update(func(tx *bolt.Tx) error {
		entries, unsent := tx.Bucket(bucketEntries), tx.Bucket(bucketUnsent)
		c := entries.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, cut) < 0 && n < sweepBatch; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			if err := unsent.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("audit: sweep: %w", err)
	}
	return n, nil
}

// retentionStart is the oldest time the log keeps.
func (l *Log) retentionStart() time.Time { return l.o.Now().Add(-l.o.Retention) }
