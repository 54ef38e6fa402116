// Package routing decides where a conversation the bot hands over goes, and
// keeps the agents, their chats and the queues.
//
// A decision (see decide.go) takes, in order: the merchant's rules, the
// intent's skill, the customer's language (exact tag, base language, then
// the configured fallback language, marked "needs translation"), the groups
// open now in their own time zone (package hours): the customer's region
// first (routing.regions: their time zone, else their country; regions.go),
// then follow the sun — the nearest team by the customer's clock; with
// routing.translation, an open team in another language, translated
// (translated.go; Decision.Translate is the pair for node/translate), before
// "leave a message" — the least-loaded online agent (round robin among
// equals), and the customer's tier for the queue order. It assigns, queues
// with a position and an ETA, or — when no matching group opens within
// routing.opens_soon — tells the customer when the team opens, in the
// customer's local time and language, and takes a message. Every decision
// records its steps (Decision.Why), and every later step of the chat — a
// pull from the queue, a transfer, a requeue, a pick-up of a waiting chat,
// a missed first response — is a decision of its own: the session keeps
// them all in order (session.Meta.Routes, bounded; Meta.Route is the
// latest), so "why did this chat go there?" has its whole answer.
//
// With routing.first_response_timeout set, an agent who has not written in
// a chat within it of its assignment loses it to the front of the queue
// and another agent of the group (deadline.go: one heap and one timer for
// all chats).
//
// All state changes happen under one mutex: a decision costs microseconds,
// and one lock makes "never over an agent's capacity, never assigned twice"
// simple to hold (TestConcurrentAssignments). Escalations arrive from the
// session store's committer and are handled on the router's own goroutine.
//
// Every text to the customer is a reserved FAQ entry (TextAgentJoined, …)
// in the customer's language, posted as a system message with a
// session.Notice saying what it means. A customer told to leave a message
// has a waiting chat (waiting.go): durable in the session
// (session.Meta.Waiting, indexed by the store), taken back after a
// restart, and picked up when a matching group can take it. When an agent
// closes a chat the session keeps it (session.Meta.LastChat) for the
// customer's rating.
//
// The router knows sessions only through the small Store interface and
// agents only through Sink, so any transport (node/agentws today) can carry
// agents. Queues and assignments are in memory: a restart forgets them
// (the sessions, their hand-over state and the waiting chats are durable).
package routing
