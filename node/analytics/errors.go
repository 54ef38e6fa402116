package analytics

import "errors"

var (
	// ErrInvalid is returned by Query for a bad range: a from after to, a
	// range longer than the retention or starting before it.
	ErrInvalid = errors.New("analytics: invalid query")
	// ErrUnknownGroup is returned by Query for a group that is neither
	// configured nor in the figures.
	ErrUnknownGroup = errors.New("analytics: unknown group")
	// ErrClosed is returned by Flush after Close.
	ErrClosed = errors.New("analytics: closed")
)
