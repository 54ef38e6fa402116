package relay

import "errors"

var (
	// ErrNoSender is returned for a request that does not name the node
	// it came from.
	ErrNoSender = errors.New("relay: request without its node")
	// ErrNotServing is returned when a node asks about a session whose
	// chat is not handed to it (or, on a mirror, that it is not the
	// origin of).
	ErrNotServing = errors.New("relay: session not handed to the requesting node")
	// ErrUnknownOp is returned for a request this node does not know.
	ErrUnknownOp = errors.New("relay: unknown request")
	// ErrBadRequest is returned for a request whose content is refused.
	ErrBadRequest = errors.New("relay: bad request")
)
