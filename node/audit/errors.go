package audit

import "errors"

var (
	// ErrInvalid is returned by Record for an entry without an actor or an
	// action, or with fields past their limits, and by Query for a bad
	// range or limit.
	ErrInvalid = errors.New("audit: invalid")
	// ErrClosed is returned by Record and Query after Close.
	ErrClosed = errors.New("audit: closed")
)
