// Package convo is the bot: it decides, for every customer message, whether
// to answer from the FAQ, continue a flow, or hand the conversation to
// people — and says it in the customer's language.
//
// The Engine runs as the session store's Respond hook (session.Turn), inside
// the transaction that stores the customer's message. The answer, the
// conversation state it moves (flow step, slots, escalation) and the message
// are therefore durable together, after one fsync: a crash never leaves a
// question answered twice or a flow step half taken, a flow survives a
// restart, and the answer reaches the widget right behind the receipt. The
// price is that Respond must be quick and do no I/O: the model (intent,
// language), the extractors (order numbers, …) and the sentiment signal
// have already run on the caller's goroutine (the store's Enrich hook), and
// the FAQ is an in-memory snapshot of its bbolt file.
//
// The decision, in order:
//
//  1. A session handed to people gets no bot answers (until it is closed
//     and reopened, released, or HumanLapse passes).
//  2. An explicit request for a person (bot.handoff_intents, any language
//     the model knows) escalates.
//  3. A strongly negative message (sentiment at or below the threshold)
//     escalates, when bot.escalate_on_negative.
//  4. A flow in progress takes the message: the step's slot is filled and
//     the next question asked, or the answer does not fit and the step is
//     asked again; max_attempts misfits abandon the flow (escalation when
//     bot.escalate_on_abandon), "cancel"/"no" at the confirmation cancels
//     it. A flow idle past its timeout lapses: the customer is told and
//     the message handled afresh.
//  5. An answer the bot asked a variable for (the FAQ entry's "ask", e.g.
//     the order number) is completed when the message carries it.
//  6. A message the model did not understand gets the _fallback text; the
//     bot.escalate_after_not_understood-th in a row escalates.
//  7. An intent that starts a flow starts it (slots the message already
//     holds are filled at once); any other intent is answered from the FAQ
//     in the first language of the customer's chain that has it.
//
// Escalations and finished flows are session.Notes: the Engine hands
// escalations to an Escalator after the commit (the routing layer), and
// other components (sync) observe the rest.
//
// This package never imports the WebSocket transport: any channel that
// stores customer messages through the session store gets the bot.
package convo
