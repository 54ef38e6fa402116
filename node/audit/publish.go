package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Publisher hands an entry to the core. data is the entry's JSON, key its
// Key: the same entry may come again after a failure or a restart (an
// acknowledgement lost), with the same key.
type Publisher interface {
	PublishAudit(ctx context.Context, key string, data []byte) error
}

// publishBatch is the most entries one round hands over.
const publishBatch = 256

// Run ingests the CLI's pending entries, hands unsent entries to the
// Publisher and sweeps old ones, until ctx is done. It returns nil then.
func (l *Log) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sweep := time.NewTicker(l.o.SweepInterval)
	defer sweep.Stop()
	l.sweep()
	backoff := time.Duration(0)
	for {
		l.ingest(ctx)
		if l.o.Publisher != nil {
			n, err := l.Publish(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				backoff = min(max(2*backoff, 100*time.Millisecond), 30*time.Second)
				l.log.Warn("audit entries not with the core yet; they stay in audit.db", "err", err, "retry_in", backoff)
			case err == nil && n == publishBatch:
				backoff = 0
				continue // more are waiting
			default:
				backoff = 0
			}
		}
		var retry <-chan time.Time
		if backoff > 0 {
			retry = time.After(backoff)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-retry:
		case <-l.ready:
			if backoff > 0 {
				continue // a failure: wait for retry, not for traffic
			}
		case <-tick.C:
		case <-sweep.C:
			l.sweep()
		}
	}
}

func (l *Log) sweep() {
	n, err := l.Sweep()
	switch {
	case err != nil:
		l.log.Error("audit sweep failed", "err", err)
	case n > 0:
		l.log.Info("audit entries past retention deleted", "entries", n, "before", l.retentionStart().Format(time.RFC3339))
	}
}

// Publish hands up to publishBatch unsent entries to the Publisher,
// oldest first, and unmarks those it took. It returns how many it took.
func (l *Log) Publish(ctx context.Context) (int, error) {
	type item struct {
		key  Key
		data []byte
	}
	var items []item
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return 0, ErrClosed
	}
	err := l.db.View(func(tx *bolt.Tx) error {
		entries := tx.Bucket(bucketEntries)
		c := tx.Bucket(bucketUnsent).Cursor()
		for k, _ := c.First(); k != nil && len(items) < publishBatch; k, _ = c.Next() {
			v := entries.Get(k)
			if v == nil {
				continue // swept meanwhile
			}
			var it item
			copy(it.key[:], k)
			it.data = append([]byte(nil), v...)
			items = append(items, it)
		}
		return nil
	})
	l.mu.RUnlock()
	if err != nil {
		return 0, fmt.Errorf("audit: unsent entries: %w", err)
	}
	done := make([]Key, 0, len(items))
	var perr error
	for _, it := range items {
		if !json.Valid(it.data) {
			perr = fmt.Errorf("audit: entry %s is not JSON", it.key)
			break
		}
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		perr = l.o.Publisher.PublishAudit(cctx, it.key.String(), it.data)
		cancel()
		if perr != nil {
			break
		}
		done = append(done, it.key)
	}
	if len(done) > 0 {
		l.mu.RLock()
		if l.closed {
			err = ErrClosed
		} else {
			err = l.db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketUnsent)
				for _, k := range done {
					if err := b.Delete(k[:]); err != nil {
						return err
					}
				}
				return nil
			})
		}
		l.mu.RUnlock()
		if err != nil {
			return 0, fmt.Errorf("audit: unmark sent entries: %w", err)
		}
	}
	return len(done), perr
}

// Unsent is the number of entries the core has not acknowledged yet.
func (l *Log) Unsent() (int, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return 0, ErrClosed
	}
	n := 0
	err := l.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketUnsent).Stats().KeyN
		return nil
	})
	return n, err
}
