// Package verify issues and checks the codes that prove a customer
// receives mail at an address: the only way an email address becomes a
// verified identity that may link customer profiles (an address in an
// inbound mail's From, or one typed into the widget, proves nothing).
//
// A code is six random digits, bound to one session and one address,
// valid for a TTL, and dies after MaxAttempts wrong guesses — 5 guesses at
// a million codes, one in 200,000 — or when a new one is issued. Codes
// are compared in constant time; only their SHA-256 is kept. They live in
// memory: a restart loses the codes under way and the customer asks for
// another. The table is bounded (MaxPending), issuing is throttled per
// address (Resend) and node-wide (PerMinute), so a client cannot grow it,
// mail-bomb an address or send mail through the relay at will.
//
// Codes is safe for concurrent use.
package verify
