package node

// The channels the node holds no socket for (issue 16): the messaging
// platforms' webhooks (node/channels/webhook), the durable queue their
// answers go out by (node/delivery), the admin API of that queue, and the
// customer's linked identities. docs/CHANNELS.md.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/edgedesk/edgedesk/node/audit"
	"github.com/edgedesk/edgedesk/node/channels/webhook"
	"github.com/edgedesk/edgedesk/node/delivery"
	"github.com/edgedesk/edgedesk/node/session"
)

// AdminDeliveriesPath is GET /v1/admin/deliveries (the queue, paged) and
// POST /v1/admin/deliveries/{key}/retry (a dead letter sent again).
const AdminDeliveriesPath = "/v1/admin/deliveries"

// DeliverRule says whether a bot, agent or system message goes out
// through a channel's delivery queue, and where (Item.Channel, Item.To,
// Item.NotBefore). Rules run on the store's committing goroutine, in
// order, the first that answers true wins: quick, no I/O.
type DeliverRule func(meta *session.Meta, m *session.Message) (delivery.Item, bool)

// deliver is the store's Options.Deliver: the node's rules in order.
func (n *Node) deliver(meta *session.Meta, m *session.Message) (delivery.Item, bool) {
	if m.Text == "" {
		return delivery.Item{}, false // a notice without words, an attachment: nothing to send as text
	}
	for _, r := range n.deliverRules {
		if it, ok := r(meta, m); ok {
			return it, true
		}
	}
	return delivery.Item{}, false
}

// toContact is the webhook channels' rule: answers go to the platform
// the customer last wrote from (Meta.Contact), when it has a Sender.
func (n *Node) toContact(meta *session.Meta, _ *session.Message) (delivery.Item, bool) {
	c := meta.Contact
	if c == nil || n.deliveries == nil || !n.deliveries.Has(c.Channel) {
		return delivery.Item{}, false
	}
	return delivery.Item{Channel: c.Channel, To: c.To}, true
}

// openChannels builds the delivery worker and the configured webhook
// channels, and registers their senders.
func (n *Node) openChannels() error {
	cfg := n.cfg
	d := cfg.Delivery
	n.deliveries = delivery.New(delivery.Options{
		Queue:          n.store,
		Concurrency:    d.Concurrency,
		MinBackoff:     d.MinBackoff,
		MaxBackoff:     d.MaxBackoff,
		MaxAttempts:    d.MaxAttempts,
		MaxAge:         d.MaxAge,
		AttemptTimeout: d.AttemptTimeout,
		Logger:         n.log.With("component", "delivery"),
		Metrics:        delivery.NewMetrics(n.reg, n.store.DeliveryCounts),
	})
	n.channels = webhook.Channels{}
	if len(cfg.Channels) == 0 {
		return nil
	}
	metrics := webhook.NewMetrics(n.reg)
	opener := &session.Opener{Store: n.store, Logger: n.log.With("component", "session")}
	client := &http.Client{Timeout: d.AttemptTimeout}
	for _, cc := range cfg.Channels {
		ch, err := webhook.New(webhook.Options{Config: cc, Store: n.store, Opener: opener, Metrics: metrics,
			Logger: n.log.With("component", "webhook", "channel", cc.Name), Client: client})
		if err != nil {
			return err
		}
		n.channels[cc.Name] = ch
		n.deliveries.Register(cc.Name, ch.Sender())
	}
	return nil
}

// Deliveries is the delivery queue's worker: a channel registers its
// Sender with n.Deliveries().Register(name, sender).
func (n *Node) Deliveries() *delivery.Worker { return n.deliveries }

// DeliveryPage is the answer of GET /v1/admin/deliveries.
type DeliveryPage struct {
	State string          `json:"state"` // pending or dead
	Items []delivery.Item `json:"items"`
	// Next is the after= of the next page ("" at the end).
	Next string `json:"next,omitempty"`
	// Pending and Dead count all items.
	Pending int `json:"pending"`
	Dead    int `json:"dead"`
}

// serveAdminDeliveries is GET /v1/admin/deliveries?state=pending|dead
// &after=<key>&limit=<n> and POST /v1/admin/deliveries/{key}/retry.
func (n *Node) serveAdminDeliveries(ctx *fasthttp.RequestCtx) {
	c := n.staffClaims(ctx, "supervisor", "admin")
	if c == nil {
		return
	}
	rest := strings.TrimPrefix(string(ctx.Path()), AdminDeliveriesPath)
	if rest == "" || rest == "/" {
		if !ctx.IsGet() && !ctx.IsHead() {
			ctx.Response.Header.Set("Allow", "GET, HEAD")
			writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method not allowed: GET lists the queue"})
			return
		}
		args := ctx.QueryArgs()
		state := string(args.Peek("state"))
		if state == "" {
			state = "pending"
		}
		if state != "pending" && state != "dead" {
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "state: want pending or dead"})
			return
		}
		limit := 100
		if l := args.Peek("limit"); len(l) > 0 {
			v, err := strconv.Atoi(string(l))
			if err != nil || v < 1 || v > 1000 {
				writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "limit: want 1 to 1000"})
				return
			}
			limit = v
		}
		items, err := n.store.Deliveries(state == "dead", string(args.Peek("after")), limit+1)
		if errors.Is(err, session.ErrInvalid) {
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "after: " + err.Error()})
			return
		}
		if err != nil {
			writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		p := DeliveryPage{State: state, Items: items}
		if len(items) > limit {
			p.Items, p.Next = items[:limit], items[limit-1].Key
		}
		if p.Items == nil {
			p.Items = []delivery.Item{}
		}
		p.Pending, p.Dead = n.store.DeliveryCounts()
		writeJSON(ctx, fasthttp.StatusOK, p)
		return
	}
	key, ok := strings.CutSuffix(strings.TrimPrefix(rest, "/"), "/retry")
	if !ok {
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "not found: POST " + AdminDeliveriesPath + "/{session}/{seq}/retry retries a dead letter"})
		return
	}
	if k, err := url.PathUnescape(key); err == nil {
		key = k
	}
	if !ctx.IsPost() {
		ctx.Response.Header.Set("Allow", "POST")
		writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method not allowed: POST retries the dead letter"})
		return
	}
	it, err := n.store.DeliveryRevive(context.Background(), key)
	switch {
	case errors.Is(err, session.ErrInvalid):
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": err.Error()})
	case errors.Is(err, session.ErrNoDelivery):
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
	default:
		n.recordAudit(audit.Entry{Actor: c.Subject, Role: c.Role, Action: "delivery.retry", Target: it.SessionID, From: n.clientAddr(ctx),
			Details: map[string]string{"key": it.Key, "channel": it.Channel}})
		writeJSON(ctx, fasthttp.StatusOK, it)
	}
}

// serveAdminIdentities is /v1/admin/customers/{id}/identities: GET lists
// the identities linked to the customer, POST {"kind","value"} links one
// (a staff member vouches for it: audited), DELETE ?kind=&value=
// unlinks one.
func (n *Node) serveAdminIdentities(ctx *fasthttp.RequestCtx) {
	c := n.staffClaims(ctx, "admin")
	if c == nil {
		return
	}
	id := strings.TrimSuffix(strings.TrimPrefix(string(ctx.Path()), AdminCustomersPath), "/identities")
	if id == "" || len(id) > maxCustomerID || strings.Contains(id, "/") {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": fmt.Sprintf("bad customer id %s", quoteID(id))})
		return
	}
	switch {
	case ctx.IsGet():
		ids, err := n.store.CustomerIdentities(id)
		if err != nil {
			writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		if ids == nil {
			ids = []session.Identity{}
		}
		writeJSON(ctx, fasthttp.StatusOK, map[string]any{"customer": id, "identities": ids})
	case ctx.IsPost(), ctx.IsDelete():
		var ident session.Identity
		if ctx.IsPost() {
			dec := json.NewDecoder(bytes.NewReader(ctx.PostBody()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ident); err != nil {
				writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "body: want {\"kind\":…,\"value\":…}: " + err.Error()})
				return
			}
		} else {
			ident = session.Identity{Kind: string(ctx.QueryArgs().Peek("kind")), Value: string(ctx.QueryArgs().Peek("value"))}
		}
		var err error
		action := "customer.link"
		if ctx.IsPost() {
			err = n.store.LinkIdentity(context.Background(), ident, id)
		} else {
			action = "customer.unlink"
			if cur, _ := n.store.IdentityCustomer(ident); cur != id {
				writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": ident.String() + " is not linked to " + quoteID(id)})
				return
			}
			err = n.store.UnlinkIdentity(context.Background(), ident)
		}
		if errors.Is(err, session.ErrInvalid) {
			writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		if err != nil {
			writeJSON(ctx, fasthttp.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		n.recordAudit(audit.Entry{Actor: c.Subject, Role: c.Role, Action: action, Target: id, From: n.clientAddr(ctx),
			Details: map[string]string{"identity": ident.String()}})
		writeJSON(ctx, fasthttp.StatusOK, map[string]any{"customer": id, "identity": ident})
	default:
		ctx.Response.Header.Set("Allow", "GET, POST, DELETE")
		writeJSON(ctx, fasthttp.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	}
}

// closeDeliveries stops the delivery worker (before the store closes).
func (n *Node) closeDeliveries(ctx context.Context) error {
	if n.deliveries == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return n.deliveries.Close(ctx)
}

// exportChannels adds to a customer's export their linked identities and
// each session's waiting and dead-lettered deliveries.
func (n *Node) exportChannels(e *CustomerExport) error {
	ids, err := n.store.CustomerIdentities(e.Customer)
	if err != nil {
		return err
	}
	e.Identities = ids
	for i := range e.Sessions {
		s := &e.Sessions[i]
		if s.Deliveries, s.DeadDeliveries, err = n.store.SessionDeliveries(s.Session.ID); err != nil {
			return err
		}
	}
	return nil
}

// identitySessions returns the sessions a customer's linked identities
// had before they were linked (their customer id is the identity itself,
// "phone:+1…"): the customer's export includes them, as the erasure
// does.
func (n *Node) identitySessions(cust string) ([]string, error) {
	ids, err := n.store.CustomerIdentities(cust)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, id := range ids {
		if id.String() == cust {
			continue
		}
		sids, err := n.store.CustomerSessions(id.String())
		if err != nil {
			return nil, err
		}
		out = append(out, sids...)
	}
	return out, nil
}

// eraseIdentitySessions erases the sessions a customer's linked
// identities had before they were linked (their customer id is the
// identity itself, "phone:+1…"): erasing the customer erases every
// channel's history of them. Their links go with the customer's.
func eraseIdentitySessions(ctx context.Context, st *session.Store, cust string, pending *session.PendingErasure) (session.Erased, error) {
	ids, err := st.CustomerIdentities(cust)
	if err != nil {
		return session.Erased{}, err
	}
	var all session.Erased
	all.Scrubbed = true
	for _, id := range ids {
		if id.String() == cust {
			continue
		}
		er, err := st.EraseCustomer(ctx, id.String(), pending)
		all = mergeErased(all, er)
		if err != nil {
			return all, err
		}
	}
	return all, nil
}

func mergeErased(a, b session.Erased) session.Erased {
	a.Sessions = append(a.Sessions, b.Sessions...)
	a.Messages += b.Messages
	a.Outbox += b.Outbox
	a.Scrubbed = a.Scrubbed && b.Scrubbed
	return a
}
