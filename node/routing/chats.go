package routing

import (
	"context"
	"slices"
	"time"

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
	asked    uint64    // the customer message that asked for people
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
	a.active = r.now()
	d := Decision{At: r.now(), Group: g.name, Why: []string{"transferred by agent " + a.ID}}
	var asg *Assignment
	var targetSink Sink
	var behind []*chat
	from := a.sink
	if target != nil {
		d.Outcome, d.Agent = Assigned, target.ID
		if toAgent != "" {
			d.Why = append(d.Why, "to agent "+target.ID+" in "+g.name)
		} else {
			d.Why = append(d.Why, "to group "+g.name+": "+loadWhy(target, g.capacity))
		}
		asg, targetSink = r.assignLocked(c, g, target, &d), target.sink
	} else {
		d.Outcome = Queued
		d.Why = append(d.Why, "to group "+g.name+": no free agent, queued")
		r.enqueueLocked(c, g.name)
		d.Position, d.ETASeconds = r.positionLocked(c)
		behind = r.behindLocked(c)
	}
	r.mu.Unlock()
	r.met.transfers.Inc()
	from.Unassigned(sessionID, "transferred")
	r.updatePositions(behind)
	r.record(sessionID, d, nil, false)
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
