package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

// Store is what routing needs of the session store.
type Store interface {
	Get(id string) (session.Meta, error)
	Messages(id string, after uint64, limit int) ([]session.Message, error)
	Post(ctx context.Context, m session.Message) (session.Message, error)
	Update(ctx context.Context, id string, fn func(*session.Meta) error) (session.Meta, error)
	Signal(id string, ev *session.Event, origin uint64)
}

// Sink receives an agent's events from the router. Its methods are called
// without the router's lock held but must not block for long (queue and
// return).
type Sink interface {
	Assigned(a Assignment)
	Unassigned(sessionID, reason string)
}

// Assignment is a chat given to an agent.
type Assignment struct {
	Session string
	// AgentName is the agent's display name at assignment.
	AgentName string
	Customer  session.Customer
	Lang      string
	Decision  Decision
	History   []session.Message
}

// Agent is a connected (or recently lost) human agent.
type Agent struct {
	ID, Name, Role string
	Groups         []string

	sink   Sink
	online bool
	chats  map[string]*chat
	stamp  uint64 // when last assigned, for round robin
	lost   *time.Timer
	conn   uint64 // connection generation: a reconnect supersedes a lost one
}

type chat struct {
	session  string
	req      Request
	lang     string
	customer session.Customer
	group    string
	agent    *Agent
	prio     int
	since    time.Time // queued at
	seq      uint64    // arrival order
	remote   string    // the node the chat was handed to (Relayed)
}

// Options configures a Router.
type Options struct {
	Config config.Routing
	Store  Store
	FAQ    *faq.Store
	// DefaultLanguage is the merchant's language (bot.default_language).
	DefaultLanguage string
	Logger          *slog.Logger
	Metrics         *Metrics
	Now             func() time.Time
}

// Router decides where conversations handed to people go and keeps the
// agents, their chats and the queues. All state changes happen under one
// mutex: a decision is microseconds, and one lock makes capacity and
// single assignment easy to get right.
type Router struct {
	store Store
	faq   *faq.Store
	def   string
	log   *slog.Logger
	met   *Metrics
	now   func() time.Time

	work chan func()
	quit chan struct{} // closed by Close: the worker drains and stops
	done chan struct{}
	// opening fires drain when the next closed group opens.
	opening *time.Timer

	mu      sync.Mutex
	plan    *plan
	agents  map[string]*Agent
	members map[string][]*Agent // group → agents
	chats   map[string]*chat    // session → chat (queued or assigned)
	queues  map[string][]*chat  // group → waiting chats, in order
	// messaged are chats whose customer was told to leave a message.
	messaged  map[string]time.Time
	openingAt time.Time
	clock     uint64
	closed    bool
	remote    Remote
}

// New compiles the configuration and starts the router's worker.
func New(opts Options) (*Router, error) {
	p, err := compile(opts.Config)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Router{
		store: opts.Store, faq: opts.FAQ, def: opts.DefaultLanguage, log: opts.Logger, met: opts.Metrics, now: opts.Now,
		work: make(chan func(), 4096), quit: make(chan struct{}), done: make(chan struct{}),
		plan: p, agents: map[string]*Agent{}, members: map[string][]*Agent{}, chats: map[string]*chat{}, queues: map[string][]*chat{}, messaged: map[string]time.Time{},
	}
	go r.loop()
	return r, nil
}

// Reload swaps in a new routing configuration. Chats already assigned or
// queued stay where they are.
func (r *Router) Reload(c config.Routing) error {
	p, err := compile(c)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.plan = p
	r.mu.Unlock()
	r.log.Info("routing configuration reloaded", "groups", len(p.groups), "rules", len(p.rules))
	return nil
}

// loop runs the router's asynchronous work (escalations, grace expiries)
// in order.
func (r *Router) loop() {
	defer close(r.done)
	for {
		select {
		case f := <-r.work:
			f()
		case <-r.quit:
			for { // what was queued before Close still runs
				select {
				case f := <-r.work:
					f()
				default:
					return
				}
			}
		}
	}
}

// Close stops the worker after the queued work.
func (r *Router) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, a := range r.agents {
		if a.lost != nil {
			a.lost.Stop()
		}
	}
	if r.opening != nil {
		r.opening.Stop()
	}
	r.mu.Unlock()
	close(r.quit)
	<-r.done
}

// async queues f for the worker; it never blocks the caller (the session
// store's committer): a full queue spills into a goroutine.
func (r *Router) async(f func()) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return
	}
	select {
	case r.work <- f:
	default:
		go func() {
			select {
			case r.work <- f:
			case <-r.quit:
			}
		}()
	}
}

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

// Errors of agent operations.
var (
	ErrNotYours     = errors.New("routing: not your chat")
	ErrNoAgent      = errors.New("routing: no such agent online")
	ErrNoRoom       = errors.New("routing: the agent has no room")
	ErrNoGroup      = errors.New("routing: no such group")
	ErrUnauthorized = errors.New("routing: role may not do this")
)

// Connect registers an agent's connection (or its return within the grace
// period: its chats are still its own). It returns the agent and the chats
// it holds.
func (r *Router) Connect(id, name, role string, groups []string, sink Sink) (*Agent, uint64, []Assignment) {
	r.mu.Lock()
	a := r.agents[id]
	if a == nil {
		a = &Agent{ID: id, chats: map[string]*chat{}}
		r.agents[id] = a
	} else {
		r.leaveGroupsLocked(a)
	}
	if a.lost != nil {
		a.lost.Stop()
		a.lost = nil
	}
	a.Name, a.Role, a.Groups, a.sink, a.online = name, role, append([]string(nil), groups...), sink, true
	a.conn++
	for _, g := range a.Groups {
		r.members[g] = append(r.members[g], a)
	}
	held := make([]Assignment, 0, len(a.chats))
	for _, c := range a.chats {
		held = append(held, Assignment{Session: c.session, Customer: c.customer, Lang: c.lang})
	}
	r.met.agents.Set(float64(r.onlineLocked()))
	gen := a.conn
	r.mu.Unlock()
	for i := range held {
		held[i].History, _ = r.store.Messages(held[i].Session, 0, 0)
	}
	return a, gen, held
}

// Ready gives a connected agent queued chats; the transport calls it once
// the agent has its welcome.
func (r *Router) Ready(a *Agent) { r.pull(a) }

func (r *Router) leaveGroupsLocked(a *Agent) {
	for _, g := range a.Groups {
		list := r.members[g]
		for i, x := range list {
			if x == a {
				r.members[g] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
}

func (r *Router) onlineLocked() int {
	n := 0
	for _, a := range r.agents {
		if a.online {
			n++
		}
	}
	return n
}

// Disconnect marks an agent's connection gen lost (a later connection of
// the same agent supersedes it: an old tab or a half-open socket closing
// does nothing). Unless the agent reconnects within routing.agent_grace,
// its chats go back to the front of their queues.
func (r *Router) Disconnect(a *Agent, gen uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !a.online || a.conn != gen {
		return
	}
	a.online = false
	r.met.agents.Set(float64(r.onlineLocked()))
	a.lost = time.AfterFunc(r.plan.grace, func() { r.async(func() { r.expire(a, gen) }) })
}

// expire requeues a lost agent's chats.
func (r *Router) expire(a *Agent, gen uint64) {
	r.mu.Lock()
	if a.online || a.conn != gen {
		r.mu.Unlock()
		return
	}
	var moved []*chat
	for id, c := range a.chats {
		delete(a.chats, id)
		c.prio += 1 << 20 // back to the front: they already waited
		r.enqueueLocked(c, c.group)
		moved = append(moved, c)
	}
	r.leaveGroupsLocked(a)
	delete(r.agents, a.ID)
	r.mu.Unlock()
	for _, c := range moved {
		r.met.requeued.Inc()
		r.log.Info("agent lost: chat back in the queue", "agent", a.ID, "session", c.session, "group", c.group)
		r.record(c.session, Decision{Outcome: Queued, Group: c.group, At: r.now(), Why: []string{"agent " + a.ID + " lost for longer than routing.agent_grace: requeued"}})
	}
	r.drain()
}

// drain assigns queued chats to free agents, in every group.
func (r *Router) drain() {
	r.mu.Lock()
	agents := make([]*Agent, 0, len(r.agents))
	for _, a := range r.agents {
		if a.online {
			agents = append(agents, a)
		}
	}
	r.mu.Unlock()
	for _, a := range agents {
		r.pull(a)
	}
}

// pull gives agent a queued chats of its groups while it has room.
func (r *Router) pull(a *Agent) {
	for {
		r.mu.Lock()
		var pick *chat
		var pg *group
		if a.online {
			for _, gname := range a.Groups {
				g := r.plan.byName[gname]
				q := r.queues[gname]
				if g == nil || len(q) == 0 || len(a.chats) >= g.capacity || !g.sched.OpenAt(r.now()) {
					continue
				}
				if pick == nil || q[0].prio > pick.prio || (q[0].prio == pick.prio && q[0].seq < pick.seq) {
					pick, pg = q[0], g
				}
			}
		}
		if pick == nil {
			r.mu.Unlock()
			return
		}
		r.queues[pg.name] = r.queues[pg.name][1:]
		r.met.queued.WithLabelValues(pg.name).Set(float64(len(r.queues[pg.name])))
		d := Decision{Outcome: Assigned, Group: pg.name, Agent: a.ID, At: r.now(),
			Why: []string{"from the queue of " + pg.name, fmt.Sprintf("agent %s has %d of %d chats", a.ID, len(a.chats), pg.capacity)}}
		asg := r.assignLocked(pick, pg, a, &d)
		sink := a.sink
		waiting := r.queues[pg.name]
		r.mu.Unlock()
		r.met.decisions.WithLabelValues(string(Assigned), pg.name).Inc()
		r.record(pick.session, d)
		if meta, err := r.store.Get(pick.session); err == nil {
			r.tellCustomer(meta, pick.lang, d, asg)
		}
		r.deliver(sink, *asg)
		r.updatePositions(waiting)
	}
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

// Owns reports whether agent a holds the chat.
func (r *Router) Owns(a *Agent, sessionID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := a.chats[sessionID]
	return ok
}

// Close ends a chat: the agent is done with it, the bot gets the session
// back, and the agent's freed room takes the next queued chat.
func (r *Router) CloseChat(ctx context.Context, a *Agent, sessionID string) error {
	r.mu.Lock()
	c, ok := a.chats[sessionID]
	if !ok {
		r.mu.Unlock()
		return ErrNotYours
	}
	delete(a.chats, sessionID)
	delete(r.chats, sessionID)
	_ = c
	r.mu.Unlock()
	if _, err := r.store.Update(ctx, sessionID, convo.Release); err != nil {
		return err
	}
	r.met.closed.Inc()
	r.pull(a)
	return nil
}

// Transfer moves a chat from agent a to another agent (toAgent) or to a
// group's queue or free agent (toGroup).
func (r *Router) Transfer(ctx context.Context, a *Agent, sessionID, toAgent, toGroup string) error {
	r.mu.Lock()
	c, ok := a.chats[sessionID]
	if !ok {
		r.mu.Unlock()
		return ErrNotYours
	}
	var target *Agent
	var g *group
	switch {
	case toAgent != "":
		target = r.agents[toAgent]
		if target == nil || !target.online {
			r.mu.Unlock()
			return ErrNoAgent
		}
		gname := c.group
		if !slices.Contains(target.Groups, gname) && len(target.Groups) > 0 {
			gname = target.Groups[0]
		}
		g = r.plan.byName[gname]
		if g == nil || len(target.chats) >= g.capacity {
			r.mu.Unlock()
			return ErrNoRoom
		}
	case toGroup != "":
		g = r.plan.byName[toGroup]
		if g == nil {
			r.mu.Unlock()
			return ErrNoGroup
		}
		target = r.freeAgent(g)
	default:
		r.mu.Unlock()
		return ErrNoGroup
	}
	delete(a.chats, sessionID)
	d := Decision{At: r.now(), Group: g.name, Why: []string{"transferred by agent " + a.ID}}
	var asg *Assignment
	var targetSink Sink
	from := a.sink
	if target != nil {
		d.Outcome, d.Agent = Assigned, target.ID
		asg, targetSink = r.assignLocked(c, g, target, &d), target.sink
	} else {
		d.Outcome = Queued
		r.enqueueLocked(c, g.name)
		d.Position, d.ETASeconds = r.positionLocked(c)
	}
	r.mu.Unlock()
	r.met.transfers.Inc()
	from.Unassigned(sessionID, "transferred")
	r.record(sessionID, d)
	if meta, err := r.store.Get(sessionID); err == nil {
		r.tellCustomer(meta, c.lang, d, asg)
	}
	if asg != nil {
		r.deliver(targetSink, *asg)
	}
	r.pull(a)
	return nil
}

// Reply posts an agent's message to the customer: durable, then delivered
// as a msg frame from agent.
func (r *Router) Reply(ctx context.Context, a *Agent, sessionID, cid, text string) (session.Message, error) {
	r.mu.Lock()
	_, ok := a.chats[sessionID]
	name := a.Name
	r.mu.Unlock()
	if !ok {
		return session.Message{}, ErrNotYours
	}
	return r.store.Post(ctx, session.Message{Session: sessionID, From: session.FromAgent, CID: cid, Text: text, Agent: &session.AgentRef{ID: a.ID, Name: name}})
}

// Typing tells the customer the agent is typing.
func (r *Router) Typing(a *Agent, sessionID string, on bool) error {
	if !r.Owns(a, sessionID) {
		return ErrNotYours
	}
	r.store.Signal(sessionID, &session.Event{Kind: session.EventTyping, From: session.FromAgent, On: on}, 0)
	return nil
}

// GroupView is a supervisor's view of one group.
type GroupView struct {
	Name    string      `json:"name"`
	Open    bool        `json:"open"`
	Waiting []string    `json:"waiting"`
	Agents  []AgentView `json:"agents"`
}

// AgentView is an agent as a supervisor sees it.
type AgentView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Online bool     `json:"online"`
	Chats  []string `json:"chats"`
}

// Overview is what supervisors see: every group's queue and agents.
func (r *Router) Overview() []GroupView {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make([]GroupView, 0, len(r.plan.groups))
	for _, g := range r.plan.groups {
		v := GroupView{Name: g.name, Open: g.sched.OpenAt(now), Waiting: []string{}, Agents: []AgentView{}}
		for _, c := range r.queues[g.name] {
			v.Waiting = append(v.Waiting, c.session)
		}
		for _, a := range r.members[g.name] {
			av := AgentView{ID: a.ID, Name: a.Name, Online: a.online, Chats: []string{}}
			for id := range a.chats {
				av.Chats = append(av.Chats, id)
			}
			sort.Strings(av.Chats)
			v.Agents = append(v.Agents, av)
		}
		out = append(out, v)
	}
	return out
}
