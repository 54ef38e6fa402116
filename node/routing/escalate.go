package routing

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/localtime"
	"github.com/edgedesk/edgedesk/node/session"
)

// Reserved FAQ intents: routing's texts to the customer, which a merchant
// translates like any answer. Each goes with a session.Notice.
const (
	TextAgentJoined = "_agent_joined" // an agent has the chat ({{agent_name}})
	TextQueued      = "_queued"       // waiting ({{queue_position}}, {{queue_eta}} minutes)
	TextTeamClosed  = "_team_closed"  // the team opens at {{opens_at}}; leave a message
	TextNoAgents    = "_no_agents"    // nobody is available; the message is kept
	TextPickedUp    = "_picked_up"    // a waiting chat was taken ({{agent_name}} when assigned)
	TextChatClosed  = "_chat_closed"  // the agent closed the chat; the bot is back
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
		TZ: meta.TZ, Country: countryOf(meta.Locale),
		Local: local || meta.Origin != ""} // a chat handed here stays here
	now := r.now()
	r.mu.Lock()
	var stale []*chat // queued behind a stale place, moved up
	if !e.Rerouted {
		stale = r.dropStaleLocked(e.Session)
	}
	if r.waiting[e.Session] != nil || r.chats[e.Session] != nil { // already with people
		r.mu.Unlock()
		return
	}
	p := r.plan
	start := time.Now()
	d, g, a := r.decide(p, req, now)
	r.met.decide.Observe(time.Since(start).Seconds())
	c := &chat{session: e.Session, req: req, lang: lang, customer: meta.Customer, prio: p.tiers[req.Tier], since: now, asked: e.Seq, translate: d.Translate}
	var asg *Assignment
	var sink Sink
	var behind []*chat
	var wait *session.Waiting
	switch d.Outcome {
	case Assigned:
		asg, sink = r.assignLocked(c, g, a, &d), a.sink
	case Queued:
		r.enqueueLocked(c, g.name)
		d.Position, d.ETASeconds = r.positionLocked(c)
		behind = r.behindLocked(c)
		if !d.OpensAt.IsZero() {
			d.ETASeconds += int(d.OpensAt.Sub(now).Seconds())
			r.openingLocked(d.OpensAt)
		}
	case Relayed:
		c.remote, c.group = d.Node, d.Group
		r.chats[e.Session] = c
	case Message:
		// The customer leaves a message: the chat waits, durably, until
		// a group can take it (waiting.go).
		r.waiting[e.Session] = c
		wait = c.waitingRecord()
		if !d.OpensAt.IsZero() {
			r.openingLocked(d.OpensAt)
		}
	}
	remote := r.remote
	r.mu.Unlock()
	r.met.decisions.WithLabelValues(string(d.Outcome), d.Group).Inc()
	r.record(e.Session, d, wait, !e.Rerouted)
	if d.Outcome == Relayed {
		// The other node's router decides among its agents and tells the
		// customer (through this node); here the chat only waits.
		go func() {
			if err := remote.Handoff(d.Node, Handoff{Escalation: e, Group: d.Group}); err != nil {
				r.async(func() { r.handoffFailed(e, d.Node, err) })
			}
		}()
		r.updatePositions(stale)
		return
	}
	r.tellCustomer(meta, lang, d, asg)
	if asg != nil {
		r.deliver(sink, *asg)
	}
	// A customer of a higher tier went ahead of others, or a stale place
	// was freed: they hear their new places.
	r.updatePositions(append(behind, stale...))
}

// dropStaleLocked forgets what the router keeps of a session whose
// conversation the bot took back since (a fresh hand-over is on its way):
// a waiting chat, a place in a queue, or a hand-over to another node (it
// is routed again, maybe to the same node). A chat an agent of this node
// has stays theirs. It returns the chats that were queued behind it.
func (r *Router) dropStaleLocked(id string) []*chat {
	delete(r.waiting, id)
	c := r.chats[id]
	if c == nil || c.agent != nil {
		return nil
	}
	delete(r.chats, id)
	r.clearDueLocked(c)
	if c.remote != "" {
		return nil
	}
	q := r.queues[c.group]
	i := slices.Index(q, c)
	if i < 0 {
		return nil
	}
	behind := slices.Clone(q[i+1:])
	r.queues[c.group] = slices.Delete(q, i, i+1)
	r.met.queued.WithLabelValues(c.group).Set(float64(len(r.queues[c.group])))
	return behind
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
	_, ok := r.waiting[sessionID]
	return ok
}

// assignLocked gives c to agent a of group g.
func (r *Router) assignLocked(c *chat, g *group, a *Agent, d *Decision) *Assignment {
	r.clock++
	a.stamp = r.clock
	c.group, c.agent, c.at = g.name, a, r.now()
	a.chats[c.session] = c
	r.chats[c.session] = c
	delete(r.waiting, c.session)
	r.startDeadlineLocked(c)
	return &Assignment{Session: c.session, AgentName: a.Name, Customer: c.customer, Lang: c.lang, Decision: *d, Note: c.note, FromAgent: c.noteFrom}
}

func (r *Router) enqueueLocked(c *chat, groupName string) {
	r.clock++
	c.seq, c.group, c.agent = r.clock, groupName, nil
	r.clearDueLocked(c)
	q := append(r.queues[groupName], c)
	// Higher tier first, then arrival: a stable insertion keeps it sorted.
	sort.SliceStable(q, func(i, j int) bool { return q[i].prio > q[j].prio })
	r.queues[groupName] = q
	r.chats[c.session] = c
	r.met.queued.WithLabelValues(groupName).Set(float64(len(q)))
}

// behindLocked returns the chats queued behind c (whose places moved when
// c went ahead of them).
func (r *Router) behindLocked(c *chat) []*chat {
	q := r.queues[c.group]
	for i, x := range q {
		if x == c {
			return slices.Clone(q[i+1:])
		}
	}
	return nil
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
			if a.available() {
				slots += g.capacity
			}
		}
	}
	eta := int(r.plan.handle.Seconds()) * pos / max(slots, 1)
	return pos, eta
}

// record appends the decision to the session's decisions (it becomes
// session.Meta.Route; the earlier ones stay in session.Meta.Routes), and
// stores whether the conversation waits for people (wait, for a Message
// outcome) or not (nil: a group has it). One metadata update does both. A fresh hand-over
// replaces a waiting mark left from an earlier one; a re-routed chat
// keeps the mark it had (since when the customer waits).
func (r *Router) record(id string, d Decision, wait *session.Waiting, fresh bool) {
	b, err := json.Marshal(d)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.store.Update(ctx, id, func(m *session.Meta) error {
		m.AddRoute(b)
		switch {
		case wait == nil:
			m.Waiting = nil
		case m.Waiting == nil || fresh:
			m.Waiting = wait
		}
		return nil
	}); err != nil {
		r.log.Warn("routing decision not stored", "session", id, "err", err)
	}
}

// tellCustomer posts the outcome to the customer, in their language, with
// its notice.
func (r *Router) tellCustomer(meta session.Meta, lang string, d Decision, asg *Assignment) {
	vars := map[string]string{}
	n := &session.Notice{Group: d.Group}
	intent := ""
	switch d.Outcome {
	case Assigned:
		intent, n.Kind = TextAgentJoined, session.NoticeAgentJoined
		if asg != nil {
			vars[faq.VarAgentName] = asg.AgentName
			n.Agent = &session.AgentRef{ID: d.Agent, Name: asg.AgentName}
		}
	case Queued:
		intent, n.Kind = TextQueued, session.NoticeQueued
		vars[faq.VarQueuePosition] = strconv.Itoa(d.Position)
		vars[faq.VarQueueETA] = strconv.Itoa(max(1, (d.ETASeconds+59)/60))
		r.store.Signal(meta.ID, &session.Event{Kind: session.EventQueue, Position: d.Position, ETASec: d.ETASeconds, Group: d.Group}, 0)
	case Message:
		if d.OpensAt.IsZero() {
			// No group, none for this customer, or none staffed or
			// opening within the lookahead: no time to promise.
			intent, n.Kind, n.Group = TextNoAgents, session.NoticeNoAgents, ""
		} else {
			intent, n.Kind, n.OpensAt = TextTeamClosed, session.NoticeTeamClosed, d.OpensAt.UTC()
		}
	default:
		return
	}
	r.say(meta, lang, intent, vars, n)
}

// customerTime formats t for the customer: in their zone (tz), in the
// language of the text it goes into (lang; the customer's locale when it
// is a more specific form of it, e.g. en-GB for en: its clock), "09:00"
// today, else with the weekday ("jue 09:00", "Thu 9:00 AM"); with an
// unknown zone, UTC with the zone named.
func customerTime(t time.Time, tz, lang, locale string, now time.Time) string {
	tag := lang
	if l := canon(locale); l != "" && base(l) == base(canon(lang)) && base(l) != "zh" { // a Chinese locale names a script the text may not be in
		tag = l
	}
	loc := zone(tz)
	if loc == nil {
		return localtime.Format(tag, t, now, time.UTC) + " UTC"
	}
	return localtime.Format(tag, t, now, loc)
}

var zones sync.Map // IANA name → *time.Location (nil when unknown)

// zone loads a time zone once; LoadLocation reads the tz database.
func zone(name string) *time.Location {
	if name == "" {
		return nil
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = nil
	}
	zones.Store(name, l)
	return l
}

// say posts a reserved FAQ text to the customer as a system message with
// notice n. A text with opens_at gets the time in its own language.
func (r *Router) say(meta session.Meta, lang, intent string, vars map[string]string, n *session.Notice) {
	if r.faq == nil || intent == "" {
		return
	}
	langs := faq.Chain(meta.Locale, lang, r.def, nil)
	a, ok := r.faq.Lookup(intent, langs)
	if !ok {
		r.log.Warn("FAQ lacks a routing text; the customer is not told", "intent", intent)
		return
	}
	now := r.now()
	out, ok := a.Tmpl.Render(nil, func(name string) (string, bool) {
		if name == faq.VarOpensAt && n != nil && !n.OpensAt.IsZero() {
			return customerTime(n.OpensAt, meta.TZ, a.Lang, meta.Locale, now), true
		}
		v, ok := vars[name]
		return v, ok && v != ""
	})
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.store.Post(ctx, session.Message{Session: meta.ID, From: session.FromSystem, Text: string(out), Lang: a.Lang, Notice: n}); err != nil {
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
	if meta, err := r.store.Get(asg.Session); err == nil {
		asg.Customer = meta.Customer // as it is now: an email left since, say
		asg.TZ, asg.Channel = meta.TZ, meta.Channel
	}
	r.met.assignments.Inc()
	sink.Assigned(asg)
}

// updatePositions tells waiting customers their new place in line.
func (r *Router) updatePositions(q []*chat) {
	if len(q) == 0 {
		return
	}
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
