package relay

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/session"
)

// RouterStore is the session store as the router sees it
// (routing.Store): on a mirror, what the router writes goes to the node
// serving the customer, through the relay Relay points to. The router is
// built before the relay (which needs the router), hence the pointer:
// until it is set, and on a node alone, every write is local.
type RouterStore struct {
	*session.Store
	Relay *atomic.Pointer[Relay]
}

// origin returns, for a mirror, the relay and the customer's node.
func (s RouterStore) origin(id string) (*Relay, string, session.Meta) {
	if s.Relay == nil {
		return nil, "", session.Meta{}
	}
	r := s.Relay.Load()
	if r == nil {
		return nil, "", session.Meta{}
	}
	meta, err := s.Store.Get(id)
	if err != nil || meta.Origin == "" {
		return nil, "", meta
	}
	return r, meta.Origin, meta
}

// Post stores m; on a mirror, at the customer's node first (which gives
// it its seq), then here.
func (s RouterStore) Post(ctx context.Context, m session.Message) (session.Message, error) {
	r, origin, _ := s.origin(m.Session)
	if r == nil {
		return s.Store.Post(ctx, m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return session.Message{}, err
	}
	out, err := r.t.Request(ctx, origin, OpPost, b)
	if err != nil {
		return session.Message{}, err
	}
	var stored session.Message
	if err := json.Unmarshal(out, &stored); err != nil {
		return session.Message{}, err
	}
	if err := r.mirror(ctx, origin, m.Session, []session.Message{stored}); err != nil {
		r.log.Warn("relayed message not mirrored yet", "session", m.Session, "err", err)
	}
	return stored, nil
}

// Update changes the metadata; on a mirror, the routing decision and a
// release (the chat given back to the bot) go to the customer's node
// first, so a failure leaves both nodes as they were.
func (s RouterStore) Update(ctx context.Context, id string, fn func(*session.Meta) error) (session.Meta, error) {
	r, origin, before := s.origin(id)
	if r == nil {
		return s.Store.Update(ctx, id, fn)
	}
	after := before
	after.Conv, after.Route = slices.Clone(before.Conv), slices.Clone(before.Route)
	if err := fn(&after); err != nil {
		return before, err
	}
	d := metaDoc{Session: id, Release: convo.Handed(&before) && !convo.Handed(&after)}
	if d.Release && after.LastChat != before.LastChat {
		d.LastChat = after.LastChat
	}
	if !slices.Equal(before.Route, after.Route) {
		d.Route = after.Route
	}
	b, _ := json.Marshal(d)
	if _, err := r.t.Request(ctx, origin, OpMeta, b); err != nil {
		return before, err
	}
	return s.Store.Update(ctx, id, fn)
}

// Signal sends a transient event; on a mirror, to the customer's node.
func (s RouterStore) Signal(id string, ev *session.Event, originSub uint64) {
	r, origin, _ := s.origin(id)
	if r == nil {
		s.Store.Signal(id, ev, originSub)
		return
	}
	b, _ := json.Marshal(signalDoc{Session: id, Kind: ev.Kind, From: ev.From, On: ev.On, Position: ev.Position, ETASec: ev.ETASec, Group: ev.Group})
	if err := r.t.Send(origin, OpSignal, b); err != nil {
		r.log.Debug("signal not relayed", "session", id, "err", err)
	}
}
