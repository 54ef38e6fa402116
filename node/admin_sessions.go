package node

// GET /v1/admin/sessions/{id}: one session as a supervisor inspects it —
// who the customer is, every message, every routing decision with its
// reasons, and where the chat is now.

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/routing"
	"github.com/edgedesk/edgedesk/node/session"
)

// AdminSessionsPath prefixes GET /v1/admin/sessions/{id}.
const AdminSessionsPath = "/v1/admin/sessions/"

// SessionView is the answer of GET /v1/admin/sessions/{id}: what a
// supervisor needs to answer "what happened in this chat, and why did it
// go there?". It holds nothing secret: no tokens, no conversation-engine
// internals.
type SessionView struct {
	Session  SessionInfo       `json:"session"`
	Messages []session.Message `json:"messages"`
	// Decisions are every routing decision, oldest first (the first, and
	// the latest session.MaxRoutes-1 when there were more:
	// DecisionsDropped counts those left out in between).
	Decisions        []json.RawMessage `json:"decisions"`
	DecisionsDropped int               `json:"decisions_dropped,omitempty"`
	// Waiting is set while the customer's message waits for a team.
	Waiting *session.Waiting `json:"waiting,omitempty"`
	// Chat is where this node's router has the chat now (nil: nowhere).
	Chat *routing.ChatView `json:"chat,omitempty"`
	// LastChat is the last chat an agent closed, with its rating.
	LastChat *session.Chat `json:"last_chat,omitempty"`
	// Source is "node" (this node holds the session), "core" (read from
	// the core's history: another node served it) or "store" (read from
	// a stopped node's store by edgedesk session show).
	Source string `json:"source"`
}

// SessionInfo is a session's metadata as the admin API shows it.
type SessionInfo struct {
	ID       string           `json:"id"`
	Customer session.Customer `json:"customer"`
	Channel  string           `json:"channel,omitempty"`
	Locale   string           `json:"locale,omitempty"`
	// Lang is the language of the customer's last message.
	Lang     string    `json:"lang,omitempty"`
	TZ       string    `json:"tz,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	LastSeq  uint64    `json:"last_seq"`
	// State is bot (the bot answers), waiting, queued, assigned, relayed
	// (with people; Chat says where), with_people (handed to people but
	// no router holds it: it is routed again on the customer's next
	// message), or closed (the customer said goodbye).
	State string `json:"state"`
	// Origin, on a mirror, is the node serving the customer.
	Origin string `json:"origin,omitempty"`
	// Contact is the platform answers go out to while the customer
	// writes from one (channels.go); Identities the customer's linked
	// identities on other channels.
	Contact    *session.Contact   `json:"contact,omitempty"`
	Identities []session.Identity `json:"identities,omitempty"`
}

// serveAdminSession is GET /v1/admin/sessions/{id} (supervisors, admins).
func (n *Node) serveAdminSession(ctx *fasthttp.RequestCtx) {
	c := n.staffClaims(ctx, "supervisor", "admin")
	if c == nil {
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed: GET reads a session\n", fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		return
	}
	id := strings.TrimPrefix(string(ctx.Path()), AdminSessionsPath)
	if !session.ValidID(id) {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "bad session id " + quoteID(id) + ": want 1 to 64 of [A-Za-z0-9_.:-]"})
		return
	}
	// Not ctx itself: a fasthttp.RequestCtx as a context.Context races
	// with the server's shutdown (its Done reads what Shutdown writes).
	v, err := n.sessionView(context.Background(), id)
	switch {
	case errors.Is(err, session.ErrNoSession), errors.Is(err, session.ErrNoHistory):
		msg := "no session " + id + " on this node"
		if n.link != nil && n.link.Core() {
			msg += " nor at the core"
		} else {
			msg += " (no core to ask: nats.enabled with nats.url or nats.leaf)"
		}
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": msg})
	case err != nil:
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": "session " + id + ": " + err.Error()})
	default:
		n.recordAudit(audit.Entry{Actor: c.Subject, Role: c.Role, Action: audit.ActionSessionView, Target: id, From: n.clientAddr(ctx),
			Details: map[string]string{"source": v.Source}})
		writeJSON(ctx, fasthttp.StatusOK, v)
	}
}

// sessionView reads session id from this node's store, else from the
// core's history (without keeping it here).
func (n *Node) sessionView(ctx context.Context, id string) (SessionView, error) {
	meta, err := n.store.Get(id)
	var msgs []session.Message
	source := "node"
	if err == nil {
		msgs, err = n.store.Messages(id, 0, 0)
	}
	if errors.Is(err, session.ErrNoSession) && n.link != nil && n.link.Core() {
		hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		meta, msgs, err = n.link.History(hctx, id)
		cancel()
		source = "core"
	}
	if err != nil {
		return SessionView{}, err
	}
	v := NewSessionView(meta, msgs)
	v.Source = source
	if source == "node" {
		if c, ok := n.router.Chat(id); ok {
			v.Chat = &c
			v.Session.State = c.State
		}
		if cust := meta.Customer.ID; cust != "" {
			v.Session.Identities, _ = n.store.CustomerIdentities(cust) // channels.go; best effort
		}
	}
	return v, nil
}

// NewSessionView builds the admin view of a session from its metadata and
// messages (the router's part, Chat, is the caller's).
func NewSessionView(meta session.Meta, msgs []session.Message) SessionView {
	if msgs == nil {
		msgs = []session.Message{}
	}
	v := SessionView{
		Session: SessionInfo{ID: meta.ID, Customer: meta.Customer, Channel: meta.Channel, Locale: meta.Locale, TZ: meta.TZ,
			Created: meta.Created, Updated: meta.LastActive, ClosedAt: meta.ClosedAt, LastSeq: meta.LastSeq, Origin: meta.Origin, Contact: meta.Contact},
		Messages:         msgs,
		Decisions:        meta.History(),
		DecisionsDropped: meta.RoutesDropped,
		Waiting:          meta.Waiting,
		LastChat:         meta.LastChat,
		Source:           "node",
	}
	if v.Decisions == nil {
		v.Decisions = []json.RawMessage{}
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].From == session.FromCustomer && msgs[i].Lang != "" {
			v.Session.Lang = msgs[i].Lang
			break
		}
	}
	switch {
	case meta.Waiting != nil:
		v.Session.State = "waiting"
	case convo.Handed(&meta):
		v.Session.State = "with_people"
	case !meta.ClosedAt.IsZero():
		v.Session.State = "closed"
	default:
		v.Session.State = "bot"
	}
	return v
}

// ErrStoreInUse is returned by InspectSession when the node is running:
// it holds the store's file; ask it (GET /v1/admin/sessions/{id}).
var ErrStoreInUse = session.ErrLocked

// InspectSession reads session id from the store of the configured
// data_dir without a running node (the store opened read-only, waiting at
// most timeout for the file lock). A running node holds its store:
// ErrStoreInUse then. An unknown session is session.ErrNoSession.
func InspectSession(cfg *config.Config, id string, timeout time.Duration) (SessionView, error) {
	keys, err := offlineKeys(cfg)
	if err != nil {
		return SessionView{}, err
	}
	meta, msgs, err := session.Inspect(filepath.Join(cfg.DataDir, StoreFile), cfg.Store.Shards, keys, id, timeout)
	if err != nil {
		return SessionView{}, err
	}
	v := NewSessionView(meta, msgs)
	v.Source = "store"
	return v, nil
}

// quoteID quotes a client's id for an error, cut short.
func quoteID(id string) string {
	if len(id) > 80 {
		id = id[:80] + "…"
	}
	b, _ := json.Marshal(id)
	return string(b)
}
