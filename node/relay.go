package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// relay routes chats across nodes (routing.Remote). Every node publishes
// its groups in the presence bucket and reads the others'. When routing
// hands a chat to node B, this node (A, the customer's) sends B the
// session; B keeps a mirror of it (session.Store.Mirror) that its agents
// work on, and A pushes B every later message of the session. What B's
// router writes to a mirror — an agent's reply, a notice to the customer,
// typing, the chat's release — goes to A through routerStore, and A
// stores it (durably, with A's seqs) before B acknowledges the agent. So
// the customer's session keeps one owner, one sequence and one outbox.
type relay struct {
	n    *Node
	rl   *edgesync.Relay
	pres *edgesync.Presence
	log  *slog.Logger

	mu     sync.Mutex
	nodes  map[string]remoteNode // other nodes' presence, as received
	handed map[string]string     // session → the node serving its chat
	groups atomic.Pointer[[]routing.GroupPresence]
	built  atomic.Int64 // when groups was built (unix nanoseconds)
}

type remoteNode struct {
	seen   time.Time // when received (this node's clock)
	groups []routing.GroupPresence
}

// presenceDoc is a node's value in the presence bucket.
type presenceDoc struct {
	Node   string                  `json:"node"`
	At     time.Time               `json:"at"`
	Groups []routing.GroupPresence `json:"groups"`
}

func newRelay(n *Node) *relay {
	r := &relay{n: n, log: n.log.With("component", "relay"), nodes: map[string]remoteNode{}, handed: map[string]string{}}
	r.groups.Store(&[]routing.GroupPresence{})
	return r
}

// local is this node's presence document.
func (r *relay) local() []byte {
	r.rebuild() // drops nodes gone silent, at the publishing pace
	b, _ := json.Marshal(presenceDoc{Node: r.n.cfg.NATS.NodeName(), At: time.Now().UTC(), Groups: r.n.router.Presence()})
	return b
}

// update takes another node's presence (nil: deleted).
func (r *relay) update(node string, value []byte) {
	r.mu.Lock()
	if value == nil {
		delete(r.nodes, node)
	} else {
		var doc presenceDoc
		if err := json.Unmarshal(value, &doc); err != nil {
			r.mu.Unlock()
			r.log.Warn("presence unreadable", "node", node, "err", err)
			return
		}
		for i := range doc.Groups {
			doc.Groups[i].Node = node
		}
		r.nodes[node] = remoteNode{seen: time.Now(), groups: doc.Groups}
	}
	r.mu.Unlock()
	r.rebuild()
}

// rebuild refreshes the snapshot routing reads under its lock.
func (r *relay) rebuild() {
	r.mu.Lock()
	var all []routing.GroupPresence
	for name, rn := range r.nodes {
		if time.Since(rn.seen) > edgesync.PresenceTTL {
			delete(r.nodes, name)
			continue
		}
		all = append(all, rn.groups...)
	}
	r.mu.Unlock()
	r.groups.Store(&all)
	r.built.Store(time.Now().UnixNano())
}

// Groups implements routing.Remote. A snapshot not rebuilt for a TTL (the
// presence watch stopped) is not trusted.
func (r *relay) Groups() []routing.GroupPresence {
	if time.Since(time.Unix(0, r.built.Load())) > edgesync.PresenceTTL {
		return nil
	}
	return *r.groups.Load()
}

// handoffDoc carries a chat to the node that will serve it.
type handoffDoc struct {
	Meta       session.Meta      `json:"meta"`
	Messages   []session.Message `json:"messages"`
	Escalation convo.Escalation  `json:"escalation"`
	Group      string            `json:"group"`
}

// Handoff implements routing.Remote: node gets the session (a mirror)
// and routes the chat among its agents.
func (r *relay) Handoff(node string, h routing.Handoff) error {
	sid := h.Escalation.Session
	meta, err := r.n.store.Get(sid)
	if err != nil {
		return err
	}
	// From here on every new message of the session is pushed to node; a
	// message stored between this and the history read is a gap node
	// fills by asking.
	r.mu.Lock()
	r.handed[sid] = node
	r.mu.Unlock()
	msgs, err := r.n.store.Messages(sid, 0, 0)
	if err == nil {
		var b []byte
		b, err = json.Marshal(handoffDoc{Meta: meta, Messages: msgs, Escalation: h.Escalation, Group: h.Group})
		if err == nil {
			_, err = r.rl.Request(context.Background(), node, "handoff", b)
		}
	}
	if err != nil {
		r.mu.Lock()
		delete(r.handed, sid)
		r.mu.Unlock()
		return err
	}
	r.log.Info("chat handed to another node", "session", sid, "node", node, "group", h.Group)
	return nil
}

// OnMessage implements session.Observer: a message of a chat served by
// another node is pushed there.
func (r *relay) OnMessage(m *session.Message) {
	r.mu.Lock()
	node := r.handed[m.Session]
	r.mu.Unlock()
	if node == "" {
		return
	}
	b, err := json.Marshal([]*session.Message{m})
	if err == nil {
		err = r.rl.Send(node, "msgs", b)
	}
	if err != nil {
		r.log.Warn("message not pushed to the serving node (it asks for gaps)", "session", m.Session, "node", node, "err", err)
	}
}

// servedBy reports whether from serves sid's chat (requests about a
// session come only from the node it was handed to). After a restart
// here the session's stored route says so.
func (r *relay) servedBy(sid, from string) error {
	if from == "" {
		return errors.New("relay request without its node")
	}
	r.mu.Lock()
	node := r.handed[sid]
	r.mu.Unlock()
	if node == from {
		return nil
	}
	if node == "" {
		if meta, err := r.n.store.Get(sid); err == nil && convo.Handed(&meta) && routeNode(meta.Route) == from {
			r.mu.Lock()
			r.handed[sid] = from
			r.mu.Unlock()
			return nil
		}
	}
	return fmt.Errorf("session %s is not handed to %s", sid, from)
}

// routeNode is the node a stored routing decision handed the chat to.
func routeNode(route json.RawMessage) string {
	var d struct {
		Node string `json:"node"`
	}
	if json.Unmarshal(route, &d) != nil {
		return ""
	}
	return d.Node
}

type metaDoc struct {
	Session string          `json:"session"`
	Route   json.RawMessage `json:"route,omitempty"`
	Release bool            `json:"release,omitempty"`
	// LastChat is the chat an agent there closed (with Release): the
	// customer's rating belongs to it.
	LastChat *session.Chat `json:"last_chat,omitempty"`
}

type signalDoc struct {
	Session  string            `json:"session"`
	Kind     session.EventKind `json:"kind"`
	From     session.From      `json:"from,omitempty"`
	On       bool              `json:"on,omitempty"`
	Position int               `json:"position,omitempty"`
	ETASec   int               `json:"eta,omitempty"`
	Group    string            `json:"group,omitempty"`
}

type historyDoc struct {
	Session string `json:"session"`
	After   uint64 `json:"after"`
}

// HandleRelay implements edgesync.RelayHandler.
func (r *relay) HandleRelay(ctx context.Context, from, op string, data []byte) ([]byte, error) {
	switch op {
	case "handoff": // here: the serving node
		var h handoffDoc
		if err := json.Unmarshal(data, &h); err != nil {
			return nil, err
		}
		if from == "" {
			return nil, errors.New("relay request without its node")
		}
		if have, err := r.n.store.Get(h.Meta.ID); err == nil && have.Origin != from {
			return nil, fmt.Errorf("session %s exists here and is not a mirror of %s", h.Meta.ID, from)
		}
		h.Meta.Origin = from
		if _, err := r.n.store.Mirror(ctx, h.Meta, h.Messages); err != nil && !errors.Is(err, session.ErrGap) {
			return nil, err
		}
		// A mirror kept from an earlier handoff takes the conversation
		// state the chat has now.
		if _, err := r.n.store.Update(ctx, h.Meta.ID, func(m *session.Meta) error {
			m.Conv, m.Origin = h.Meta.Conv, from
			return nil
		}); err != nil {
			return nil, err
		}
		r.n.router.Escalate(h.Escalation)
		return nil, nil
	case "msgs": // here: the serving node
		var msgs []session.Message
		if err := json.Unmarshal(data, &msgs); err != nil || len(msgs) == 0 {
			return nil, fmt.Errorf("bad messages: %v", err)
		}
		return nil, r.mirror(ctx, from, msgs[0].Session, msgs)
	case "post": // here: the customer's node
		var m session.Message
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		if err := r.servedBy(m.Session, from); err != nil {
			return nil, err
		}
		if m.From != session.FromAgent && m.From != session.FromSystem {
			return nil, fmt.Errorf("a relayed message must be from an agent or the system, not %q", m.From)
		}
		m.Seq, m.TS = 0, time.Time{}
		stored, err := r.n.store.Post(ctx, m)
		if err != nil {
			return nil, err
		}
		return json.Marshal(stored)
	case "meta": // here: the customer's node
		var d metaDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		if err := r.servedBy(d.Session, from); err != nil {
			return nil, err
		}
		// The serving node's decision, marked with that node (so a restart
		// here still knows who serves the chat).
		var route map[string]any
		if len(d.Route) > 0 {
			if err := json.Unmarshal(d.Route, &route); err != nil {
				return nil, fmt.Errorf("route: %w", err)
			}
			route["node"] = from
		}
		// Nobody there after all (the serving node takes a message): the
		// chat is no longer held, and the customer's next message is
		// routed again.
		if route["outcome"] == string(routing.Message) {
			r.n.router.Forget(d.Session)
		}
		if _, err := r.n.store.Update(ctx, d.Session, func(m *session.Meta) error {
			if route != nil {
				b, err := json.Marshal(route)
				if err != nil {
					return err
				}
				m.Route = b
			}
			if d.Release {
				if d.LastChat != nil {
					m.LastChat = d.LastChat
				}
				return convo.Release(m)
			}
			return nil
		}); err != nil {
			return nil, err
		}
		if d.Release {
			r.mu.Lock()
			delete(r.handed, d.Session)
			r.mu.Unlock()
			r.n.router.Forget(d.Session)
			r.log.Info("chat given back by its serving node", "session", d.Session, "node", from)
		}
		return nil, nil
	case "signal": // here: the customer's node
		var d signalDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		if err := r.servedBy(d.Session, from); err != nil {
			return nil, err
		}
		if d.Kind != session.EventTyping && d.Kind != session.EventQueue {
			return nil, fmt.Errorf("signal kind %d", d.Kind)
		}
		r.n.store.Signal(d.Session, &session.Event{Kind: d.Kind, From: d.From, On: d.On, Position: d.Position, ETASec: d.ETASec, Group: d.Group}, 0)
		return nil, nil
	case "history": // here: the customer's node
		var d historyDoc
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, err
		}
		if err := r.servedBy(d.Session, from); err != nil {
			return nil, err
		}
		msgs, err := r.n.store.Messages(d.Session, d.After, 0)
		if err != nil {
			return nil, err
		}
		return json.Marshal(msgs)
	}
	return nil, fmt.Errorf("unknown relay request %q", op)
}

// mirror adds pushed messages to a mirror, asking the origin for any it
// missed.
func (r *relay) mirror(ctx context.Context, from, sid string, msgs []session.Message) error {
	meta, err := r.n.store.Get(sid)
	if err != nil {
		return err
	}
	if from == "" || meta.Origin != from {
		return fmt.Errorf("session %s is not mirrored from %q", sid, from)
	}
	meta, err = r.n.store.Mirror(ctx, session.Meta{ID: sid}, msgs)
	if !errors.Is(err, session.ErrGap) {
		return err
	}
	b, _ := json.Marshal(historyDoc{Session: sid, After: meta.LastSeq})
	out, err := r.rl.Request(ctx, from, "history", b)
	if err != nil {
		return err
	}
	var missing []session.Message
	if err := json.Unmarshal(out, &missing); err != nil {
		return err
	}
	_, err = r.n.store.Mirror(ctx, session.Meta{ID: sid}, missing)
	return err
}

// routerStore is the session store as the router sees it: on a mirror,
// what the router writes goes to the node serving the customer.
type routerStore struct {
	*session.Store
	relay *atomic.Pointer[relay]
}

func (s routerStore) origin(id string) (*relay, string, session.Meta) {
	r := s.relay.Load()
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
func (s routerStore) Post(ctx context.Context, m session.Message) (session.Message, error) {
	r, origin, _ := s.origin(m.Session)
	if r == nil {
		return s.Store.Post(ctx, m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return session.Message{}, err
	}
	out, err := r.rl.Request(ctx, origin, "post", b)
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
func (s routerStore) Update(ctx context.Context, id string, fn func(*session.Meta) error) (session.Meta, error) {
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
	if _, err := r.rl.Request(ctx, origin, "meta", b); err != nil {
		return before, err
	}
	return s.Store.Update(ctx, id, fn)
}

// Signal sends a transient event; on a mirror, to the customer's node.
func (s routerStore) Signal(id string, ev *session.Event, originSub uint64) {
	r, origin, _ := s.origin(id)
	if r == nil {
		s.Store.Signal(id, ev, originSub)
		return
	}
	b, _ := json.Marshal(signalDoc{Session: id, Kind: ev.Kind, From: ev.From, On: ev.On, Position: ev.Position, ETASec: ev.ETASec, Group: ev.Group})
	if err := r.rl.Send(origin, "signal", b); err != nil {
		r.log.Debug("signal not relayed", "session", id, "err", err)
	}
}
