package routing

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// Escalate implements convo.Escalator: the bot handed a chat to people.
func (r *Router) Escalate(e convo.Escalation) {
	r.async(func() { r.route(e) })
}

// route decides where an escalated chat goes and tells everyone.
func (r *Router) route(e convo.Escalation) { r.routeWith(e, false) }

// routeWith routes e; local keeps it among this node's groups.
func (r *Router) routeWith(e convo.Escalation, local bool) {
	meta, err := r.store.Get(e.Session)
	if err != nil {
		r.log.Error("escalated session not found", "session", e.Session, "err", err)
		return
	}
	text := ""
	if msgs, err := r.store.Messages(e.Session, max(e.Seq, 1)-1, 1); err == nil && len(msgs) > 0 {
		text = msgs[0].Text
	}
	lang := e.Lang
	if lang == "" {
		lang = meta.Locale
	}
	req := Request{Session: e.Session, Lang: lang, Intent: e.Intent, Text: text, Tier: meta.Customer.Tier, Reason: string(e.Reason),
		Local: local || meta.Origin != ""} // a chat handed here stays here
	now := r.now()
	r.mu.Lock()
	if _, told := r.messaged[e.Session]; told || r.chats[e.Session] != nil { // already with people
		r.mu.Unlock()
		return
	}
	p := r.plan
	start := time.Now()
	d, g, a := r.decide(p, req, now)
	r.met.decide.Observe(time.Since(start).Seconds())
	c := &chat{session: e.Session, req: req, lang: lang, customer: meta.Customer, prio: p.tiers[req.Tier], since: now}
	var asg *Assignment
	var sink Sink
	switch d.Outcome {
	case Assigned:
		asg, sink = r.assignLocked(c, g, a, &d), a.sink
	case Queued:
		r.enqueueLocked(c, g.name)
		d.Position, d.ETASeconds = r.positionLocked(c)
		if !d.OpensAt.IsZero() {
			d.ETASeconds += int(d.OpensAt.Sub(now).Seconds())
			r.openingLocked(d.OpensAt)
		}
	case Relayed:
		c.remote, c.group = d.Node, d.Group
		r.chats[e.Session] = c
	case Message:
		r.messaged[e.Session] = now
		if len(r.messaged) > 10000 {
			for id, at := range r.messaged {
				if now.Sub(at) > convo.HumanLapse {
					delete(r.messaged, id)
				}
			}
		}
	}
	remote := r.remote
	r.mu.Unlock()
	r.met.decisions.WithLabelValues(string(d.Outcome), d.Group).Inc()
	r.record(e.Session, d)
	if d.Outcome == Relayed {
		// The other node's router decides among its agents and tells the
		// customer (through this node); here the chat only waits.
		go func() {
			if err := remote.Handoff(d.Node, Handoff{Escalation: e, Group: d.Group}); err != nil {
				r.async(func() { r.handoffFailed(e, d.Node, err) })
			}
		}()
		return
	}
	r.tellCustomer(meta, lang, d, asg)
	if asg != nil {
		r.deliver(sink, *asg)
	}
}

// openingLocked makes sure the queues are drained when a group opens at t:
// chats waiting for a closed group get an agent as soon as it opens.
func (r *Router) openingLocked(t time.Time) {
	if !r.openingAt.IsZero() && !t.Before(r.openingAt) && r.openingAt.After(r.now()) {
		return
	}
	if r.opening != nil {
		r.opening.Stop()
	}
	r.openingAt = t
	r.opening = time.AfterFunc(max(t.Sub(r.now()), 0)+100*time.Millisecond, func() { r.async(r.drain) })
}

// Holds reports whether the router has the chat: queued, assigned, or told
// to leave a message. The bot asks before it stays quiet on a session
// handed to people: after a restart the router has forgotten its chats,
// and such a session is routed again.
func (r *Router) Holds(sessionID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.chats[sessionID]; ok {
		return true
	}
	_, ok := r.messaged[sessionID]
	return ok
}

// assignLocked gives c to agent a of group g.
func (r *Router) assignLocked(c *chat, g *group, a *Agent, d *Decision) *Assignment {
	r.clock++
	a.stamp = r.clock
	c.group, c.agent = g.name, a
	a.chats[c.session] = c
	r.chats[c.session] = c
	delete(r.messaged, c.session)
	return &Assignment{Session: c.session, AgentName: a.Name, Customer: c.customer, Lang: c.lang, Decision: *d}
}

func (r *Router) enqueueLocked(c *chat, groupName string) {
	r.clock++
	c.seq, c.group, c.agent = r.clock, groupName, nil
	q := append(r.queues[groupName], c)
	// Higher tier first, then arrival: a stable insertion keeps it sorted.
	sort.SliceStable(q, func(i, j int) bool { return q[i].prio > q[j].prio })
	r.queues[groupName] = q
	r.chats[c.session] = c
	r.met.queued.WithLabelValues(groupName).Set(float64(len(q)))
}

// positionLocked returns c's place in its queue and the wait estimate.
func (r *Router) positionLocked(c *chat) (int, int) {
	q := r.queues[c.group]
	pos := 0
	for i, x := range q {
		if x == c {
			pos = i + 1
		}
	}
	slots := 0
	if g := r.plan.byName[c.group]; g != nil {
		for _, a := range r.members[c.group] {
			if a.online {
				slots += g.capacity
			}
		}
	}
	eta := int(r.plan.handle.Seconds()) * pos / max(slots, 1)
	return pos, eta
}

// record stores the decision with the session.
func (r *Router) record(id string, d Decision) {
	b, err := json.Marshal(d)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.store.Update(ctx, id, func(m *session.Meta) error { m.Route = b; return nil }); err != nil {
		r.log.Warn("routing decision not stored", "session", id, "err", err)
	}
}

// tellCustomer posts the outcome to the customer, in their language.
func (r *Router) tellCustomer(meta session.Meta, lang string, d Decision, asg *Assignment) {
	vars := map[string]string{}
	intent := ""
	switch d.Outcome {
	case Assigned:
		intent = "_agent_joined"
		if asg != nil {
			vars[faq.VarAgentName] = asg.AgentName
		}
	case Queued:
		intent = "_queued"
		vars[faq.VarQueuePosition] = strconv.Itoa(d.Position)
		vars[faq.VarQueueETA] = strconv.Itoa(max(1, (d.ETASeconds+59)/60))
		r.store.Signal(meta.ID, &session.Event{Kind: session.EventQueue, Position: d.Position, ETASec: d.ETASeconds, Group: d.Group}, 0)
	case Message:
		intent = "_team_closed"
		if !d.OpensAt.IsZero() {
			vars[faq.VarOpensAt] = customerTime(d.OpensAt, meta.TZ, r.now())
		}
	}
	r.say(meta, lang, intent, vars)
}

// customerTime formats t in the customer's zone: "09:00" today, else
// "Mon 09:00"; with an unknown zone, UTC with the zone named.
func customerTime(t time.Time, tz string, now time.Time) string {
	loc, err := time.LoadLocation(tz)
	if tz == "" || err != nil {
		return t.UTC().Format("Mon 15:04 UTC")
	}
	lt, ln := t.In(loc), now.In(loc)
	if lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year() {
		return lt.Format("15:04")
	}
	return lt.Format("Mon 15:04")
}

// say posts a reserved FAQ text to the customer as a system message.
func (r *Router) say(meta session.Meta, lang, intent string, vars map[string]string) {
	if r.faq == nil || intent == "" {
		return
	}
	langs := faq.Chain(meta.Locale, lang, r.def, nil)
	a, ok := r.faq.Lookup(intent, langs)
	if !ok {
		r.log.Warn("FAQ lacks a routing text; the customer is not told", "intent", intent)
		return
	}
	out, ok := a.Tmpl.Render(nil, func(n string) (string, bool) { v, ok := vars[n]; return v, ok && v != "" })
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.store.Post(ctx, session.Message{Session: meta.ID, From: session.FromSystem, Text: string(out), Lang: a.Lang}); err != nil {
		r.log.Warn("routing notice not posted", "session", meta.ID, "err", err)
	}
}

// deliver hands an assignment, with the conversation so far, to the sink
// of its agent's connection (taken under the lock when it was assigned).
func (r *Router) deliver(sink Sink, asg Assignment) {
	hist, err := r.store.Messages(asg.Session, 0, 0)
	if err != nil {
		r.log.Warn("history not loaded for an assignment", "session", asg.Session, "err", err)
	}
	asg.History = hist
	r.met.assignments.Inc()
	sink.Assigned(asg)
}

// updatePositions tells waiting customers their new place in line.
func (r *Router) updatePositions(q []*chat) {
	r.mu.Lock()
	type upd struct {
		id       string
		pos, eta int
		group    string
	}
	ups := make([]upd, 0, len(q))
	for _, c := range q {
		if r.chats[c.session] == c && c.agent == nil {
			p, e := r.positionLocked(c)
			ups = append(ups, upd{c.session, p, e, c.group})
		}
	}
	r.mu.Unlock()
	for _, u := range ups {
		r.store.Signal(u.id, &session.Event{Kind: session.EventQueue, Position: u.pos, ETASec: u.eta, Group: u.group}, 0)
	}
}
