package analytics

import (
	"strconv"
	"time"

	"github.com/edgedesk/edgedesk/node/convo"
	"github.com/edgedesk/edgedesk/node/session"
)

// ConversationIdle ends a conversation nobody closed: a customer who
// writes again after this long starts a new one.
const ConversationIdle = time.Hour

// sessionLapse is how long a session with an agent's chat open is
// followed without a message (convo.HumanLapse: the bot takes it back).
const sessionLapse = convo.HumanLapse

// tracked is what the figures need to remember of a session between its
// messages.
type tracked struct {
	last     time.Time // the last message seen
	open     bool      // a conversation is open
	start    int64     // the hour the open conversation started
	handed   bool      // the open conversation was handed over
	pending  string    // the reason of a hand-over not yet routed
	group    string    // the group that has the conversation
	agent    string    // the agent who has it (since joined)
	joined   time.Time
	answered bool // the agent answered since joined
}

// OnMessage implements session.Observer: it counts a durable message.
// It runs on the store's committing goroutines.
func (a *Analytics) OnMessage(m *session.Message) {
	a.mu.Lock()
	defer a.mu.Unlock()
	at := m.TS
	if at.IsZero() {
		at = a.now()
	}
	s := a.sessions[m.Session]
	switch m.From {
	case session.FromCustomer:
		if s == nil {
			s = a.track(m.Session)
		}
		if s == nil || !s.open || at.Sub(s.last) > ConversationIdle {
			h := hourOf(at)
			c := a.counts(h, "")
			c.Conversations++
			c.BotResolved++
			if s != nil {
				s.open, s.start, s.handed, s.pending = true, h, false, ""
				if s.joined.IsZero() { // no agent holds it: a fresh start
					s.group = ""
				}
			}
		}
		if in := m.Intent; in != "" && in != "oos" {
			a.each(s, at, func(c *Counts) { c.addIntent(in) })
			a.minuteIntent(at, in)
		}
	case session.FromAgent:
		if s != nil && !s.joined.IsZero() && !s.answered && m.Agent != nil && m.Agent.ID == s.agent {
			s.answered = true
			d := at.Sub(s.joined)
			a.each(s, at, func(c *Counts) { c.FirstResponse.Add(d) })
		}
	case session.FromSystem:
		if m.Notice != nil && s == nil {
			s = a.track(m.Session) // a chat from before a restart: followed from here
		}
		if m.Notice != nil && s != nil {
			a.notice(s, m.Notice, at)
		}
		if s != nil {
			s.last = at
		}
		return // notices are not messages of the conversation
	}
	a.each(s, at, func(c *Counts) { c.Messages++ })
	if s != nil {
		s.last = at
	}
}

// notice follows routing's notices: arrivals in groups, agents joining,
// transfers and closes.
func (a *Analytics) notice(s *tracked, n *session.Notice, at time.Time) {
	kind := n.Kind
	if kind == session.NoticePickedUp { // a waiting chat taken: by an agent, or into a queue
		kind = session.NoticeQueued
		if n.Agent != nil {
			kind = session.NoticeAgentJoined
		}
	}
	switch kind {
	case session.NoticeAgentJoined, session.NoticeQueued, session.NoticeTeamClosed, session.NoticeNoAgents:
		if !s.joined.IsZero() && (kind != session.NoticeAgentJoined || n.Agent == nil || n.Agent.ID != s.agent) {
			a.endHandle(s, at) // transferred: the agent's handling ends
		}
		// An arrival: the hand-over's first notice, or a transfer from
		// another group. A group named for a chat whose hand-over this
		// node did not see (taken up again after a restart) is only
		// remembered: it arrived before.
		if g := n.Group; g != "" && (s.pending != "" || s.group != "" && g != s.group) {
			reason := s.pending
			if reason == "" {
				reason = "transfer"
			}
			c := a.counts(hourOf(at), g)
			c.Conversations++
			c.Handovers++
			c.addReason(reason)
		}
		if n.Group != "" {
			s.group, s.pending = n.Group, ""
		}
		if kind == session.NoticeAgentJoined && n.Agent != nil {
			s.agent, s.joined, s.answered = n.Agent.ID, at, false
		}
	case session.NoticeChatClosed:
		if !s.joined.IsZero() {
			a.endHandle(s, at)
		}
		s.open, s.group, s.pending = false, "", ""
	}
}

func (a *Analytics) endHandle(s *tracked, at time.Time) {
	d := at.Sub(s.joined)
	a.each(s, at, func(c *Counts) {
		c.Handle.Add(d)
		c.HandleSum += d.Seconds()
	})
	s.agent, s.joined, s.answered = "", time.Time{}, false
}

// OnNote implements session.NoteObserver: hand-overs (the bot's
// escalations) and ratings (the store's csat notes).
func (a *Analytics) OnNote(n *session.Note) {
	at := n.TS
	if at.IsZero() {
		at = a.now()
	}
	switch n.Kind {
	case convo.NoteEscalate:
		if n.Attrs["rerouted"] != "" {
			return // the same hand-over, routed again after a restart
		}
		reason := n.Attrs["reason"]
		if reason == "" {
			reason = "unknown"
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		c := a.counts(hourOf(at), "")
		c.Handovers++
		c.addReason(reason)
		s := a.sessions[n.Session]
		if s == nil {
			s = a.track(n.Session)
		}
		if s == nil {
			return
		}
		if s.open && !s.handed {
			if b := a.counts(s.start, ""); b.BotResolved > 0 {
				b.BotResolved--
				a.dirty[key{s.start, ""}] = struct{}{}
			}
		}
		s.handed, s.pending, s.last = true, reason, at
	case session.NoteCSAT:
		score, err := strconv.Atoi(n.Attrs["score"])
		if err != nil || score < session.MinScore || score > session.MaxScore {
			return
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		h := hourOf(at)
		a.counts(h, "").CSAT[score-1]++
		if g := n.Attrs["group"]; g != "" {
			a.counts(h, g).CSAT[score-1]++
		}
	}
}

// track starts following a session; nil when MaxSessions are followed
// (the message still counts, without a conversation's state).
func (a *Analytics) track(id string) *tracked {
	if len(a.sessions) >= a.opts.MaxSessions {
		return nil
	}
	s := &tracked{}
	a.sessions[id] = s
	return s
}

// each applies fn to the node's bucket of at's hour and, when a group
// has the session's conversation, to the group's.
func (a *Analytics) each(s *tracked, at time.Time, fn func(*Counts)) {
	h := hourOf(at)
	fn(a.counts(h, ""))
	if s != nil && s.group != "" {
		fn(a.counts(h, s.group))
	}
}

// counts returns the bucket of hour h of group g, marked changed. The
// caller holds a.mu.
func (a *Analytics) counts(h int64, g string) *Counts {
	k := key{h, g}
	c := a.buckets[k]
	if c == nil {
		c = &Counts{}
		a.buckets[k] = c
		a.since = min(a.since, h)
		if g != "" {
			a.groupsSeen[g] = struct{}{}
		}
	}
	a.dirty[k] = struct{}{}
	return c
}

// minuteIntent counts intent in the rolling last hour.
func (a *Analytics) minuteIntent(at time.Time, intent string) {
	m := at.Unix() / 60
	slot := &a.minutes[m%int64(len(a.minutes))]
	if slot.minute != m {
		clear(slot.counts)
		slot.minute = m
	}
	if slot.counts == nil {
		slot.counts = map[string]uint32{}
	}
	if _, ok := slot.counts[intent]; ok || len(slot.counts) < maxIntents {
		slot.counts[intent]++
	}
}

// minuteSlot is one minute of the rolling hour of intents.
type minuteSlot struct {
	minute int64 // Unix minute
	counts map[string]uint32
}

// forget drops sessions quiet for longer than they can matter.
func (a *Analytics) forget(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, s := range a.sessions {
		idle := now.Sub(s.last)
		if idle > sessionLapse || (s.joined.IsZero() && idle > ConversationIdle && s.pending == "") {
			delete(a.sessions, id)
		}
	}
}
