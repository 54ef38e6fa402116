package routing

import (
	"sort"
	"time"

	"github.com/edgedesk/edgedesk/node/session"
)

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
