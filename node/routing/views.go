package routing

import (
	"sort"
	"time"
)

// GroupView is a supervisor's view of one group.
type GroupView struct {
	Name    string      `json:"name"`
	Open    bool        `json:"open"`
	Waiting []string    `json:"waiting"`
	Agents  []AgentView `json:"agents"`
	// OldestWait is when the longest-waiting chat of the queue was
	// queued (zero when nobody waits).
	OldestWait time.Time `json:"oldest_wait,omitzero"`
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
			if v.OldestWait.IsZero() || c.since.Before(v.OldestWait) {
				v.OldestWait = c.since
			}
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
