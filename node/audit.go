package node

// The audit log (node/audit) wired to the node: who signed in, took,
// moved or closed a chat, imported the FAQ, reloaded routing or the
// model, read a session; served at GET /v1/admin/audit; copied to the
// core's stream EDGEDESK_AUDIT.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/agentws"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/gateway"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// AuditPath is the audit log's admin route.
const AuditPath = "/v1/admin/audit"

// openAudit opens data_dir/audit.db, with the core's stream as its
// publisher when there is a core link (the core's JetStream, else the
// embedded server's, as the analytics).
func (n *Node) openAudit() error {
	var pub audit.Publisher
	if n.link != nil {
		js := n.link.CoreJetStream()
		if js == nil {
			js = n.link.JetStream()
		}
		if js != nil {
			pub = &edgesync.Audit{JS: js, Node: n.cfg.NATS.NodeName(), Replicas: n.coreReplicas()}
		}
	}
	l, err := audit.Open(audit.Options{
		DataDir:   n.cfg.DataDir,
		Node:      n.cfg.NATS.NodeName(),
		Retention: n.cfg.Audit.Retention,
		Publisher: pub,
		Logger:    n.log.With("component", "audit"),
	})
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	n.audit = l
	n.store.AddObserver(auditObserver{l})
	return nil
}

// Audit is the node's audit log: record an action with
//
//	n.Audit().Record(ctx, audit.Entry{Actor, Role, Action, Target, From, Details})
//
// (docs/SECURITY.md lists the actions).
func (n *Node) Audit() *audit.Log { return n.audit }

// audit records e, logging a failure: the action is done, and a node that
// cannot write audit.db cannot write its other stores either.
func (n *Node) recordAudit(e audit.Entry) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.audit.Record(ctx, e); err != nil {
		n.log.Error("audit entry not recorded", "action", e.Action, "actor", e.Actor, "target", e.Target, "err", err)
	}
}

// auditAgent is agentws's Audit hook.
func (n *Node) auditAgent(a agentws.Action) {
	e := audit.Entry{Actor: a.Agent, Role: a.Role, Target: a.Session, From: a.From}
	switch a.Kind {
	case "connect":
		e.Action = audit.ActionAgentConnect
	case "transfer", "reassign":
		e.Action = audit.ActionTransfer
		if a.Kind == "reassign" {
			e.Action = audit.ActionReassign
		}
		e.Details = map[string]string{}
		if a.ToAgent != "" {
			e.Details["to_agent"] = audit.Truncate(a.ToAgent, audit.MaxDetail)
		}
		if a.ToGroup != "" {
			e.Details["to_group"] = audit.Truncate(a.ToGroup, audit.MaxDetail)
		}
	case "close":
		e.Action = audit.ActionClose
	default:
		e.Action = "agent." + a.Kind
	}
	n.recordAudit(e)
}

// clientAddr is the client's address as the gateway takes it (trusting
// the configured proxy headers).
func (n *Node) clientAddr(ctx *fasthttp.RequestCtx) string {
	return gateway.ClientIP(ctx, gateway.ParseTrust(n.cfg.Routing.TrustHeaders))
}

// auditObserver records the router's assignments: every agent_joined
// notice (a chat given to an agent, by routing or by a transfer). It runs
// on the store's committing goroutine, so it records without waiting.
type auditObserver struct{ l *audit.Log }

func (o auditObserver) OnMessage(m *session.Message) {
	if m.Notice == nil || m.Notice.Kind != session.NoticeAgentJoined || m.Notice.Agent == nil {
		return
	}
	o.l.Go(audit.Entry{At: m.TS, Actor: "routing", Action: audit.ActionAssign, Target: m.Session,
		Details: map[string]string{"agent": m.Notice.Agent.ID, "group": m.Notice.Group}})
}

// serveAdminAudit is GET /v1/admin/audit?from=&to=&actor=&action=&target=&limit=&before=
// (role admin): entries newest first, {"entries": […], "next": key}.
func (n *Node) serveAdminAudit(ctx *fasthttp.RequestCtx) {
	if n.staffClaims(ctx, "admin") == nil {
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		// The log is append-only: nothing here changes or deletes it.
		ctx.Error("method not allowed: the audit log is read-only (GET)\n", fasthttp.StatusMethodNotAllowed)
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		return
	}
	q, err := auditQuery(ctx.QueryArgs())
	if err != nil {
		ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
		return
	}
	page, err := n.audit.Query(q)
	switch {
	case errors.Is(err, audit.ErrInvalid):
		ctx.Error(err.Error()+"\n", fasthttp.StatusBadRequest)
		return
	case err != nil:
		ctx.Error("audit query failed: "+err.Error()+"\n", fasthttp.StatusServiceUnavailable)
		return
	}
	ctx.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(ctx, fasthttp.StatusOK, page)
}

// auditQuery reads the admin API's query parameters: from and to (RFC
// 3339), actor, action (exact, or a prefix ending in '.'), target, limit
// (1 to audit.MaxLimit) and before (a page's next).
func auditQuery(args *fasthttp.Args) (audit.Query, error) {
	var q audit.Query
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := args.Peek(p.name); len(v) > 0 {
			t, err := time.Parse(time.RFC3339, string(v))
			if err != nil {
				return q, fmt.Errorf("%s: want an RFC 3339 time such as 2026-12-03T15:00:00Z, got %.64q", p.name, v)
			}
			*p.t = t
		}
	}
	for _, p := range []struct {
		name string
		s    *string
	}{{"actor", &q.Actor}, {"action", &q.Action}, {"target", &q.Target}} {
		v := args.Peek(p.name)
		if len(v) > audit.MaxField {
			return q, fmt.Errorf("%s: at most %d bytes", p.name, audit.MaxField)
		}
		*p.s = string(v)
	}
	if v := args.Peek("limit"); len(v) > 0 {
		l, err := strconv.Atoi(string(v))
		if err != nil || l < 1 || l > audit.MaxLimit {
			return q, fmt.Errorf("limit: want 1 to %d, got %.20q", audit.MaxLimit, v)
		}
		q.Limit = l
	}
	if v := args.Peek("before"); len(v) > 0 {
		if err := q.Before.UnmarshalText(v); err != nil {
			return q, fmt.Errorf("before: want the next key of a previous page (32 hex digits)")
		}
	}
	return q, nil
}
