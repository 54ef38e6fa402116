package routing

import "errors"

// ErrConfig wraps a routing configuration that cannot be used.
var ErrConfig = errors.New("routing: bad configuration")

// Errors of agent operations (Reply, Transfer, CloseChat, Typing).
var (
	// ErrNotYours is returned when the agent does not hold the chat.
	ErrNotYours = errors.New("routing: not your chat")
	// ErrNoAgent is returned when a transfer names an agent not online.
	ErrNoAgent = errors.New("routing: no such agent online")
	// ErrNoRoom is returned when a transfer's agent is at capacity.
	ErrNoRoom = errors.New("routing: the agent has no room")
	// ErrNoGroup is returned when a transfer names an unknown group.
	ErrNoGroup = errors.New("routing: no such group")
	// ErrNoteTooLong is returned when a transfer's note is over MaxNoteLen.
	ErrNoteTooLong = errors.New("routing: transfer note too long")
)
