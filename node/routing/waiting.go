package routing

import (
	"context"
	"sort"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// Waiting chats. A customer who is told to leave a message (the matching
// team is closed, has nobody online, or there is no team) has a waiting
// chat: kept in memory here and durably in the session
// (session.Meta.Waiting, indexed by the store). It is picked up — given to
// a free agent, or queued in an open group with someone online — as soon
// as a group can take it: when a group opens (the opening timer), an agent
// comes online (Ready), the configuration changes (Reload) or a queue is
// drained. The agent gets the whole conversation; the customer is told,
// in their language, that someone is looking at it (notice picked_up).
// After a restart, restore takes the waiting chats back from the store.

// restore takes back the chats that were waiting when the node stopped.
// A session the bot has taken back since (the customer started afresh)
// no longer waits.
func (r *Router) restore() {
	ids, err := r.store.Waiting()
	if err != nil {
		r.log.Error("waiting chats not restored", "err", err)
	}
	var back []*chat
	for _, id := range ids {
		meta, err := r.store.Get(id)
		if err != nil || meta.Waiting == nil || meta.Origin != "" {
			continue // gone, or a mirror: the customer's node keeps it
		}
		if !convo.Handed(&meta) {
			r.unwait(id)
			continue
		}
		w := meta.Waiting
		lang := w.Lang
		if lang == "" {
			lang = meta.Locale
		}
		text := ""
		if msgs, err := r.store.Messages(id, max(w.Seq, 1)-1, 1); err == nil && len(msgs) > 0 {
			text = msgs[0].Text
		}
		c := &chat{session: id, lang: lang, customer: meta.Customer, since: w.Since, asked: w.Seq,
			req: Request{Session: id, Lang: lang, Intent: w.Intent, Text: text, Tier: meta.Customer.Tier, Reason: w.Reason,
				TZ: meta.TZ, Country: countryOf(meta.Locale)}}
		r.mu.Lock()
		if r.chats[id] == nil && r.waiting[id] == nil {
			r.waiting[id] = c
			back = append(back, c)
		}
		r.mu.Unlock()
	}
	if len(back) > 0 {
		r.log.Info("waiting chats restored", "count", len(back))
	}
	sort.Slice(back, func(i, j int) bool { return back[i].since.Before(back[j].since) })
	for _, c := range back {
		r.pickUp(c)
	}
}

// retryWaiting offers the waiting chats, oldest first, to the groups that
// can take them now. It costs nothing when no group is open with someone
// online.
func (r *Router) retryWaiting() {
	now := r.now()
	r.mu.Lock()
	staffed := false
	for _, g := range r.plan.groups {
		if r.online(g) && g.sched.OpenAt(now) {
			staffed = true
			break
		}
	}
	var list []*chat
	if staffed {
		list = make([]*chat, 0, len(r.waiting))
		for _, c := range r.waiting {
			list = append(list, c)
		}
	}
	r.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].since.Before(list[j].since) })
	for _, c := range list {
		r.pickUp(c)
	}
}

// pickUp routes waiting chat c again, among this node's groups: to a free
// agent, or the queue of an open group with someone online. Otherwise it
// keeps waiting, and the opening timer is set for the soonest matching
// group.
func (r *Router) pickUp(c *chat) {
	meta, err := r.store.Get(c.session)
	if err != nil || !convo.Handed(&meta) {
		// Expired, or the bot has the conversation again (the customer
		// came back after the hand-over lapsed, or reopened it).
		r.mu.Lock()
		if r.waiting[c.session] == c {
			delete(r.waiting, c.session)
		}
		r.mu.Unlock()
		if err == nil {
			r.unwait(c.session)
		}
		return
	}
	now := r.now()
	req := c.req
	req.Local = true
	r.mu.Lock()
	if r.waiting[c.session] != c {
		r.mu.Unlock()
		return // picked up meanwhile
	}
	p := r.plan
	d, g, a := r.decide(p, req, now)
	d.Why = append([]string{"waiting since " + c.since.UTC().Format(time.RFC3339) + ": picked up"}, d.Why...)
	c.translate = d.Translate
	var asg *Assignment
	var sink Sink
	var behind []*chat
	switch {
	case d.Outcome == Assigned:
		asg, sink = r.assignLocked(c, g, a, &d), a.sink
	case d.Outcome == Queued && d.OpensAt.IsZero():
		c.prio = p.tiers[req.Tier]
		delete(r.waiting, c.session)
		r.enqueueLocked(c, g.name)
		d.Position, d.ETASeconds = r.positionLocked(c)
		behind = r.behindLocked(c)
	default:
		if !d.OpensAt.IsZero() {
			r.openingLocked(d.OpensAt)
		}
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	r.met.decisions.WithLabelValues(string(d.Outcome), d.Group).Inc()
	r.met.pickedUp.Inc()
	r.record(c.session, d, nil, false)
	r.log.Info("waiting chat picked up", "session", c.session, "outcome", d.Outcome, "group", d.Group, "agent", d.Agent)
	n := &session.Notice{Kind: session.NoticePickedUp, Group: d.Group}
	vars := map[string]string{}
	if asg != nil {
		n.Agent = &session.AgentRef{ID: d.Agent, Name: asg.AgentName}
		vars[faq.VarAgentName] = asg.AgentName
	} else {
		r.store.Signal(c.session, &session.Event{Kind: session.EventQueue, Position: d.Position, ETASec: d.ETASeconds, Group: d.Group}, 0)
	}
	r.say(meta, c.lang, TextPickedUp, vars, n)
	if asg != nil {
		r.deliver(sink, *asg)
	}
	r.updatePositions(behind)
}

// unwait clears a session's waiting mark.
func (r *Router) unwait(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.store.Update(ctx, id, func(m *session.Meta) error { m.Waiting = nil; return nil }); err != nil {
		r.log.Warn("waiting mark not cleared", "session", id, "err", err)
	}
}
