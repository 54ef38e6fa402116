package routing

import (
	"slices"
	"sort"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

// GroupView is a supervisor's view of one group.
type GroupView struct {
	Name string `json:"name"`
	Open bool   `json:"open"`
	// Waiting are the queued chats' sessions, in queue order; Queue says
	// the same with what a supervisor needs to pick one.
	Waiting  []string     `json:"waiting"`
	Queue    []QueuedView `json:"queue"`
	Capacity int          `json:"capacity"`
	Agents   []AgentView  `json:"agents"`
	// OldestWait is when the longest-waiting chat of the queue was
	// queued (zero when nobody waits).
	OldestWait time.Time `json:"oldest_wait,omitzero"`
}

// QueuedView is a chat waiting in a group's queue.
type QueuedView struct {
	Session string `json:"session"`
	// Since is when it was queued; WaitSeconds how long ago that was.
	Since       time.Time `json:"since"`
	WaitSeconds int       `json:"wait_seconds"`
	Lang        string    `json:"lang,omitempty"`
	Tier        string    `json:"tier,omitempty"`
	Customer    string    `json:"customer,omitempty"` // name, else email, else id
}

// AgentView is an agent as a supervisor sees it.
type AgentView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Online bool   `json:"online"`
	// Status is StatusOnline, StatusAway or StatusOffline (lost, within
	// routing.agent_grace).
	Status string   `json:"status"`
	Load   int      `json:"load"` // chats held, in every group
	Chats  []string `json:"chats"`
}

// Overview is what supervisors see: every group's queue and agents.
func (r *Router) Overview() []GroupView {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make([]GroupView, 0, len(r.plan.groups))
	for _, g := range r.plan.groups {
		v := GroupView{Name: g.name, Open: g.sched.OpenAt(now), Capacity: g.capacity, Waiting: []string{}, Queue: []QueuedView{}, Agents: []AgentView{}}
		for _, c := range r.queues[g.name] {
			v.Waiting = append(v.Waiting, c.session)
			if v.OldestWait.IsZero() || c.since.Before(v.OldestWait) {
				v.OldestWait = c.since
			}
			who := c.customer.Name
			if who == "" {
				who = c.customer.Email
			}
			if who == "" {
				who = c.customer.ID
			}
			v.Queue = append(v.Queue, QueuedView{Session: c.session, Since: c.since.UTC(), WaitSeconds: int(max(now.Sub(c.since), 0) / time.Second),
				Lang: c.lang, Tier: c.customer.Tier, Customer: who})
		}
		for _, a := range r.members[g.name] {
			av := AgentView{ID: a.ID, Name: a.Name, Online: a.online, Status: a.status(), Load: len(a.chats), Chats: []string{}}
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

// Staffing reports whether group is open at t by its hours, and how many
// agents of the group the router knows (connected now): the staffing
// forecast's agents at hand. ok is false for an unknown group.
func (r *Router) Staffing(group string, t time.Time) (open bool, agents int, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.plan.byName[group]
	if g == nil {
		return false, 0, false
	}
	return g.sched.OpenAt(t), len(r.members[group]), true
}

// RosterEntry is a colleague an agent may transfer a chat to.
type RosterEntry struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Status string   `json:"status"`
	Groups []string `json:"groups"`
	Load   int      `json:"load"`
}

// Roster lists the connected agents (any role that holds chats), sorted
// by name, and the groups: what an agent picks a transfer's target from.
// It says no more of anyone than their name, status, groups and load.
func (r *Router) Roster() (agents []RosterEntry, groups []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	agents = []RosterEntry{}
	for _, a := range r.agents {
		if a.online {
			agents = append(agents, RosterEntry{ID: a.ID, Name: a.Name, Status: a.status(), Groups: slices.Clone(a.Groups), Load: len(a.chats)})
		}
	}
	sort.Slice(agents, func(i, j int) bool {
		return agents[i].Name < agents[j].Name || agents[i].Name == agents[j].Name && agents[i].ID < agents[j].ID
	})
	groups = make([]string, 0, len(r.plan.groups))
	for _, g := range r.plan.groups {
		groups = append(groups, g.name)
	}
	return agents, groups
}

// ChatView is where the router has one session's chat now.
type ChatView struct {
	// State is assigned (an agent here has it), queued (in Group's
	// queue, at Position), relayed (handed to Group on Node) or waiting
	// (the customer left a message; a group will pick it up).
	State    string            `json:"state"`
	Group    string            `json:"group,omitempty"`
	Agent    *session.AgentRef `json:"agent,omitempty"`
	Node     string            `json:"node,omitempty"`
	Position int               `json:"position,omitempty"`
	// Since is when the agent got it (assigned), else when it was
	// handed to people.
	Since time.Time `json:"since"`
	// FirstResponseDue is when the agent loses it unless they write
	// (routing.first_response_timeout), while it runs.
	FirstResponseDue time.Time `json:"first_response_due,omitzero"`
}

// Chat returns where the router has session id's chat, if it has it.
func (r *Router) Chat(id string) (ChatView, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.waiting[id]; c != nil {
		return ChatView{State: "waiting", Since: c.since.UTC()}, true
	}
	c := r.chats[id]
	switch {
	case c == nil:
		return ChatView{}, false
	case c.remote != "":
		return ChatView{State: "relayed", Group: c.group, Node: c.remote, Since: c.since.UTC()}, true
	case c.agent != nil:
		v := ChatView{State: "assigned", Group: c.group, Agent: &session.AgentRef{ID: c.agent.ID, Name: c.agent.Name}, Since: c.at.UTC()}
		if c.hi > 0 {
			v.FirstResponseDue = c.due.UTC()
		}
		return v, true
	}
	pos, _ := r.positionLocked(c)
	return ChatView{State: "queued", Group: c.group, Position: pos, Since: c.since.UTC()}, true
}
