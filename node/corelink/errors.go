package corelink

import "errors"

var (
	// ErrOptions is returned (wrapped) by New when a required option is
	// missing.
	ErrOptions = errors.New("corelink: invalid options")
	// ErrClosed is returned by Run and ServeRelay after Close began.
	ErrClosed = errors.New("corelink: closed")
	// ErrRunning is returned by Run when it is already running, and by
	// ServeRelay once Run started (presence starts with Run).
	ErrRunning = errors.New("corelink: already running")
	// ErrNoCore is returned by ServeRelay when no core is shared with
	// other nodes (Relay is nil).
	ErrNoCore = errors.New("corelink: no core shared with other nodes")
)
