package session

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Key rotation. A keyring's current key seals every record written; the
// resealer walks each shard's sessions, log and outbox buckets in key
// order and re-seals, in the committer's transactions, the records stored
// in plaintext or under an old key, a bounded batch per transaction, so
// a message waits behind at most one batch. Records written meanwhile are
// sealed with the current key already, so one pass leaves none behind;
// then the old keys may go.

// resealStages are the buckets the resealer walks, in order.
var resealStages = [][]byte{bucketSessions, bucketLog, bucketOutbox}

// resealScanFactor bounds the records one transaction looks at (current
// ones included) to this many times its batch.
const resealScanFactor = 8

// reseal re-seals up to o.limit stale records of the stage o.stage from
// the key after o.from; Result.Count is how many, and the op's from and
// stage say where the next batch starts (stage past the last: done).
func (w *writer) reseal(o *op) Result {
	kr := w.s.opts.Keys
	type put struct{ b, k, v []byte }
	var puts []put
	scanned := 0
	for o.stage < len(resealStages) && len(puts) < o.limit && scanned < resealScanFactor*o.limit {
		name := resealStages[o.stage]
		b := w.tx.Bucket(name)
		if b == nil {
			o.stage, o.from = o.stage+1, nil
			continue
		}
		c := b.Cursor()
		var k, v []byte
		if o.from == nil {
			k, v = c.First()
		} else if k, v = c.Seek(o.from); k != nil && bytes.Equal(k, o.from) {
			k, v = c.Next()
		}
		for ; k != nil && len(puts) < o.limit && scanned < resealScanFactor*o.limit; k, v = c.Next() {
			scanned++
			o.from = bytes.Clone(k)
			nv, err := w.resealValue(kr, name, k, v)
			if err != nil {
				// Left as it is (it opens under no key the store has,
				// or was altered): counted, and the pass goes on.
				o.failed++
				if o.firstErr == nil {
					o.firstErr = fmt.Errorf("%s %x: %w", name, k, err)
				}
				continue
			}
			if nv != nil {
				puts = append(puts, put{name, bytes.Clone(k), nv})
			}
		}
		if k == nil {
			o.stage, o.from = o.stage+1, nil
		}
	}
	for _, p := range puts {
		if err := w.tx.Bucket(p.b).Put(p.k, p.v); err != nil {
			return Result{Err: err}
		}
	}
	return Result{Count: len(puts)}
}

// resealValue returns v sealed with the current key, or nil when it is
// current already (or holds nothing to seal).
func (w *writer) resealValue(kr *Keyring, bucket, k, v []byte) ([]byte, error) {
	switch {
	case bytes.Equal(bucket, bucketSessions):
		i := bytes.IndexByte(k, 0)
		if i < 0 || i+1 >= len(k) || (k[i+1] != tagMsg && k[i+1] != tagMeta) || !kr.stale(v) {
			return nil, nil // cid entries hold seqs
		}
		kind := byte(aadMsg)
		if k[i+1] == tagMeta {
			kind = aadMeta
		}
		aad := appendAAD(nil, kind, k)
		plain, err := kr.open(aad, v)
		if err != nil {
			return nil, err
		}
		return kr.seal(nil, aad, plain), nil
	case bytes.Equal(bucket, bucketLog):
		h, rec, err := parseLogEntry(v)
		if err != nil || !kr.stale(rec) {
			return nil, err
		}
		aad := appendAAD(nil, aadMsg, msgKey(h.Session, h.Seq))
		plain, err := kr.open(aad, rec)
		if err != nil {
			return nil, err
		}
		return kr.seal(bytes.Clone(v[:len(v)-len(rec)]), aad, plain), nil
	default: // outbox
		var ev OutboxEvent
		data, err := outboxHeader(v, &ev)
		if err != nil || data == nil || len(data) == 0 || !kr.stale(data) {
			return nil, err // the earlier layout has no id to bind a seal to: it is published soon
		}
		aad := appendAAD(nil, aadOutbox, []byte(ev.ID))
		plain, err := kr.open(aad, data)
		if err != nil {
			return nil, err
		}
		return kr.seal(bytes.Clone(v[:len(v)-len(data)]), aad, plain), nil
	}
}

// Reseal runs one pass over every shard, batch records per transaction,
// and returns how many records it re-sealed with the current key.
func (s *Store) Reseal(ctx context.Context, batch int) (int, error) {
	if s.opts.Keys == nil {
		return 0, nil
	}
	if batch <= 0 {
		batch = 500
	}
	total := 0
	for _, sh := range s.shards {
		o := &op{kind: opReseal, limit: batch}
		for o.stage < len(resealStages) {
			if err := ctx.Err(); err != nil {
				return total, err
			}
			r := sh.wait(ctx, o)
			total += r.Count
			if r.Err != nil {
				return total, r.Err
			}
		}
		if o.failed > 0 {
			return total, fmt.Errorf("session: %d records of %s were not re-sealed, the first %w", o.failed, sh.opts.Path, o.firstErr)
		}
	}
	return total, nil
}

// RunResealer re-seals every record stored in plaintext or under an old
// key (Reseal), in batches the committer interleaves with the writes. It
// logs when no record needs an old key any more and returns then (or
// when ctx is done, or the store closes); a record it could not re-seal
// is logged as an error and does not stop the node.
func (s *Store) RunResealer(ctx context.Context, batch int) error {
	kr := s.opts.Keys
	if kr == nil {
		return nil
	}
	log := s.shards[0].log
	start := time.Now()
	n, err := s.Reseal(ctx, batch)
	if errors.Is(err, ErrClosed) || ctx.Err() != nil {
		return nil
	}
	if err != nil {
		// A record that opens under no key stays as it is and is
		// reported; the node keeps serving the others.
		log.Error("store re-seal failed: records under an old key remain", "err", err, "resealed", n)
		return nil
	}
	// The pages that held the plaintext or old-key records are free now,
	// but their bytes are still in the file until reused: overwrite them.
	scrubbed := true
	if n > 0 {
		for _, sh := range s.shards {
			ok, err := sh.scrub(ctx)
			if err != nil {
				return nil // closing
			}
			scrubbed = scrubbed && ok
		}
	}
	if m := s.opts.Metrics; m != nil && m.Resealed != nil {
		m.Resealed.Add(float64(n))
	}
	lv := slog.LevelDebug
	if n > 0 {
		lv = slog.LevelInfo
	}
	log.Log(ctx, lv, "store sealed with the current key: no record needs an old key or is plaintext now",
		"key_id", fmt.Sprintf("%08x", kr.CurrentID()), "resealed", n, "freed_pages_scrubbed", scrubbed, "took", time.Since(start).Round(time.Millisecond))
	s.resealed.Store(true)
	return nil
}

// Resealed reports whether RunResealer finished: every record then opens
// with the current key.
func (s *Store) Resealed() bool { return s.resealed.Load() }
