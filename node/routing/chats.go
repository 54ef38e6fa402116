package routing

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/faq"
	"github.com/edgedesk/edgedesk/node/session"
)

type chat struct {
	session  string
	req      Request
	lang     string
	customer session.Customer
	group    string
	agent    *Agent
	prio     int
	since    time.Time // queued at, or waiting since
	seq      uint64    // arrival order
	remote   string    // the node the chat was handed to (Relayed)
	// translate is the pair of the decision that queued or assigned it:
	// an agent who takes it from the queue gets the mark too.
	translate *Translation
	asked     uint64 // the customer message that asked for people
	// note is the last transfer's note, and noteFrom who moved the chat:
	// for whichever agent gets it next, from a queue too.
	note     string
	noteFrom *session.AgentRef
	// The first-response deadline (deadline.go): due and the heap index
	// (hi, 0 when not in it); timeout is the one set at assignment; skip
	// names the agent who missed it at missed, kept from it until they
	// show they are back (Agent.active).
	at      time.Time // assigned at (to its current agent)
	due     time.Time
	hi      int
	timeout time.Duration
	skip    string
	missed  time.Time
}

// waitingRecord is what the session stores of a waiting chat, for the
// router to take it back after a restart.
func (c *chat) waitingRecord() *session.Waiting {
	return &session.Waiting{Since: c.since.UTC(), Seq: c.asked, Lang: c.lang, Intent: c.req.Intent, Reason: c.req.Reason}
}

// Owns reports whether agent a holds the chat.
func (r *Router) Owns(a *Agent, sessionID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := a.chats[sessionID]
	return ok
}

// CloseChat ends a chat: the agent is done with it, the bot gets the session
// back (the session keeps the closed chat, session.Meta.LastChat, for the
// customer's rating), the customer is told (notice chat_closed), and the
// agent's freed room takes the next queued chat.
func (r *Router) CloseChat(ctx context.Context, a *Agent, sessionID string) error {
	r.mu.Lock()
	c, ok := a.chats[sessionID]
	if !ok {
		r.mu.Unlock()
		return ErrNotYours
	}
	delete(a.chats, sessionID)
	delete(r.chats, sessionID)
	r.clearDueLocked(c)
	a.active = r.now()
	agent := session.AgentRef{ID: a.ID, Name: a.Name}
	r.mu.Unlock()
	closed := session.Chat{Group: c.group, Agent: agent, Closed: r.now().UTC()}
	meta, err := r.store.Update(ctx, sessionID, func(m *session.Meta) error {
		if err := convo.Release(m); err != nil {
			return err
		}
		m.LastChat, m.Waiting = &closed, nil
		return nil
	})
	if err != nil {
		return err
	}
	r.met.closed.Inc()
	r.say(meta, c.lang, TextChatClosed, map[string]string{faq.VarAgentName: agent.Name},
		&session.Notice{Kind: session.NoticeChatClosed, Group: c.group, Agent: &agent})
	r.pull(a)
	return nil
}

// MaxNoteLen bounds a transfer's note, in characters.
const MaxNoteLen = 1000

// Move is where a transfer sends a chat.
type Move struct {
	Agent string // an online (not away) agent with room
	Group string // a group: its free agent, else its queue
	// Note is for the receiving agent (Assignment.Note): it is kept on the
	// routing decision stored with the session (Decision.Note) and never
	// posted to the customer.
	Note string
}

// Transfer moves a chat from agent a to another agent (toAgent) or to a
// group's queue or free agent (toGroup).
func (r *Router) Transfer(ctx context.Context, a *Agent, sessionID, toAgent, toGroup string) error {
	return r.TransferChat(ctx, a, sessionID, Move{Agent: toAgent, Group: toGroup})
}

// TransferChat moves a chat as mv says. An agent moves its own chats; a
// supervisor or admin also any chat assigned or queued on this node
// (reassign), which its holder loses (Unassigned "transferred").
func (r *Router) TransferChat(ctx context.Context, a *Agent, sessionID string, mv Move) error {
	if utf8.RuneCountInString(mv.Note) > MaxNoteLen {
		return fmt.Errorf("%w: %d characters, at most %d", ErrNoteTooLong, utf8.RuneCountInString(mv.Note), MaxNoteLen)
	}
	r.mu.Lock()
	c, ok := a.chats[sessionID]
	if !ok && a.supervises() {
		c = r.chats[sessionID]
		ok = c != nil && c.remote == "" // a chat handed to another node is theirs
	}
	if !ok {
		r.mu.Unlock()
		return ErrNotYours
	}
	holder := c.agent // nil: queued
	var target *Agent
	var g *group
	switch {
	case mv.Agent != "":
		target = r.agents[mv.Agent]
		if target == nil || !target.available() {
			r.mu.Unlock()
			return ErrNoAgent
		}
		if target == holder {
			r.mu.Unlock()
			return fmt.Errorf("%w: %s already has the chat", ErrNoAgent, target.ID)
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
	case mv.Group != "":
		g = r.plan.byName[mv.Group]
		if g == nil {
			r.mu.Unlock()
			return ErrNoGroup
		}
	default:
		r.mu.Unlock()
		return ErrNoGroup
	}
	var behind []*chat
	if holder != nil {
		delete(holder.chats, sessionID)
	} else if q := r.queues[c.group]; slices.Contains(q, c) {
		i := slices.Index(q, c)
		behind = slices.Clone(q[i+1:])
		r.queues[c.group] = append(append(make([]*chat, 0, len(q)-1), q[:i]...), q[i+1:]...) // a new array: see pullSkipping
		r.met.queued.WithLabelValues(c.group).Set(float64(len(r.queues[c.group])))
	}
	if mv.Group != "" {
		target = r.freeAgent(g) // after the holder left: it may be the one
		if target == holder && holder != nil {
			target = nil
		}
	}
	why := "transferred by agent " + a.ID
	if holder != a {
		why = "reassigned by " + a.Role + " " + a.ID
		if holder != nil {
			why += " from agent " + holder.ID
		}
	}
	a.active = r.now() // the agent is there (deadline.go)
	d := Decision{At: r.now(), Group: g.name, Why: []string{why}, Note: mv.Note, From: a.ID}
	c.noteFrom = &session.AgentRef{ID: a.ID, Name: a.Name}
	if mv.Note != "" {
		c.note = mv.Note
	}
	var asg *Assignment
	var targetSink, from Sink
	if holder != nil {
		from = holder.sink
	}
	if target != nil {
		d.Outcome, d.Agent = Assigned, target.ID
		if mv.Agent != "" {
			d.Why = append(d.Why, "to agent "+target.ID+" in "+g.name)
		} else {
			d.Why = append(d.Why, "to group "+g.name+": "+loadWhy(target, g.capacity))
		}
		asg, targetSink = r.assignLocked(c, g, target, &d), target.sink
	} else {
		d.Outcome = Queued
		c.prio += 1 << 20 // a transferred chat already waited: the front of its new queue
		d.Why = append(d.Why, "to group "+g.name+": no free agent, queued")
		r.enqueueLocked(c, g.name)
		d.Position, d.ETASeconds = r.positionLocked(c)
		behind = append(behind, r.behindLocked(c)...)
	}
	r.mu.Unlock()
	r.met.transfers.Inc()
	if from != nil {
		from.Unassigned(sessionID, "transferred")
	}
	r.updatePositions(behind)
	r.record(sessionID, d, nil, false)
	if meta, err := r.store.Get(sessionID); err == nil {
		r.tellCustomer(meta, c.lang, d, asg)
	}
	if asg != nil {
		r.deliver(targetSink, *asg)
	}
	if holder != nil {
		r.pullSkipping(holder, sessionID)
	}
	return nil
}

// supervises reports whether a may see and move every chat.
func (a *Agent) supervises() bool { return a.Role == "supervisor" || a.Role == "admin" }

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
	m, err := r.store.Post(ctx, session.Message{Session: sessionID, From: session.FromAgent, CID: cid, Text: text, Agent: &session.AgentRef{ID: a.ID, Name: name}})
	if err == nil {
		r.answered(a, sessionID) // the first response: no deadline any more
	}
	return m, err
}

// Typing tells the customer the agent is typing.
func (r *Router) Typing(a *Agent, sessionID string, on bool) error {
	if !r.Owns(a, sessionID) {
		return ErrNotYours
	}
	r.store.Signal(sessionID, &session.Event{Kind: session.EventTyping, From: session.FromAgent, On: on}, 0)
	return nil
}
