// Package routing decides where a conversation the bot hands over goes, and
// keeps the agents, their chats and the queues.
//
// A decision (see decide.go) takes, in order: the merchant's rules, the
// intent's skill, the customer's language (exact tag, base language, then
// the configured fallback language, marked "needs translation"), the groups
// open now in their own time zone (package hours; this node's region first,
// then follow the sun), the least-loaded online agent (round robin among
// equals), and the customer's tier for the queue order. It assigns, queues
// with a position and an ETA, or — when no matching group opens within
// routing.opens_soon — tells the customer when the team opens, in the
// customer's local time and language, and takes a message. Every decision
// records its steps (Decision.Why), stored with the session.
//
// All state changes happen under one mutex: a decision costs microseconds,
// and one lock makes "never over an agent's capacity, never assigned twice"
// simple to hold (TestConcurrentAssignments). Escalations arrive from the
// session store's committer and are handled on the router's own goroutine.
//
// The router knows sessions only through the small Store interface and
// agents only through Sink, so any transport (node/agentws today) can carry
// agents. Its state is in memory: a restart forgets queues and assignments
// (the sessions and their hand-over state are durable).
package routing
