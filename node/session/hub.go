package session

import (
	"hash/maphash"
	"sync"
)

// Subscriber receives the messages and signals of the sessions it
// subscribed to. Deliver is called on the committing goroutine, in seq
// order: it must not block (queue the frame and return).
type Subscriber interface {
	// ID is unique among live subscribers (take it from
	// Store.NewSubscriberID); a Submit with this id as origin is not
	// delivered back to it (it gets the Done callback instead).
	ID() uint64
	Deliver(ev *Event)
}

// EventKind tells what an Event carries.
type EventKind uint8

// The kinds of Event.
const (
	// EventMessage is a durable message of the session.
	EventMessage EventKind = iota + 1
	// EventTyping is a transient typing indicator (not stored).
	EventTyping
	// EventQueue is a transient queue position update (not stored).
	EventQueue
)

// Event is what a Subscriber receives. Msg is shared between subscribers
// and must not be modified.
type Event struct {
	Kind EventKind
	// Session is the session the event belongs to (for subscribers of
	// several, such as agents).
	Session string
	Msg     *Message
	// Typing: who and whether.
	From From
	On   bool
	// Queue: waiting for a human agent.
	Position int
	ETASec   int
	Group    string
}

const hubShards = 64

// hub maps session ids to live subscribers, sharded to keep lock contention
// low with tens of thousands of sessions.
type hub struct {
	seed   maphash.Seed
	shards [hubShards]struct {
		mu   sync.RWMutex
		subs map[string][]Subscriber
	}
}

func (h *hub) init() {
	h.seed = maphash.MakeSeed()
	for i := range h.shards {
		h.shards[i].subs = make(map[string][]Subscriber)
	}
}

func (h *hub) shard(id string) int {
	return int(maphash.String(h.seed, id) % hubShards)
}

// Subscribe adds sub to session id's subscribers.
func (s *shard) Subscribe(id string, sub Subscriber) {
	sh := &s.hub.shards[s.hub.shard(id)]
	sh.mu.Lock()
	sh.subs[id] = append(sh.subs[id], sub)
	sh.mu.Unlock()
}

// Unsubscribe removes sub from session id's subscribers.
func (s *shard) Unsubscribe(id string, sub Subscriber) {
	sh := &s.hub.shards[s.hub.shard(id)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	list := sh.subs[id]
	for i, x := range list {
		if x == sub {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(sh.subs, id)
	} else {
		sh.subs[id] = list
	}
}

// Connected reports whether session id has a live subscriber.
func (s *shard) Connected(id string) bool {
	sh := &s.hub.shards[s.hub.shard(id)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return len(sh.subs[id]) > 0
}

// Signal sends a transient event (typing, queue position) to the session's
// subscribers other than origin. It is not stored.
func (s *shard) Signal(id string, ev *Event, origin uint64) {
	ev.Session = id
	s.hub.send(id, ev, origin)
}

func (h *hub) publish(m *Message, origin uint64) {
	h.send(m.Session, &Event{Kind: EventMessage, Msg: m, Session: m.Session}, origin)
}

func (h *hub) send(id string, ev *Event, origin uint64) {
	sh := &h.shards[h.shard(id)]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	for _, sub := range sh.subs[id] {
		if origin != 0 && sub.ID() == origin {
			continue
		}
		sub.Deliver(ev)
	}
}
