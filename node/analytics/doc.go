// Package analytics keeps the figures of the supervisor dashboard:
// counters and hourly buckets derived from the session store's durable
// messages and notes, kept in their own bbolt file, read back as the JSON
// of GET /v1/admin/stats, and turned into a staffing forecast with
// Erlang C.
//
// It is a session.Observer and session.NoteObserver. The store calls it
// on its committing goroutines, one per shard, so OnMessage and OnNote
// only update memory under one mutex: no I/O, no allocation once a
// session and an hour are known. Run writes the changed hourly buckets to
// bbolt every flush interval (one transaction, one fsync, whatever the
// traffic) and Close writes the last ones; a node that crashes loses at
// most one flush interval of figures, never a message. Figures are
// derived, so that trade is right: the session log stays the record.
//
// What is counted, per hour and per agent group (the whole node is the
// group ""):
//   - a conversation starts at a customer message of a session that has
//     no open conversation here: new to this node's analytics, its last
//     chat closed (notice chat_closed), or quiet for ConversationIdle;
//   - a hand-over is an escalation note of the bot (convo.NoteEscalate,
//     not a re-route after a restart), by its reason; the conversation is
//     then no longer bot-resolved (bot_resolved counts conversations that
//     started in the hour and were never handed over);
//   - an arrival in a group is the first routing notice of a hand-over
//     (agent_joined, queued, team_closed, no_agents) and each transfer
//     into another group; from then on the session's messages, intents
//     and ratings count in that group too;
//   - first response: from agent_joined to that agent's first message;
//     handle time: from agent_joined to chat_closed or the next hand to
//     another agent or queue;
//   - CSAT: the store's csat note (session.NoteCSAT) with the group and
//     score of the rated chat.
//
// Medians come from fixed histogram buckets (hist.go) that merge across
// hours and groups; within a bucket the median is interpolated, so it is
// exact to the bucket's width (5 s up to 20 s, 15 s up to a minute,
// widening to 30 min between one hour and an hour and a half; above
// that the median reports 5400 s). The last hour's top intents are a rolling 60 minutes at
// minute resolution kept in memory; everything else comes from the
// hourly buckets, all of them in memory (retention × groups is a few
// thousand small records) and in bbolt for restarts.
//
// Per-session state (open conversation, its group, agent and times) lives
// in memory only, bounded by MaxSessions and dropped after
// ConversationIdle: after a restart a session's next customer message
// starts a new conversation, and an answer to a chat taken before the
// restart gives no first response.
//
// Changed buckets are also marked unpublished in bbolt; when a Publisher
// is set, Run hands each to it (the node puts them in the core's KV
// bucket EDGEDESK_STATS) and clears the mark once it succeeded, so an
// outage of the core, even across restarts, delays figures and loses
// none.
//
// All methods are safe for concurrent use.
package analytics
