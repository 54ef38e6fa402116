package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Turn is one new customer message handed to Options.Respond inside the
// transaction that stores it. Whatever the responder adds — replies, a new
// conversation state, notes — commits with the message or not at all, so a
// crash never leaves a question answered twice or a flow step half taken,
// and one fsync covers both: the answer costs no commit of its own.
type Turn struct {
	// Meta is the session as of this message. Read-only: change Conv.
	Meta *Meta
	// Msg is the customer's message as stored (Seq and TS set). Read-only.
	Msg *Message
	// Now is the commit's clock.
	Now time.Time
	// Reopened is set when the message reopened a session the customer
	// had closed (bye).
	Reopened bool
	// Conv starts as Meta.Conv; set it to change the session's
	// conversation state.
	Conv json.RawMessage
	// Replies are appended after Msg, in order. The store sets Session,
	// Seq and TS, From to bot when empty and ReplyTo to Msg.Seq when zero;
	// a reply that fails Message.Check is dropped and logged.
	Replies []Message
	// Notes are conversation events (an escalation, a finished flow) for
	// the NoteObservers, delivered after the commit.
	Notes []Note
}

// Note is a conversation event: something the bot decided that other
// components act on (routing takes escalations; sync ships flow results).
type Note struct {
	Session string `json:"session"`
	// Seq is the customer message that led to it.
	Seq   uint64            `json:"seq"`
	Kind  string            `json:"kind"`
	Attrs map[string]string `json:"attrs,omitempty"`
	TS    time.Time         `json:"ts"`
}

// NoteObserver is an Observer that also sees Notes, after their commit, on
// the committing goroutine: it must return quickly.
type NoteObserver interface {
	Observer
	OnNote(n *Note)
}

// respond runs Options.Respond for msg, just stored, and stages its
// replies and state. An error is the transaction's.
func (w *writer) respond(st *sessState, msg *Message, reopened bool) ([]Message, []Note, error) {
	meta := st.meta
	t := Turn{Meta: &meta, Msg: msg, Now: w.now, Conv: st.meta.Conv, Reopened: reopened}
	if !w.callResponder(&t) {
		return nil, nil, nil
	}
	if !bytes.Equal(t.Conv, st.meta.Conv) {
		st.meta.Conv, st.dirty = bytes.Clone(t.Conv), true
	}
	var replies []Message
	for _, r := range t.Replies {
		r.Session, r.CID = msg.Session, ""
		if r.From == "" {
			r.From = FromBot
		}
		if r.ReplyTo == 0 {
			r.ReplyTo = msg.Seq
		}
		if err := r.Check(); err != nil {
			w.s.log.Error("responder reply dropped", "session", msg.Session, "err", err)
			continue
		}
		stored, err := w.put(st, r)
		if err != nil {
			return nil, nil, err
		}
		replies = append(replies, stored)
	}
	if st.dirty {
		if err := w.putMeta(st); err != nil {
			return nil, nil, err
		}
	}
	if !bytes.Equal(meta.Conv, st.meta.Conv) { // the conversation moved: the core hears of it
		if err := w.outboxPut(OutboxMeta, msg.Session, 0, "", nil, &st.meta); err != nil {
			return nil, nil, err
		}
	}
	for i := range t.Notes {
		n := &t.Notes[i]
		n.Session, n.Seq, n.TS = msg.Session, msg.Seq, w.now
		id := msg.Session + "." + strconv.FormatUint(msg.Seq, 10) + ".note." + strconv.Itoa(i)
		if err := w.outboxPut(OutboxNote, msg.Session, msg.Seq, id, nil, n); err != nil {
			return nil, nil, err
		}
	}
	return replies, t.Notes, nil
}

// callResponder runs the responder, turning a panic into a logged error
// so that one bad answer cannot stop the committer.
func (w *writer) callResponder(t *Turn) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			w.s.log.Error("responder panicked; message stored unanswered", "session", t.Msg.Session, "seq", t.Msg.Seq, "panic", fmt.Sprint(p))
			ok = false
		}
	}()
	w.s.opts.Respond(t)
	return true
}
