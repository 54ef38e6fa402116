package routing

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

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
	// TZ and Channel are the session's (the customer's IANA zone from the
	// widget's hello; the channel that opened it).
	TZ, Channel string
	Decision    Decision
	History     []session.Message
	// Note and FromAgent: the last transfer's note (the latest one left)
	// and who moved the chat, for a chat that was transferred.
	Note      string
	FromAgent *session.AgentRef
}

// Agent is a connected (or recently lost) human agent.
type Agent struct {
	ID, Name, Role string
	Groups         []string
	langs          []string // the staff profile's languages (translation.go)

	sink   Sink
	online bool
	// away: connected, keeping its chats, taking no new ones.
	away  bool
	chats map[string]*chat
	stamp uint64 // when last assigned, for round robin
	lost  *time.Timer
	conn  uint64 // connection generation: a reconnect supersedes a lost one

	// active is when the agent last showed they are there (connected,
	// wrote, closed or transferred a chat): a chat whose first response
	// they missed before that may be theirs again (deadline.go).
	active time.Time
}

// Connect registers an agent's connection (or its return within the grace
// period: its chats are still its own), available or away. It returns the
// agent and the chats it holds.
func (r *Router) Connect(id, name, role string, groups []string, away bool, sink Sink) (*Agent, uint64, []Assignment) {
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
	a.Name, a.Role, a.Groups, a.sink, a.online, a.away = name, role, append([]string(nil), groups...), sink, true, away
	a.conn++
	a.active = r.now()
	for _, g := range a.Groups {
		r.members[g] = append(r.members[g], a)
	}
	held := make([]Assignment, 0, len(a.chats))
	for _, c := range a.chats {
		held = append(held, Assignment{Session: c.session, Customer: c.customer, Lang: c.lang, Note: c.note, FromAgent: c.noteFrom})
	}
	r.met.agents.Set(float64(r.onlineLocked()))
	gen := a.conn
	r.mu.Unlock()
	for i := range held {
		held[i].History, _ = r.store.Messages(held[i].Session, 0, 0)
		if meta, err := r.store.Get(held[i].Session); err == nil {
			held[i].Customer, held[i].TZ, held[i].Channel = meta.Customer, meta.TZ, meta.Channel
			// The decision that gave the chat to the agent (its why, a
			// transfer's note) is the session's last one.
			if len(meta.Route) > 0 && json.Unmarshal(meta.Route, &held[i].Decision) != nil {
				held[i].Decision = Decision{}
			}
		}
	}
	return a, gen, held
}

// available reports whether a takes new chats: connected and not away.
// Caller holds r.mu.
func (a *Agent) available() bool { return a.online && !a.away }

// Status is an agent's availability as supervisors see it.
func (a *Agent) status() string {
	switch {
	case !a.online:
		return StatusOffline
	case a.away:
		return StatusAway
	}
	return StatusOnline
}

// Agent availability (SetAway, AgentView.Status).
const (
	StatusOnline  = "online"  // takes new chats
	StatusAway    = "away"    // keeps its chats, takes no new ones
	StatusOffline = "offline" // connection lost, within routing.agent_grace
)

// SetAway sets whether a connected agent is away. An away agent keeps its
// chats but gets no new ones; back online, it takes queued and waiting
// chats of its groups.
func (r *Router) SetAway(a *Agent, away bool) {
	r.mu.Lock()
	changed := a.away != away
	a.away = away
	r.mu.Unlock()
	if changed && !away {
		r.Ready(a)
	}
}

// Ready gives a connected agent queued chats, and the chats waiting for
// its groups; the transport calls it once the agent has its welcome.
func (r *Router) Ready(a *Agent) {
	r.pull(a)
	r.retryWaiting()
}

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
	groups := map[string]bool{}
	for id, c := range a.chats {
		delete(a.chats, id)
		c.prio += 1 << 20 // back to the front: they already waited
		r.enqueueLocked(c, c.group)
		moved = append(moved, c)
		groups[c.group] = true
	}
	var others []*chat // every place in those queues moved
	for g := range groups {
		others = append(others, r.queues[g]...)
	}
	r.leaveGroupsLocked(a)
	delete(r.agents, a.ID)
	r.mu.Unlock()
	for _, c := range moved {
		r.met.requeued.Inc()
		r.log.Info("agent lost: chat back in the queue", "agent", a.ID, "session", c.session, "group", c.group)
		r.record(c.session, Decision{Outcome: Queued, Group: c.group, At: r.now(), Why: []string{"agent " + a.ID + " lost for longer than routing.agent_grace: requeued"}}, nil, false)
	}
	r.drain()
	r.updatePositions(others)
}

// drain assigns queued chats to free agents, in every group.
func (r *Router) drain() {
	r.mu.Lock()
	agents := make([]*Agent, 0, len(r.agents))
	for _, a := range r.agents {
		if a.available() {
			agents = append(agents, a)
		}
	}
	r.mu.Unlock()
	for _, a := range agents {
		r.pull(a)
	}
	r.retryWaiting()
}

// pull gives agent a queued chats of its groups while it has room.
func (r *Router) pull(a *Agent) { r.pullSkipping(a, "") }

// pullSkipping is pull leaving session skip in its queue: the chat a just
// transferred away does not come straight back to it.
func (r *Router) pullSkipping(a *Agent, skip string) {
	for {
		r.mu.Lock()
		var pick *chat
		var pg *group
		at := -1
		now := r.now()
		if a.available() {
			for _, gname := range a.Groups {
				g := r.plan.byName[gname]
				q := r.queues[gname]
				if g == nil || len(q) == 0 || len(a.chats) >= g.capacity || !g.sched.OpenAt(now) {
					continue
				}
				// The first a may take: not the one a just gave away (skip),
				// nor one whose first response a missed, until a is back
				// (deadline.go).
				i := slices.IndexFunc(q, func(c *chat) bool { return c.session != skip && c.mayTake(a) })
				if i >= 0 && (pick == nil || q[i].prio > pick.prio || (q[i].prio == pick.prio && q[i].seq < pick.seq)) {
					pick, pg, at = q[i], g, i
				}
			}
		}
		if pick == nil {
			r.mu.Unlock()
			return
		}
		if q := r.queues[pg.name]; at == 0 {
			r.queues[pg.name] = q[1:]
		} else { // a new array: callers read queues they took under the lock after it
			r.queues[pg.name] = append(append(make([]*chat, 0, len(q)-1), q[:at]...), q[at+1:]...)
		}
		r.met.queued.WithLabelValues(pg.name).Set(float64(len(r.queues[pg.name])))
		// The decision that queued the chat stays in the session's
		// history; this one says how it left the queue.
		d := Decision{Outcome: Assigned, Group: pg.name, Agent: a.ID, At: now,
			Why: []string{fmt.Sprintf("from the queue of %s (waiting %s)", pg.name, seconds(now.Sub(pick.since).Truncate(time.Second))),
				fmt.Sprintf("agent %s has %d of %d chats", a.ID, len(a.chats), pg.capacity)}}
		// A chat queued for translation keeps the mark, into a language of
		// the group that has it now (a transfer may have moved it).
		if tr := pick.translate; tr != nil && !slices.Contains(pg.bases, base(tr.From)) {
			if !slices.Contains(pg.langs, tr.To) {
				tr = &Translation{From: tr.From, To: r.pair(r.plan, tr.From, pg)}
			}
			d.NeedsTranslation, d.Translate = true, tr
			d.Why = append(d.Why, "needs translation "+orNone(tr.From)+" → "+tr.To)
		}
		asg := r.assignLocked(pick, pg, a, &d)
		sink := a.sink
		waiting := slices.Clone(r.queues[pg.name])
		r.mu.Unlock()
		r.met.decisions.WithLabelValues(string(Assigned), pg.name).Inc()
		r.record(pick.session, d, nil, false)
		if meta, err := r.store.Get(pick.session); err == nil {
			r.tellCustomer(meta, pick.lang, d, asg)
		}
		r.deliver(sink, *asg)
		r.updatePositions(waiting)
	}
}
