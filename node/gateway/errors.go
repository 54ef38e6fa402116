package gateway

import "errors"

var (
	// ErrShuttingDown is returned by Shutdown's wait when connections did
	// not close in time.
	ErrShuttingDown = errors.New("gateway: connections still open at shutdown deadline")
	// ErrNoFile is what a Files' Stat wraps for a file the node does not
	// hold (never uploaded, expired, deleted with its session).
	ErrNoFile = errors.New("gateway: no such file on this node")

	// errContactLocked refuses an anonymous connection's contact frame
	// that would replace an address another connection left.
	errContactLocked = errors.New("gateway: contact address set by another connection")
)
