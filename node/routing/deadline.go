package routing

import (
	"container/heap"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The first-response deadline (routing.first_response_timeout). An agent
// given a chat must send a message in it within the timeout; otherwise
// the chat is taken from them (Unassigned, ReasonFirstResponseTimeout),
// goes to the front of its group's queue and to another agent of the
// group with room, and the session's decisions say so. Nobody else with
// room: it waits at the front of the queue, where any other agent of the
// group who gets room takes it. The agent who missed it gets it back only
// once they show they are there — a message in another chat, a close, a
// transfer, a reconnect (Agent.active) — so an agent away from the desk
// does not get it again and again, and the customer does not hear "Ana
// joined" then "you are number 1" every timeout; an agent alone in their
// group who comes back gets it.
//
// One heap of the assigned chats ordered by deadline and one timer for
// the earliest serve every chat: no goroutine or timer per chat. The
// deadline is cancelled by the agent's first reply (Reply), a transfer, a
// close, a requeue (agent lost: the chat is queued), and the router's
// Close; entries the router no longer holds are skipped when due. A
// reload keeps the deadlines already set (their timeout is the one in
// force at assignment); a reload that turns the setting off lets them
// lapse without effect.

// ReasonFirstResponseTimeout is the Unassigned reason of a chat taken from
// an agent who did not answer it within routing.first_response_timeout.
const ReasonFirstResponseTimeout = "first_response_timeout"

// dues is a min-heap of assigned chats by deadline; chat.hi is its index
// + 1 (0: not in the heap).
type dues []*chat

func (h dues) Len() int           { return len(h) }
func (h dues) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dues) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hi, h[j].hi = i+1, j+1
}
func (h *dues) Push(x any) { c := x.(*chat); c.hi = len(*h) + 1; *h = append(*h, c) }
func (h *dues) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h, c.hi = old[:len(old)-1], 0
	return c
}

// setDueLocked puts c in the heap, due at t, and re-arms the timer.
func (r *Router) setDueLocked(c *chat, t time.Time) {
	c.due = t
	if c.hi > 0 {
		heap.Fix(&r.dues, c.hi-1)
	} else {
		heap.Push(&r.dues, c)
	}
	r.armLocked()
}

// clearDueLocked takes c out of the heap: its deadline is cancelled.
func (r *Router) clearDueLocked(c *chat) {
	if c.hi == 0 {
		return
	}
	heap.Remove(&r.dues, c.hi-1)
	c.due = time.Time{}
	r.armLocked()
}

// armLocked sets the one timer for the earliest due chat.
func (r *Router) armLocked() {
	if r.closed {
		return
	}
	if len(r.dues) == 0 {
		if r.dueTimer != nil {
			r.dueTimer.Stop()
		}
		return
	}
	d := max(r.dues[0].due.Sub(r.now()), 0)
	if r.dueTimer == nil {
		r.dueTimer = time.AfterFunc(d, func() { r.async(r.firstResponseDue) })
		return
	}
	r.dueTimer.Reset(d)
}

// startDeadlineLocked gives c, just assigned, its first-response deadline
// when the feature is on.
func (r *Router) startDeadlineLocked(c *chat) {
	c.skip = ""
	if t := r.plan.firstResponse; t > 0 {
		c.timeout = t
		r.setDueLocked(c, r.now().Add(t))
		return
	}
	r.clearDueLocked(c)
}

// answered cancels the deadline of a's chat: the agent wrote in it. It
// also shows the agent is there: a chat whose first response they missed
// may be theirs again, if they have room.
func (r *Router) answered(a *Agent, sessionID string) {
	r.mu.Lock()
	if c := a.chats[sessionID]; c != nil && c.agent == a {
		r.clearDueLocked(c)
	}
	a.active = r.now()
	back := r.missedByLocked(a)
	r.mu.Unlock()
	if back {
		r.async(func() { r.pull(a) })
	}
}

// missedByLocked reports whether a chat whose first response a missed
// waits in one of a's queues.
func (r *Router) missedByLocked(a *Agent) bool {
	for _, g := range a.Groups {
		for _, c := range r.queues[g] {
			if c.skip == a.ID {
				return true
			}
		}
	}
	return false
}

// mayTake reports whether agent a may take queued chat c: not the agent
// who missed its first response, until they showed they are back.
func (c *chat) mayTake(a *Agent) bool {
	return c.skip != a.ID || a.active.After(c.missed)
}

// seconds writes d as the configuration would ("60s", "0.2s").
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

// missed is a chat whose agent did not answer in time, as taken from them.
type missed struct {
	c       *chat
	from    *Agent
	fromSnk Sink
	d       Decision
	asg     *Assignment
	sink    Sink
	behind  []*chat
}

// firstResponseDue takes back the chats whose deadline passed.
func (r *Router) firstResponseDue() {
	now := r.now()
	r.mu.Lock()
	var out []missed
	for len(r.dues) > 0 && !r.dues[0].due.After(now) {
		c := heap.Pop(&r.dues).(*chat)
		a := c.agent
		if r.chats[c.session] != c || a == nil || a.chats[c.session] != c {
			continue // closed, requeued or routed afresh since
		}
		if r.plan.firstResponse <= 0 {
			continue // a reload turned the deadline off
		}
		out = append(out, r.takeBackLocked(c, a, now))
	}
	r.armLocked()
	r.mu.Unlock()
	for _, m := range out {
		r.met.firstResponseTimeouts.Inc()
		r.met.decisions.WithLabelValues(string(m.d.Outcome), m.d.Group).Inc()
		r.log.Info("first response timeout: chat taken from its agent", "agent", m.from.ID, "session", m.c.session, "group", m.c.group, "outcome", m.d.Outcome, "to", m.d.Agent)
		m.fromSnk.Unassigned(m.c.session, ReasonFirstResponseTimeout)
		r.record(m.c.session, m.d, nil, false)
		if meta, err := r.store.Get(m.c.session); err == nil {
			r.tellCustomer(meta, m.c.lang, m.d, m.asg)
		}
		if m.asg != nil {
			r.deliver(m.sink, *m.asg)
		}
		r.updatePositions(m.behind)
	}
	if len(out) > 0 {
		r.drain() // the missing agents' freed room, for other queued chats
	}
}

// takeBackLocked takes c from agent a, who missed its first response: to
// the front of its group's queue, then to another agent of the group with
// room, if any.
func (r *Router) takeBackLocked(c *chat, a *Agent, now time.Time) missed {
	m := missed{c: c, from: a, fromSnk: a.sink}
	delete(a.chats, c.session)
	if q := r.queues[c.group]; len(q) > 0 && q[0].prio >= c.prio {
		c.prio = q[0].prio + 1 // the front: it already waited
	}
	r.enqueueLocked(c, c.group)
	c.skip, c.missed = a.ID, now
	why := fmt.Sprintf("agent %s did not answer within %s: back to the front of %s's queue", a.ID, seconds(c.timeout), c.group)
	m.d = Decision{At: now, Group: c.group}
	g := r.plan.byName[c.group]
	var b *Agent
	if g != nil {
		b = r.freeAgentExcept(g, a)
	}
	if b != nil {
		if i := slices.Index(r.queues[c.group], c); i >= 0 {
			r.queues[c.group] = slices.Delete(r.queues[c.group], i, i+1)
			r.met.queued.WithLabelValues(c.group).Set(float64(len(r.queues[c.group])))
		}
		m.d.Outcome, m.d.Agent = Assigned, b.ID
		m.d.Why = []string{why, "to another agent of " + c.group + ": " + loadWhy(b, g.capacity)}
		m.asg, m.sink = r.assignLocked(c, g, b, &m.d), b.sink
		return m
	}
	m.d.Outcome = Queued
	m.d.Position, m.d.ETASeconds = r.positionLocked(c)
	m.d.Why = []string{why, fmt.Sprintf("no other agent of %s has room: queued; %s gets it again once back (a message, a close, a reconnect)", c.group, a.ID)}
	m.behind = r.behindLocked(c)
	return m
}

// freeAgentExcept is freeAgent among g's agents other than x. x is left
// out by being offline for the call (under r.mu: nobody sees it), so the
// choice is freeAgent's own, whatever it weighs.
func (r *Router) freeAgentExcept(g *group, x *Agent) *Agent {
	was := x.online
	x.online = false
	b := r.freeAgent(g)
	x.online = was
	return b
}
