package session

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// CSAT is the data of an outbox event of kind OutboxCSAT: a customer's
// rating of a chat an agent closed, with the group and agent it belongs to.
type CSAT struct {
	Session string    `json:"session"`
	Score   int       `json:"score"`
	Comment string    `json:"comment,omitempty"`
	Group   string    `json:"group,omitempty"`
	Agent   AgentRef  `json:"agent"`
	Closed  time.Time `json:"chat_closed"`
	TS      time.Time `json:"ts"`
}

// NoteCSAT is the kind of the Note the NoteObservers get, after its
// commit, for each new rating (Store.Rate): attributes "score" (1 to 5),
// "group" and "agent" of the rated chat.
const NoteCSAT = "csat"

func csatNote(id string, seq uint64, c *Chat) Note {
	return Note{Session: id, Seq: seq, Kind: NoteCSAT, TS: c.Rating.TS,
		Attrs: map[string]string{"score": strconv.Itoa(c.Rating.Score), "group": c.Group, "agent": c.Agent.ID}}
}

// Rate stores the customer's rating of the session's last chat that an
// agent closed (Meta.LastChat) and puts a csat event in the outbox, in one
// transaction: durable before it returns. It returns the rated chat, and
// dup when the rating is a repeat of the one stored (same non-empty cid):
// then nothing new was written. Errors: ErrInvalid (see Rating.Check),
// ErrNoSession, ErrNoChat (no agent chat was closed in the session),
// ErrRated (the chat already has another rating).
func (s *Store) Rate(ctx context.Context, id string, r Rating) (chat Chat, dup bool, err error) {
	if err := r.Check(); err != nil {
		return Chat{}, false, err
	}
	res := s.pick(id).wait(ctx, &op{kind: opRate, meta: Meta{ID: id}, rating: r})
	if res.Err != nil {
		return Chat{}, false, res.Err
	}
	c := *res.Meta.LastChat
	if m := s.opts.Metrics; m != nil && !res.Duplicate && m.CSAT != nil {
		m.CSAT.WithLabelValues(c.Group, c.Agent.ID, strconv.Itoa(c.Rating.Score)).Inc()
	}
	return c, res.Duplicate, nil
}

// rate applies opRate inside the committer's transaction.
func (w *writer) rate(o *op) Result {
	st, err := w.state(o.meta.ID)
	if err != nil {
		return Result{Err: err}
	}
	last := st.meta.LastChat
	switch {
	case last == nil:
		return Result{Err: fmt.Errorf("%w: session %s", ErrNoChat, o.meta.ID)}
	case last.Rating != nil && o.rating.CID != "" && last.Rating.CID == o.rating.CID:
		return Result{Meta: st.meta, Duplicate: true}
	case last.Rating != nil:
		return Result{Err: fmt.Errorf("%w: session %s", ErrRated, o.meta.ID)}
	}
	r := o.rating
	r.TS = w.now
	chat := *last
	chat.Rating = &r
	st.meta.LastChat = &chat // replaced, not modified: copies of the Meta share the old one
	st.meta.LastActive = w.now
	if err := w.putMeta(st); err != nil {
		return Result{Err: err}
	}
	ev := CSAT{Session: st.meta.ID, Score: r.Score, Comment: r.Comment, Group: chat.Group, Agent: chat.Agent, Closed: chat.Closed, TS: w.now}
	if err := w.outboxPut(OutboxCSAT, st.meta.ID, st.meta.LastSeq, "", nil, &ev); err != nil {
		return Result{Err: err}
	}
	return Result{Meta: st.meta}
}
