package session

import "errors"

var (
	// ErrNoSession is returned when a session id is unknown (never created,
	// or expired by the sweeper).
	ErrNoSession = errors.New("session: no such session")
	// ErrClosed is returned for requests made after Close began.
	ErrClosed = errors.New("session: store closed")
	// ErrInvalid is returned when a message or session id is malformed.
	ErrInvalid = errors.New("session: invalid")
	// ErrNotOwner is returned by Opener.Open when a verified customer
	// resumes a session that belongs to another customer.
	ErrNotOwner = errors.New("session: belongs to another customer")
	// ErrGap is Mirror's answer to messages that do not continue the mirror:
	// the caller fetches the missing ones (Result.Meta.LastSeq is where the
	// mirror stands) and tries again.
	ErrGap = errors.New("session: mirrored messages leave a gap")
	// ErrNoChat is returned by Rate when no agent chat of the session was
	// closed: there is nothing to rate.
	ErrNoChat = errors.New("session: no closed agent chat to rate")
	// ErrRated is returned by Rate when the last closed chat already has
	// a rating (with another cid).
	ErrRated = errors.New("session: the chat is already rated")
	// ErrSessionFull is returned for a message that would take a session
	// past Options.MaxSessionMessages or MaxSessionBytes: the session
	// takes no more messages, and the customer starts a new one.
	ErrSessionFull = errors.New("session: session is full")
)
