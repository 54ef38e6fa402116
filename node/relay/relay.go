package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// The requests between nodes (the last token of edgedesk.relay.<node>.<op>).
const (
	// OpHandoff gives the serving node a chat: the session, its messages,
	// the escalation (to the serving node).
	OpHandoff = "handoff"
	// OpMsgs pushes the customer's later messages (to the serving node;
	// sent without waiting).
	OpMsgs = "msgs"
	// OpPost stores a message from an agent or the system (to the
	// customer's node); the answer is the stored message, with its seq.
	OpPost = "post"
	// OpMeta records the serving node's routing decision, or gives the
	// chat back to the bot (to the customer's node).
	OpMeta = "meta"
	// OpSignal relays typing or a queue position (to the customer's
	// node; sent without waiting).
	OpSignal = "signal"
	// OpHistory asks for the messages after a seq (to the customer's
	// node), for a mirror that missed some.
	OpHistory = "history"
)

// Transport carries requests to other nodes (*edgesync.Relay).
type Transport interface {
	// Request sends op to node and returns its answer.
	Request(ctx context.Context, node, op string, data []byte) ([]byte, error)
	// Send sends op to node without waiting for it.
	Send(node, op string, data []byte) error
}

// Router is what the relay needs of the node's router
// (*routing.Router).
type Router interface {
	// Presence is this node's groups, as published for the others.
	Presence() []routing.GroupPresence
	// Escalate routes a chat handed here among this node's agents.
	Escalate(e convo.Escalation)
	// Forget drops a chat handed to another node once it is given back.
	Forget(sessionID string)
}

// Options configures a Relay. All fields but Logger are required.
type Options struct {
	Transport Transport
	Store     *session.Store
	Router    Router
	// Node is this node's name (nats.node).
	Node   string
	Logger *slog.Logger
}

// Relay routes chats across nodes (routing.Remote), answers other nodes'
// requests (edgesync.RelayHandler), pushes the messages of chats served
// elsewhere (session.Observer) and keeps the other nodes' presence.
type Relay struct {
	t      Transport
	store  *session.Store
	router Router
	node   string
	log    *slog.Logger

	mu     sync.Mutex
	nodes  map[string]remoteNode // other nodes' presence, as received
	handed map[string]string     // session → the node serving its chat
	groups atomic.Pointer[[]routing.GroupPresence]
	built  atomic.Int64 // when groups was built (unix nanoseconds)
}

// New returns a relay. The node then serves it (corelink.Link.ServeRelay)
// and hands it to the router (routing.Router.SetRemote), the store's
// observers and RouterStore.
func New(o Options) *Relay {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Relay{t: o.Transport, store: o.Store, router: o.Router, node: o.Node, log: o.Logger, nodes: map[string]remoteNode{}, handed: map[string]string{}}
	r.groups.Store(&[]routing.GroupPresence{})
	return r
}

// handoffDoc carries a chat to the node that will serve it.
type handoffDoc struct {
	Meta       session.Meta      `json:"meta"`
	Messages   []session.Message `json:"messages"`
	Escalation convo.Escalation  `json:"escalation"`
	Group      string            `json:"group"`
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

// Handoff implements routing.Remote: node gets the session (a mirror)
// and routes the chat among its agents.
func (r *Relay) Handoff(node string, h routing.Handoff) error {
	sid := h.Escalation.Session
	meta, err := r.store.Get(sid)
	if err != nil {
		return err
	}
	// From here on every new message of the session is pushed to node; a
	// message stored between this and the history read is a gap node
	// fills by asking.
	r.setHanded(sid, node)
	msgs, err := r.store.Messages(sid, 0, 0)
	if err == nil {
		var b []byte
		b, err = json.Marshal(handoffDoc{Meta: meta, Messages: msgs, Escalation: h.Escalation, Group: h.Group})
		if err == nil {
			_, err = r.t.Request(context.Background(), node, OpHandoff, b)
		}
	}
	if err != nil {
		r.setHanded(sid, "")
		return err
	}
	r.log.Info("chat handed to another node", "session", sid, "node", node, "group", h.Group)
	return nil
}

// OnMessage implements session.Observer: a message of a chat served by
// another node is pushed there.
func (r *Relay) OnMessage(m *session.Message) {
	r.mu.Lock()
	node := r.handed[m.Session]
	r.mu.Unlock()
	if node == "" {
		return
	}
	b, err := json.Marshal([]*session.Message{m})
	if err == nil {
		err = r.t.Send(node, OpMsgs, b)
	}
	if err != nil {
		r.log.Warn("message not pushed to the serving node (it asks for gaps)", "session", m.Session, "node", node, "err", err)
	}
}

// setHanded records (node != "") or forgets which node serves sid's chat.
func (r *Relay) setHanded(sid, node string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if node == "" {
		delete(r.handed, sid)
		return
	}
	r.handed[sid] = node
}

// HandleRelay implements edgesync.RelayHandler: it answers a request from
// node from. Requests about a chat handed from here (OpPost, OpMeta,
// OpSignal, OpHistory) are taken only from the node serving it.
func (r *Relay) HandleRelay(ctx context.Context, from, op string, data []byte) ([]byte, error) {
	if from == "" {
		return nil, ErrNoSender
	}
	var handle func(context.Context, string, []byte) ([]byte, error)
	switch op {
	case OpHandoff: // here: the serving node
		return nil, r.onHandoff(ctx, from, data)
	case OpMsgs: // here: the serving node
		return nil, r.onMsgs(ctx, from, data)
	case OpPost: // here and below: the customer's node
		handle = r.onPost
	case OpMeta:
		handle = r.onMeta
	case OpSignal:
		handle = r.onSignal
	case OpHistory:
		handle = r.onHistory
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownOp, op)
	}
	var about struct {
		Session string `json:"session"`
	}
	if err := json.Unmarshal(data, &about); err != nil {
		return nil, err
	}
	if err := r.servedBy(about.Session, from); err != nil {
		return nil, err
	}
	return handle(ctx, from, data)
}

// servedBy reports whether from serves sid's chat (requests about a
// session come only from the node it was handed to). After a restart
// here the session's stored route says so.
func (r *Relay) servedBy(sid, from string) error {
	r.mu.Lock()
	node := r.handed[sid]
	r.mu.Unlock()
	if node == from {
		return nil
	}
	if node == "" {
		if meta, err := r.store.Get(sid); err == nil && convo.Handed(&meta) && routeNode(meta.Route) == from {
			r.setHanded(sid, from)
			return nil
		}
	}
	return fmt.Errorf("%w: session %s is not handed to %s", ErrNotServing, sid, from)
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

// onHandoff takes a chat from the customer's node: a mirror of the
// session, and the escalation routed here.
func (r *Relay) onHandoff(ctx context.Context, from string, data []byte) error {
	var h handoffDoc
	if err := json.Unmarshal(data, &h); err != nil {
		return err
	}
	if have, err := r.store.Get(h.Meta.ID); err == nil && have.Origin != from {
		return fmt.Errorf("%w: session %s exists here and is not a mirror of %s", ErrNotServing, h.Meta.ID, from)
	}
	h.Meta.Origin = from
	if _, err := r.store.Mirror(ctx, h.Meta, h.Messages); err != nil && !errors.Is(err, session.ErrGap) {
		return err
	}
	// A mirror kept from an earlier handoff takes the conversation state
	// the chat has now.
	if _, err := r.store.Update(ctx, h.Meta.ID, func(m *session.Meta) error {
		m.Conv, m.Origin = h.Meta.Conv, from
		return nil
	}); err != nil {
		return err
	}
	r.router.Escalate(h.Escalation)
	return nil
}

// onMsgs adds the customer's messages to a mirror.
func (r *Relay) onMsgs(ctx context.Context, from string, data []byte) error {
	var msgs []session.Message
	if err := json.Unmarshal(data, &msgs); err != nil || len(msgs) == 0 {
		return fmt.Errorf("%w: bad messages: %v", ErrBadRequest, err)
	}
	return r.mirror(ctx, from, msgs[0].Session, msgs)
}

// onPost stores the serving node's message (an agent's or the system's)
// and answers with it as stored, with its seq.
func (r *Relay) onPost(ctx context.Context, _ string, data []byte) ([]byte, error) {
	var m session.Message
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m.From != session.FromAgent && m.From != session.FromSystem {
		return nil, fmt.Errorf("%w: a relayed message must be from an agent or the system, not %q", ErrBadRequest, m.From)
	}
	m.Seq, m.TS = 0, time.Time{}
	stored, err := r.store.Post(ctx, m)
	if err != nil {
		return nil, err
	}
	return json.Marshal(stored)
}

// onMeta records the serving node's routing decision, marked with that
// node (so a restart here still knows who serves the chat), or takes the
// chat back.
func (r *Relay) onMeta(ctx context.Context, from string, data []byte) ([]byte, error) {
	var d metaDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	var route map[string]any
	if len(d.Route) > 0 {
		if err := json.Unmarshal(d.Route, &route); err != nil {
			return nil, fmt.Errorf("route: %w", err)
		}
		route["node"] = from
	}
	// Nobody there after all (the serving node takes a message): the
	// chat is no longer held, and the customer's next message is routed
	// again.
	if route["outcome"] == string(routing.Message) {
		r.router.Forget(d.Session)
	}
	if _, err := r.store.Update(ctx, d.Session, func(m *session.Meta) error {
		if route != nil {
			b, err := json.Marshal(route)
			if err != nil {
				return err
			}
			m.AddRoute(b) // the serving node's decisions join the session's own
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
		r.setHanded(d.Session, "")
		r.router.Forget(d.Session)
		r.log.Info("chat given back by its serving node", "session", d.Session, "node", from)
	}
	return nil, nil
}

// onSignal passes on typing or a queue position to the customer.
func (r *Relay) onSignal(_ context.Context, _ string, data []byte) ([]byte, error) {
	var d signalDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	if d.Kind != session.EventTyping && d.Kind != session.EventQueue {
		return nil, fmt.Errorf("%w: signal kind %d", ErrBadRequest, d.Kind)
	}
	r.store.Signal(d.Session, &session.Event{Kind: d.Kind, From: d.From, On: d.On, Position: d.Position, ETASec: d.ETASec, Group: d.Group}, 0)
	return nil, nil
}

// onHistory answers with the messages after a seq.
func (r *Relay) onHistory(_ context.Context, _ string, data []byte) ([]byte, error) {
	var d historyDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	msgs, err := r.store.Messages(d.Session, d.After, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(msgs)
}

// mirror adds pushed messages to a mirror, asking the origin for any it
// missed.
func (r *Relay) mirror(ctx context.Context, from, sid string, msgs []session.Message) error {
	meta, err := r.store.Get(sid)
	if err != nil {
		return err
	}
	if from == "" || meta.Origin != from {
		return fmt.Errorf("%w: session %s is not mirrored from %q", ErrNotServing, sid, from)
	}
	meta, err = r.store.Mirror(ctx, session.Meta{ID: sid}, msgs)
	if !errors.Is(err, session.ErrGap) {
		return err
	}
	b, _ := json.Marshal(historyDoc{Session: sid, After: meta.LastSeq})
	out, err := r.t.Request(ctx, from, OpHistory, b)
	if err != nil {
		return err
	}
	var missing []session.Message
	if err := json.Unmarshal(out, &missing); err != nil {
		return err
	}
	_, err = r.store.Mirror(ctx, session.Meta{ID: sid}, missing)
	return err
}

// What the relay is to the rest of the node, checked at compile time.
var (
	_ Transport             = (*edgesync.Relay)(nil)
	_ Router                = (*routing.Router)(nil)
	_ routing.Remote        = (*Relay)(nil)
	_ routing.Store         = RouterStore{}
	_ edgesync.RelayHandler = (*Relay)(nil)
	_ session.Observer      = (*Relay)(nil)
)
