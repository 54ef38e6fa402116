// Package email is the node's email channel: an SMTP listener that turns
// inbound mail into customer messages of a session, and a delivery.Sender
// that answers through the merchant's SMTP relay.
//
// Inbound (Listener). A mail for one of the accepted addresses is parsed
// (Parse: text/plain preferred, HTML reduced to text, the quoted history
// of a reply cut off) and threaded: a Message-ID the node issued, found
// in In-Reply-To or References, names the session it answered (Threads,
// an index in its own bbolt file, data_dir/email.db). A mail that threads
// nowhere, or whose From is not the session's customer address, opens a
// new session through session.Opener exactly as a widget's hello does
// (channel "email", customer email = From). The SMTP transaction is
// answered 250 only once Store.Submit's done callback said the message is
// durable; a malformed mail is answered 5xx with the reason and nothing is
// stored. The body is read through a limit (email.max_message_bytes)
// before it is parsed, so one client costs at most that much memory.
// The customer message's cid is derived from the Message-ID, so a relay
// that retries a mail after a lost 250 stores it once.
//
// From is not authenticated here: anyone can write any From. Unless the
// relay in front of the node checks SPF, DKIM and DMARC and refuses what
// fails, an address from an inbound mail is a claim, not a verified
// identity, and must never link customer profiles (see package verify:
// an address proves itself by a code sent to it).
//
// Outbound (Sender). Send builds a text/plain mail (From, To, Subject
// "Re: <thread subject>", a fresh Message-ID recorded in Threads before
// the mail leaves, In-Reply-To and References of the customer's last
// mail, Auto-Submitted: auto-replied for the bot's answers) and submits it
// to the relay. A 5xx from the relay wraps delivery.ErrPermanent; a relay
// that cannot be reached or answers 4xx is retried by the queue. An item
// for a widget session (an answer emailed to a customer who left) is
// skipped with delivery.ErrSkip when the customer is connected again or
// has received the answer by then (package away decides which answers
// become items).
//
// Listener, Sender and Threads are safe for concurrent use.
package email
