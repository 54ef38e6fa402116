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
// group who gets room takes it; the agent who missed it may take it again
// only after one more timeout (it does not bounce straight back to them,
// but a group of one does not strand the customer either).
//
// One heap of chats ordered by due time and one timer for the earliest
// serve every chat: no goroutine or timer per chat. A chat is in the heap
// while it is assigned and not yet answered (due: its deadline), or while
// it is queued and kept from the agent who missed it (due: when that
// agent may take it again). The deadline is cancelled by the agent's
// first reply (Reply), a transfer, a close, a requeue (agent lost), and
// the router's Close; entries the router no longer holds are skipped when
// due. A reload keeps the deadlines already set (their timeout was the
// one in force at assignment); a reload that turns the feature off lets
// them lapse without effect.

// ReasonFirstResponseTimeout is the Unassigned reason of a chat taken from
// an agent who did not answer it within routing.first_response_timeout.
const ReasonFirstResponseTimeout = "first_response_timeout"

// dues is a min-heap of chats by due time; chat.hi is its index + 1 (0:
// not in the heap).
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

// answered cancels the deadline of a's chat: the agent wrote in it.
func (r *Router) answered(a *Agent, sessionID string) {
	r.mu.Lock()
	if c := a.chats[sessionID]; c != nil && c.agent == a {
		r.clearDueLocked(c)
	}
	r.mu.Unlock()
}

// mayTake reports whether agent a may take queued chat c at now: not the
// agent who missed its first response, until one more timeout passed.
func (c *chat) mayTake(a *Agent, now time.Time) bool {
	return c.skip == "" || c.skip != a.ID || !now.Before(c.skipUntil)
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

// firstResponseDue handles the chats whose time came: deadlines missed,
// and chats the agent who missed them may take again.
func (r *Router) firstResponseDue() {
	now := r.now()
	r.mu.Lock()
	var out []missed
	recheck := false
	for len(r.dues) > 0 && !r.dues[0].due.After(now) {
		c := heap.Pop(&r.dues).(*chat)
		if r.chats[c.session] != c {
			continue // closed, forgotten or routed afresh since
		}
		a := c.agent
		if a == nil { // queued: the agent who missed it may take it now
			c.skip, recheck = "", true
			continue
		}
		if a.chats[c.session] != c || r.plan.firstResponse <= 0 {
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
	if recheck || len(out) > 0 {
		r.drain() // the freed room, and chats their missing agent may take again
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
	c.skip, c.skipUntil = a.ID, now.Add(c.timeout)
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
	m.d.Why = []string{why, fmt.Sprintf("no other agent of %s has room: queued; %s may take it again after %s", c.group, a.ID, seconds(c.timeout))}
	m.behind = r.behindLocked(c)
	r.setDueLocked(c, c.skipUntil)
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
