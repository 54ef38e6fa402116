package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"
)

// ForgetProfiles clears the customer's name and email (Meta.Customer) of
// up to batch sessions per shard idle since before cutoff, and reports
// how many it changed: the profile retention (store.profile_retention),
// shorter than the sessions' own (Options.Retention's caller, Sweep).
// The customer id and tier stay, so the session is still found, exported
// and erased by customer. Nothing is published: the core keeps what it
// received for as long as its streams do. A caller loops while the count
// equals batch.
func (s *Store) ForgetProfiles(cutoff time.Time, batch int) (int, error) {
	total := 0
	for _, sh := range s.shards {
		r := sh.wait(context.Background(), &op{kind: opProfiles, cutoff: cutoff, limit: batch})
		total += r.Count
		if r.Err != nil {
			return total, r.Err
		}
	}
	return total, nil
}

// forgetProfiles (an opProfiles) walks the idle index from where the last
// call stopped (profilesFrom: the sessions before it were cleared then,
// and any of them active since moved its key past it) up to o.cutoff.
func (w *writer) forgetProfiles(o *op) Result {
	c := w.idle.Cursor()
	k, _ := c.First()
	if from := w.s.profilesFrom; from != nil {
		k, _ = c.Seek(from)
	}
	// Collect first: bbolt cursors do not survive writes to their bucket,
	// and putMeta writes the idle key.
	var doomed []*sessState
	var last []byte
	for ; k != nil && len(doomed) < o.limit; k, _ = c.Next() {
		if len(k) < 8 || time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))).After(o.cutoff) {
			break
		}
		st, err := w.state(string(k[8:]))
		if err != nil || st.meta.LastActive.After(o.cutoff) {
			continue
		}
		if st.meta.Customer.Name == "" && st.meta.Customer.Email == "" {
			continue
		}
		doomed = append(doomed, st)
		last = bytes.Clone(k)
	}
	for _, st := range doomed {
		st.meta.Customer.Name, st.meta.Customer.Email = "", ""
		// putMeta keeps the idle key: LastActive does not change.
		if err := w.putMeta(st); err != nil {
			return Result{Err: err}
		}
	}
	n := len(doomed)
	if n < o.limit {
		// Done up to the cutoff: the next pass starts at its granule.
		w.s.profilesFrom = idleKey(o.cutoff, "")
	} else {
		w.s.profilesFrom = last
	}
	return Result{Count: n}
}
