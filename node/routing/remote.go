package routing

import (
	"slices"
	"sort"
	"strconv"

	"github.com/edgedesk/edgedesk/node/convo"
)

// Remote lets the router see and use the agent groups of other nodes
// (cross-region routing). The node implements it over NATS: each node
// publishes its Presence, and a handed-off chat is served by the other
// node's agents while its customer stays connected here.
type Remote interface {
	// Groups returns the other nodes' groups as last published. It is
	// called under the router's lock: it must be a cheap snapshot.
	Groups() []GroupPresence
	// Handoff gives the chat to node, whose router takes it from there.
	// It returns once node has the session or has refused it.
	Handoff(node string, h Handoff) error
}

// Handoff is a chat given to another node.
type Handoff struct {
	Escalation convo.Escalation
	// Group is the group chosen here (the other node routes again, among
	// its own groups).
	Group string
}

// GroupPresence is a group's state as other nodes see it.
type GroupPresence struct {
	Node      string   `json:"node,omitempty"`
	Name      string   `json:"name"`
	Region    string   `json:"region,omitempty"`
	Languages []string `json:"languages"`
	Skills    []string `json:"skills,omitempty"`
	// Open is whether its hours are open now.
	Open bool `json:"open"`
	// Online agents (connected, not away), and the chats they can still take.
	Online int `json:"online"`
	Free   int `json:"free"`
	Queue  int `json:"queue"`
}

// Presence returns this node's groups with their hours, agents and load:
// what it publishes for the other nodes.
func (r *Router) Presence() []GroupPresence {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]GroupPresence, 0, len(r.plan.groups))
	for _, g := range r.plan.groups {
		gp := GroupPresence{Name: g.name, Region: g.region, Languages: slices.Clone(g.langs), Open: g.sched.OpenAt(now), Queue: len(r.queues[g.name])}
		for s := range g.skills {
			gp.Skills = append(gp.Skills, s)
		}
		sort.Strings(gp.Skills)
		for _, a := range r.members[g.name] {
			if a.available() {
				gp.Online++
				gp.Free += max(0, g.capacity-len(a.chats))
			}
		}
		out = append(out, gp)
	}
	return out
}

// SetRemote connects the router to the other nodes (nil: this node only).
func (r *Router) SetRemote(rm Remote) {
	r.mu.Lock()
	r.remote = rm
	r.mu.Unlock()
}

// remoteGroup picks another node's open group that speaks lang (exactly
// or by base language) and has the skill, with the most free agents.
// Caller holds r.mu.
func (r *Router) remoteGroup(lang, skill string) (GroupPresence, bool) {
	if r.remote == nil || lang == "" {
		return GroupPresence{}, false
	}
	var best GroupPresence
	found := false
	for _, g := range r.remote.Groups() {
		if !g.Open || g.Free <= 0 || (skill != "" && !slices.Contains(g.Skills, skill)) {
			continue
		}
		speaks := false
		for _, l := range g.Languages {
			if canon(l) == lang || base(l) == base(lang) {
				speaks = true
				break
			}
		}
		if !speaks {
			continue
		}
		if !found || g.Free > best.Free || (g.Free == best.Free && g.Node+"/"+g.Name < best.Node+"/"+best.Name) {
			best, found = g, true
		}
	}
	return best, found
}

func relayWhy(g GroupPresence) string {
	s := "node " + g.Node + ": group " + g.Name + " speaks the language, open, " + strconv.Itoa(g.Free) + " free"
	if g.Region != "" {
		s += ", region " + g.Region
	}
	return s
}

// Forget drops a chat handed to another node once that node gave it back
// (its agent closed it): the bot answers again.
func (r *Router) Forget(sessionID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.chats[sessionID]; c != nil && c.remote != "" {
		delete(r.chats, sessionID)
	}
}

// handoffFailed routes a chat again, among this node's groups only,
// after the node it was handed to could not take it.
func (r *Router) handoffFailed(e convo.Escalation, node string, err error) {
	r.log.Warn("handoff to another node failed; routing here", "session", e.Session, "node", node, "err", err)
	r.met.handoffFailures.Inc()
	r.mu.Lock()
	if c := r.chats[e.Session]; c != nil && c.remote == node {
		delete(r.chats, e.Session)
	}
	r.mu.Unlock()
	r.routeWith(e, true)
}
