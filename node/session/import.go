package session

import (
	"context"
	"errors"
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

// Mirror keeps here a copy of a session that another node serves (its
// customer is there; an agent here answers it): it creates the session
// from meta if it is new, and appends those of msgs that continue it,
// keeping their seqs and times. Messages it already has are skipped; a
// message past the next seq fails with ErrGap and nothing of msgs after
// it is stored. Mirrored messages reach this node's subscribers (agents)
// but not the observers (the bot) nor the outbox: the serving node
// answers and syncs the session.
func (s *Store) Mirror(ctx context.Context, meta Meta, msgs []Message) (Meta, error) {
	if !ValidID(meta.ID) {
		return Meta{}, fmt.Errorf("%w: session id %q", ErrInvalid, meta.ID)
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
	for i := range msgs {
		if msgs[i].Session != meta.ID || msgs[i].Seq == 0 {
			return Meta{}, fmt.Errorf("%w: mirrored message of %q (session %q, seq %d)", ErrInvalid, meta.ID, msgs[i].Session, msgs[i].Seq)
		}
	}
	r := s.pick(meta.ID).wait(ctx, &op{kind: opMirror, meta: meta, msgs: msgs})
	return r.Meta, r.Err
}

// mirror applies opMirror; it reports whether it created the session.
// The stored messages are returned in Result.Replies for delivery.
func (w *writer) mirror(o *op) (Result, bool) {
	st, err := w.state(o.meta.ID)
	created := false
	if errors.Is(err, ErrNoSession) {
		m := o.meta
		m.LastSeq = 0
		if m.LastActive.IsZero() {
			m.LastActive = w.now
		}
		st = &sessState{meta: m}
		if err := w.putMeta(st); err != nil {
			return Result{Err: err}, false
		}
		w.s.states[m.ID] = st
		created = true
	} else if err != nil {
		return Result{Err: err}, false
	}
	w.importing = true
	defer func() { w.importing = false }()
	var stored []Message
	for _, msg := range o.msgs {
		if msg.Seq <= st.meta.LastSeq {
			continue
		}
		if msg.Seq != st.meta.LastSeq+1 {
			return Result{Meta: st.meta, Replies: stored, Err: fmt.Errorf("%w: %s has seq %d, got %d", ErrGap, o.meta.ID, st.meta.LastSeq, msg.Seq)}, created
		}
		m, err := w.put(st, msg)
		if err != nil {
			return Result{Err: err}, created // a bbolt failure: the transaction is rolled back
		}
		stored = append(stored, m)
	}
	return Result{Meta: st.meta, Replies: stored}, created
}
