package node

// GDPR: everything stored about one customer, exported as one JSON
// document (GET /v1/admin/customers/{id}/export, edgedesk customer
// export) or erased (DELETE /v1/admin/customers/{id}, edgedesk customer
// erase) on this node, at the core and on the other nodes. docs/PRIVACY.md.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/valyala/fasthttp"
	bolt "go.etcd.io/bbolt"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/files"
	"github.com/edgedesk/edgedesk/node/session"
	edgesync "github.com/edgedesk/edgedesk/sync"
)

// AdminCustomersPath prefixes GET /v1/admin/customers/{id}/export and
// DELETE /v1/admin/customers/{id}.
const AdminCustomersPath = "/v1/admin/customers/"

// maxCustomerID bounds a customer id in a path.
const maxCustomerID = 256

// CustomerExport is everything this node stores about one customer: the
// answer of GET /v1/admin/customers/{id}/export and of edgedesk customer
// export. Each session is its SessionView: the customer record as the
// session holds it, every message (text, attachments' metadata, what the
// node found in it), every routing decision, the rating of the last chat,
// and the uploads' metadata.
type CustomerExport struct {
	Customer string    `json:"customer"`
	Exported time.Time `json:"exported"`
	// Node is the node that answered; Source "node" or "store" (read
	// from a stopped node's store).
	Node   string `json:"node,omitempty"`
	Source string `json:"source"`
	// Profile is the customer record of the most recently active session.
	Profile  *session.Customer `json:"profile,omitempty"`
	Sessions []CustomerSession `json:"sessions"`
	// Identities are the customer's linked identities on other channels
	// (channels.go).
	Identities []session.Identity `json:"identities,omitempty"`
}

// CustomerSession is one session of an export.
type CustomerSession struct {
	SessionView
	// Uploads are the files the customer sent in the session (ids and
	// sizes; the files themselves are fetched with GET /v1/files/{id}).
	Uploads []session.Upload `json:"uploads,omitempty"`
	// Deliveries are the session's answers still waiting to go out
	// through a channel, and those that failed for good (channels.go).
	Deliveries     []delivery.Item `json:"deliveries,omitempty"`
	DeadDeliveries []delivery.Item `json:"dead_deliveries,omitempty"`
}

// ErasureReport is the answer of DELETE /v1/admin/customers/{id} and of
// edgedesk customer erase. Erasing a customer again answers zeros.
type ErasureReport struct {
	Customer string `json:"customer"`
	// Sessions are the ids of the sessions erased here; Messages how many
	// messages they held; Outbox how many of their events were not yet
	// sent to the core (deleted unsent); Uploads their files.
	Sessions []string `json:"sessions"`
	Messages int      `json:"messages"`
	Outbox   int      `json:"outbox"`
	Uploads  int      `json:"uploads"`
	// Scrubbed: the freed space of the store files was overwritten.
	Scrubbed bool `json:"scrubbed"`
	// Core is "done" (purged at the core, files deleted there, the other
	// nodes told), "pending: <why>" (the node retries until done), or
	// "none" (no core: nats.enabled is false).
	Core string `json:"core"`
}

// ExportCustomer gathers everything the running node stores about
// customer id.
func (n *Node) ExportCustomer(id string) (CustomerExport, error) {
	ids, err := n.store.CustomerSessions(id)
	if err != nil {
		return CustomerExport{}, err
	}
	more, err := n.identitySessions(id) // channels.go
	if err != nil {
		return CustomerExport{}, err
	}
	ids = append(ids, more...)
	var ts []session.Transcript
	for _, sid := range ids {
		meta, err := n.store.Get(sid)
		if errors.Is(err, session.ErrNoSession) {
			continue // erased or expired meanwhile
		}
		if err != nil {
			return CustomerExport{}, err
		}
		msgs, err := n.store.Messages(sid, 0, 0)
		if err != nil && !errors.Is(err, session.ErrNoSession) {
			return CustomerExport{}, err
		}
		ts = append(ts, session.Transcript{Meta: meta, Messages: msgs})
	}
	e := newCustomerExport(id, ts, "node")
	e.Node = n.cfg.NATS.NodeName()
	if err := n.exportChannels(&e); err != nil {
		return CustomerExport{}, err
	}
	for i := range e.Sessions {
		if c, ok := n.router.Chat(e.Sessions[i].Session.ID); ok {
			e.Sessions[i].Chat = &c
			e.Sessions[i].Session.State = c.State
		}
	}
	return e, nil
}

// InspectCustomer is ExportCustomer on a stopped node's store (opened
// read-only, waiting at most timeout for its lock): ErrStoreInUse when
// the node runs.
func InspectCustomer(cfg *config.Config, id string, timeout time.Duration) (CustomerExport, error) {
	keys, err := offlineKeys(cfg)
	if err != nil {
		return CustomerExport{}, err
	}
	path := filepath.Join(cfg.DataDir, StoreFile)
	ts, err := session.InspectCustomer(path, cfg.Store.Shards, keys, id, timeout)
	if err != nil {
		return CustomerExport{}, err
	}
	// The linked identities and their earlier sessions (channels.go).
	idents, err := session.InspectIdentities(path, cfg.Store.Shards, id, timeout)
	if err != nil {
		return CustomerExport{}, err
	}
	for _, ident := range idents {
		if ident.String() == id {
			continue
		}
		more, err := session.InspectCustomer(path, cfg.Store.Shards, keys, ident.String(), timeout)
		if err != nil {
			return CustomerExport{}, err
		}
		ts = append(ts, more...)
	}
	e := newCustomerExport(id, ts, "store")
	e.Node = cfg.NATS.NodeName()
	e.Identities = idents
	return e, nil
}

func newCustomerExport(id string, ts []session.Transcript, source string) CustomerExport {
	e := CustomerExport{Customer: id, Exported: time.Now().UTC(), Source: source, Sessions: []CustomerSession{}}
	for _, t := range ts {
		v := NewSessionView(t.Meta, t.Messages)
		v.Source = source
		e.Sessions = append(e.Sessions, CustomerSession{SessionView: v, Uploads: t.Meta.Uploads,
			Deliveries: t.Deliveries, DeadDeliveries: t.DeadDeliveries})
	}
	// The profile is the customer's own latest session's; a linked
	// identity's earlier session (channels.go) only when there is none.
	var latest time.Time
	for _, own := range []bool{true, false} {
		for _, t := range ts {
			if (t.Meta.Customer.ID == id) != own {
				continue
			}
			if c := t.Meta.Customer; e.Profile == nil || t.Meta.LastActive.After(latest) {
				e.Profile, latest = &c, t.Meta.LastActive
			}
		}
		if e.Profile != nil {
			break
		}
	}
	return e
}

// EraseCustomer erases customer id: here (the store's sessions, their
// unsent outbox events, their files), then at the core and on the other
// nodes (finishErasures; retried until done when the core is away). by
// names who asked (kept with a pending erasure); the caller records the
// erasure in the audit log (auditErasure).
func (n *Node) EraseCustomer(ctx context.Context, id, by string) (ErasureReport, error) {
	return n.eraseLocal(ctx, id, by, true)
}

// eraseLocal erases what this node holds of customer id and then, with
// a core, does the core's part (announce: tell the other nodes).
func (n *Node) eraseLocal(ctx context.Context, id, by string, announce bool) (ErasureReport, error) {
	// One at a time: finishing a pending erasure forgets it, which must
	// not forget what a concurrent erasure of the customer just added.
	n.erasing.Lock()
	defer n.erasing.Unlock()
	rep := ErasureReport{Customer: id, Sessions: []string{}, Core: "none"}
	var pending *session.PendingErasure
	if n.link != nil {
		pending = &session.PendingErasure{Announce: announce, By: by}
	}
	er, err := eraseIdentitySessions(ctx, n.store, id, pending) // channels.go: before its links go
	if err == nil {
		var more session.Erased
		more, err = n.store.EraseCustomer(ctx, id, pending)
		er = mergeErased(er, more)
	}
	for _, m := range er.Sessions {
		rep.Sessions = append(rep.Sessions, m.ID)
		rep.Uploads += len(m.Uploads)
	}
	rep.Messages, rep.Outbox, rep.Scrubbed = er.Messages, er.Outbox, er.Scrubbed
	if err != nil {
		return rep, err
	}
	if n.files != nil {
		n.deleteFiles(er.Sessions)
	}
	n.forgetEmail(er.Sessions)
	if n.link != nil {
		rep.Core = "done"
		if err := n.finishErasures(ctx); err != nil {
			rep.Core = "pending: " + err.Error()
			n.log.Warn("erasure at the core pending; retried every sweep interval", "customer", id, "err", err)
		}
	}
	return rep, nil
}

// auditErasure records an erasure in the audit log: who asked (e's
// actor, role and address), the customer, and what went.
func (n *Node) auditErasure(e audit.Entry, rep ErasureReport) {
	e.Action, e.Target = audit.ActionErase, rep.Customer
	e.Details = map[string]string{"sessions": strconv.Itoa(len(rep.Sessions)), "messages": strconv.Itoa(rep.Messages),
		"uploads": strconv.Itoa(rep.Uploads), "core": rep.Core}
	n.recordAudit(e)
}

// finishErasures does the core's part of every pending erasure: purge
// the sessions' events from the streams (this node's, the core's, the
// archive), delete their files at the core, announce the erasure to the
// other nodes when it began here; then forget it. It stops at the first
// failure: the rest is retried (runErasures).
func (n *Node) finishErasures(ctx context.Context) error {
	pend, err := n.store.PendingErasures()
	if err != nil {
		return err
	}
	for _, p := range pend {
		if err := n.finishErasure(ctx, p); err != nil {
			return err
		}
		if err := n.store.ErasureDone(ctx, p.Customer); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) finishErasure(ctx context.Context, p session.PendingErasure) error {
	if nc := n.link.JetStream().Conn(); nc != nil && !nc.IsConnected() {
		// Requests would wait in the reconnect buffer until they time out.
		return errCoreAway
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	targets := []jetstream.JetStream{n.link.JetStream()}
	if c := n.link.CoreJetStream(); c != nil && c != n.link.JetStream() {
		targets = append(targets, c)
	}
	for _, js := range targets {
		for _, stream := range []string{edgesync.Stream, edgesync.Archive} {
			if _, err := edgesync.PurgeSessions(ctx, js, stream, p.Sessions); err != nil {
				return err
			}
		}
		for _, bucket := range []string{files.Bucket, edgesync.UploadsArchive} {
			if _, err := edgesync.DeleteObjects(ctx, js, bucket, p.Uploads); err != nil {
				return err
			}
		}
	}
	if !p.Announce {
		return nil
	}
	js := n.link.CoreJetStream()
	if js == nil {
		js = n.link.JetStream()
	}
	return edgesync.AnnounceErasure(ctx, js, edgesync.Erasure{Customer: p.Customer, Node: n.cfg.NATS.NodeName(), Sessions: p.Sessions, At: p.At})
}

// errCoreAway: the node's NATS connection is down.
var errCoreAway = errors.New("the core is not connected")

// runErasures retries the pending erasures' core part every interval
// (at once on start: an erasure made while the node was stopped, by
// edgedesk customer erase, is finished here).
func (n *Node) runErasures(ctx context.Context, every time.Duration) error {
	for {
		n.erasing.Lock()
		err := n.finishErasures(ctx)
		n.erasing.Unlock()
		if err != nil && ctx.Err() == nil {
			n.log.Warn("erasures at the core still pending", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

var _ edgesync.Eraser = (*Node)(nil)

// ApplyErase implements edgesync.Eraser: another node erased a customer;
// erase what this node holds of them, and purge the sessions it named at
// the core too (a stream this node can reach and that node could not).
func (n *Node) ApplyErase(ctx context.Context, e edgesync.Erasure) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rep, err := n.eraseLocal(ctx, e.Customer, "node "+e.Node, false)
	if err != nil {
		return err
	}
	if len(rep.Sessions) > 0 {
		n.auditErasure(audit.Entry{Actor: "node " + e.Node, Role: "node"}, rep)
	}
	return nil
}

// serveAdminCustomer is GET /v1/admin/customers/{id}/export and DELETE
// /v1/admin/customers/{id} (admins only).
func (n *Node) serveAdminCustomer(ctx *fasthttp.RequestCtx) {
	c := n.staffClaims(ctx, "admin")
	if c == nil {
		return
	}
	rest := strings.TrimPrefix(string(ctx.Path()), AdminCustomersPath)
	id, export := strings.CutSuffix(rest, "/export")
	if id == "" || len(id) > maxCustomerID || strings.Contains(id, "/") {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": fmt.Sprintf("bad customer id %s: want 1 to %d bytes without '/' (URL-escape it)", quoteID(id), maxCustomerID)})
		return
	}
	by := c.Subject
	switch {
	case export && (ctx.IsGet() || ctx.IsHead()):
		e, err := n.ExportCustomer(id)
		switch {
		case errors.Is(err, session.ErrTooMany):
			writeJSON(ctx, fasthttp.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": "export of customer " + quoteID(id) + ": " + err.Error()})
		case len(e.Sessions) == 0:
			writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "no session of customer " + quoteID(id) + " on this node"})
		default:
			n.recordAudit(audit.Entry{Actor: by, Role: c.Role, Action: audit.ActionExport, Target: id, From: n.clientAddr(ctx),
				Details: map[string]string{"sessions": strconv.Itoa(len(e.Sessions))}})
			ctx.Response.Header.Set("Content-Disposition", `attachment; filename="customer-export.json"`)
			ctx.Response.Header.Set("Cache-Control", "no-store")
			writeJSON(ctx, fasthttp.StatusOK, e)
		}
	case !export && ctx.IsDelete():
		// Not ctx itself as a context: it races with the server's shutdown.
		rep, err := n.EraseCustomer(context.Background(), id, by)
		switch {
		case errors.Is(err, session.ErrTooMany):
			writeJSON(ctx, fasthttp.StatusUnprocessableEntity, map[string]string{"error": err.Error()})
		case err != nil:
			writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]any{"error": "erasure of customer " + quoteID(id) + ": " + err.Error(), "erased": rep})
		default:
			n.auditErasure(audit.Entry{Actor: by, Role: c.Role, From: n.clientAddr(ctx)}, rep)
			writeJSON(ctx, fasthttp.StatusOK, rep)
		}
	case export:
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method not allowed: GET exports the customer"})
	default:
		ctx.Response.Header.Set("Allow", "DELETE")
		writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method not allowed: DELETE erases the customer, GET " + AdminCustomersPath + "{id}/export exports"})
	}
}

// EraseStopped erases customer id from a stopped node's store (waiting
// at most timeout for its lock: ErrStoreInUse when the node runs). The
// store keeps what remains beyond it — the core's copies, the files, the
// other nodes — as a pending erasure when the node syncs (nats.enabled):
// the node does it when it next starts (Core says "pending").
func EraseStopped(ctx context.Context, cfg *config.Config, id, by string, timeout time.Duration) (ErasureReport, error) {
	rep := ErasureReport{Customer: id, Sessions: []string{}, Core: "none"}
	keys, err := offlineKeys(cfg)
	if err != nil {
		return rep, err
	}
	st, err := session.Open(session.Options{
		Path: filepath.Join(cfg.DataDir, StoreFile), Shards: cfg.Store.Shards, OpenTimeout: timeout, Outbox: cfg.NATS.Enabled,
		Keys: keys,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return rep, fmt.Errorf("%w: %w", ErrStoreInUse, err)
	}
	if err != nil {
		return rep, err
	}
	var pending *session.PendingErasure
	if cfg.NATS.Enabled {
		pending = &session.PendingErasure{Announce: true, By: by}
		rep.Core = "pending: done by the node when it next starts"
	}
	er, err := eraseIdentitySessions(ctx, st, id, pending) // channels.go: before its links go
	if err == nil {
		var more session.Erased
		more, err = st.EraseCustomer(ctx, id, pending)
		er = mergeErased(er, more)
	}
	err = errors.Join(err, st.Close(ctx))
	for _, m := range er.Sessions {
		rep.Sessions = append(rep.Sessions, m.ID)
		rep.Uploads += len(m.Uploads)
	}
	rep.Messages, rep.Outbox, rep.Scrubbed = er.Messages, er.Outbox, er.Scrubbed
	return rep, err
}
