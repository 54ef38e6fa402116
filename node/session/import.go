package session

import (
	"context"
	"fmt"
	"sort"
)

// Import stores a session served elsewhere (its history fetched from the
// core) so that this node can resume it: the metadata and the messages keep
// their seqs, and new messages continue after the last. A session that
// already exists here is left alone (ErrInvalid). Imported messages are
// not put in the outbox: the core has them.
func (s *Store) Import(ctx context.Context, meta Meta, msgs []Message) error {
	if !ValidID(meta.ID) {
		return fmt.Errorf("%w: session id %q", ErrInvalid, meta.ID)
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
	for i := range msgs {
		if msgs[i].Session != meta.ID || msgs[i].Seq != uint64(i+1) {
			return fmt.Errorf("%w: imported history of %s is not seqs 1..%d", ErrInvalid, meta.ID, len(msgs))
		}
	}
	r := s.pick(meta.ID).wait(ctx, &op{kind: opImport, meta: meta, msgs: msgs})
	return r.Err
}

// importSession writes an imported session inside the committer's
// transaction.
func (w *writer) importSession(o *op) Result {
	m := o.meta
	if w.b.Get(metaKey(m.ID)) != nil {
		return Result{Err: fmt.Errorf("%w: session %q exists", ErrInvalid, m.ID)}
	}
	w.importing = true // keep the messages' times; the core has them: no outbox
	defer func() { w.importing = false }()
	m.LastSeq = 0
	if m.LastActive.IsZero() {
		m.LastActive = w.now
	}
	st := &sessState{meta: m}
	if err := w.putMeta(st); err != nil {
		return Result{Err: err}
	}
	w.s.states[m.ID] = st
	for _, msg := range o.msgs {
		if _, err := w.put(st, msg); err != nil {
			return Result{Err: err}
		}
	}
	return Result{Meta: st.meta}
}
