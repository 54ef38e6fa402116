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

// ErrRefused is returned (wrapped) by New when the core answered and
// refused the node: its credentials (nats.user, nats.password, nats.token,
// nats.creds, nats.nkey_seed_file) or TLS (nats.tls, the core's
// certificate). Unlike an unreachable core, which the node waits for,
// this is a configuration to fix.
var ErrRefused = errors.New("corelink: the core refused the connection")
