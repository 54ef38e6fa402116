package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sweep deletes up to batch idle sessions per shard (see shard.Sweep) and
// returns how many it deleted in all. The OnExpire hooks run before it
// returns.
func (s *Store) Sweep(cutoff time.Time, batch int) (int, error) {
	total := 0
	for _, sh := range s.shards {
		n, err := s.sweepShard(sh, cutoff, batch)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// OnExpire registers fn to be told which of this node's sessions a sweep
// deleted (their metadata as last stored; mirrors of other nodes'
// sessions are left out), after the commit that deleted them. fn runs on
// the sweeping goroutine (RunSweeper's, or Sweep's caller), so it may do
// I/O, but the next sweep batch waits for it; it must not keep or modify
// expired. The node deletes the sessions' uploaded files with it
// (Meta.Uploads names them): package session knows nothing of files.
func (s *Store) OnExpire(fn func(expired []Meta)) {
	for {
		old := s.expire.Load()
		var list []func([]Meta)
		if old != nil {
			list = append(list, *old...)
		}
		list = append(list, fn)
		if s.expire.CompareAndSwap(old, &list) {
			return
		}
	}
}

// sweepShard runs one sweep batch on sh and tells the OnExpire hooks.
func (s *Store) sweepShard(sh *shard, cutoff time.Time, batch int) (int, error) {
	r := sh.wait(context.Background(), &op{kind: opSweep, cutoff: cutoff, limit: batch})
	if p := s.expire.Load(); p != nil && len(r.Expired) > 0 {
		for _, fn := range *p {
			fn(r.Expired)
		}
	}
	return r.Count, r.Err
}

// RunSweeper expires sessions idle longer than retention every interval,
// at most batch per shard transaction, until ctx is done.
func (s *Store) RunSweeper(ctx context.Context, retention, interval time.Duration, batch int) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	log := s.shards[0].log
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		cutoff := s.shards[0].opts.Now().Add(-retention)
		for _, sh := range s.shards {
			for ctx.Err() == nil {
				n, err := s.sweepShard(sh, cutoff, batch)
				if err != nil {
					if !errors.Is(err, ErrClosed) {
						log.Error("session sweep failed", "err", err)
					}
					break
				}
				if n > 0 {
					log.Info("expired idle sessions", "count", n, "idle_since_before", cutoff)
				}
				if n < batch {
					break
				}
			}
		}
		if pr := s.opts.ProfileRetention; pr > 0 {
			s.sweepProfiles(ctx, s.shards[0].opts.Now().Add(-pr), batch)
		}
	}
}

// sweepProfiles runs ForgetProfiles until it has nothing left before
// cutoff.
func (s *Store) sweepProfiles(ctx context.Context, cutoff time.Time, batch int) {
	log := s.shards[0].log
	for ctx.Err() == nil {
		n, err := s.ForgetProfiles(cutoff, batch)
		if err != nil {
			if !errors.Is(err, ErrClosed) {
				log.Error("profile retention sweep failed", "err", err)
			}
			return
		}
		if n > 0 {
			log.Info("cleared customers' names and emails past the profile retention", "count", n, "idle_since_before", cutoff)
		}
		if n < batch {
			return
		}
	}
}

// sweep (an opSweep: Store.sweepShard) deletes up to o.limit sessions
// idle since before o.cutoff, in one transaction of the committer (so it
// is ordered with writes), skipping sessions with a live subscriber. A
// caller loops while Count equals the limit.
func (w *writer) sweep(o *op) Result {
	c := w.idle.Cursor()
	var doomed [][]byte
	var expired []Meta
	for k, _ := c.First(); k != nil && len(doomed) < o.limit; k, _ = c.Next() {
		// The index is coarse (idleGranularity): it finds candidates, and
		// each one's exact LastActive decides.
		if len(k) < 8 || time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).After(o.cutoff) {
			break
		}
		id := string(k[8:])
		if w.s.Connected(id) {
			continue
		}
		if st, err := w.state(id); err == nil && st.meta.LastActive.After(o.cutoff) {
			continue
		}
		doomed = append(doomed, bytes.Clone(k))
	}
	for _, k := range doomed {
		id := string(k[8:])
		meta := Meta{ID: id}
		if st, err := w.state(id); err == nil {
			meta = st.meta
		}
		mirror := meta.Origin != ""
		if err := w.idle.Delete(k); err != nil {
			return Result{Err: err}
		}
		if err := deletePrefix(w.b, sidPrefix(id)); err != nil {
			return Result{Err: err}
		}
		if err := w.tx.Bucket(bucketWaiting).Delete([]byte(id)); err != nil {
			return Result{Err: err}
		}
		if meta.Customer.ID != "" {
			if err := w.tx.Bucket(bucketCustomers).Delete(customerKey(meta.Customer.ID, id)); err != nil {
				return Result{Err: err}
			}
		}
		if ts := w.s.tail.sessions[id]; ts != nil {
			var key [8]byte
			for _, e := range ts.entries {
				binary.BigEndian.PutUint64(key[:], e.lsn)
				if err := w.log.Delete(key[:]); err != nil {
					return Result{Err: err}
				}
			}
		}
		if !mirror {
			if err := w.outboxPut(OutboxExpire, id, 0, "", nil, nil); err != nil {
				return Result{Err: err}
			}
			expired = append(expired, meta)
		}
		w.dropped = append(w.dropped, id)
		delete(w.s.states, id)
	}
	return Result{Count: len(doomed), Expired: expired}
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
