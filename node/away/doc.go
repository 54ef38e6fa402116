// Package away decides which messages of a session go out by email: every
// answer in a session that came by email, and an agent's answer to a
// widget customer who left an address (the contact frame) and is gone.
// It is conversation logic — it imports no transport — so the place that
// writes delivery records (node/session's commit, through the hook the
// composition root installs) can call it inside the transaction.
//
// Policy is a value; its methods are pure and safe for concurrent use.
package away
